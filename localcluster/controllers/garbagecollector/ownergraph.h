#pragma once

#include <core/api/groupversion.h>
#include <core/client/requestoptions.h>

#include <nlohmann/json_fwd.hpp>

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace kd::lc::controllers::garbagecollector {

// One entry of metadata.ownerReferences.
struct OwnerReference
{
    std::string apiVersion;
    std::string kind;
    std::string name;
    std::string uid;
    bool controller = false;
    bool blockOwnerDeletion = false;

    bool operator==(const OwnerReference &) const = default;
};

// The ownerReferences of an object; entries without a uid are skipped (they cannot match).
std::vector<OwnerReference> ownerReferencesOf(const nlohmann::json &object);

// Where an object lives: the resource it was seen through and its name.
struct ObjectIdentity
{
    core::api::GroupVersionResource gvr;
    bool namespaced = false;
    std::string namespace_;
    std::string name;
    std::string uid;

    bool operator==(const ObjectIdentity &) const = default;
};

// What the graph knows of one object.
struct GraphNode
{
    ObjectIdentity identity;
    std::vector<OwnerReference> owners;
    std::vector<std::string> finalizers;
    bool beingDeleted = false;
    // Deleted with propagationPolicy Foreground: the `foregroundDeletion` finalizer holds it until
    // its blocking dependents are gone.
    bool deletingDependents = false;
    // Deleted with propagationPolicy Orphan: the `orphan` finalizer holds it until its dependents
    // no longer reference it.
    bool orphaning = false;
};

// The work a change causes, as object uids for the collector's two queues.
struct GraphWork
{
    std::set<std::string> attemptToDelete;
    std::set<std::string> attemptToOrphan;
};

// How an owner reference of an object that is not being deleted stands.
enum class OwnerState {
    Solid,    // the owner exists and is not deleting its dependents
    Dangling, // no object with that uid exists
    // The owner is being deleted in the foreground and waits for its dependents.
    WaitingForDependentsDeletion,
};

// What attemptToDelete does with an object whose owners were classified (upstream's
// attemptToDeleteItem): keep it while a solid owner remains, dropping references to dangling and
// waiting owners; otherwise delete it, in the foreground when an owner waits on it and it has
// dependents of its own, else as its own finalizers ask (orphan, foregroundDeletion) or in the
// background. Pure.
struct DeleteDecision
{
    enum class Action { None, RemoveOwnerReferences, Delete };

    Action action = Action::None;
    std::vector<std::string> ownerUidsToRemove;
    core::client::DeleteOptions::Propagation propagation
        = core::client::DeleteOptions::Propagation::Background;
};
DeleteDecision decideDeletion(const GraphNode &node,
                              const std::map<std::string, OwnerState> &ownerStates,
                              bool hasDependents);

// The garbage collector's ownership graph (upstream's uidToNode with its owner and dependent
// edges): every object the collector's informers hold, keyed by uid, with the dependents of each
// uid, including owners not (yet) seen. upsert()/remove() say which objects must be looked at
// again. Pure bookkeeping, no API calls. Owned by the GarbageCollector; every member is
// thread-safe (informer events write, workers read).
class OwnerGraph final
{
public:
    // An object of `resource` (Metadata flavour is enough) was added or changed.
    GraphWork upsert(const core::api::GroupVersionResource &gvr, bool namespaced,
                     const nlohmann::json &object);
    // The object is gone.
    GraphWork remove(const nlohmann::json &object);

    std::optional<GraphNode> node(const std::string &uid) const;
    // The nodes whose ownerReferences name `ownerUid`, whether or not that owner is known.
    std::vector<GraphNode> dependents(const std::string &ownerUid) const;
    std::size_t size() const;

private:
    void unlinkLocked(const GraphNode &node);

    mutable std::mutex m_mutex;
    std::unordered_map<std::string, GraphNode> m_nodes;
    std::unordered_map<std::string, std::set<std::string>> m_dependents;
};

} // namespace kd::lc::controllers::garbagecollector
