#include "serialexecutor.h"

namespace kd::lc::controllers {

SerialExecutor::SerialExecutor()
    : m_thread([this] { run(); })
{}

SerialExecutor::~SerialExecutor()
{
    stop();
}

void SerialExecutor::post(std::function<void()> task)
{
    {
        std::lock_guard lock(m_mutex);
        if (m_stopping)
            return;
        m_tasks.push_back(std::move(task));
    }
    m_changed.notify_one();
}

void SerialExecutor::stop()
{
    std::deque<std::function<void()>> dropped; // destroyed outside the lock
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
        dropped.swap(m_tasks);
    }
    m_changed.notify_all();
    if (m_thread.joinable() && m_thread.get_id() != std::this_thread::get_id())
        m_thread.join();
}

void SerialExecutor::run()
{
    for (;;) {
        std::function<void()> task;
        {
            std::unique_lock lock(m_mutex);
            m_changed.wait(lock, [this] { return m_stopping || !m_tasks.empty(); });
            if (m_stopping)
                return;
            task = std::move(m_tasks.front());
            m_tasks.pop_front();
        }
        task();
    }
}

} // namespace kd::lc::controllers
