#pragma once

#include <core/api/groupversion.h>
#include <core/cache/ratelimiter.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

namespace kd::core::cache {

// client-go's rate-limited work queue of object keys, what controllers process. A key is queued
// at most once (dedup); a key being processed is never handed to a second worker, and if it is
// added meanwhile it is queued again when its worker calls done() ("dirty"). addAfter() and
// addRateLimited() wait on the queue's own timer thread. Owned by its controller; every member may
// be called from any thread; get() blocks.
class WorkQueue final
{
public:
    explicit WorkQueue(std::unique_ptr<RateLimiter> rateLimiter = defaultControllerRateLimiter());
    ~WorkQueue();
    WorkQueue(const WorkQueue &) = delete;
    WorkQueue &operator=(const WorkQueue &) = delete;

    void add(const api::ObjectKey &key);
    void addAfter(const api::ObjectKey &key, std::chrono::milliseconds delay);
    // Adds after the rate limiter's delay for the key (one more failure).
    void addRateLimited(const api::ObjectKey &key);
    // The key was processed successfully: drops its failure history.
    void forget(const api::ObjectKey &key);
    int numRequeues(const api::ObjectKey &key) const;

    // Blocks until a key is available; nullopt once the queue is shut down (and, for
    // shutDownWithDrain, empty). Every key returned must be passed to done().
    std::optional<api::ObjectKey> get();
    void done(const api::ObjectKey &key);

    // Keys waiting (not the ones being processed or delayed).
    int length() const;
    // Stops accepting keys; get() returns nullopt at once, even if keys are queued.
    void shutDown();
    // Stops accepting keys, lets workers drain what is queued and blocks until every key handed
    // out has been done().
    void shutDownWithDrain();
    bool isShuttingDown() const;

private:
    struct Delayed
    {
        std::chrono::steady_clock::time_point at;
        api::ObjectKey key;
        bool operator>(const Delayed &other) const { return at > other.at; }
    };

    void addLocked(const api::ObjectKey &key);
    void timerLoop();

    std::unique_ptr<RateLimiter> m_rateLimiter;
    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    std::condition_variable m_timerChanged;
    std::deque<api::ObjectKey> m_queue;
    std::set<api::ObjectKey> m_dirty;
    std::set<api::ObjectKey> m_processing;
    std::vector<Delayed> m_delayed; // a min-heap on `at`
    bool m_shuttingDown = false;
    bool m_drain = false;
    std::thread m_timer;
};

} // namespace kd::core::cache
