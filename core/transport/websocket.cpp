#include <core/transport/websocket.h>
#include <core/util/guard.h>

#include <core/transport/curlsetup_p.h>
#include <core/transport/upgradedconnection_p.h>
#include <core/util/log.h>
#include <core/util/threadname.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <deque>
#include <mutex>
#include <thread>

#include <poll.h>

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
    detail::WakePipe m_wake;
    std::thread m_thread;

    // I/O thread only.
    detail::UpgradedConnection m_connection;
    WebSocketCodec m_codec{WebSocketCodec::Role::Client};
    std::string m_sendBuffer;
    bool m_finished = false;

    bool stopping();
    void run();
    util::Result<std::string> connectAndUpgrade();
    void serve(std::string leftover);
    void finish(util::Result<WebSocketClose> result);
    void deliver(std::function<void()> fn);
    // Returns false when the socket failed; appends to m_sendBuffer handled by flush.
    bool flush();
    void queueFrame(WebSocketOpcode opcode, std::string_view payload);
};

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

util::Result<std::string> WebSocket::Private::connectAndUpgrade()
{
    static constexpr detail::UpgradeWording wording{
        .protocol = "WebSocket",
        .handshake = "WebSocket handshake",
        .cancelled = "WebSocket destroyed",
        .sendContext = "WebSocket send",
        .noSocket = "WebSocket: no connected socket",
        .headerTooLarge = "WebSocket handshake: header too large",
    };
    // A fresh key for every attempt: the retry after a 401 is a new connection.
    std::string key;
    detail::UpgradeRequest request;
    request.method = "GET";
    request.path = m_request.path;
    request.upgradeHeaders = [this, &key]() -> util::Result<HttpHeaders> {
        unsigned char nonce[16];
        if (RAND_bytes(nonce, sizeof nonce) != 1)
            return util::Error(util::Error::Code::Internal,
                               "no random bytes for Sec-WebSocket-Key");
        key = base64(nonce, sizeof nonce);
        HttpHeaders headers = {{"Upgrade", "websocket"},
                               {"Connection", "Upgrade"},
                               {"Sec-WebSocket-Version", "13"},
                               {"Sec-WebSocket-Key", key}};
        if (!m_options.subprotocols.empty()) {
            std::string list;
            for (const auto &protocol : m_options.subprotocols)
                list += (list.empty() ? "" : ", ") + protocol;
            headers.emplace_back("Sec-WebSocket-Protocol", std::move(list));
        }
        return headers;
    };
    request.extraHeaders = m_request.headers;
    request.timeout = m_options.handshakeTimeout;
    request.cancelled = [this] { return stopping(); };
    request.log = &lcWebSocket;
    auto connection = detail::openUpgradedConnection(m_config, request, wording);
    if (!connection)
        return connection.error();
    m_connection = std::move(*connection);

    const HttpResponse &response = m_connection.response;
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
    if (auto r = m_connection.sendSome(m_sendBuffer, "WebSocket send"); !r) {
        finish(r.error());
        return false;
    }
    return true;
}

void WebSocket::Private::run()
{
    auto upgraded = connectAndUpgrade();
    if (!upgraded) {
        if (upgraded.error().code() != util::Error::Code::Cancelled)
            finish(upgraded.error());
        return;
    }
    lcWebSocket.debug([&] { return m_request.path + ": open, subprotocol " + *upgraded; });
    if (m_handler.opened)
        deliver([fn = m_handler.opened, protocol = *upgraded] { fn(protocol); });
    serve(std::move(m_connection.leftover));
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
        const auto eof = m_connection.receiveAvailable(incoming, "WebSocket receive");
        if (!eof) {
            finish(eof.error());
            return;
        }
        if (!incoming.empty())
            continue;
        if (*eof) {
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
        m_wake.wait(m_connection.socket, events, wait);
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
    Private *p = d.get();
    d->m_thread = std::thread([p] {
        util::setCurrentThreadName("kd-websocket");
        p->run();
    });
}

WebSocket::~WebSocket()
{
    d->m_liveness->alive.store(false);
    {
        std::lock_guard lock(d->m_mutex);
        d->m_stopping = true;
    }
    d->m_wake.wake();
    d->m_thread.join();
}

void WebSocket::sendText(std::string text)
{
    {
        std::lock_guard lock(d->m_mutex);
        d->m_outgoing.push_back(d->m_codec.encode(WebSocketOpcode::Text, text));
    }
    d->m_wake.wake();
}

void WebSocket::sendBinary(std::string data)
{
    {
        std::lock_guard lock(d->m_mutex);
        d->m_outgoing.push_back(d->m_codec.encode(WebSocketOpcode::Binary, data));
    }
    d->m_wake.wake();
}

void WebSocket::ping(std::string payload)
{
    payload.resize(std::min<size_t>(payload.size(), 125));
    {
        std::lock_guard lock(d->m_mutex);
        d->m_outgoing.push_back(d->m_codec.encode(WebSocketOpcode::Ping, payload));
    }
    d->m_wake.wake();
}

void WebSocket::close(uint16_t code, std::string reason)
{
    {
        std::lock_guard lock(d->m_mutex);
        d->m_closeRequest = WebSocketClose{code, std::move(reason)};
    }
    d->m_wake.wake();
}

} // namespace kd::core::transport
