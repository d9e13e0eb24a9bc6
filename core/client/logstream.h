#pragma once

#include <core/api/groupversion.h>
#include <core/transport/httpclient.h>
#include <core/util/result.h>
#include <core/util/time.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kd::core::client {

// The query of GET .../pods/P/log (corev1.PodLogOptions). Unset fields are not sent.
struct LogOptions
{
    std::string container;
    bool follow = false;
    bool timestamps = false;
    bool previous = false;
    std::optional<util::TimePoint> sinceTime;
    std::optional<std::int64_t> sinceSeconds;
    std::optional<std::int64_t> tailLines;
    std::optional<std::int64_t> limitBytes;
};

struct LogLine
{
    // The server's RFC3339Nano prefix, when the stream carried timestamps.
    std::optional<util::TimePoint> timestamp;
    // Without the timestamp prefix and without the newline.
    std::string text;

    bool operator==(const LogLine &) const = default;
};

struct LogStreamOptions
{
    LogOptions log;
    // A followed stream that drops (connection reset, proxy timeout) is resumed with sinceTime
    // from the last line's timestamp; lines the server repeats are skipped, so none is lost or
    // duplicated. Requires timestamps from the server, so a resumable follow always asks for
    // them (LogLine::timestamp is then set even when log.timestamps is false).
    bool resume = true;
    // Consecutive resume attempts without a new line before giving up.
    int maxResumeAttempts = 10;
    std::chrono::milliseconds resumeDelay{500};
    std::chrono::milliseconds maxResumeDelay{10000};
    // Fail (and resume) when no byte arrives for this long; 0: never.
    std::chrono::milliseconds idleTimeout{0};
};

struct LogHandler
{
    // Complete lines, in order, in batches of whatever arrived together.
    std::function<void(std::vector<LogLine> lines)> lines;
    // A dropped stream is being resumed (for a "reconnecting…" hint).
    std::function<void(const util::Error &reason)> resuming;
    // Exactly once, last (unless cancelled): success when the server ended the stream (the
    // container exited, or the log was not followed); an Error for a refused request (decoded
    // Status, e.g. 400 "waiting to start") or a drop that could not be resumed.
    std::function<void(util::Result<void> result)> finished;
};

// One container's log, optionally followed, split into lines. Owned by its user (a log view);
// the HttpClient must outlive it. Callbacks run through the HttpClient's executor, guarded by
// `guard`; a resume waits on a short-lived timer thread of the stream. cancel() may be called
// from any thread; after it returns on the executor's thread no callback starts.
class LogStream final
{
public:
    LogStream(transport::HttpClient &http, api::ObjectKey pod, LogStreamOptions options,
              LogHandler handler, std::weak_ptr<const void> guard = {});
    ~LogStream();
    LogStream(const LogStream &) = delete;
    LogStream &operator=(const LogStream &) = delete;

    void cancel();

    static transport::HttpRequest request(const api::ObjectKey &pod, const LogOptions &options);

private:
    class Private;
    std::shared_ptr<Private> d;
};

} // namespace kd::core::client
