#include "apply.h"

#include "discovery.h"

#include <core/api/yaml.h>
#include <core/util/log.h>

#include <nlohmann/json.hpp>

namespace kd::core::client {

using util::Error;
using util::Result;

namespace {

const util::LogCategory lcApply("kd.client.apply");

std::string stringAt(const nlohmann::json &object, const char *name)
{
    const auto it = object.find(name);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string metadataString(const nlohmann::json &object, const char *name)
{
    const auto metadata = object.find("metadata");
    return metadata != object.end() && metadata->is_object() ? stringAt(*metadata, name)
                                                             : std::string();
}

std::string resourceVersionOf(const JsonPtr &object)
{
    return object ? metadataString(*object, "resourceVersion") : std::string();
}

// The object as compared for "unchanged" after a dry run, where the resourceVersion cannot tell.
nlohmann::json comparable(const nlohmann::json &object)
{
    nlohmann::json out = object;
    if (out.is_object() && out.contains("metadata") && out["metadata"].is_object()) {
        out["metadata"].erase("managedFields");
        out["metadata"].erase("resourceVersion");
    }
    return out;
}

bool isList(const nlohmann::json &object)
{
    const std::string kind = stringAt(object, "kind");
    const auto items = object.find("items");
    return kind.ends_with("List") && items != object.end() && items->is_array();
}

} // namespace

Applier::Applier(RestClient &client, Discovery &discovery)
    : m_client(client)
    , m_discovery(discovery)
{}

std::vector<FieldConflict> Applier::fieldConflicts(const Error &error)
{
    std::vector<FieldConflict> out;
    if (error.code() != Error::Code::Conflict)
        return out;
    for (const auto &cause : error.causes()) {
        if (cause.reason != "FieldManagerConflict")
            continue;
        FieldConflict conflict;
        conflict.message = cause.message;
        conflict.field = cause.field;
        // `conflict with "kubectl" using apps/v1` (optionally followed by ": .spec.replicas").
        const size_t open = cause.message.find('"');
        if (open != std::string::npos) {
            const size_t close = cause.message.find('"', open + 1);
            if (close != std::string::npos)
                conflict.manager = cause.message.substr(open + 1, close - open - 1);
        }
        if (conflict.field.empty()) {
            const size_t colon = cause.message.rfind(": ");
            if (colon != std::string::npos)
                conflict.field = cause.message.substr(colon + 2);
        }
        out.push_back(std::move(conflict));
    }
    return out;
}

Result<std::vector<ApplyResult>> Applier::apply(std::string_view manifests,
                                                const ApplyOptions &options)
{
    auto documents = api::parseYamlDocuments(manifests);
    if (!documents.ok())
        return documents.error();
    return applyObjects(documents.value(), options);
}

std::vector<ApplyResult> Applier::applyObjects(const std::vector<nlohmann::json> &objects,
                                               const ApplyOptions &options)
{
    std::vector<nlohmann::json> flat;
    for (const auto &object : objects) {
        if (object.is_object() && isList(object)) {
            for (const auto &item : object["items"])
                flat.push_back(item);
        } else {
            flat.push_back(object);
        }
    }
    std::vector<ApplyResult> results;
    results.reserve(flat.size());
    bool refreshed = false;
    for (size_t i = 0; i < flat.size(); ++i)
        results.push_back(applyOne(i, flat[i], options, refreshed));
    return results;
}

ApplyResult Applier::applyOne(size_t index, const nlohmann::json &input,
                              const ApplyOptions &options, bool &refreshed)
{
    ApplyResult result;
    result.document = index;
    auto fail = [&result](Error error) {
        result.outcome = ApplyResult::Outcome::Failed;
        result.error = std::move(error);
        return result;
    };

    if (!input.is_object())
        return fail(Error(Error::Code::Invalid, "the document is not an object"));
    const std::string apiVersion = stringAt(input, "apiVersion");
    const std::string kind = stringAt(input, "kind");
    const api::GroupVersion gv = api::GroupVersion::fromApiVersion(apiVersion);
    result.kind = {gv.group, gv.version, kind};
    result.key.name = metadataString(input, "name");
    if (apiVersion.empty() || gv.version.empty() || kind.empty())
        return fail(Error(Error::Code::Invalid, "the object has no apiVersion or kind"));
    if (result.key.name.empty())
        return fail(Error(Error::Code::Invalid, kind + " has no metadata.name"));

    // Resolve the kind; one refresh per apply call covers CRDs created moments ago (possibly by
    // an earlier document of the same manifests).
    auto snapshot = m_discovery.get();
    if (!snapshot.ok())
        return fail(snapshot.error());
    Discovery::Snapshot current = snapshot.value();
    const DiscoveredResource *resource = current->resourceForKind(result.kind);
    if (!resource && !refreshed) {
        refreshed = true;
        auto fresh = m_discovery.refresh();
        if (!fresh.ok())
            return fail(fresh.error());
        current = fresh.value();
        resource = current->resourceForKind(result.kind);
    }
    if (!resource)
        return fail(
            Error(Error::Code::NotFound, 404, "NotFound",
                  "no matches for kind \"" + kind + "\" in version \"" + apiVersion + "\""));

    nlohmann::json object = input;
    if (!object.contains("metadata") || !object["metadata"].is_object())
        object["metadata"] = nlohmann::json::object();
    if (resource->namespaced) {
        result.key.namespace_ = metadataString(object, "namespace");
        if (result.key.namespace_.empty()) {
            result.key.namespace_
                = options.defaultNamespace.empty() ? "default" : options.defaultNamespace;
            object["metadata"]["namespace"] = result.key.namespace_;
        }
    } else {
        object["metadata"].erase("namespace");
    }
    const ResourceRef ref{
        resource->gvr, resource->namespaced, result.key.namespace_, result.key.name, {}};

    WriteOptions write;
    write.fieldManager = options.fieldManager;
    write.dryRun = options.dryRun;
    write.force = options.force;

    // The live object tells created from configured from unchanged, and is what a replace needs.
    auto live = m_client.get(ref);
    const bool absent = !live.ok() && live.error().code() == Error::Code::NotFound;
    const JsonPtr liveObject = live.ok() ? live->body : nullptr;

    auto finish = [&](ApiResponse answer) {
        result.object = answer.body;
        if (absent || answer.status == 201) {
            result.outcome = ApplyResult::Outcome::Created;
        } else if (liveObject && options.dryRun) {
            result.outcome = answer.body && comparable(*answer.body) == comparable(*liveObject)
                                 ? ApplyResult::Outcome::Unchanged
                                 : ApplyResult::Outcome::Configured;
        } else if (liveObject && resourceVersionOf(liveObject) == resourceVersionOf(answer.body)
                   && !resourceVersionOf(liveObject).empty()) {
            result.outcome = ApplyResult::Outcome::Unchanged;
        } else {
            result.outcome = ApplyResult::Outcome::Configured;
        }
        return result;
    };

    if (m_serverSideApply) {
        auto patched = m_client.patch(
            ref, PatchType::Apply,
            object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), write);
        if (patched.ok())
            return finish(std::move(patched.value()));
        const Error &error = patched.error();
        const bool unsupported = error.code() == Error::Code::UnsupportedMediaType;
        // A server that does not upsert on apply answers NotFound for an object that is absent.
        const bool noUpsert = absent && error.code() == Error::Code::NotFound;
        if (unsupported) {
            lcApply.info("the server does not support server-side apply; using create/replace");
            m_serverSideApply = false;
        } else if (!noUpsert) {
            auto conflicts = fieldConflicts(error);
            if (!conflicts.empty()) {
                result.outcome = ApplyResult::Outcome::Conflict;
                result.conflicts = std::move(conflicts);
                result.error = error;
                return result;
            }
            return fail(error);
        }
    }

    // Without server-side apply: create, or replace as `kubectl replace` does (the user's object
    // whole, guarded by the live resourceVersion).
    result.usedFallback = true;
    if (!live.ok() && !absent)
        return fail(live.error());
    WriteOptions plain = write;
    plain.force = false;
    if (absent) {
        auto created = m_client.create(ref, object, plain);
        if (!created.ok())
            return fail(created.error());
        return finish(std::move(created.value()));
    }
    object["metadata"]["resourceVersion"] = resourceVersionOf(liveObject);
    auto replaced = m_client.update(ref, object, plain);
    if (!replaced.ok())
        return fail(replaced.error());
    return finish(std::move(replaced.value()));
}

} // namespace kd::core::client
