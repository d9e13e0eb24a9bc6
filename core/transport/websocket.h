#pragma once

#include <core/transport/connectionconfig.h>
#include <core/transport/httpmessage.h>
#include <core/transport/websocketcodec.h>
#include <core/util/result.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace kd::core::transport {

struct WebSocketOptions
{
    // Offered in Sec-WebSocket-Protocol, most preferred first ("v5.channel.k8s.io", …).
    std::vector<std::string> subprotocols;
    // Keep-alive pings while the connection is open; 0 disables them.
    std::chrono::milliseconds pingInterval{30000};
    size_t maxMessageSize = 32 * 1024 * 1024;
    // Connect plus upgrade handshake.
    std::chrono::milliseconds handshakeTimeout{30000};
    // How long to wait for the server's close frame after sending ours.
    std::chrono::milliseconds closeTimeout{5000};
};

// Callbacks, each delivered through the executor, in order.
struct WebSocketHandler
{
    // Once, after the upgrade; the subprotocol the server chose, empty when it chose none.
    std::function<void(const std::string &subprotocol)> opened;
    // Each complete text or binary message (fragments joined). Pings are answered internally.
    std::function<void(WebSocketMessage message)> message;
    // Exactly once, last: the close code and reason after a close handshake (whoever started
    // it), or an Error — Transport/Timeout for connection failures and a connection that ended
    // without a close frame, Decode for a protocol violation by the server (we then send the
    // matching close code), the mapped HTTP status when the upgrade was refused (its body is the
    // message, so a metav1.Status can be decoded).
    std::function<void(util::Result<WebSocketClose>)> closed;
};

// One RFC 6455 client connection. The TCP/TLS/proxy connection is made by libcurl in CONNECT_ONLY
// mode with the same options as HttpClient (so client certificates, CA, tls-server-name and
// proxies behave identically); the upgrade handshake and framing (WebSocketCodec) are ours.
// Each WebSocket runs its own thread, which blocks in connect and then polls the socket:
// interactive sessions (exec, attach, port-forward) are few and must not stall, or be stalled by,
// the connection's HTTP I/O thread. Owned by its user; methods may be called from any thread.
// Destroying it sends a best-effort "going away" close and joins the thread; no callback runs
// after the destructor returns (or starts after it began, on the executor's thread).
class WebSocket final
{
public:
    // `request` supplies the path (relative to config.baseUrl, http(s) scheme) and extra headers;
    // method and body are ignored. Connecting starts immediately.
    WebSocket(const ConnectionConfig &config, Executor executor, HttpRequest request,
              WebSocketOptions options, WebSocketHandler handler,
              std::weak_ptr<const void> guard = {});
    ~WebSocket();
    WebSocket(const WebSocket &) = delete;
    WebSocket &operator=(const WebSocket &) = delete;

    // Queued until the connection is open; dropped after close.
    void sendText(std::string text);
    void sendBinary(std::string data);
    void ping(std::string payload = {});
    // Starts the close handshake; `closed` reports the server's answer.
    void close(uint16_t code = WebSocketCloseCode::Normal, std::string reason = {});

private:
    class Private;
    std::unique_ptr<Private> d;
};

// Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 §4.2.2): base64(SHA-1(key + GUID)).
std::string webSocketAccept(std::string_view key);

} // namespace kd::core::transport
