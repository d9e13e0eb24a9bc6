#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kd::lc::apiserver {

// A fixed set of threads running posted tasks in FIFO order: where the API server does the work
// that may block (storage writes waiting for their commit, large lists and Tables) so that the
// HTTPS server's I/O threads never wait. Owned by the API server; post() from any thread.
class WorkerPool final
{
public:
    explicit WorkerPool(int threads);
    // Runs what is queued, then joins.
    ~WorkerPool();
    WorkerPool(const WorkerPool &) = delete;
    WorkerPool &operator=(const WorkerPool &) = delete;

    // False (and the task is dropped) once the pool is stopping.
    bool post(std::function<void()> task);
    void stop();

private:
    void run();

    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::function<void()>> m_tasks;
    bool m_stopping = false;
    std::vector<std::thread> m_threads;
};

} // namespace kd::lc::apiserver
