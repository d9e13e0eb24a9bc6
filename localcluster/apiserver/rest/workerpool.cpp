#include "workerpool.h"

#include <core/util/threadname.h>

#include <algorithm>

namespace kd::lc::apiserver {

WorkerPool::WorkerPool(int threads, int maxRunning)
    : m_maxRunning(std::max(1, maxRunning))
{
    for (int i = 0; i < std::max(1, threads); ++i)
        m_threads.emplace_back([this] {
            core::util::setCurrentThreadName("kd-worker");
            storage::setCommitWaitObserver(this);
            run();
        });
}

WorkerPool::~WorkerPool()
{
    stop();
}

bool WorkerPool::post(std::function<void()> task)
{
    std::lock_guard lock(m_mutex);
    if (m_stopping)
        return false;
    m_tasks.push_back(std::move(task));
    // A running task's thread takes this one when it is done; wake a sleeper only when a slot
    // is free now.
    if (m_idle > 0 && m_running < m_maxRunning)
        m_wake.notify_one();
    return true;
}

void WorkerPool::stop()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    for (std::thread &thread : m_threads) {
        if (thread.joinable() && thread.get_id() != std::this_thread::get_id())
            thread.join();
        else if (thread.joinable())
            thread.detach(); // stop() from a task: the thread ends after the task returns
    }
    m_threads.clear();
}

void WorkerPool::run()
{
    std::unique_lock lock(m_mutex);
    while (true) {
        // Once stopping, what is queued runs regardless of the limit.
        while (!m_stopping && (m_tasks.empty() || m_running >= m_maxRunning)) {
            ++m_idle;
            m_wake.wait(lock);
            --m_idle;
        }
        if (m_tasks.empty())
            return;
        std::function<void()> task = std::move(m_tasks.front());
        m_tasks.pop_front();
        ++m_running;
        lock.unlock();
        task();
        task = nullptr; // whatever it holds goes before the next task starts
        lock.lock();
        --m_running;
    }
}

void WorkerPool::commitWaitBegins()
{
    std::lock_guard lock(m_mutex);
    --m_running;
    if (!m_tasks.empty() && m_idle > 0)
        m_wake.notify_one();
}

void WorkerPool::commitWaitEnds()
{
    std::lock_guard lock(m_mutex);
    ++m_running;
}

} // namespace kd::lc::apiserver
