#pragma once

#include <core/util/result.h>

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kd::core::engine {

// The identity of an object in the relation graph, as a reference names it. The namespace is
// empty for cluster-scoped kinds (Node, PersistentVolume, StorageClass).
struct NodeId
{
    std::string group; // "" for the core group, "apps", "batch", "storage.k8s.io"…
    std::string kind;  // singular PascalCase: "Pod"
    std::string namespace_;
    std::string name;

    auto operator<=>(const NodeId &) const = default;
};

// How two objects are related; the edge always points from the first to the second object.
enum class RelationType {
    Owns,    // owner -> dependent (metadata.ownerReferences, matched by uid)
    Selects, // Service -> Pod (spec.selector), Service -> EndpointSlice (service-name label)
    RunsOn,  // Pod -> Node (spec.nodeName)
    Uses,    // Pod -> ConfigMap/Secret/PVC/ServiceAccount, PVC -> PV, PV/PVC -> StorageClass
    Routes,  // Ingress -> Service
};

// One edge as a query returns it: `node` is the object at the other end. `via` is the object the
// edge hangs off, which differs from the queried object only in transitive results (the
// ReplicaSet a Pod belongs to under a Deployment).
struct Relation
{
    RelationType type = RelationType::Owns;
    NodeId node;
    NodeId via;
    // The other end has not been seen (or was deleted): a dangling reference, e.g. a Pod that
    // mounts a Secret that does not exist.
    bool missing = false;

    bool operator==(const Relation &) const = default;
};

// The ownership and usage graph of the objects the informers hold, kept live by feeding every
// informer event through upsert()/remove(). Owned by the cluster session; all members are
// thread-safe. The change callback runs on the thread that made the change, outside the lock, so
// it may query the graph.
class RelationGraph final
{
public:
    using ChangeCallback = std::function<void(std::uint64_t version)>;

    RelationGraph();
    ~RelationGraph();
    RelationGraph(const RelationGraph &) = delete;
    RelationGraph &operator=(const RelationGraph &) = delete;

    // Adds or replaces an object of the given kind (list items carry no kind, so the informer
    // supplies it). An object without metadata.name, or whose fields have the wrong JSON types,
    // is rejected with an Error and changes nothing.
    util::Result<void> upsert(const std::string &group, const std::string &kind,
                              const std::shared_ptr<const nlohmann::json> &object);
    // The same, taking group and kind from the object's apiVersion and kind fields.
    util::Result<void> upsert(const std::shared_ptr<const nlohmann::json> &object);
    // Forgets the object; references to it become dangling. Unknown objects change nothing.
    void remove(const NodeId &id);

    bool contains(const NodeId &id) const;
    std::shared_ptr<const nlohmann::json> object(const NodeId &id) const;
    std::size_t size() const;

    // Owners (by ownerReferences) of the object.
    std::vector<Relation> owners(const NodeId &id) const;
    // Objects owned by the object; transitive walks the whole tree breadth first (Deployment ->
    // ReplicaSets -> Pods), each result's `via` naming its owner.
    std::vector<Relation> dependents(const NodeId &id, bool transitive = false) const;
    std::vector<Relation> uses(const NodeId &id) const;
    std::vector<Relation> usedBy(const NodeId &id) const;
    std::vector<Relation> selects(const NodeId &id) const;
    std::vector<Relation> selectedBy(const NodeId &id) const;
    // Every edge out of / into the object, optionally of one type only.
    std::vector<Relation> outgoing(const NodeId &id,
                                   std::optional<RelationType> type = std::nullopt) const;
    std::vector<Relation> incoming(const NodeId &id,
                                   std::optional<RelationType> type = std::nullopt) const;

    // Increments on every change that altered the graph.
    std::uint64_t version() const;
    void setChangeCallback(ChangeCallback callback);

private:
    class Private;
    std::unique_ptr<Private> d;
};

} // namespace kd::core::engine
