#include "storedobject.h"

#include <nlohmann/json.hpp>

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

} // namespace

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
