#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace kd::lc::controllers {

// Runs closures one after another on a thread of its own, in the order they were posted: the
// executor the controllers' informers deliver their events through (handlers only enqueue keys,
// so one thread serves every controller). Owned by the ControllerManager; post() may be called
// from any thread; stop() joins the thread and drops what was not run yet.
class SerialExecutor final
{
public:
    SerialExecutor();
    ~SerialExecutor();
    SerialExecutor(const SerialExecutor &) = delete;
    SerialExecutor &operator=(const SerialExecutor &) = delete;

    void post(std::function<void()> task);
    void stop();

private:
    void run();

    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<std::function<void()>> m_tasks;
    bool m_stopping = false;
    std::thread m_thread;
};

} // namespace kd::lc::controllers
