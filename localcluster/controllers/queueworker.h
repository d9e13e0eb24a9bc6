#pragma once

#include <core/api/groupversion.h>
#include <core/cache/workqueue.h>
#include <core/util/result.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace kd::lc::controllers {

// What processing one key decided: done, or look again after a delay (content still being
// removed, an owner still deleting its dependents). Errors are retried with the queue's
// per-key exponential backoff.
struct SyncOutcome
{
    std::optional<std::chrono::milliseconds> requeueAfter;
};

using SyncFunction
    = std::function<core::util::Result<SyncOutcome>(const core::api::ObjectKey &key)>;

// The loop of kube-controller-manager's workers: takes keys from a rate-limited WorkQueue, calls
// the controller's sync function on its own threads and requeues on failure. Owned by one
// controller; start()/stop() from the controller's owner thread, the queue from any thread.
class QueueWorker final
{
public:
    QueueWorker(std::string name, SyncFunction sync);
    ~QueueWorker();
    QueueWorker(const QueueWorker &) = delete;
    QueueWorker &operator=(const QueueWorker &) = delete;

    core::cache::WorkQueue &queue() { return m_queue; }
    void start(int threads);
    // Shuts the queue down and joins the threads; a sync in progress finishes first.
    void stop();

private:
    void run();

    const std::string m_name;
    const SyncFunction m_sync;
    core::cache::WorkQueue m_queue;
    std::vector<std::thread> m_threads;
};

} // namespace kd::lc::controllers
