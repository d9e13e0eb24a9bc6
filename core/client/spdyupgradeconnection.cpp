#include "spdyupgradeconnection.h"

#include <core/transport/curlsetup_p.h>
#include <core/util/log.h>

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace kd::core::client {

using util::Error;
using util::Result;

namespace {

const util::LogCategory lcSpdyUpgrade{"kd.client.spdyupgrade"};

using SteadyClock = std::chrono::steady_clock;

std::string lower(std::string_view text)
{
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string trim(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
        text.remove_suffix(1);
    return std::string(text);
}

struct CurlEasyDeleter
{
    void operator()(CURL *easy) const { curl_easy_cleanup(easy); }
};

} // namespace

class SpdyUpgradeConnection::Private
{
public:
    transport::ConnectionConfig m_config;
    transport::Executor m_executor;
    transport::HttpRequest m_request;
    SpdyUpgradeOptions m_options;
    SpdyUpgradeHandler m_handler;
    // Checked by queued deliveries, which may run after Private is gone.
    std::shared_ptr<std::atomic<bool>> m_alive = std::make_shared<std::atomic<bool>>(true);

    std::mutex m_mutex;
    std::string m_outgoing;
    bool m_closeRequested = false;
    bool m_stopping = false;
    int m_wakeRead = -1;
    int m_wakeWrite = -1;
    std::thread m_thread;

    // I/O thread only.
    std::unique_ptr<CURL, CurlEasyDeleter> m_easy;
    transport::detail::CurlSlist m_connectTo;
    curl_socket_t m_socket = CURL_SOCKET_BAD;
    std::string m_sendBuffer;
    bool m_finished = false;

    void wake();
    bool stopping();
    void deliver(std::function<void()> fn);
    void finish(Result<void> result);
    Result<void> waitSocket(short events, SteadyClock::time_point deadline);
    Result<void> sendAll(std::string_view bytes, SteadyClock::time_point deadline);
    Result<std::string> upgradeOnce(std::string &leftover, bool &retryAfterAuth);
    bool flush();
    void run();
    void serve(std::string leftover);
};

void SpdyUpgradeConnection::Private::wake()
{
    if (m_wakeWrite >= 0) {
        const char byte = 1;
        [[maybe_unused]] const auto written = ::write(m_wakeWrite, &byte, 1);
    }
}

bool SpdyUpgradeConnection::Private::stopping()
{
    std::lock_guard lock(m_mutex);
    return m_stopping;
}

void SpdyUpgradeConnection::Private::deliver(std::function<void()> fn)
{
    auto guarded = [alive = m_alive, fn = std::move(fn)] {
        if (alive->load())
            fn();
    };
    if (m_executor)
        m_executor(std::move(guarded));
    else
        guarded();
}

void SpdyUpgradeConnection::Private::finish(Result<void> result)
{
    if (m_finished)
        return;
    m_finished = true;
    lcSpdyUpgrade.debug([&] {
        return m_request.path + ": " + (result ? "closed" : "failed: " + result.error().message());
    });
    if (m_handler.closed)
        deliver([fn = m_handler.closed, result = std::move(result)] { fn(result); });
}

Result<void> SpdyUpgradeConnection::Private::waitSocket(short events,
                                                        SteadyClock::time_point deadline)
{
    while (true) {
        const auto left
            = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
        if (left.count() <= 0)
            return Error(Error::Code::Timeout, "SPDY upgrade timed out");
        // Short slices so that the destructor is noticed.
        pollfd fd{static_cast<int>(m_socket), events, 0};
        const int n = ::poll(&fd, 1, static_cast<int>(std::min<long long>(left.count(), 100)));
        if (stopping())
            return Error(Error::Code::Cancelled, "SPDY connection destroyed");
        if (n > 0 && fd.revents != 0)
            return {};
    }
}

Result<void> SpdyUpgradeConnection::Private::sendAll(std::string_view bytes,
                                                     SteadyClock::time_point deadline)
{
    while (!bytes.empty()) {
        size_t sent = 0;
        const CURLcode rc = curl_easy_send(m_easy.get(), bytes.data(), bytes.size(), &sent);
        if (rc == CURLE_AGAIN) {
            if (auto r = waitSocket(POLLOUT, deadline); !r)
                return r;
            continue;
        }
        if (rc != CURLE_OK)
            return transport::detail::curlError(rc, nullptr, "SPDY upgrade send");
        bytes.remove_prefix(sent);
    }
    return {};
}

Result<std::string> SpdyUpgradeConnection::Private::upgradeOnce(std::string &leftover,
                                                                bool &retryAfterAuth)
{
    const auto deadline = SteadyClock::now() + m_options.handshakeTimeout;
    m_easy.reset(curl_easy_init());
    if (!m_easy)
        return Error(Error::Code::Internal, "curl_easy_init failed");
    CURL *easy = m_easy.get();
    auto target = transport::detail::resolveTarget(m_config, m_request.path);
    if (!target)
        return target.error();
    if (auto r = transport::detail::applyConnectionOptions(easy, m_config, *target, m_connectTo);
        !r)
        return r.error();
    char errorBuffer[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errorBuffer);
    curl_easy_setopt(easy, CURLOPT_CONNECT_ONLY, 1L);
    // The upgrade is an HTTP/1.1 mechanism: ALPN must not offer h2.
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    if (!m_config.proxyUrl.empty())
        curl_easy_setopt(easy, CURLOPT_HTTPPROXYTUNNEL, 1L);
    const auto budget
        = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(budget.count()));
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(easy, CURLOPT_XFERINFODATA, this);
    curl_easy_setopt(
        easy, CURLOPT_XFERINFOFUNCTION,
        +[](void *self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) -> int {
            return static_cast<Private *>(self)->stopping() ? 1 : 0;
        });
    CURLcode rc = curl_easy_perform(easy);
    if (rc == CURLE_ABORTED_BY_CALLBACK)
        return Error(Error::Code::Cancelled, "SPDY connection destroyed");
    if (rc != CURLE_OK)
        return transport::detail::curlError(rc, errorBuffer, "SPDY connect to " + target->url);
    curl_socket_t socket = CURL_SOCKET_BAD;
    rc = curl_easy_getinfo(easy, CURLINFO_ACTIVESOCKET, &socket);
    if (rc != CURLE_OK || socket == CURL_SOCKET_BAD)
        return Error(Error::Code::Transport, "SPDY upgrade: no connected socket");
    m_socket = socket;

    std::string hostHeader = target->hostHeader;
    std::string requestTarget = "/";
    {
        CURLU *url = curl_url();
        curl_url_set(url, CURLUPART_URL, target->url.c_str(), 0);
        char *part = nullptr;
        if (curl_url_get(url, CURLUPART_PATH, &part, 0) == CURLUE_OK) {
            requestTarget = part;
            curl_free(part);
        }
        if (curl_url_get(url, CURLUPART_QUERY, &part, 0) == CURLUE_OK) {
            requestTarget += std::string("?") + part;
            curl_free(part);
        }
        if (hostHeader.empty() && curl_url_get(url, CURLUPART_HOST, &part, 0) == CURLUE_OK) {
            hostHeader = part;
            curl_free(part);
            if (curl_url_get(url, CURLUPART_PORT, &part, 0) == CURLUE_OK) {
                hostHeader += std::string(":") + part;
                curl_free(part);
            }
        }
        curl_url_cleanup(url);
    }

    std::string request = "POST " + requestTarget + " HTTP/1.1\r\nHost: " + hostHeader
                          + "\r\nConnection: Upgrade\r\nUpgrade: "
                          + std::string(kSpdyUpgradeProtocol) + "\r\nContent-Length: 0\r\n";
    // Repeated, one value each, as client-go sends it.
    for (const auto &protocol : m_options.streamProtocols)
        request += "X-Stream-Protocol-Version: " + protocol + "\r\n";
    if (!m_config.userAgent.empty())
        request += "User-Agent: " + m_config.userAgent + "\r\n";
    if (m_config.auth.authorizationHeader) {
        const std::string auth = m_config.auth.authorizationHeader();
        if (!auth.empty())
            request += "Authorization: " + auth + "\r\n";
    }
    for (const auto &[name, value] : m_request.headers)
        request += name + ": " + value + "\r\n";
    request += "\r\n";
    lcSpdyUpgrade.debug([&] { return "POST " + target->url + " (SPDY upgrade)"; });
    if (auto r = sendAll(request, deadline); !r)
        return r.error();

    std::string head;
    size_t headEnd = std::string::npos;
    while (headEnd == std::string::npos) {
        char buffer[4096];
        size_t received = 0;
        rc = curl_easy_recv(easy, buffer, sizeof buffer, &received);
        if (rc == CURLE_AGAIN) {
            if (auto r = waitSocket(POLLIN, deadline); !r)
                return r.error();
            continue;
        }
        if (rc != CURLE_OK)
            return transport::detail::curlError(rc, nullptr, "SPDY upgrade");
        if (received == 0)
            return Error(Error::Code::Transport, "SPDY upgrade: connection closed by the server");
        head.append(buffer, received);
        headEnd = head.find("\r\n\r\n");
        if (headEnd == std::string::npos && head.size() > 64 * 1024)
            return Error(Error::Code::Transport, "SPDY upgrade: response header too large");
    }
    leftover = head.substr(headEnd + 4);
    head.resize(headEnd);

    transport::HttpResponse response;
    size_t lineStart = 0;
    bool first = true;
    while (lineStart <= head.size()) {
        size_t lineEnd = head.find("\r\n", lineStart);
        if (lineEnd == std::string::npos)
            lineEnd = head.size();
        const std::string_view line(head.data() + lineStart, lineEnd - lineStart);
        if (first) {
            first = false;
            const size_t space = line.find(' ');
            if (!line.starts_with("HTTP/1.") || space == std::string_view::npos)
                return Error(Error::Code::Transport, "SPDY upgrade: malformed status line");
            const auto code = line.substr(space + 1, 3);
            std::from_chars(code.data(), code.data() + code.size(), response.status);
        } else if (const size_t colon = line.find(':'); colon != std::string_view::npos) {
            response.headers.emplace_back(trim(line.substr(0, colon)),
                                          trim(line.substr(colon + 1)));
        }
        lineStart = lineEnd + 2;
    }
    response.httpVersion = 1;

    if (response.status != 101) {
        // The refusal's body (a metav1.Status) is what the caller needs.
        response.body = std::move(leftover);
        leftover.clear();
        size_t expected = 0;
        const std::string length = response.header("Content-Length");
        std::from_chars(length.data(), length.data() + length.size(), expected);
        expected = std::min<size_t>(expected, 1024 * 1024);
        while (response.body.size() < expected) {
            char buffer[4096];
            size_t received = 0;
            rc = curl_easy_recv(easy, buffer, sizeof buffer, &received);
            if (rc == CURLE_AGAIN) {
                if (!waitSocket(POLLIN, deadline))
                    break;
                continue;
            }
            if (rc != CURLE_OK || received == 0)
                break;
            response.body.append(buffer, received);
        }
        if (response.status == 401 && m_config.auth.onUnauthorized
            && m_config.auth.onUnauthorized())
            retryAfterAuth = true;
        return response.statusError();
    }
    if (lower(response.header("Upgrade")) != lower(kSpdyUpgradeProtocol)
        || lower(response.header("Connection")).find("upgrade") == std::string::npos)
        return Error(Error::Code::Transport,
                     "SPDY upgrade: server did not switch to " + std::string(kSpdyUpgradeProtocol));
    const std::string chosen = response.header("X-Stream-Protocol-Version");
    if (!chosen.empty()
        && std::find(m_options.streamProtocols.begin(), m_options.streamProtocols.end(), chosen)
               == m_options.streamProtocols.end())
        return Error(Error::Code::Transport,
                     "SPDY upgrade: server chose a stream protocol that was not offered: "
                         + chosen);
    return chosen;
}

bool SpdyUpgradeConnection::Private::flush()
{
    while (!m_sendBuffer.empty()) {
        size_t sent = 0;
        const CURLcode rc
            = curl_easy_send(m_easy.get(), m_sendBuffer.data(), m_sendBuffer.size(), &sent);
        if (rc == CURLE_AGAIN)
            return true;
        if (rc != CURLE_OK) {
            finish(transport::detail::curlError(rc, nullptr, "SPDY send"));
            return false;
        }
        m_sendBuffer.erase(0, sent);
    }
    return true;
}

void SpdyUpgradeConnection::Private::run()
{
    std::string leftover;
    bool retryAfterAuth = false;
    auto upgraded = upgradeOnce(leftover, retryAfterAuth);
    if (!upgraded && retryAfterAuth) {
        leftover.clear();
        bool again = false;
        upgraded = upgradeOnce(leftover, again);
    }
    if (!upgraded) {
        if (upgraded.error().code() != Error::Code::Cancelled)
            finish(upgraded.error());
        return;
    }
    if (m_handler.opened)
        deliver([fn = m_handler.opened, protocol = *upgraded] { fn(protocol); });
    serve(std::move(leftover));
}

void SpdyUpgradeConnection::Private::serve(std::string leftover)
{
    if (!leftover.empty() && m_handler.data)
        deliver(
            [fn = m_handler.data, bytes = std::move(leftover)]() mutable { fn(std::move(bytes)); });
    bool closing = false;
    while (!m_finished) {
        {
            std::lock_guard lock(m_mutex);
            if (m_stopping) {
                flush();
                return;
            }
            m_sendBuffer += m_outgoing;
            m_outgoing.clear();
            closing = m_closeRequested;
        }
        if (!flush())
            return;
        if (closing && m_sendBuffer.empty()) {
            finish({});
            return;
        }
        // Drain the socket before sleeping: TLS may hold decrypted bytes poll() cannot see.
        std::string incoming;
        bool eof = false;
        while (true) {
            char buffer[16384];
            size_t received = 0;
            const CURLcode rc = curl_easy_recv(m_easy.get(), buffer, sizeof buffer, &received);
            if (rc == CURLE_AGAIN)
                break;
            if (rc != CURLE_OK) {
                finish(transport::detail::curlError(rc, nullptr, "SPDY receive"));
                return;
            }
            if (received == 0) {
                eof = true;
                break;
            }
            incoming.append(buffer, received);
            if (incoming.size() > 1024 * 1024)
                break;
        }
        // A full chunk means more may be waiting (possibly inside TLS, invisible to poll()).
        const bool more = incoming.size() > 1024 * 1024;
        if (!incoming.empty() && m_handler.data)
            deliver([fn = m_handler.data, bytes = std::move(incoming)]() mutable {
                fn(std::move(bytes));
            });
        if (more)
            continue;
        if (eof) {
            finish({});
            return;
        }
        short events = POLLIN;
        if (!m_sendBuffer.empty())
            events |= POLLOUT;
        pollfd fds[2] = {{static_cast<int>(m_socket), events, 0}, {m_wakeRead, POLLIN, 0}};
        const int n = ::poll(fds, 2, 1000);
        if (n > 0 && (fds[1].revents & POLLIN)) {
            char drain[64];
            while (::read(m_wakeRead, drain, sizeof drain) > 0) {}
        }
    }
}

SpdyUpgradeConnection::SpdyUpgradeConnection(const transport::ConnectionConfig &config,
                                             transport::Executor executor,
                                             transport::HttpRequest request,
                                             SpdyUpgradeOptions options, SpdyUpgradeHandler handler)
    : d(std::make_unique<Private>())
{
    transport::detail::ensureCurlGlobalInit();
    d->m_config = config;
    d->m_executor = std::move(executor);
    d->m_request = std::move(request);
    d->m_options = std::move(options);
    d->m_handler = std::move(handler);
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0) {
        d->m_wakeRead = fds[0];
        d->m_wakeWrite = fds[1];
    }
    Private *p = d.get();
    d->m_thread = std::thread([p] { p->run(); });
}

SpdyUpgradeConnection::~SpdyUpgradeConnection()
{
    d->m_alive->store(false);
    {
        std::lock_guard lock(d->m_mutex);
        d->m_stopping = true;
    }
    d->wake();
    d->m_thread.join();
    if (d->m_wakeRead >= 0)
        ::close(d->m_wakeRead);
    if (d->m_wakeWrite >= 0)
        ::close(d->m_wakeWrite);
}

void SpdyUpgradeConnection::send(std::string bytes)
{
    {
        std::lock_guard lock(d->m_mutex);
        if (d->m_closeRequested)
            return;
        d->m_outgoing += bytes;
    }
    d->wake();
}

void SpdyUpgradeConnection::close()
{
    {
        std::lock_guard lock(d->m_mutex);
        d->m_closeRequested = true;
    }
    d->wake();
}

} // namespace kd::core::client
