#include "objectmeta.h"

#include <nlohmann/json.hpp>

namespace kd::lc::controllers {

using nlohmann::json;

namespace {

const json &metadataField(const json &object, const char *field)
{
    static const json null;
    if (!object.is_object())
        return null;
    const auto metadata = object.find("metadata");
    if (metadata == object.end() || !metadata->is_object())
        return null;
    const auto it = metadata->find(field);
    return it == metadata->end() ? null : *it;
}

} // namespace

bool isBeingDeleted(const json &object)
{
    const json &timestamp = metadataField(object, "deletionTimestamp");
    return timestamp.is_string() && !timestamp.get_ref<const std::string &>().empty();
}

bool isBeingDeleted(const core::api::CompactJson &object)
{
    return !object["metadata"]["deletionTimestamp"].string().empty();
}

std::string metadataString(const core::api::CompactJson &object, const char *field)
{
    return object["metadata"][field].toString();
}

bool hasFinalizer(const json &object, std::string_view finalizer)
{
    const json &finalizers = metadataField(object, "finalizers");
    if (!finalizers.is_array())
        return false;
    for (const json &f : finalizers) {
        if (f.is_string() && f.get_ref<const std::string &>() == finalizer)
            return true;
    }
    return false;
}

std::string metadataString(const json &object, const char *field)
{
    const json &value = metadataField(object, field);
    return value.is_string() ? value.get<std::string>() : std::string();
}

std::vector<std::string> finalizersOf(const json &object)
{
    return finalizersWithout(object, {});
}

std::vector<std::string> finalizersWithout(const json &object, std::string_view finalizer)
{
    std::vector<std::string> kept;
    const json &finalizers = metadataField(object, "finalizers");
    if (!finalizers.is_array())
        return kept;
    for (const json &f : finalizers) {
        if (f.is_string() && (finalizer.empty() || f.get_ref<const std::string &>() != finalizer))
            kept.push_back(f.get<std::string>());
    }
    return kept;
}

core::client::ResourceRef refFor(const core::client::DiscoveredResource &resource,
                                 const std::string &namespace_, const std::string &name)
{
    core::client::ResourceRef ref;
    ref.gvr = resource.gvr;
    ref.namespaced = resource.namespaced;
    ref.namespace_ = resource.namespaced ? namespace_ : std::string();
    ref.name = name;
    return ref;
}

bool isNotFound(const core::util::Error &error)
{
    return error.code() == core::util::Error::Code::NotFound;
}

} // namespace kd::lc::controllers
