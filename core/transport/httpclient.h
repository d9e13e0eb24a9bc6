#pragma once

#include <core/transport/connectionconfig.h>
#include <core/transport/httpmessage.h>
#include <core/util/result.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

namespace kd::core::transport {

namespace detail {
struct RequestState;
}

// A reference to one in-flight request; cheap to copy, any thread. cancel() stops the transfer
// and guarantees that no callback of the request starts after cancel() returns on the executor's
// thread: a cancelled request reports nothing (not even Cancelled). From another thread a
// delivery that is already running may still finish.
class RequestHandle final
{
public:
    RequestHandle() = default;
    explicit RequestHandle(std::shared_ptr<detail::RequestState> state);

    void cancel() const;
    // True once the request's final callback has been queued or it was cancelled.
    bool isFinished() const;
    bool isValid() const { return static_cast<bool>(m_state); }

private:
    std::shared_ptr<detail::RequestState> m_state;
};

// Callbacks of a streaming request (watch, logs), each delivered through the executor, in order.
struct StreamHandler
{
    // Once, when a 2xx answer's headers are complete; the response's body is empty.
    std::function<void(const HttpResponse &head)> headers;
    // Body bytes as they arrive (after content decoding), in order.
    std::function<void(std::string chunk)> data;
    // Exactly once, last. A value when the server answered: either the 2xx stream ended normally
    // (empty body) or the answer was not 2xx (headers/data were not called; the body is complete).
    // An Error when there was no complete answer: Transport, Timeout.
    std::function<void(util::Result<HttpResponse>)> finished;
};

using ResponseCallback = std::function<void(util::Result<HttpResponse>)>;

// HTTP client for one API server connection. Owns one I/O thread running a libcurl multi handle:
// HTTP/2 multiplexing when the server offers it over TLS, HTTP/1.1 keep-alive otherwise, gzip,
// retries (see RetryPolicy), debug logging with credentials redacted (category "kd.transport").
// Owned by the connection object; send()/stream() may be called from any thread. Results go
// through the executor given at construction; the destructor stops the I/O thread, after which
// no callback runs (pending requests report nothing).
class HttpClient final
{
public:
    HttpClient(ConnectionConfig config, Executor executor);
    ~HttpClient();
    HttpClient(const HttpClient &) = delete;
    HttpClient &operator=(const HttpClient &) = delete;

    // `guard`, when given, is the receiver's lifetime: callbacks are skipped once it expired.
    RequestHandle send(HttpRequest request, ResponseCallback done,
                       std::weak_ptr<const void> guard = {});
    RequestHandle stream(HttpRequest request, StreamHandler handler,
                         std::weak_ptr<const void> guard = {});

    // Blocks until the answer (delivered straight from the I/O thread, not via the executor, so it
    // is safe on the executor's own thread). Not for the GUI thread. Cancelled when the client is
    // destroyed meanwhile.
    util::Result<HttpResponse> sendAndWait(HttpRequest request);

    const ConnectionConfig &config() const;
    const Executor &executor() const;

    // Counters for tests and diagnostics.
    struct Stats
    {
        int attempts = 0;    // every (re)start of a transfer
        int retries = 0;     // attempts caused by RetryPolicy
        int connections = 0; // new connections opened
    };
    Stats stats() const;

private:
    class Private;
    std::unique_ptr<Private> d;
};

} // namespace kd::core::transport
