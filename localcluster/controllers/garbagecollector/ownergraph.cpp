#include "ownergraph.h"

#include <localcluster/controllers/objectmeta.h>

#include <nlohmann/json.hpp>

#include <algorithm>

namespace kd::lc::controllers::garbagecollector {

using nlohmann::json;

namespace {

constexpr const char *kForegroundFinalizer = "foregroundDeletion";
constexpr const char *kOrphanFinalizer = "orphan";

std::string stringField(const json &object, const char *field)
{
    const auto it = object.find(field);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

} // namespace

std::vector<OwnerReference> ownerReferencesOf(const json &object)
{
    std::vector<OwnerReference> owners;
    if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object())
        return owners;
    const json &metadata = object["metadata"];
    const auto refs = metadata.find("ownerReferences");
    if (refs == metadata.end() || !refs->is_array())
        return owners;
    for (const json &ref : *refs) {
        if (!ref.is_object())
            continue;
        OwnerReference owner;
        owner.apiVersion = stringField(ref, "apiVersion");
        owner.kind = stringField(ref, "kind");
        owner.name = stringField(ref, "name");
        owner.uid = stringField(ref, "uid");
        const auto controller = ref.find("controller");
        owner.controller
            = controller != ref.end() && controller->is_boolean() && controller->get<bool>();
        const auto block = ref.find("blockOwnerDeletion");
        owner.blockOwnerDeletion = block != ref.end() && block->is_boolean() && block->get<bool>();
        if (!owner.uid.empty())
            owners.push_back(std::move(owner));
    }
    return owners;
}

DeleteDecision decideDeletion(const GraphNode &node,
                              const std::map<std::string, OwnerState> &ownerStates,
                              bool hasDependents)
{
    const auto hasFinalizer = [&node](const char *finalizer) {
        return std::find(node.finalizers.begin(), node.finalizers.end(), finalizer)
               != node.finalizers.end();
    };
    using Propagation = core::client::DeleteOptions::Propagation;
    DeleteDecision decision;
    if (node.owners.empty() || node.beingDeleted)
        return decision;
    std::vector<std::string> solid, dangling, waiting;
    for (const OwnerReference &owner : node.owners) {
        const auto it = ownerStates.find(owner.uid);
        // An owner the caller could not classify counts as present: never delete on doubt.
        const OwnerState state = it == ownerStates.end() ? OwnerState::Solid : it->second;
        switch (state) {
        case OwnerState::Solid:
            solid.push_back(owner.uid);
            break;
        case OwnerState::Dangling:
            dangling.push_back(owner.uid);
            break;
        case OwnerState::WaitingForDependentsDeletion:
            waiting.push_back(owner.uid);
            break;
        }
    }
    if (!solid.empty()) {
        if (dangling.empty() && waiting.empty())
            return decision;
        decision.action = DeleteDecision::Action::RemoveOwnerReferences;
        decision.ownerUidsToRemove = dangling;
        decision.ownerUidsToRemove.insert(decision.ownerUidsToRemove.end(), waiting.begin(),
                                          waiting.end());
        return decision;
    }
    decision.action = DeleteDecision::Action::Delete;
    if (!waiting.empty() && hasDependents)
        decision.propagation = Propagation::Foreground;
    else if (hasFinalizer(kOrphanFinalizer))
        decision.propagation = Propagation::Orphan;
    else if (hasFinalizer(kForegroundFinalizer))
        decision.propagation = Propagation::Foreground;
    else
        decision.propagation = Propagation::Background;
    return decision;
}

GraphWork OwnerGraph::upsert(const core::api::GroupVersionResource &gvr, bool namespaced,
                             const json &object)
{
    GraphNode node;
    node.identity.gvr = gvr;
    node.identity.namespaced = namespaced;
    node.identity.namespace_ = metadataString(object, "namespace");
    node.identity.name = metadataString(object, "name");
    node.identity.uid = metadataString(object, "uid");
    node.owners = ownerReferencesOf(object);
    node.finalizers = finalizersOf(object);
    node.beingDeleted = isBeingDeleted(object);
    node.deletingDependents = node.beingDeleted && hasFinalizer(object, kForegroundFinalizer);
    node.orphaning = node.beingDeleted && hasFinalizer(object, kOrphanFinalizer);

    GraphWork work;
    if (node.identity.uid.empty())
        return work;
    const std::string uid = node.identity.uid;

    std::lock_guard lock(m_mutex);
    if (auto old = m_nodes.find(uid); old != m_nodes.end()) {
        // Owners this object no longer names may have been waiting for it to go.
        for (const OwnerReference &before : old->second.owners) {
            bool kept = false;
            for (const OwnerReference &after : node.owners)
                kept = kept || after.uid == before.uid;
            if (!kept) {
                if (auto owner = m_nodes.find(before.uid);
                    owner != m_nodes.end() && owner->second.deletingDependents)
                    work.attemptToDelete.insert(before.uid);
            }
        }
        unlinkLocked(old->second);
    }
    for (const OwnerReference &owner : node.owners)
        m_dependents[owner.uid].insert(uid);

    // Whether its owners still exist (or are deleting their dependents) is checked by the
    // attempt: cheap when they are all in the graph.
    if (!node.owners.empty())
        work.attemptToDelete.insert(uid);
    if (node.deletingDependents) {
        work.attemptToDelete.insert(uid);
        if (auto deps = m_dependents.find(uid); deps != m_dependents.end())
            work.attemptToDelete.insert(deps->second.begin(), deps->second.end());
    }
    if (node.orphaning)
        work.attemptToOrphan.insert(uid);
    m_nodes[uid] = std::move(node);
    return work;
}

GraphWork OwnerGraph::remove(const json &object)
{
    GraphWork work;
    const std::string uid = metadataString(object, "uid");
    std::lock_guard lock(m_mutex);
    const auto it = m_nodes.find(uid);
    if (it == m_nodes.end())
        return work;
    // Dependents whose owner vanished may now be garbage; an owner deleting in the foreground
    // may have lost its last blocking dependent.
    if (auto deps = m_dependents.find(uid); deps != m_dependents.end())
        work.attemptToDelete.insert(deps->second.begin(), deps->second.end());
    for (const OwnerReference &owner : it->second.owners) {
        if (auto ownerNode = m_nodes.find(owner.uid);
            ownerNode != m_nodes.end() && ownerNode->second.deletingDependents)
            work.attemptToDelete.insert(owner.uid);
    }
    unlinkLocked(it->second);
    m_nodes.erase(it);
    return work;
}

void OwnerGraph::unlinkLocked(const GraphNode &node)
{
    for (const OwnerReference &owner : node.owners) {
        auto deps = m_dependents.find(owner.uid);
        if (deps == m_dependents.end())
            continue;
        deps->second.erase(node.identity.uid);
        if (deps->second.empty())
            m_dependents.erase(deps);
    }
}

std::optional<GraphNode> OwnerGraph::node(const std::string &uid) const
{
    std::lock_guard lock(m_mutex);
    const auto it = m_nodes.find(uid);
    if (it == m_nodes.end())
        return std::nullopt;
    return it->second;
}

std::vector<GraphNode> OwnerGraph::dependents(const std::string &ownerUid) const
{
    std::vector<GraphNode> out;
    std::lock_guard lock(m_mutex);
    const auto deps = m_dependents.find(ownerUid);
    if (deps == m_dependents.end())
        return out;
    for (const std::string &uid : deps->second) {
        if (auto it = m_nodes.find(uid); it != m_nodes.end())
            out.push_back(it->second);
    }
    return out;
}

std::size_t OwnerGraph::size() const
{
    std::lock_guard lock(m_mutex);
    return m_nodes.size();
}

} // namespace kd::lc::controllers::garbagecollector
