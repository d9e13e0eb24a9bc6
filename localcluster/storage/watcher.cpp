#include "watcher.h"

namespace kd::lc::storage {

using core::util::Error;
using core::util::Result;

Watcher::Watcher(GroupResource resource, std::optional<std::string> ns, std::size_t capacity,
                 std::function<void()> notify)
    : m_resource(std::move(resource))
    , m_ns(std::move(ns))
    , m_capacity(capacity)
    , m_notify(std::move(notify))
{}

Result<std::vector<WatchEvent>> Watcher::next(std::chrono::milliseconds timeout)
{
    std::unique_lock lock(m_mutex);
    if (timeout.count() > 0) {
        m_wake.wait_for(lock, timeout,
                        [this] { return !m_queue.empty() || m_error.has_value() || m_stopped; });
    }
    if (!m_queue.empty()) {
        std::vector<WatchEvent> events(std::make_move_iterator(m_queue.begin()),
                                       std::make_move_iterator(m_queue.end()));
        m_queue.clear();
        return events;
    }
    if (m_error)
        return *m_error;
    if (m_stopped)
        return Error(Error::Code::Cancelled, "the watch was stopped");
    return std::vector<WatchEvent>{};
}

void Watcher::stop()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopped = true;
        m_queue.clear();
    }
    m_wake.notify_all();
}

bool Watcher::stopped() const
{
    std::lock_guard lock(m_mutex);
    return m_stopped || m_error.has_value();
}

bool Watcher::matches(const Key &key) const
{
    return key.groupResource == m_resource && (!m_ns || *m_ns == key.ns);
}

bool Watcher::push(WatchEvent event)
{
    {
        std::lock_guard lock(m_mutex);
        if (m_stopped || m_error)
            return false;
        if (m_queue.size() >= m_capacity) {
            // Dropping events silently would corrupt the client's cache; ending the watch makes
            // it relist, which is what kube-apiserver does with a watcher that cannot keep up.
            m_queue.clear();
            m_error = Error(Error::Code::Gone, "the watch of " + m_resource.toString()
                                                   + " fell too far behind ("
                                                   + std::to_string(m_capacity)
                                                   + " events waiting) and was ended; relist");
        } else {
            m_queue.push_back(std::move(event));
        }
    }
    m_wake.notify_all();
    return true;
}

void Watcher::pushReplay(std::vector<WatchEvent> events)
{
    if (events.empty())
        return;
    {
        std::lock_guard lock(m_mutex);
        for (WatchEvent &event : events)
            m_queue.push_back(std::move(event));
    }
    m_wake.notify_all();
}

void Watcher::end(Error error)
{
    {
        std::lock_guard lock(m_mutex);
        if (m_stopped || m_error)
            return;
        m_error = std::move(error);
    }
    m_wake.notify_all();
}

void Watcher::notifyConsumer()
{
    if (m_notify)
        m_notify();
}

} // namespace kd::lc::storage
