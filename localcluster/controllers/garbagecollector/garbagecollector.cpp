#include "garbagecollector.h"

#include <localcluster/controllers/objectmeta.h>

#include <core/api/compactjson.h>
#include <core/util/log.h>
#include <core/util/threadname.h>

#include <nlohmann/json.hpp>

#include <set>

namespace kd::lc::controllers::garbagecollector {

using core::util::Error;
using core::util::Result;
using nlohmann::json;

namespace {

const core::util::LogCategory lcGc{"kd.lc.controllers.garbagecollector"};

constexpr const char *kForegroundFinalizer = "foregroundDeletion";
constexpr const char *kOrphanFinalizer = "orphan";
// How long a queued uid waits while the informers have not listed everything yet: deciding on
// an incomplete graph could miss dependents.
constexpr std::chrono::milliseconds kNotSyncedDelay{200};

std::string groupResourceOf(const core::client::DiscoveredResource &resource)
{
    return resource.gvr.resource + "." + resource.gvr.group;
}

// Events are high-volume and never own anything (upstream ignores them too).
bool isIgnored(const core::client::DiscoveredResource &resource)
{
    return resource.gvr.resource == "events"
           && (resource.gvr.group.empty() || resource.gvr.group == "events.k8s.io");
}

core::client::ResourceRef refOf(const ObjectIdentity &identity)
{
    core::client::ResourceRef ref;
    ref.gvr = identity.gvr;
    ref.namespaced = identity.namespaced;
    ref.namespace_ = identity.namespaced ? identity.namespace_ : std::string();
    ref.name = identity.name;
    return ref;
}

std::string describe(const ObjectIdentity &identity)
{
    return identity.gvr.groupResource() + " "
           + (identity.namespace_.empty() ? "" : identity.namespace_ + "/") + identity.name;
}

// A JSON merge patch of metadata guarded by the uid and resourceVersion the change was computed
// from, so that it never lands on a newer state or on a re-created object.
std::string guardedMetadataPatch(const json &live, const char *field, json value)
{
    json patch = {{"metadata",
                   {{field, std::move(value)},
                    {"uid", metadataString(live, "uid")},
                    {"resourceVersion", metadataString(live, "resourceVersion")}}}};
    return patch.dump();
}

} // namespace

GarbageCollector::GarbageCollector(ControllerContext &context, std::chrono::seconds resyncPeriod)
    : m_context(context)
    , m_resyncPeriod(resyncPeriod)
    , m_deleteWorker("garbagecollector",
                     [this](const core::api::ObjectKey &key) { return attemptToDelete(key); })
    , m_orphanWorker("garbagecollector-orphan",
                     [this](const core::api::ObjectKey &key) { return attemptToOrphan(key); })
{}

GarbageCollector::~GarbageCollector()
{
    stop();
}

void GarbageCollector::start()
{
    m_resyncThread = std::thread([this] {
        core::util::setCurrentThreadName("kd-gc-resync");
        resyncLoop();
    });
    m_deleteWorker.start(1);
    m_orphanWorker.start(1);
}

void GarbageCollector::stop()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_resyncWanted.notify_all();
    if (m_resyncThread.joinable())
        m_resyncThread.join();
    m_guard.reset();
    m_deleteWorker.stop();
    m_orphanWorker.stop();
    std::map<std::string, Monitor> monitors;
    {
        std::lock_guard lock(m_mutex);
        monitors.swap(m_monitors);
    }
    for (auto &[name, monitor] : monitors)
        monitor.informer->stop();
}

void GarbageCollector::resyncLoop()
{
    for (;;) {
        if (auto synced = syncMonitors(); !synced)
            lcGc.warning("cannot discover the resources to collect: " + synced.error().message());
        std::unique_lock lock(m_mutex);
        m_resyncWanted.wait_for(lock, m_resyncPeriod,
                                [this] { return m_stopping || m_resyncRequested; });
        if (m_stopping)
            return;
        m_resyncRequested = false;
    }
}

Result<void> GarbageCollector::syncMonitors()
{
    auto snapshot = m_context.discovery.refresh();
    if (!snapshot)
        return snapshot.error();
    std::map<std::string, core::client::DiscoveredResource> wanted;
    for (const core::client::DiscoveredGroup &group : (*snapshot)->groups()) {
        for (const core::client::DiscoveredVersion &version : group.versions) {
            for (const core::client::DiscoveredResource &resource : version.resources) {
                if (!resource.hasVerb("list") || !resource.hasVerb("watch")
                    || !resource.hasVerb("delete") || isIgnored(resource))
                    continue;
                wanted.emplace(groupResourceOf(resource), resource); // first version wins
            }
        }
    }

    std::vector<std::shared_ptr<core::cache::SharedInformer>> stale;
    std::vector<std::shared_ptr<core::cache::SharedInformer>> fresh;
    {
        std::lock_guard lock(m_mutex);
        if (m_stopping)
            return {};
        for (auto it = m_monitors.begin(); it != m_monitors.end();) {
            const auto want = wanted.find(it->first);
            if (want == wanted.end() || want->second.gvr != it->second.resource.gvr) {
                stale.push_back(it->second.informer);
                it = m_monitors.erase(it);
            } else {
                ++it;
            }
        }
        for (const auto &[name, resource] : wanted) {
            if (m_monitors.contains(name))
                continue;
            core::cache::ReflectorOptions options;
            options.resource = refFor(resource, {});
            options.flavour = core::cache::Flavour::Metadata;
            auto informer = std::make_shared<core::cache::SharedInformer>(
                m_context.client, options, m_context.executor, core::cache::Indexers{});
            const core::api::GroupVersionResource gvr = resource.gvr;
            const bool namespaced = resource.namespaced;
            const bool isCrd = gvr.group == "apiextensions.k8s.io"
                               && gvr.resource == "customresourcedefinitions";
            core::cache::EventHandler handler;
            handler.onAdd = [this, gvr, namespaced, isCrd](const core::cache::ObjectPtr &object) {
                enqueue(m_graph.upsert(gvr, namespaced, object->toJson()));
                if (isCrd) {
                    std::lock_guard resyncLock(m_mutex);
                    m_resyncRequested = true;
                    m_resyncWanted.notify_all();
                }
            };
            handler.onUpdate = [this, gvr, namespaced](const core::cache::ObjectPtr &,
                                                       const core::cache::ObjectPtr &object) {
                enqueue(m_graph.upsert(gvr, namespaced, object->toJson()));
            };
            handler.onDelete = [this, isCrd](const core::cache::ObjectPtr &object) {
                enqueue(m_graph.remove(object->toJson()));
                if (isCrd) {
                    std::lock_guard resyncLock(m_mutex);
                    m_resyncRequested = true;
                    m_resyncWanted.notify_all();
                }
            };
            informer->addEventHandler(std::move(handler), m_guard);
            m_monitors.emplace(name, Monitor{resource, informer});
            fresh.push_back(informer);
        }
    }
    for (auto &informer : fresh)
        informer->start();
    for (auto &informer : stale)
        informer->stop();
    if (!fresh.empty() || !stale.empty())
        lcGc.debug([&] {
            return "monitoring " + std::to_string(wanted.size()) + " resources ("
                   + std::to_string(fresh.size()) + " new, " + std::to_string(stale.size())
                   + " gone)";
        });
    return {};
}

bool GarbageCollector::monitorsSynced() const
{
    std::lock_guard lock(m_mutex);
    if (m_monitors.empty())
        return false;
    for (const auto &[name, monitor] : m_monitors) {
        if (!monitor.informer->hasSynced())
            return false;
    }
    return true;
}

void GarbageCollector::enqueue(const GraphWork &work)
{
    for (const std::string &uid : work.attemptToDelete)
        m_deleteWorker.queue().add({"", uid});
    for (const std::string &uid : work.attemptToOrphan)
        m_orphanWorker.queue().add({"", uid});
}

Result<SyncOutcome> GarbageCollector::attemptToDelete(const core::api::ObjectKey &key)
{
    if (!monitorsSynced())
        return SyncOutcome{kNotSyncedDelay};
    const std::optional<GraphNode> node = m_graph.node(key.name);
    if (!node)
        return SyncOutcome{};
    if (node->deletingDependents)
        return processDeletingDependents(*node);
    if (node->owners.empty() || node->beingDeleted)
        return SyncOutcome{};

    std::map<std::string, OwnerState> states;
    for (const OwnerReference &owner : node->owners) {
        auto state = ownerState(*node, owner);
        if (!state)
            return state.error();
        states[owner.uid] = *state;
    }
    const bool hasDependents = !m_graph.dependents(key.name).empty();
    const DeleteDecision decision = decideDeletion(*node, states, hasDependents);
    switch (decision.action) {
    case DeleteDecision::Action::None:
        return SyncOutcome{};
    case DeleteDecision::Action::RemoveOwnerReferences:
        if (auto removed = removeOwnerReferences(node->identity, decision.ownerUidsToRemove);
            !removed)
            return removed.error();
        return SyncOutcome{};
    case DeleteDecision::Action::Delete:
        break;
    }
    core::client::DeleteOptions options;
    options.propagationPolicy = decision.propagation;
    options.preconditionUid = node->identity.uid;
    lcGc.debug([&] { return "deleting " + describe(node->identity) + ": its owners are gone"; });
    auto removed = m_context.client.remove(refOf(node->identity), options);
    // NotFound: gone already; Conflict: the uid precondition failed, this object was replaced.
    if (!removed && !isNotFound(removed.error()) && removed.error().code() != Error::Code::Conflict)
        return removed.error();
    return SyncOutcome{};
}

Result<SyncOutcome> GarbageCollector::processDeletingDependents(const GraphNode &node)
{
    std::vector<GraphNode> blocking;
    for (GraphNode &dependent : m_graph.dependents(node.identity.uid)) {
        for (const OwnerReference &owner : dependent.owners) {
            if (owner.uid == node.identity.uid && owner.blockOwnerDeletion) {
                blocking.push_back(std::move(dependent));
                break;
            }
        }
    }
    if (blocking.empty()) {
        if (auto removed = removeFinalizer(node.identity, kForegroundFinalizer); !removed)
            return removed.error();
        return SyncOutcome{};
    }
    // Their deletion (or their own foreground deletion finishing) brings this owner back here.
    for (const GraphNode &dependent : blocking) {
        if (!dependent.deletingDependents)
            m_deleteWorker.queue().add({"", dependent.identity.uid});
    }
    return SyncOutcome{};
}

Result<OwnerState> GarbageCollector::ownerState(const GraphNode &dependent,
                                                const OwnerReference &owner)
{
    if (const std::optional<GraphNode> known = m_graph.node(owner.uid)) {
        return known->deletingDependents ? OwnerState::WaitingForDependentsDeletion
                                         : OwnerState::Solid;
    }
    // Not in the graph: gone, or an event not seen yet. Ask the server.
    const core::api::GroupVersion gv = core::api::GroupVersion::fromApiVersion(owner.apiVersion);
    const core::client::DiscoveredResource *resource = nullptr;
    core::client::Discovery::Snapshot snapshot = m_context.discovery.current();
    for (int attempt = 0; attempt < 2 && !resource; ++attempt) {
        if (!snapshot || attempt > 0) {
            auto refreshed = m_context.discovery.refresh();
            if (!refreshed)
                return refreshed.error();
            snapshot = *refreshed;
        }
        resource = snapshot->resourceForKind({gv.group, gv.version, owner.kind});
        if (!resource)
            resource = snapshot->preferredResourceForKind(gv.group, owner.kind);
    }
    if (!resource)
        return Error(Error::Code::NotFound,
                     "owner kind " + owner.kind + " of " + owner.apiVersion + " is not served");
    // A cluster-scoped object cannot be owned by a namespaced one.
    if (resource->namespaced && !dependent.identity.namespaced)
        return OwnerState::Dangling;
    auto got = m_context.client.get(refFor(*resource, dependent.identity.namespace_, owner.name));
    if (!got)
        return isNotFound(got.error()) ? Result<OwnerState>(OwnerState::Dangling) : got.error();
    const json &live = *got->body;
    if (metadataString(live, "uid") != owner.uid)
        return OwnerState::Dangling;
    if (isBeingDeleted(live) && hasFinalizer(live, kForegroundFinalizer))
        return OwnerState::WaitingForDependentsDeletion;
    return OwnerState::Solid;
}

Result<SyncOutcome> GarbageCollector::attemptToOrphan(const core::api::ObjectKey &key)
{
    if (!monitorsSynced())
        return SyncOutcome{kNotSyncedDelay};
    const std::optional<GraphNode> node = m_graph.node(key.name);
    if (!node || !node->orphaning)
        return SyncOutcome{};
    for (const GraphNode &dependent : m_graph.dependents(key.name)) {
        if (auto removed = removeOwnerReferences(dependent.identity, {key.name}); !removed)
            return removed.error();
    }
    if (auto removed = removeFinalizer(node->identity, kOrphanFinalizer); !removed)
        return removed.error();
    lcGc.debug([&] { return "orphaned the dependents of " + describe(node->identity); });
    return SyncOutcome{};
}

Result<json> GarbageCollector::liveObject(const ObjectIdentity &identity)
{
    auto got = m_context.client.get(refOf(identity));
    if (!got)
        return got.error();
    if (metadataString(*got->body, "uid") != identity.uid)
        return Error(Error::Code::NotFound, describe(identity) + " was replaced");
    return *got->body;
}

Result<void> GarbageCollector::removeOwnerReferences(const ObjectIdentity &identity,
                                                     const std::vector<std::string> &ownerUids)
{
    auto live = liveObject(identity);
    if (!live)
        return isNotFound(live.error()) ? Result<void>() : live.error();
    const json refs = live->value("/metadata/ownerReferences"_json_pointer, json::array());
    if (!refs.is_array())
        return {};
    json kept = json::array();
    for (const json &ref : refs) {
        const std::string uid = ref.is_object() ? ref.value("uid", "") : std::string();
        if (std::find(ownerUids.begin(), ownerUids.end(), uid) == ownerUids.end())
            kept.push_back(ref);
    }
    if (kept.size() == refs.size())
        return {};
    auto patched = m_context.client.patch(
        refOf(identity), core::client::PatchType::Merge,
        guardedMetadataPatch(*live, "ownerReferences", kept.empty() ? json() : kept));
    if (!patched && !isNotFound(patched.error()))
        return patched.error();
    return {};
}

Result<void> GarbageCollector::removeFinalizer(const ObjectIdentity &identity,
                                               const char *finalizer)
{
    auto live = liveObject(identity);
    if (!live)
        return isNotFound(live.error()) ? Result<void>() : live.error();
    if (!hasFinalizer(*live, finalizer))
        return {};
    const std::vector<std::string> kept = finalizersWithout(*live, finalizer);
    auto patched = m_context.client.patch(
        refOf(identity), core::client::PatchType::Merge,
        guardedMetadataPatch(*live, "finalizers", kept.empty() ? json() : json(kept)));
    if (!patched && !isNotFound(patched.error()))
        return patched.error();
    return {};
}

} // namespace kd::lc::controllers::garbagecollector
