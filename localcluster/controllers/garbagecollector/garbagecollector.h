#pragma once

#include <localcluster/controllers/controller.h>
#include <localcluster/controllers/garbagecollector/ownergraph.h>
#include <localcluster/controllers/queueworker.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace kd::lc::controllers::garbagecollector {

// kube-controller-manager's garbage collector: metadata informers over every resource that can be
// listed, watched and deleted feed an OwnerGraph; dependents whose owners are all gone are deleted
// (Background), owners deleted with propagationPolicy Foreground keep their `foregroundDeletion`
// finalizer until their blocking dependents are gone, owners deleted with Orphan keep `orphan`
// until no dependent references them any more. Discovery is re-read periodically and whenever a
// CustomResourceDefinition changes, so new kinds are followed.
// Owned by the ControllerManager. Threads: informer events on the manager's executor (they only
// update the graph and enqueue uids); one worker thread per queue (attemptToDelete,
// attemptToOrphan) making blocking API calls; one thread re-reading discovery.
class GarbageCollector final : public Controller
{
public:
    explicit GarbageCollector(ControllerContext &context,
                              std::chrono::seconds resyncPeriod = std::chrono::seconds(30));
    ~GarbageCollector() override;

    void start() override;
    void stop() override;

private:
    struct Monitor
    {
        core::client::DiscoveredResource resource;
        std::shared_ptr<core::cache::SharedInformer> informer;
    };

    void resyncLoop();
    core::util::Result<void> syncMonitors();
    bool monitorsSynced() const;
    void enqueue(const GraphWork &work);

    core::util::Result<SyncOutcome> attemptToDelete(const core::api::ObjectKey &key);
    core::util::Result<SyncOutcome> attemptToOrphan(const core::api::ObjectKey &key);
    core::util::Result<SyncOutcome> processDeletingDependents(const GraphNode &node);
    core::util::Result<OwnerState> ownerState(const GraphNode &dependent,
                                              const OwnerReference &owner);
    // The live object, or NotFound when it is gone or was replaced by another uid.
    core::util::Result<nlohmann::json> liveObject(const ObjectIdentity &identity);
    core::util::Result<void> removeOwnerReferences(const ObjectIdentity &identity,
                                                   const std::vector<std::string> &ownerUids);
    core::util::Result<void> removeFinalizer(const ObjectIdentity &identity, const char *finalizer);

    ControllerContext &m_context;
    const std::chrono::seconds m_resyncPeriod;
    OwnerGraph m_graph;
    std::shared_ptr<int> m_guard = std::make_shared<int>(0);

    mutable std::mutex m_mutex;
    std::condition_variable m_resyncWanted;
    bool m_resyncRequested = false;
    bool m_stopping = false;
    std::map<std::string, Monitor> m_monitors; // by group resource ("configmaps.")
    std::thread m_resyncThread;

    QueueWorker m_deleteWorker;
    QueueWorker m_orphanWorker;
};

} // namespace kd::lc::controllers::garbagecollector
