#pragma once

#include <localcluster/storage/key.h>
#include <localcluster/storage/storedobject.h>

#include <core/util/result.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

namespace kd::lc::storage {

// One open watch on the Store: a bounded queue of events for one resource (optionally one
// namespace). Created by Store::watch/listAndWatch and owned by the caller (the API server's
// watch handler) through a shared_ptr; the Store keeps its own reference until the watch ends.
// The Store's writer thread pushes; any one consumer thread takes. The writer never blocks on a
// watcher: when more than `capacity` events are waiting, the watch is ended with a Gone error so
// that the client relists.
class Watcher final
{
public:
    Watcher(GroupResource resource, std::optional<std::string> ns, std::size_t capacity,
            std::function<void()> notify);
    Watcher(const Watcher &) = delete;
    Watcher &operator=(const Watcher &) = delete;

    const GroupResource &resource() const { return m_resource; }
    const std::optional<std::string> &ns() const { return m_ns; }

    // Waits up to `timeout` for events and takes every queued one, in revision order. An empty
    // vector means the timeout passed. Once the queue is drained after the watch ended (consumer
    // too slow, Store closed), returns that Error from then on. A zero timeout never blocks.
    core::util::Result<std::vector<WatchEvent>> next(std::chrono::milliseconds timeout);
    // Ends the watch from the consumer's side; the Store drops it on its next write.
    void stop();
    bool stopped() const;

    // --- Store side (writer thread, or a reader registering the watch under the Store's lock).
    bool matches(const Key &key) const;
    // Queues an event; ends the watch when the queue is over capacity. False when the watch had
    // already ended (nothing to notify).
    bool push(WatchEvent event);
    // Queues the replay of a watch that starts in the past; not bounded by capacity.
    void pushReplay(std::vector<WatchEvent> events);
    void end(core::util::Error error);
    // Runs the consumer's notify callback; the Store calls it after releasing its locks.
    void notifyConsumer();

private:
    const GroupResource m_resource;
    const std::optional<std::string> m_ns;
    const std::size_t m_capacity;
    const std::function<void()> m_notify;

    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<WatchEvent> m_queue;
    std::optional<core::util::Error> m_error;
    bool m_stopped = false;
};

} // namespace kd::lc::storage
