#include <core/transport/websocket.h>
#include <core/util/guard.h>

#include <core/transport/curlsetup_p.h>
#include <core/util/log.h>

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <deque>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace kd::core::transport {

namespace {

const util::LogCategory lcWebSocket{"kd.transport.websocket"};

using SteadyClock = std::chrono::steady_clock;

std::string base64(const unsigned char *data, size_t size)
{
    // EVP_EncodeBlock writes a terminating NUL after the encoded text.
    std::string out(4 * ((size + 2) / 3) + 1, '\0');
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(out.data()), data,
                                        static_cast<int>(size));
    out.resize(static_cast<size_t>(std::max(written, 0)));
    return out;
}

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

std::string webSocketAccept(std::string_view key)
{
    static constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    const std::string input = std::string(key) + std::string(guid);
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha1(), nullptr) != 1)
        return {};
    return base64(digest, length);
}

class WebSocket::Private
{
public:
    // What queued deliveries check; outlives Private.
    struct Liveness
    {
        std::atomic<bool> alive{true};
        bool hasGuard = false;
        std::weak_ptr<const void> guard;
        bool mayDeliver() const { return alive.load() && (!hasGuard || !guard.expired()); }
    };

    ConnectionConfig m_config;
    Executor m_executor;
    HttpRequest m_request;
    WebSocketOptions m_options;
    WebSocketHandler m_handler;
    std::shared_ptr<Liveness> m_liveness = std::make_shared<Liveness>();

    std::mutex m_mutex;
    std::deque<std::string> m_outgoing; // encoded frames from the API
    std::optional<WebSocketClose> m_closeRequest;
    bool m_stopping = false;
    int m_wakeRead = -1;
    int m_wakeWrite = -1;
    std::thread m_thread;

    // I/O thread only.
    std::unique_ptr<CURL, CurlEasyDeleter> m_easy;
    detail::CurlSlist m_connectTo;
    curl_socket_t m_socket = CURL_SOCKET_BAD;
    WebSocketCodec m_codec{WebSocketCodec::Role::Client};
    std::string m_sendBuffer;
    bool m_finished = false;

    void wake();
    bool stopping();
    void run();
    util::Result<std::string> connectAndUpgrade(std::string &leftover);
    util::Result<std::string> upgradeOnce(std::string &leftover, bool &retryAfterAuth);
    util::Result<void> sendAll(std::string_view bytes, SteadyClock::time_point deadline);
    util::Result<void> waitSocket(short events, SteadyClock::time_point deadline);
    void serve(std::string leftover);
    void finish(util::Result<WebSocketClose> result);
    void deliver(std::function<void()> fn);
    // Returns false when the socket failed; appends to m_sendBuffer handled by flush.
    bool flush();
    void queueFrame(WebSocketOpcode opcode, std::string_view payload);
};

void WebSocket::Private::wake()
{
    if (m_wakeWrite >= 0) {
        const char byte = 1;
        [[maybe_unused]] const auto written = ::write(m_wakeWrite, &byte, 1);
    }
}

bool WebSocket::Private::stopping()
{
    std::lock_guard lock(m_mutex);
    return m_stopping;
}

void WebSocket::Private::deliver(std::function<void()> fn)
{
    auto guardedFn = [liveness = m_liveness, fn = std::move(fn)] {
        if (liveness->mayDeliver())
            fn();
    };
    if (m_executor)
        m_executor(std::move(guardedFn));
    else
        guardedFn();
}

void WebSocket::Private::finish(util::Result<WebSocketClose> result)
{
    if (m_finished)
        return;
    m_finished = true;
    lcWebSocket.debug([&] {
        return m_request.path + ": "
               + (result ? "closed with " + std::to_string(result->code) + " " + result->reason
                         : "failed: " + result.error().message());
    });
    if (m_handler.closed)
        deliver([fn = m_handler.closed, result = std::move(result)]() mutable {
            fn(std::move(result));
        });
}

util::Result<void> WebSocket::Private::waitSocket(short events, SteadyClock::time_point deadline)
{
    while (true) {
        const auto left
            = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
        if (left.count() <= 0)
            return util::Error(util::Error::Code::Timeout, "WebSocket handshake timed out");
        // Short slices so that the destructor is noticed; commands wait until the socket is open.
        pollfd fd{static_cast<int>(m_socket), events, 0};
        const int n = ::poll(&fd, 1, static_cast<int>(std::min<long long>(left.count(), 100)));
        if (stopping())
            return util::Error(util::Error::Code::Cancelled, "WebSocket destroyed");
        if (n > 0 && fd.revents != 0)
            return {};
    }
}

util::Result<void> WebSocket::Private::sendAll(std::string_view bytes,
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
            return detail::curlError(rc, nullptr, "WebSocket send");
        bytes.remove_prefix(sent);
    }
    return {};
}

util::Result<std::string> WebSocket::Private::connectAndUpgrade(std::string &leftover)
{
    bool retryAfterAuth = false;
    auto result = upgradeOnce(leftover, retryAfterAuth);
    if (!result && retryAfterAuth) {
        leftover.clear();
        bool again = false;
        return upgradeOnce(leftover, again);
    }
    return result;
}

util::Result<std::string> WebSocket::Private::upgradeOnce(std::string &leftover,
                                                          bool &retryAfterAuth)
{
    const auto deadline = SteadyClock::now() + m_options.handshakeTimeout;
    m_easy.reset(curl_easy_init());
    if (!m_easy)
        return util::Error(util::Error::Code::Internal, "curl_easy_init failed");
    CURL *easy = m_easy.get();
    auto target = detail::resolveTarget(m_config, m_request.path);
    if (!target)
        return target.error();
    if (auto r = detail::applyConnectionOptions(easy, m_config, *target, m_connectTo); !r)
        return r.error();
    char errorBuffer[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errorBuffer);
    curl_easy_setopt(easy, CURLOPT_CONNECT_ONLY, 1L);
    // ALPN must not offer h2: the upgrade is an HTTP/1.1 mechanism.
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    if (!m_config.proxyUrl.empty())
        curl_easy_setopt(easy, CURLOPT_HTTPPROXYTUNNEL, 1L);
    const auto connectBudget
        = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(connectBudget.count()));
    // Lets the destructor interrupt a slow connect.
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(easy, CURLOPT_XFERINFODATA, this);
    curl_easy_setopt(
        easy, CURLOPT_XFERINFOFUNCTION,
        +[](void *self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) -> int {
            return static_cast<Private *>(self)->stopping() ? 1 : 0;
        });
    CURLcode rc = curl_easy_perform(easy);
    if (rc == CURLE_ABORTED_BY_CALLBACK)
        return util::Error(util::Error::Code::Cancelled, "WebSocket destroyed");
    if (rc != CURLE_OK)
        return detail::curlError(rc, errorBuffer, "WebSocket connect to " + target->url);
    curl_socket_t socket = CURL_SOCKET_BAD;
    rc = curl_easy_getinfo(easy, CURLINFO_ACTIVESOCKET, &socket);
    if (rc != CURLE_OK || socket == CURL_SOCKET_BAD)
        return util::Error(util::Error::Code::Transport, "WebSocket: no connected socket");
    m_socket = socket;

    // Request target and Host from the URL curl connected to.
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

    unsigned char nonce[16];
    if (RAND_bytes(nonce, sizeof nonce) != 1)
        return util::Error(util::Error::Code::Internal, "no random bytes for Sec-WebSocket-Key");
    const std::string key = base64(nonce, sizeof nonce);
    std::string request = "GET " + requestTarget + " HTTP/1.1\r\nHost: " + hostHeader
                          + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: "
                          + key + "\r\n";
    if (!m_options.subprotocols.empty()) {
        std::string list;
        for (const auto &protocol : m_options.subprotocols)
            list += (list.empty() ? "" : ", ") + protocol;
        request += "Sec-WebSocket-Protocol: " + list + "\r\n";
    }
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
    lcWebSocket.debug([&] { return "GET " + target->url + " (WebSocket upgrade)"; });
    if (auto r = sendAll(request, deadline); !r)
        return r.error();

    // Read the response head; bytes after it already belong to the frame stream.
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
            return detail::curlError(rc, nullptr, "WebSocket handshake");
        if (received == 0)
            return util::Error(util::Error::Code::Transport,
                               "WebSocket handshake: connection closed by the server");
        head.append(buffer, received);
        headEnd = head.find("\r\n\r\n");
        if (headEnd == std::string::npos && head.size() > 64 * 1024)
            return util::Error(util::Error::Code::Transport,
                               "WebSocket handshake: header too large");
    }
    leftover = head.substr(headEnd + 4);
    head.resize(headEnd);

    HttpResponse response;
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
                return util::Error(util::Error::Code::Transport,
                                   "WebSocket handshake: malformed status line");
            const auto code = line.substr(space + 1, 3);
            std::from_chars(code.data(), code.data() + code.size(), response.status);
        } else if (const size_t colon = line.find(':'); colon != std::string_view::npos) {
            response.headers.emplace_back(trim(line.substr(0, colon)),
                                          trim(line.substr(colon + 1)));
        }
        lineStart = lineEnd + 2;
    }
    response.httpVersion = 1;
    response.warnings = parseWarningHeaders(response.headers);

    if (response.status != 101) {
        // The refusal's body (a metav1.Status) is what the caller needs; read what Content-Length
        // promises within the deadline.
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
    if (lower(response.header("Upgrade")) != "websocket"
        || lower(response.header("Connection")).find("upgrade") == std::string::npos)
        return util::Error(util::Error::Code::Transport,
                           "WebSocket handshake: server did not upgrade the connection");
    if (response.header("Sec-WebSocket-Accept") != webSocketAccept(key))
        return util::Error(util::Error::Code::Transport,
                           "WebSocket handshake: wrong Sec-WebSocket-Accept");
    const std::string chosen = response.header("Sec-WebSocket-Protocol");
    if (!chosen.empty()
        && std::find(m_options.subprotocols.begin(), m_options.subprotocols.end(), chosen)
               == m_options.subprotocols.end())
        return util::Error(util::Error::Code::Transport,
                           "WebSocket handshake: server chose a subprotocol that was not offered: "
                               + chosen);
    return chosen;
}

void WebSocket::Private::queueFrame(WebSocketOpcode opcode, std::string_view payload)
{
    m_sendBuffer += m_codec.encode(opcode, payload);
}

bool WebSocket::Private::flush()
{
    while (!m_sendBuffer.empty()) {
        size_t sent = 0;
        const CURLcode rc
            = curl_easy_send(m_easy.get(), m_sendBuffer.data(), m_sendBuffer.size(), &sent);
        if (rc == CURLE_AGAIN)
            return true;
        if (rc != CURLE_OK) {
            finish(detail::curlError(rc, nullptr, "WebSocket send"));
            return false;
        }
        m_sendBuffer.erase(0, sent);
    }
    return true;
}

void WebSocket::Private::run()
{
    std::string leftover;
    auto upgraded = connectAndUpgrade(leftover);
    if (!upgraded) {
        if (upgraded.error().code() != util::Error::Code::Cancelled)
            finish(upgraded.error());
        return;
    }
    lcWebSocket.debug([&] { return m_request.path + ": open, subprotocol " + *upgraded; });
    if (m_handler.opened)
        deliver([fn = m_handler.opened, protocol = *upgraded] { fn(protocol); });
    serve(std::move(leftover));
}

void WebSocket::Private::serve(std::string leftover)
{
    bool closeSent = false;
    std::optional<WebSocketClose> closeReceived;
    auto closeDeadline = SteadyClock::time_point::max();
    auto nextPing = m_options.pingInterval.count() > 0 ? SteadyClock::now() + m_options.pingInterval
                                                       : SteadyClock::time_point::max();
    std::string incoming = std::move(leftover);

    auto sendClose = [&](uint16_t code, std::string_view reason) {
        if (closeSent)
            return;
        closeSent = true;
        queueFrame(WebSocketOpcode::Close, WebSocketCodec::encodeClosePayload(code, reason));
        closeDeadline = SteadyClock::now() + m_options.closeTimeout;
    };

    while (!m_finished) {
        // Commands from the API.
        {
            std::lock_guard lock(m_mutex);
            if (m_stopping) {
                sendClose(WebSocketCloseCode::GoingAway, {});
                // Best effort: whatever the socket takes now.
                flush();
                return;
            }
            if (!closeSent) {
                for (auto &frame : m_outgoing)
                    m_sendBuffer += frame;
            }
            m_outgoing.clear();
            if (m_closeRequest && !closeSent)
                sendClose(m_closeRequest->code, m_closeRequest->reason);
            m_closeRequest.reset();
        }

        // Incoming bytes: decode and react.
        if (!incoming.empty()) {
            if (auto r = m_codec.feed(incoming); !r) {
                incoming.clear();
                closeSent = false; // a protocol failure overrides a pending close of ours
                m_sendBuffer.clear();
                queueFrame(WebSocketOpcode::Close,
                           WebSocketCodec::encodeClosePayload(m_codec.failureCloseCode(), {}));
                flush();
                finish(r.error());
                return;
            }
            incoming.clear();
            while (auto message = m_codec.takeMessage()) {
                switch (message->opcode) {
                case WebSocketOpcode::Ping:
                    if (!closeSent)
                        queueFrame(WebSocketOpcode::Pong, message->payload);
                    break;
                case WebSocketOpcode::Pong:
                    break;
                case WebSocketOpcode::Close: {
                    auto close = WebSocketCodec::decodeClosePayload(message->payload);
                    closeReceived = close ? *close : WebSocketClose{};
                    // Echo the code (RFC 6455 §5.5.1); "no status" is answered with an empty close.
                    if (!closeSent) {
                        closeSent = true;
                        queueFrame(
                            WebSocketOpcode::Close,
                            closeReceived->code == WebSocketCloseCode::NoStatus
                                ? std::string()
                                : WebSocketCodec::encodeClosePayload(closeReceived->code, {}));
                    }
                    break;
                }
                default:
                    if (!closeReceived && m_handler.message) {
                        deliver([fn = m_handler.message, m = std::move(*message)]() mutable {
                            fn(std::move(m));
                        });
                    }
                }
            }
        }
        const auto now = SteadyClock::now();
        if (now >= nextPing && !closeSent) {
            queueFrame(WebSocketOpcode::Ping, {});
            nextPing = now + m_options.pingInterval;
        }
        if (!flush())
            return;
        if (closeReceived && m_sendBuffer.empty()) {
            finish(*closeReceived);
            return;
        }
        if (now >= closeDeadline) {
            finish(util::Error(util::Error::Code::Timeout,
                               "WebSocket: no close frame from the server in time"));
            return;
        }

        // Drain the socket before sleeping: TLS may hold decrypted bytes poll() cannot see.
        bool eof = false;
        while (true) {
            char buffer[16384];
            size_t received = 0;
            const CURLcode rc = curl_easy_recv(m_easy.get(), buffer, sizeof buffer, &received);
            if (rc == CURLE_AGAIN)
                break;
            if (rc != CURLE_OK) {
                finish(detail::curlError(rc, nullptr, "WebSocket receive"));
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
        if (!incoming.empty())
            continue;
        if (eof) {
            finish(util::Error(util::Error::Code::Transport,
                               "WebSocket: connection closed without a close frame"));
            return;
        }

        const auto wakeAt = std::min(nextPing, closeDeadline);
        const auto wait
            = wakeAt == SteadyClock::time_point::max()
                  ? std::chrono::milliseconds(1000)
                  : std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   wakeAt - SteadyClock::now()),
                               std::chrono::milliseconds(0), std::chrono::milliseconds(1000));
        short events = POLLIN;
        if (!m_sendBuffer.empty())
            events |= POLLOUT;
        pollfd fds[2] = {{static_cast<int>(m_socket), events, 0}, {m_wakeRead, POLLIN, 0}};
        const int n = ::poll(fds, 2, static_cast<int>(wait.count()));
        if (n > 0 && (fds[1].revents & POLLIN)) {
            char drain[64];
            while (::read(m_wakeRead, drain, sizeof drain) > 0) {}
        }
    }
}

WebSocket::WebSocket(const ConnectionConfig &config, Executor executor, HttpRequest request,
                     WebSocketOptions options, WebSocketHandler handler,
                     std::weak_ptr<const void> guard)
    : d(std::make_unique<Private>())
{
    detail::ensureCurlGlobalInit();
    d->m_config = config;
    d->m_executor = std::move(executor);
    d->m_request = std::move(request);
    d->m_options = std::move(options);
    d->m_handler = std::move(handler);
    d->m_codec = WebSocketCodec(WebSocketCodec::Role::Client, d->m_options.maxMessageSize);
    d->m_liveness->hasGuard = util::isGuardSet(guard);
    d->m_liveness->guard = std::move(guard);
    int fds[2];
    if (::pipe(fds) == 0) {
        d->m_wakeRead = fds[0];
        d->m_wakeWrite = fds[1];
        ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
        ::fcntl(fds[1], F_SETFL, O_NONBLOCK);
    }
    Private *p = d.get();
    d->m_thread = std::thread([p] { p->run(); });
}

WebSocket::~WebSocket()
{
    d->m_liveness->alive.store(false);
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

void WebSocket::sendText(std::string text)
{
    {
        std::lock_guard lock(d->m_mutex);
        d->m_outgoing.push_back(d->m_codec.encode(WebSocketOpcode::Text, text));
    }
    d->wake();
}

void WebSocket::sendBinary(std::string data)
{
    {
        std::lock_guard lock(d->m_mutex);
        d->m_outgoing.push_back(d->m_codec.encode(WebSocketOpcode::Binary, data));
    }
    d->wake();
}

void WebSocket::ping(std::string payload)
{
    payload.resize(std::min<size_t>(payload.size(), 125));
    {
        std::lock_guard lock(d->m_mutex);
        d->m_outgoing.push_back(d->m_codec.encode(WebSocketOpcode::Ping, payload));
    }
    d->wake();
}

void WebSocket::close(uint16_t code, std::string reason)
{
    {
        std::lock_guard lock(d->m_mutex);
        d->m_closeRequest = WebSocketClose{code, std::move(reason)};
    }
    d->wake();
}

} // namespace kd::core::transport
