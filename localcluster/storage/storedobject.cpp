#include "storedobject.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <random>
#include <utility>

namespace kd::lc::storage {

namespace {

// Metadata fields kept parsed: what selectors (metadata.name, metadata.namespace, labels) and
// the checks on hot write paths (delete preconditions, a terminating namespace) read.
constexpr const char *kSelectableMetadata[]
    = {"name", "namespace", "uid", "labels", "deletionTimestamp"};

// A sparse copy of `object` holding the selectable parts, in the object's own shape.
nlohmann::json summarize(const nlohmann::json &object)
{
    nlohmann::json summary = nlohmann::json::object();
    if (!object.is_object())
        return summary;
    if (const auto metadata = object.find("metadata");
        metadata != object.end() && metadata->is_object()) {
        nlohmann::json &kept = summary["metadata"];
        kept = nlohmann::json::object();
        for (const char *field : kSelectableMetadata) {
            if (const auto it = metadata->find(field); it != metadata->end())
                kept[field] = *it;
        }
        if (const auto rv = metadata->find("resourceVersion"); rv != metadata->end())
            kept["resourceVersion"] = *rv;
    }
    static const std::vector<nlohmann::json::json_pointer> pointers = [] {
        std::vector<nlohmann::json::json_pointer> parsed;
        for (const std::string &path : StoredObject::selectablePaths())
            parsed.emplace_back(path);
        return parsed;
    }();
    for (const auto &pointer : pointers) {
        // contains() is false for paths through non-objects, so at() below cannot throw.
        if (object.contains(pointer))
            summary[pointer] = object.at(pointer);
    }
    return summary;
}

// What prepare() writes as the resourceVersion until the writer knows the revision: random per
// process and never served, so no stored or requested text can contain it by chance or design.
const std::string &revisionPlaceholder()
{
    static const std::string placeholder = [] {
        std::random_device random;
        std::string text = "kd-revision-";
        for (int i = 0; i < 4; ++i) {
            char part[9];
            std::snprintf(part, sizeof part, "%08x", random());
            text += part;
        }
        return text;
    }();
    return placeholder;
}

} // namespace

PreparedObject::PreparedObject() = default;
PreparedObject::PreparedObject(PreparedObject &&) noexcept = default;
PreparedObject &PreparedObject::operator=(PreparedObject &&) noexcept = default;
PreparedObject::~PreparedObject() = default;

std::optional<PreparedObject> StoredObject::prepare(nlohmann::json &object)
{
    const std::string &placeholder = revisionPlaceholder();
    object["metadata"]["resourceVersion"] = placeholder;
    PreparedObject prepared;
    prepared.text = object.dump();
    const std::size_t at = prepared.text.find(placeholder);
    if (at == std::string::npos
        || prepared.text.find(placeholder, at + placeholder.size()) != std::string::npos)
        return std::nullopt;
    prepared.revisionAt = at;
    prepared.summary = std::make_unique<nlohmann::json>(summarize(object));
    return prepared;
}

const std::vector<std::string> &StoredObject::selectablePaths()
{
    // The union of the field labels kube-apiserver supports per kind (pods, events, secrets,
    // nodes, namespaces, replicasets, jobs, services); the API server's objectrules::fieldLabels
    // lists the same paths per resource. A label added there must be added here too
    // (tst_store's selectableAnswersSelectorsLikeTheObject compares the two).
    static const std::vector<std::string> paths = {
        "/spec/nodeName",
        "/spec/restartPolicy",
        "/spec/schedulerName",
        "/spec/serviceAccountName",
        "/spec/hostNetwork",
        "/spec/unschedulable",
        "/spec/clusterIP",
        "/spec/type",
        "/status/phase",
        "/status/podIP",
        "/status/podIPs",
        "/status/nominatedNodeName",
        "/status/replicas",
        "/status/successful",
        "/involvedObject",
        "/reason",
        "/reportingComponent",
        "/source",
        "/type",
    };
    return paths;
}

StoredObject::StoredObject(Key key, nlohmann::json object, Revision createRevision,
                           Revision modRevision)
    : m_key(std::move(key))
    , m_createRevision(createRevision)
    , m_modRevision(modRevision)
{
    object["metadata"]["resourceVersion"] = std::to_string(modRevision);
    m_json = object.dump();
    m_selectable = std::make_unique<const nlohmann::json>(summarize(object));
}

StoredObject::StoredObject(Key key, const nlohmann::json &object, std::string json,
                           Revision createRevision, Revision modRevision)
    : m_key(std::move(key))
    , m_json(std::move(json))
    , m_selectable(std::make_unique<const nlohmann::json>(summarize(object)))
    , m_createRevision(createRevision)
    , m_modRevision(modRevision)
{}

StoredObject::StoredObject(Key key, PreparedObject prepared, Revision createRevision,
                           Revision modRevision)
    : m_key(std::move(key))
    , m_createRevision(createRevision)
    , m_modRevision(modRevision)
{
    const std::string revision = std::to_string(modRevision);
    const std::size_t placeholderSize = revisionPlaceholder().size();
    m_json.reserve(prepared.text.size() - placeholderSize + revision.size());
    m_json.append(prepared.text, 0, prepared.revisionAt)
        .append(revision)
        .append(prepared.text, prepared.revisionAt + placeholderSize);
    (*prepared.summary)["metadata"]["resourceVersion"] = revision;
    m_selectable = std::move(prepared.summary);
}

StoredObject::~StoredObject() = default;

nlohmann::json StoredObject::object() const
{
    // The text was produced by dump() (or checked to be a JSON object when loaded), so it
    // parses; the fallback only keeps a damaged invariant from throwing into callers.
    nlohmann::json parsed = nlohmann::json::parse(m_json, nullptr, false);
    return parsed.is_discarded() ? nlohmann::json::object() : parsed;
}

const nlohmann::json &StoredObject::selectable() const
{
    return *m_selectable;
}

const char *WatchEvent::typeName(Type type)
{
    switch (type) {
    case Type::Added:
        return "ADDED";
    case Type::Modified:
        return "MODIFIED";
    case Type::Deleted:
        return "DELETED";
    }
    return "ERROR";
}

} // namespace kd::lc::storage
