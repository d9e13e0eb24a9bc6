#include "workqueue.h"

#include <core/util/threadname.h>

#include <algorithm>
#include <functional>

namespace kd::core::cache {

WorkQueue::WorkQueue(std::unique_ptr<RateLimiter> rateLimiter)
    : m_rateLimiter(rateLimiter ? std::move(rateLimiter) : defaultControllerRateLimiter())
{
    m_timer = std::thread([this] {
        util::setCurrentThreadName("kd-queue-timer");
        timerLoop();
    });
}

WorkQueue::~WorkQueue()
{
    shutDown();
    m_timer.join();
}

void WorkQueue::add(const api::ObjectKey &key)
{
    std::lock_guard lock(m_mutex);
    addLocked(key);
}

void WorkQueue::addLocked(const api::ObjectKey &key)
{
    if (m_shuttingDown || m_dirty.contains(key))
        return;
    m_dirty.insert(key);
    // A key being processed is queued again by done(), so two workers never hold it at once.
    if (m_processing.contains(key))
        return;
    m_queue.push_back(key);
    m_changed.notify_one();
}

void WorkQueue::addAfter(const api::ObjectKey &key, std::chrono::milliseconds delay)
{
    std::lock_guard lock(m_mutex);
    if (m_shuttingDown)
        return;
    if (delay.count() <= 0) {
        addLocked(key);
        return;
    }
    m_delayed.push_back({std::chrono::steady_clock::now() + delay, key});
    std::push_heap(m_delayed.begin(), m_delayed.end(), std::greater<>());
    m_timerChanged.notify_one();
}

void WorkQueue::addRateLimited(const api::ObjectKey &key)
{
    addAfter(key, m_rateLimiter->when(key));
}

void WorkQueue::forget(const api::ObjectKey &key)
{
    m_rateLimiter->forget(key);
}

int WorkQueue::numRequeues(const api::ObjectKey &key) const
{
    return m_rateLimiter->numRequeues(key);
}

std::optional<api::ObjectKey> WorkQueue::get()
{
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [this] {
        return !m_queue.empty() || (m_shuttingDown && (!m_drain || m_queue.empty()));
    });
    if (m_queue.empty() || (m_shuttingDown && !m_drain))
        return std::nullopt;
    api::ObjectKey key = std::move(m_queue.front());
    m_queue.pop_front();
    m_processing.insert(key);
    m_dirty.erase(key);
    return key;
}

void WorkQueue::done(const api::ObjectKey &key)
{
    std::lock_guard lock(m_mutex);
    m_processing.erase(key);
    if (m_dirty.contains(key)) {
        m_queue.push_back(key);
        m_changed.notify_one();
    }
    if (m_processing.empty())
        m_changed.notify_all();
}

int WorkQueue::length() const
{
    std::lock_guard lock(m_mutex);
    return static_cast<int>(m_queue.size());
}

void WorkQueue::shutDown()
{
    std::lock_guard lock(m_mutex);
    m_shuttingDown = true;
    m_drain = false;
    m_changed.notify_all();
    m_timerChanged.notify_all();
}

void WorkQueue::shutDownWithDrain()
{
    std::unique_lock lock(m_mutex);
    m_shuttingDown = true;
    m_drain = true;
    m_changed.notify_all();
    m_timerChanged.notify_all();
    m_changed.wait(lock, [this] { return m_processing.empty() && m_queue.empty(); });
    m_drain = false;
    m_changed.notify_all();
}

bool WorkQueue::isShuttingDown() const
{
    std::lock_guard lock(m_mutex);
    return m_shuttingDown;
}

void WorkQueue::timerLoop()
{
    std::unique_lock lock(m_mutex);
    while (!m_shuttingDown) {
        if (m_delayed.empty()) {
            m_timerChanged.wait(lock);
            continue;
        }
        const auto at = m_delayed.front().at;
        if (std::chrono::steady_clock::now() < at) {
            m_timerChanged.wait_until(lock, at);
            continue;
        }
        std::pop_heap(m_delayed.begin(), m_delayed.end(), std::greater<>());
        api::ObjectKey key = std::move(m_delayed.back().key);
        m_delayed.pop_back();
        addLocked(key);
    }
}

} // namespace kd::core::cache
