#include "queueworker.h"

#include <core/util/log.h>
#include <core/util/threadname.h>

namespace kd::lc::controllers {

namespace {
const core::util::LogCategory lcWorker{"kd.lc.controllers"};
}

QueueWorker::QueueWorker(std::string name, SyncFunction sync)
    : m_name(std::move(name))
    , m_sync(std::move(sync))
{}

QueueWorker::~QueueWorker()
{
    stop();
}

void QueueWorker::start(int threads)
{
    for (int i = 0; i < threads; ++i)
        m_threads.emplace_back([this] {
            core::util::setCurrentThreadName("kd-controller");
            run();
        });
}

void QueueWorker::stop()
{
    m_queue.shutDown();
    for (std::thread &thread : m_threads) {
        if (thread.joinable())
            thread.join();
    }
    m_threads.clear();
}

void QueueWorker::run()
{
    while (auto key = m_queue.get()) {
        core::util::Result<SyncOutcome> outcome = m_sync(*key);
        if (!outcome) {
            // Conflicts are the normal race with other writers: retry quietly.
            const auto &error = outcome.error();
            if (error.code() != core::util::Error::Code::Conflict)
                lcWorker.warning(m_name + ": syncing " + key->namespace_
                                 + (key->namespace_.empty() ? "" : "/") + key->name
                                 + " failed (will retry): " + error.message());
            m_queue.addRateLimited(*key);
        } else {
            m_queue.forget(*key);
            if (outcome->requeueAfter)
                m_queue.addAfter(*key, *outcome->requeueAfter);
        }
        m_queue.done(*key);
    }
}

} // namespace kd::lc::controllers
