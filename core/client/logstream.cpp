#include "logstream.h"

#include <core/client/resourceref.h>
#include <core/client/restclient.h>
#include <core/util/guard.h>
#include <core/util/log.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace kd::core::client {

using transport::HttpResponse;
using util::Error;
using util::Result;

namespace {

const util::LogCategory lcLogStream{"kd.client.logstream"};

} // namespace

class LogStream::Private : public std::enable_shared_from_this<LogStream::Private>
{
public:
    transport::HttpClient *http = nullptr;
    api::ObjectKey pod;
    LogStreamOptions options;
    LogHandler handler;
    std::weak_ptr<const void> guard;
    bool hasGuard = false;
    std::atomic<bool> cancelled{false};

    std::mutex handleMutex;
    transport::RequestHandle handle;

    std::mutex timerMutex;
    std::thread timer;
    std::mutex waitMutex;
    std::condition_variable wait;

    // Executor thread only (deliveries of one request are serialised, and a resume starts only
    // after the previous request finished).
    bool parseTimestamps = false;
    std::string partial;
    std::optional<util::TimePoint> lastTimestamp;
    int linesAtLastTimestamp = 0;
    // While resuming: skip what was delivered before the drop.
    bool skipping = false;
    util::TimePoint skipBefore;
    int skipAtBoundary = 0;
    std::int64_t bytesDelivered = 0;
    int failedAttempts = 0;

    bool mayDeliver() const { return !cancelled.load() && (!hasGuard || !guard.expired()); }
    LogOptions attemptOptions() const;
    void startAttempt();
    void onData(std::string chunk);
    void onFinished(Result<HttpResponse> result);
    void emitLines(std::string_view text, bool flushPartial);
    void finish(Result<void> result);
    void scheduleResume(const Error &reason);
    void cancel();
};

LogOptions LogStream::Private::attemptOptions() const
{
    LogOptions log = options.log;
    if (options.resume && log.follow)
        log.timestamps = true;
    if (!lastTimestamp)
        return log;
    // Resuming: everything from the last delivered line's second on; tail and relative windows
    // would lose lines.
    log.sinceTime = *lastTimestamp;
    log.sinceSeconds.reset();
    log.tailLines.reset();
    if (log.limitBytes)
        log.limitBytes = *log.limitBytes - bytesDelivered;
    return log;
}

void LogStream::Private::startAttempt()
{
    if (cancelled.load())
        return;
    const LogOptions log = attemptOptions();
    if (log.limitBytes && *log.limitBytes <= 0) {
        // The byte budget was used up before the drop; nothing more may be read. This runs on
        // the timer thread, so the report goes through the executor.
        auto self = shared_from_this();
        if (const auto &executor = http->executor())
            executor([self] { self->finish({}); });
        else
            finish({});
        return;
    }
    parseTimestamps = log.timestamps;
    partial.clear();
    transport::HttpRequest request = LogStream::request(pod, log);
    request.idleTimeout = options.idleTimeout;
    std::weak_ptr<Private> weak = weak_from_this();
    transport::StreamHandler streamHandler;
    streamHandler.data = [weak](std::string chunk) {
        if (auto self = weak.lock())
            self->onData(std::move(chunk));
    };
    streamHandler.finished = [weak](Result<HttpResponse> result) {
        if (auto self = weak.lock())
            self->onFinished(std::move(result));
    };
    std::lock_guard lock(handleMutex);
    if (cancelled.load())
        return;
    handle = http->stream(std::move(request), std::move(streamHandler),
                          std::weak_ptr<const void>(weak));
}

void LogStream::Private::emitLines(std::string_view text, bool flushPartial)
{
    partial.append(text);
    std::vector<LogLine> lines;
    size_t start = 0;
    while (true) {
        size_t end = partial.find('\n', start);
        const bool complete = end != std::string::npos;
        if (!complete) {
            if (!flushPartial || start >= partial.size())
                break;
            end = partial.size();
        }
        std::string_view raw(partial.data() + start, end - start);
        const size_t rawBytes = raw.size() + (complete ? 1 : 0);
        start = complete ? end + 1 : end;

        LogLine line;
        if (parseTimestamps) {
            const size_t space = raw.find(' ');
            auto parsed = util::parseRfc3339(raw.substr(0, space));
            if (parsed) {
                line.timestamp = *parsed;
                raw = space == std::string_view::npos ? std::string_view() : raw.substr(space + 1);
            }
        }
        line.text = std::string(raw);

        if (skipping && line.timestamp) {
            if (*line.timestamp < skipBefore)
                continue;
            if (*line.timestamp == skipBefore && skipAtBoundary > 0) {
                --skipAtBoundary;
                continue;
            }
            skipping = false;
        }
        if (line.timestamp) {
            if (lastTimestamp && *lastTimestamp == *line.timestamp) {
                ++linesAtLastTimestamp;
            } else {
                lastTimestamp = line.timestamp;
                linesAtLastTimestamp = 1;
            }
        }
        bytesDelivered += static_cast<std::int64_t>(rawBytes);
        lines.push_back(std::move(line));
    }
    partial.erase(0, start);
    if (!lines.empty()) {
        failedAttempts = 0;
        if (handler.lines && mayDeliver())
            handler.lines(std::move(lines));
    }
}

void LogStream::Private::onData(std::string chunk)
{
    if (cancelled.load())
        return;
    emitLines(chunk, false);
}

void LogStream::Private::onFinished(Result<HttpResponse> result)
{
    if (cancelled.load())
        return;
    if (result) {
        if (!result->ok()) {
            auto decoded = RestClient::decode(*result);
            finish(decoded ? Result<void>(result->statusError()) : Result<void>(decoded.error()));
            return;
        }
        emitLines({}, true);
        finish({});
        return;
    }
    const Error &error = result.error();
    const bool transient
        = error.code() == Error::Code::Transport || error.code() == Error::Code::Timeout;
    if (!options.log.follow || !options.resume || !transient
        || failedAttempts >= options.maxResumeAttempts) {
        finish(error);
        return;
    }
    scheduleResume(error);
}

void LogStream::Private::scheduleResume(const Error &reason)
{
    ++failedAttempts;
    // The unfinished line will come again: its timestamp is not older than the last delivered.
    partial.clear();
    if (lastTimestamp) {
        skipping = true;
        skipBefore = *lastTimestamp;
        skipAtBoundary = linesAtLastTimestamp;
    }
    auto delay = options.resumeDelay;
    for (int i = 1; i < failedAttempts && delay < options.maxResumeDelay; ++i)
        delay *= 2;
    delay = std::min(delay, options.maxResumeDelay);
    lcLogStream.info(pod.namespace_ + "/" + pod.name + ": log stream dropped (" + reason.message()
                     + "), resuming in " + std::to_string(delay.count()) + " ms");
    if (handler.resuming && mayDeliver())
        handler.resuming(reason);

    std::lock_guard lock(timerMutex);
    if (cancelled.load())
        return;
    // The previous timer thread ended once it started the request that just finished.
    if (timer.joinable())
        timer.join();
    timer = std::thread([this, delay] {
        {
            std::unique_lock waitLock(waitMutex);
            if (wait.wait_for(waitLock, delay, [this] { return cancelled.load(); }))
                return;
        }
        startAttempt();
    });
}

void LogStream::Private::finish(Result<void> result)
{
    if (handler.finished && mayDeliver())
        handler.finished(std::move(result));
}

void LogStream::Private::cancel()
{
    cancelled.store(true);
    {
        std::lock_guard lock(waitMutex);
        wait.notify_all();
    }
    std::lock_guard lock(handleMutex);
    handle.cancel();
}

LogStream::LogStream(transport::HttpClient &http, api::ObjectKey pod, LogStreamOptions options,
                     LogHandler handler, std::weak_ptr<const void> guard)
    : d(std::make_shared<Private>())
{
    d->http = &http;
    d->pod = std::move(pod);
    d->options = std::move(options);
    d->handler = std::move(handler);
    d->hasGuard = util::isGuardSet(guard);
    d->guard = std::move(guard);
    d->startAttempt();
}

LogStream::~LogStream()
{
    d->cancel();
    std::thread timer;
    {
        std::lock_guard lock(d->timerMutex);
        timer = std::move(d->timer);
    }
    if (timer.joinable())
        timer.join();
}

void LogStream::cancel()
{
    d->cancel();
}

transport::HttpRequest LogStream::request(const api::ObjectKey &pod, const LogOptions &options)
{
    std::string query;
    auto add = [&query](std::string_view name, const std::string &value) {
        query += (query.empty() ? "?" : "&") + std::string(name) + "=" + percentEncode(value);
    };
    if (!options.container.empty())
        add("container", options.container);
    if (options.follow)
        add("follow", "true");
    if (options.previous)
        add("previous", "true");
    if (options.timestamps)
        add("timestamps", "true");
    if (options.sinceTime)
        add("sinceTime", util::formatRfc3339(*options.sinceTime));
    if (options.sinceSeconds)
        add("sinceSeconds", std::to_string(*options.sinceSeconds));
    if (options.tailLines)
        add("tailLines", std::to_string(*options.tailLines));
    if (options.limitBytes)
        add("limitBytes", std::to_string(*options.limitBytes));
    transport::HttpRequest request;
    request.path = "/api/v1/namespaces/" + percentEncode(pod.namespace_) + "/pods/"
                   + percentEncode(pod.name) + "/log" + query;
    request.headers.emplace_back("Accept", "*/*");
    return request;
}

} // namespace kd::core::client
