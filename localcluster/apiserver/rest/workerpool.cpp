#include "workerpool.h"

#include <core/util/threadname.h>

namespace kd::lc::apiserver {

WorkerPool::WorkerPool(int threads)
{
    for (int i = 0; i < (threads > 0 ? threads : 1); ++i)
        m_threads.emplace_back([this] {
            core::util::setCurrentThreadName("kd-worker");
            run();
        });
}

WorkerPool::~WorkerPool()
{
    stop();
}

bool WorkerPool::post(std::function<void()> task)
{
    {
        std::lock_guard lock(m_mutex);
        if (m_stopping)
            return false;
        m_tasks.push_back(std::move(task));
    }
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
    while (true) {
        std::function<void()> task;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_stopping || !m_tasks.empty(); });
            if (m_tasks.empty())
                return;
            task = std::move(m_tasks.front());
            m_tasks.pop_front();
        }
        task();
    }
}

} // namespace kd::lc::apiserver
