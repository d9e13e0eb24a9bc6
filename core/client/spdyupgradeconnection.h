#pragma once

#include <core/transport/connectionconfig.h>
#include <core/transport/httpmessage.h>
#include <core/util/result.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace kd::core::client {

inline constexpr std::string_view kSpdyUpgradeProtocol = "SPDY/3.1";

struct SpdyUpgradeOptions
{
    // Offered in X-Stream-Protocol-Version, most preferred first ("portforward.k8s.io", …).
    std::vector<std::string> streamProtocols;
    // Connect plus upgrade handshake.
    std::chrono::milliseconds handshakeTimeout{30000};
};

// Callbacks, each delivered through the executor, in order.
struct SpdyUpgradeHandler
{
    // Once, after the 101; the X-Stream-Protocol-Version the server chose (empty if none).
    std::function<void(const std::string &streamProtocol)> opened;
    // Bytes from the server, in arbitrary chunks.
    std::function<void(std::string bytes)> data;
    // Exactly once, last: success when the server closed the connection after the upgrade, or
    // an Error — Transport/Timeout for connection failures, the mapped HTTP status when the
    // upgrade was refused (its body is the message, so a metav1.Status can be decoded).
    std::function<void(util::Result<void>)> closed;
};

// The raw connection under SPDY/3.1 as kubectl 1.27–1.30 opens it: `POST` with
// `Connection: Upgrade`, `Upgrade: SPDY/3.1` and `X-Stream-Protocol-Version`; after the 101 the
// TCP/TLS connection is a plain byte stream (the SPDY frames are the caller's, see SpdySession).
// The connection is made by libcurl in CONNECT_ONLY mode with the same options as HttpClient
// (TLS, client certificates, proxies), as WebSocket does. Runs its own thread; owned by its user;
// methods may be called from any thread. The destructor closes the connection and joins the
// thread; no callback runs after it returns.
class SpdyUpgradeConnection final
{
public:
    // `request` supplies the path (relative to config.baseUrl) and extra headers; the method is
    // always POST and the body is ignored. Connecting starts immediately.
    SpdyUpgradeConnection(const transport::ConnectionConfig &config, transport::Executor executor,
                          transport::HttpRequest request, SpdyUpgradeOptions options,
                          SpdyUpgradeHandler handler);
    ~SpdyUpgradeConnection();
    SpdyUpgradeConnection(const SpdyUpgradeConnection &) = delete;
    SpdyUpgradeConnection &operator=(const SpdyUpgradeConnection &) = delete;

    // Queued until the connection is open; dropped after close.
    void send(std::string bytes);
    // Sends what is queued, then closes the connection; `closed` reports success.
    void close();

private:
    class Private;
    std::unique_ptr<Private> d;
};

} // namespace kd::core::client
