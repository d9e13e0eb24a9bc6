#pragma once

#include <core/api/groupversion.h>
#include <core/transport/connectionconfig.h>
#include <core/transport/httpmessage.h>
#include <core/util/result.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace kd::core::client {

class RestClient;

enum class PortForwardState {
    // start() not called yet, or the first pod list has not arrived.
    Starting,
    // Listening, with a running pod to forward to.
    Ready,
    // Listening, but no running pod matches (the old one went away): new local connections are
    // refused until the informer sees one.
    WaitingForPod,
    // The listener could not be opened.
    Failed,
    Stopped,
};

const char *portForwardStateName(PortForwardState state);

struct PortForwardStatus
{
    PortForwardState state = PortForwardState::Starting;
    std::string pod;             // the pod new connections go to; empty when none
    std::uint16_t localPort = 0; // once listening
    int activeConnections = 0;
    std::optional<util::Error> lastError; // the latest failed connection or listener error
};

struct PortForwardOptions
{
    std::string namespace_;
    // Either one pod by name (followed across re-creation, as a StatefulSet does) or any running
    // pod matching a label selector (a Service's or workload's selector); a running, ready pod
    // is preferred, then the first by name.
    std::string podName;
    std::string labelSelector;
    std::uint16_t remotePort = 0;
    // 0: any free port (see status().localPort).
    std::uint16_t localPort = 0;
    std::chrono::milliseconds pingInterval{15000};
};

struct PortForwardHandler
{
    // Whenever state or pod change.
    std::function<void(const PortForwardStatus &status)> statusChanged;
    // One local connection failed: refused upgrade, the pod's error channel ("connection
    // refused"), or no pod to forward to.
    std::function<void(const util::Error &error)> connectionFailed;
};

// The stream protocol of SPDY port-forward (X-Stream-Protocol-Version of the SPDY upgrade) and
// the WebSocket subprotocol under which a 1.31+ API server tunnels the same SPDY frames.
inline constexpr std::string_view kPortForwardProtocol = "portforward.k8s.io";
inline constexpr std::string_view kPortForwardSpdyWebSocketProtocol = "SPDY/3.1+portforward.k8s.io";

// Forwards 127.0.0.1:localPort to a port of a pod through the API server. Every accepted local
// connection gets its own upstream connection, so many connections run side by side:
// - first a WebSocket offering `SPDY/3.1+portforward.k8s.io` (kube-apiserver 1.31+ tunnels SPDY
//   frames in it, as kubectl 1.31+ uses it) and `v4.channel.k8s.io` (older servers proxy it to the
//   kubelet: per port a data and an error channel, each starting with the port as two
//   little-endian bytes); the server's choice decides;
// - if the server refuses the WebSocket upgrade (any non-101), the SPDY/3.1 upgrade by POST that
//   kubectl 1.27–1.30 use; once that worked, later connections go there directly.
// Over SPDY each connection has an error stream (half-closed at once) and a data stream with the
// headers streamtype, port and requestid; local EOF half-closes the data stream, text on the
// error stream fails the connection with that text.
// A pod informer picks the target and moves to a new pod of the same selector when the old one
// goes away; connections already open to the old pod end with it.
// Threads: one socket thread owned by the forwarder polls the listener and the local sockets;
// each upstream connection has its own thread; status and errors reach the handler through the
// executor, guarded by `guard`. Owned by its user; every member may be called from any thread,
// stop() and the destructor not from inside the handler when the executor runs inline.
class PortForwarder final
{
public:
    PortForwarder(RestClient &client, transport::Executor executor, PortForwardOptions options,
                  PortForwardHandler handler, std::weak_ptr<const void> guard = {});
    ~PortForwarder();
    PortForwarder(const PortForwarder &) = delete;
    PortForwarder &operator=(const PortForwarder &) = delete;

    // Opens the listener and starts the informer; returns the local port. Fails (state Failed)
    // when the port is taken or the options name no pod.
    util::Result<std::uint16_t> start();
    // Closes the listener and every connection; nothing is reported afterwards.
    void stop();
    PortForwardStatus status() const;

    // /api/v1/namespaces/NS/pods/P/portforward?ports=PORT (GET for the WebSocket, POST for the
    // SPDY upgrade; SPDY carries the port in stream headers, the query is for v4).
    static transport::HttpRequest request(const api::ObjectKey &pod, std::uint16_t port);

private:
    class Private;
    std::shared_ptr<Private> d;
};

} // namespace kd::core::client
