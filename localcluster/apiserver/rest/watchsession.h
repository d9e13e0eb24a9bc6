#pragma once

#include "apiserver_p.h"
#include "selection.h"

#include <atomic>
#include <chrono>

namespace kd::lc::apiserver {

// One open watch response: turns the Store watcher's events into the client's stream (selectors
// applied, as upstream's watch cache does: an object that stops matching is DELETED for this
// client, one that starts matching is ADDED), sends bookmarks and ends at the timeout or when the
// client leaves. Created and owned by the API server's watch handler, kept alive by the tasks
// that drain it; events are written from worker threads, one drain at a time.
class WatchSession final : public std::enable_shared_from_this<WatchSession>
{
public:
    struct Options
    {
        OutputFormat format;
        Selection selection;
        bool bookmarks = false;
        std::chrono::milliseconds bookmarkInterval{60000};
        std::chrono::steady_clock::time_point deadline;
        storage::Revision startRevision = 0; // what bookmarks report until an event arrives
    };

    WatchSession(std::weak_ptr<ApiServer::Private> server, Call call, Options options);

    // The notify callback for the Store: schedules a drain.
    std::function<void()> notifier();
    // Sends the headers, the synthetic ADDED events of `initial` (and the initial-events-end
    // bookmark when asked) and starts following `watcher`.
    void begin(std::shared_ptr<storage::Watcher> watcher,
               const std::vector<storage::ObjectRef> &initial, bool initialEventsEnd);
    // Schedules a drain when the timeout or the next bookmark is due; false once finished.
    bool tick(std::chrono::steady_clock::time_point now);
    void close();

private:
    void schedule();
    void drain();
    void writeEvent(const char *type, const nlohmann::json &object);
    void writeRaw(const char *type, const std::string &objectJson);
    void writeBookmark(bool initialEventsEnd);
    void finishLocked();

    const std::weak_ptr<ApiServer::Private> m_server;
    Call m_call;
    const Options m_options;

    std::mutex m_mutex;
    std::shared_ptr<storage::Watcher> m_watcher;
    storage::Revision m_lastRevision = 0;
    std::chrono::steady_clock::time_point m_nextBookmark;
    bool m_started = false;
    bool m_done = false;
    std::atomic<bool> m_scheduled{false};
};

} // namespace kd::lc::apiserver
