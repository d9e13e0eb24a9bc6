#pragma once

#include <localcluster/storage/store.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kd::lc::apiserver {

// A set of threads running posted tasks in FIFO order: where the API server does the work that
// may block (storage writes waiting for their commit, large lists and Tables) so that the HTTPS
// server's I/O threads never wait. Owned by the API server; post() from any thread.
//
// At most `maxRunning` tasks run on the CPU at once; a task waiting for a storage commit
// (storage::CommitWaitObserver) does not count, so the other threads keep blocking writes
// concurrent. A thread that finishes a task takes the next one itself: under load, posting
// rarely has to wake a sleeping thread, which with one thread per request had cost several
// thread switches per request.
class WorkerPool final : private storage::CommitWaitObserver
{
public:
    WorkerPool(int threads, int maxRunning);
    // Runs what is queued, then joins.
    ~WorkerPool() override;
    WorkerPool(const WorkerPool &) = delete;
    WorkerPool &operator=(const WorkerPool &) = delete;

    // False (and the task is dropped) once the pool is stopping.
    bool post(std::function<void()> task);
    void stop();

private:
    void run();
    void commitWaitBegins() override;
    void commitWaitEnds() override;

    const int m_maxRunning;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::function<void()>> m_tasks;
    int m_running = 0; // tasks on the CPU (not waiting for a commit)
    int m_idle = 0;    // threads waiting for a task
    bool m_stopping = false;
    std::vector<std::thread> m_threads;
};

} // namespace kd::lc::apiserver
