#include "portforwarder.h"

#include <core/cache/sharedinformer.h>
#include <core/client/channelprotocol.h>
#include <core/client/resourceref.h>
#include <core/client/restclient.h>
#include <core/client/spdysession.h>
#include <core/client/spdyupgradeconnection.h>
#include <core/transport/httpclient.h>
#include <core/transport/websocket.h>
#include <core/util/guard.h>
#include <core/util/log.h>
#include <core/util/threadname.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <list>
#include <mutex>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kd::core::client {

using transport::WebSocket;
using transport::WebSocketClose;
using transport::WebSocketMessage;
using transport::WebSocketOpcode;
using util::Error;
using util::Result;

namespace {

const util::LogCategory lcPortForward{"kd.client.portforward"};

constexpr size_t kReadChunk = 64 * 1024;
// Local bytes held while the remote side is not ready; reading pauses above this.
constexpr size_t kMaxPending = 1024 * 1024;

std::string stringAt(const nlohmann::json &object, const char *a, const char *b)
{
    const auto outer = object.find(a);
    if (outer == object.end() || !outer->is_object())
        return {};
    const auto inner = outer->find(b);
    return inner != outer->end() && inner->is_string() ? inner->get<std::string>() : std::string();
}

bool isRunning(const nlohmann::json &pod)
{
    const auto metadata = pod.find("metadata");
    if (metadata != pod.end() && metadata->is_object() && metadata->contains("deletionTimestamp")
        && !(*metadata)["deletionTimestamp"].is_null())
        return false;
    return stringAt(pod, "status", "phase") == "Running";
}

bool isReady(const nlohmann::json &pod)
{
    const auto status = pod.find("status");
    if (status == pod.end() || !status->is_object() || !status->contains("conditions")
        || !(*status)["conditions"].is_array())
        return false;
    for (const auto &condition : (*status)["conditions"]) {
        if (condition.is_object() && condition.value("type", nlohmann::json()).is_string()
            && condition["type"] == "Ready")
            return condition.contains("status") && condition["status"] == "True";
    }
    return false;
}

void closeFd(int &fd)
{
    if (fd >= 0)
        ::close(fd);
    fd = -1;
}

// What a connection's transport reports, handed from its thread to the socket thread.
struct Inbox
{
    std::mutex mutex;
    std::optional<std::string> opened; // the negotiated (sub)protocol
    std::deque<std::string> messages;  // binary payloads or raw bytes, in order
    std::optional<Result<WebSocketClose>> closed;
};

// How a connection reaches the pod. Decided when its transport opens.
enum class ForwardProtocol {
    Negotiating,
    ChannelV4, // v4.channel.k8s.io inside WebSocket messages
    Spdy,      // SPDY/3.1 streams, inside a WebSocket or over the raw upgrade
};

// One accepted local connection; socket thread only (except the inbox).
struct Connection
{
    int fd = -1;
    std::shared_ptr<Inbox> inbox = std::make_shared<Inbox>();
    // Exactly one transport at a time: the WebSocket first, the SPDY upgrade after a refusal.
    std::unique_ptr<WebSocket> socket;
    std::unique_ptr<SpdyUpgradeConnection> upgrade;
    ForwardProtocol protocol = ForwardProtocol::Negotiating;
    bool transportOpened = false;
    std::string toLocal;
    // Local bytes read before the remote side can take them.
    std::string toRemote;
    // v4
    int dataPrefixLeft = 2;
    int errorPrefixLeft = 2;
    // SPDY
    std::unique_ptr<SpdySession> spdy;
    std::uint32_t errorStream = 0;
    std::uint32_t dataStream = 0;
    bool dataReplied = false;
    bool dataFinSent = false;
    bool dataDone = false; // the pod's side sent FIN
    bool errorStreamDone = false;
    std::chrono::steady_clock::time_point nextPing;
    std::string errorText;
    bool localEof = false;
    bool remoteClosed = false;
    bool transportClosing = false; // SPDY ended the forward; the transport is being closed
    bool failureReported = false;
};

} // namespace

const char *portForwardStateName(PortForwardState state)
{
    switch (state) {
    case PortForwardState::Starting:
        return "Starting";
    case PortForwardState::Ready:
        return "Ready";
    case PortForwardState::WaitingForPod:
        return "WaitingForPod";
    case PortForwardState::Failed:
        return "Failed";
    case PortForwardState::Stopped:
        return "Stopped";
    }
    return "Unknown";
}

class PortForwarder::Private
{
public:
    RestClient *client = nullptr;
    transport::Executor executor;
    PortForwardOptions options;
    PortForwardHandler handler;
    std::weak_ptr<const void> guard;
    bool hasGuard = false;
    // Shared with queued deliveries, which may run after the forwarder is gone.
    std::shared_ptr<std::atomic<bool>> alive = std::make_shared<std::atomic<bool>>(true);

    mutable std::mutex mutex;
    PortForwardStatus status;
    bool started = false;
    bool stopping = false;

    std::unique_ptr<cache::SharedInformer> informer;
    int listenFd = -1;
    int wakeRead = -1;
    int wakeWrite = -1;
    std::thread thread;
    // Socket thread only.
    std::uint64_t nextRequestId = 0;
    // The server refused the WebSocket upgrade but took the SPDY one: skip the WebSocket.
    bool preferUpgrade = false;

    void deliver(std::function<void()> fn);
    // Without the mutex held: an inline executor may call back into status().
    void publish(PortForwardStatus snapshot);
    void reportConnectionError(Error error);
    void choosePod();
    void wake();
    void run();
    void accept(std::list<Connection> &connections);
    void openWebSocket(Connection &connection, const std::string &pod);
    void openUpgrade(Connection &connection, const std::string &pod);
    void startSpdy(Connection &connection);
    void sendToRemote(Connection &connection, std::string_view bytes);
    void flushSpdy(Connection &connection);
    void closeTransport(Connection &connection);
    void handleSpdyEvents(Connection &connection);
    void reportClosed(Connection &connection, const Result<WebSocketClose> &closed);
    bool pump(Connection &connection, short revents);
    void shutdown();
};

void PortForwarder::Private::deliver(std::function<void()> fn)
{
    auto guarded = [alive = alive, guard = guard, hasGuard = hasGuard, fn = std::move(fn)] {
        if (alive->load() && (!hasGuard || !guard.expired()))
            fn();
    };
    if (executor)
        executor(std::move(guarded));
    else
        guarded();
}

void PortForwarder::Private::publish(PortForwardStatus snapshot)
{
    if (handler.statusChanged)
        deliver([fn = handler.statusChanged, snapshot = std::move(snapshot)] { fn(snapshot); });
}

void PortForwarder::Private::reportConnectionError(Error error)
{
    lcPortForward.info(options.namespace_ + ": port-forward connection failed: " + error.message());
    {
        std::lock_guard lock(mutex);
        status.lastError = error;
    }
    if (handler.connectionFailed)
        deliver([fn = handler.connectionFailed, error = std::move(error)] { fn(error); });
}

void PortForwarder::Private::choosePod()
{
    // Cached objects are compact documents; the few pods of one selector are read as JSON.
    std::vector<nlohmann::json> pods;
    for (const auto &object : informer->store().list())
        pods.push_back(object->toJson());
    std::unique_lock lock(mutex);
    if (stopping || status.state == PortForwardState::Failed)
        return;
    std::string chosen;
    // Keep the current pod while it runs: open connections and the user's expectations stay.
    for (const auto &pod : pods) {
        if (stringAt(pod, "metadata", "name") == status.pod && isRunning(pod))
            chosen = status.pod;
    }
    if (chosen.empty()) {
        std::stable_sort(pods.begin(), pods.end(), [](const auto &a, const auto &b) {
            return isReady(a) != isReady(b)
                       ? isReady(a)
                       : stringAt(a, "metadata", "name") < stringAt(b, "metadata", "name");
        });
        for (const auto &pod : pods) {
            if (isRunning(pod)) {
                chosen = stringAt(pod, "metadata", "name");
                break;
            }
        }
    }
    const PortForwardState state
        = chosen.empty() ? PortForwardState::WaitingForPod : PortForwardState::Ready;
    if (state == status.state && chosen == status.pod)
        return;
    lcPortForward.info(options.namespace_ + ": port-forward to "
                       + (chosen.empty() ? std::string("no pod (waiting)") : chosen));
    status.state = state;
    status.pod = chosen;
    PortForwardStatus snapshot = status;
    lock.unlock();
    publish(std::move(snapshot));
}

void PortForwarder::Private::wake()
{
    if (wakeWrite >= 0) {
        const char byte = 1;
        [[maybe_unused]] const auto written = ::write(wakeWrite, &byte, 1);
    }
}

void PortForwarder::Private::accept(std::list<Connection> &connections)
{
    while (true) {
        const int fd = ::accept4(listenFd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        std::string pod;
        {
            std::lock_guard lock(mutex);
            pod = status.pod;
        }
        if (pod.empty()) {
            ::close(fd);
            reportConnectionError(
                Error(Error::Code::ServiceUnavailable, "no running pod to forward to"));
            continue;
        }
        Connection &connection = connections.emplace_back();
        connection.fd = fd;
        if (preferUpgrade)
            openUpgrade(connection, pod);
        else
            openWebSocket(connection, pod);
    }
}

void PortForwarder::Private::openWebSocket(Connection &connection, const std::string &pod)
{
    transport::WebSocketOptions wsOptions;
    // A server that tunnels SPDY (1.31+) picks the first; older ones proxy the WebSocket to the
    // kubelet, which speaks v4.
    wsOptions.subprotocols
        = {std::string(kPortForwardSpdyWebSocketProtocol), std::string(kChannelProtocolV4)};
    wsOptions.pingInterval = options.pingInterval;
    std::weak_ptr<Inbox> inbox = connection.inbox;
    const int wakeFd = wakeWrite;
    auto poke = [wakeFd] {
        const char byte = 1;
        [[maybe_unused]] const auto written = ::write(wakeFd, &byte, 1);
    };
    transport::WebSocketHandler wsHandler;
    wsHandler.opened = [inbox, poke](const std::string &subprotocol) {
        if (auto box = inbox.lock()) {
            std::lock_guard lock(box->mutex);
            box->opened = subprotocol;
        }
        poke();
    };
    wsHandler.message = [inbox, poke](WebSocketMessage message) {
        if (message.opcode != WebSocketOpcode::Binary)
            return;
        if (auto box = inbox.lock()) {
            std::lock_guard lock(box->mutex);
            box->messages.push_back(std::move(message.payload));
        }
        poke();
    };
    wsHandler.closed = [inbox, poke](Result<WebSocketClose> result) {
        if (auto box = inbox.lock()) {
            std::lock_guard lock(box->mutex);
            box->closed = std::move(result);
        }
        poke();
    };
    // The socket's callbacks run inline on its own thread and only fill the inbox.
    connection.socket = std::make_unique<WebSocket>(
        client->http().config(), [](std::function<void()> fn) { fn(); },
        request({options.namespace_, pod}, options.remotePort), std::move(wsOptions),
        std::move(wsHandler));
}

void PortForwarder::Private::openUpgrade(Connection &connection, const std::string &pod)
{
    // A fresh inbox: nothing the refused WebSocket reported may leak into this transport.
    connection.inbox = std::make_shared<Inbox>();
    std::weak_ptr<Inbox> inbox = connection.inbox;
    const int wakeFd = wakeWrite;
    auto poke = [wakeFd] {
        const char byte = 1;
        [[maybe_unused]] const auto written = ::write(wakeFd, &byte, 1);
    };
    SpdyUpgradeOptions upgradeOptions;
    upgradeOptions.streamProtocols = {std::string(kPortForwardProtocol)};
    SpdyUpgradeHandler upgradeHandler;
    upgradeHandler.opened = [inbox, poke](const std::string &protocol) {
        if (auto box = inbox.lock()) {
            std::lock_guard lock(box->mutex);
            box->opened = protocol;
        }
        poke();
    };
    upgradeHandler.data = [inbox, poke](std::string bytes) {
        if (auto box = inbox.lock()) {
            std::lock_guard lock(box->mutex);
            box->messages.push_back(std::move(bytes));
        }
        poke();
    };
    upgradeHandler.closed = [inbox, poke](Result<void> result) {
        if (auto box = inbox.lock()) {
            std::lock_guard lock(box->mutex);
            box->closed = result ? Result<WebSocketClose>(WebSocketClose{})
                                 : Result<WebSocketClose>(result.error());
        }
        poke();
    };
    connection.upgrade = std::make_unique<SpdyUpgradeConnection>(
        client->http().config(), [](std::function<void()> fn) { fn(); },
        request({options.namespace_, pod}, options.remotePort), std::move(upgradeOptions),
        std::move(upgradeHandler));
}

// Opens the error stream (half-closed at once: nothing is written to it) and then the data
// stream, as client-go does; both carry the port and the request id that pairs them.
void PortForwarder::Private::startSpdy(Connection &connection)
{
    connection.protocol = ForwardProtocol::Spdy;
    connection.spdy = std::make_unique<SpdySession>(SpdyRole::Client);
    connection.nextPing = std::chrono::steady_clock::now() + options.pingInterval;
    const std::string port = std::to_string(options.remotePort);
    const std::string requestId = std::to_string(nextRequestId++);
    auto errorStream = connection.spdy->openStream(
        {{"streamtype", "error"}, {"port", port}, {"requestid", requestId}});
    auto dataStream = connection.spdy->openStream(
        {{"streamtype", "data"}, {"port", port}, {"requestid", requestId}});
    if (!errorStream || !dataStream) {
        // Only an encoder failure gets here; the connection cannot continue.
        connection.errorText = "cannot open SPDY streams";
        connection.remoteClosed = true;
        return;
    }
    connection.errorStream = *errorStream;
    connection.dataStream = *dataStream;
    [[maybe_unused]] auto closed = connection.spdy->closeStream(connection.errorStream);
    flushSpdy(connection);
}

void PortForwarder::Private::flushSpdy(Connection &connection)
{
    if (!connection.spdy || !connection.spdy->hasOutput())
        return;
    std::string bytes = connection.spdy->takeOutput();
    // Inside the WebSocket the messages form one byte stream; their boundaries carry no meaning.
    if (connection.socket)
        connection.socket->sendBinary(std::move(bytes));
    else if (connection.upgrade)
        connection.upgrade->send(std::move(bytes));
}

void PortForwarder::Private::closeTransport(Connection &connection)
{
    if (connection.socket)
        connection.socket->close(transport::WebSocketCloseCode::Normal);
    if (connection.upgrade)
        connection.upgrade->close();
}

void PortForwarder::Private::sendToRemote(Connection &connection, std::string_view bytes)
{
    if (connection.remoteClosed)
        return;
    switch (connection.protocol) {
    case ForwardProtocol::ChannelV4:
        connection.socket->sendBinary(encodeChannelFrame(0, bytes));
        return;
    case ForwardProtocol::Spdy:
        if (connection.dataReplied && connection.spdy->isOpen(connection.dataStream)) {
            [[maybe_unused]] auto sent = connection.spdy->sendData(connection.dataStream, bytes);
            flushSpdy(connection);
            return;
        }
        break;
    case ForwardProtocol::Negotiating:
        break;
    }
    connection.toRemote.append(bytes);
}

void PortForwarder::Private::handleSpdyEvents(Connection &connection)
{
    while (auto event = connection.spdy->takeEvent()) {
        const bool isData = event->streamId == connection.dataStream;
        const bool isError = event->streamId == connection.errorStream;
        switch (event->kind) {
        case SpdyEvent::Kind::Reply:
            if (isData && !connection.dataReplied) {
                connection.dataReplied = true;
                std::string pending;
                pending.swap(connection.toRemote);
                if (!pending.empty())
                    sendToRemote(connection, pending);
            }
            break;
        case SpdyEvent::Kind::Data:
            if (isData)
                connection.toLocal.append(event->data);
            else if (isError)
                connection.errorText.append(event->data);
            break;
        case SpdyEvent::Kind::RemoteClosed:
            if (isData)
                connection.dataDone = true;
            else if (isError)
                connection.errorStreamDone = true;
            break;
        case SpdyEvent::Kind::Reset:
            if (isData) {
                connection.remoteClosed = true;
                if (connection.errorText.empty())
                    connection.errorText = "the server reset the port-forward stream (status "
                                           + std::to_string(event->status) + ")";
            } else if (isError) {
                connection.errorStreamDone = true;
            }
            break;
        case SpdyEvent::Kind::GoAway:
            // Streams above the server's last accepted id will never be served.
            if (event->streamId < connection.dataStream) {
                connection.remoteClosed = true;
                if (connection.errorText.empty())
                    connection.errorText = "the server refused the port-forward streams";
            }
            break;
        case SpdyEvent::Kind::StreamOpened:
            // The port-forward server opens no streams of its own.
            connection.spdy->resetStream(event->streamId, SpdyRstStatus::RefusedStream);
            break;
        case SpdyEvent::Kind::Headers:
        case SpdyEvent::Kind::PingReply:
            break;
        }
    }
    // The forward ends when the pod's side has ended and the error stream has said whether
    // that was a failure; a failure on the error stream ends it at once, as in kubectl.
    if (connection.errorStreamDone && (connection.dataDone || !connection.errorText.empty()))
        connection.remoteClosed = true;
    flushSpdy(connection);
}

void PortForwarder::Private::reportClosed(Connection &connection,
                                          const Result<WebSocketClose> &closed)
{
    connection.failureReported = true;
    if (!connection.errorText.empty()) {
        reportConnectionError(Error(Error::Code::ServiceUnavailable, connection.errorText));
    } else if (!closed) {
        const Error &error = closed.error();
        // A refused upgrade carries the server's Status as its message.
        const nlohmann::json body = nlohmann::json::parse(error.message(), nullptr, false);
        reportConnectionError(body.is_object() && body.contains("message")
                                      && body["message"].is_string()
                                  ? Error(error.code(), error.httpStatus(), error.reason(),
                                          body["message"].get<std::string>())
                                  : error);
    }
}

// Moves bytes both ways; false when the connection is finished.
bool PortForwarder::Private::pump(Connection &connection, short revents)
{
    std::optional<std::string> opened;
    std::deque<std::string> messages;
    std::optional<Result<WebSocketClose>> closed;
    {
        std::lock_guard lock(connection.inbox->mutex);
        opened.swap(connection.inbox->opened);
        messages.swap(connection.inbox->messages);
        if (connection.inbox->closed && !connection.remoteClosed)
            closed = connection.inbox->closed;
    }
    if (opened && !connection.transportOpened) {
        connection.transportOpened = true;
        if (connection.upgrade || *opened == kPortForwardSpdyWebSocketProtocol) {
            startSpdy(connection);
        } else {
            connection.protocol = ForwardProtocol::ChannelV4;
            std::string pending;
            pending.swap(connection.toRemote);
            if (!pending.empty())
                sendToRemote(connection, pending);
            if (connection.localEof)
                connection.socket->close(transport::WebSocketCloseCode::Normal);
        }
    }
    for (const std::string &message : messages) {
        if (connection.protocol == ForwardProtocol::Spdy) {
            if (connection.remoteClosed)
                break;
            if (auto fed = connection.spdy->feed(message); !fed) {
                connection.spdy->goAway(SpdyRstStatus::ProtocolError);
                flushSpdy(connection);
                connection.remoteClosed = true;
                connection.failureReported = true;
                reportConnectionError(fed.error());
                break;
            }
            handleSpdyEvents(connection);
            continue;
        }
        auto frame = decodeChannelFrame(message);
        if (!frame)
            continue;
        std::string_view payload = frame->payload;
        // Channel 0 is the port's data, 1 its errors (the only port requested).
        int *prefixLeft = frame->channel == 0   ? &connection.dataPrefixLeft
                          : frame->channel == 1 ? &connection.errorPrefixLeft
                                                : nullptr;
        if (!prefixLeft)
            continue;
        const size_t skip = std::min<size_t>(static_cast<size_t>(*prefixLeft), payload.size());
        payload.remove_prefix(skip);
        *prefixLeft -= static_cast<int>(skip);
        if (frame->channel == 0)
            connection.toLocal.append(payload);
        else
            connection.errorText.append(payload);
    }
    if (connection.protocol == ForwardProtocol::Spdy && connection.remoteClosed && !closed
        && !connection.transportClosing) {
        // SPDY ended the forward (data FIN, reset or error text) while the transport is open.
        connection.transportClosing = true;
        if (!connection.errorText.empty() && !connection.failureReported) {
            connection.failureReported = true;
            reportConnectionError(Error(Error::Code::ServiceUnavailable, connection.errorText));
        }
        closeTransport(connection);
    }
    if (closed) {
        const bool refused = !connection.transportOpened && connection.socket && !*closed
                             && closed->error().httpStatus() != 0;
        if (refused) {
            // No WebSocket port-forward here (a server or proxy that only knows the SPDY
            // upgrade), or a refusal that the SPDY attempt will repeat with its own Status.
            lcPortForward.info(options.namespace_ + ": WebSocket port-forward refused ("
                               + closed->error().message().substr(0, 200)
                               + "), trying the SPDY/3.1 upgrade");
            std::string pod;
            {
                std::lock_guard lock(mutex);
                pod = status.pod;
            }
            connection.socket.reset();
            if (!pod.empty()) {
                openUpgrade(connection, pod);
                closed.reset();
            }
        }
        if (closed) {
            connection.remoteClosed = true;
            // The connection ended under an unfinished data stream: the pod's side is lost.
            if (connection.protocol == ForwardProtocol::Spdy && *closed
                && connection.errorText.empty() && !connection.dataDone)
                connection.errorText = connection.dataReplied
                                           ? "lost the connection to the pod"
                                           : "the server closed the connection before the "
                                             "port-forward stream was accepted";
            if (!connection.failureReported)
                reportClosed(connection, *closed);
        }
    }
    if (connection.upgrade && connection.transportOpened && connection.socket == nullptr)
        preferUpgrade = true;

    // Keep-alive for the raw upgrade; the WebSocket has its own pings.
    if (connection.protocol == ForwardProtocol::Spdy && connection.upgrade
        && !connection.remoteClosed && options.pingInterval.count() > 0
        && std::chrono::steady_clock::now() >= connection.nextPing) {
        connection.spdy->ping();
        flushSpdy(connection);
        connection.nextPing = std::chrono::steady_clock::now() + options.pingInterval;
    }

    if ((revents & (POLLIN | POLLHUP | POLLERR)) && !connection.localEof) {
        char buffer[kReadChunk];
        while (connection.toRemote.size() < kMaxPending) {
            const ssize_t n = ::read(connection.fd, buffer, sizeof buffer);
            if (n > 0) {
                sendToRemote(connection, std::string_view(buffer, static_cast<size_t>(n)));
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                connection.localEof = true;
                // v4 has no half-close: the local side ending ends the stream. SPDY half-closes
                // the data stream once it is accepted (below) and keeps receiving.
                if (connection.protocol == ForwardProtocol::ChannelV4)
                    connection.socket->close(transport::WebSocketCloseCode::Normal);
            }
            break;
        }
    }
    if (connection.protocol == ForwardProtocol::Spdy && connection.localEof
        && connection.dataReplied && !connection.dataFinSent && !connection.remoteClosed
        && connection.spdy->isOpen(connection.dataStream)) {
        connection.dataFinSent = true;
        [[maybe_unused]] auto fin = connection.spdy->closeStream(connection.dataStream);
        flushSpdy(connection);
    }
    while (!connection.toLocal.empty()) {
        const ssize_t n = ::send(connection.fd, connection.toLocal.data(),
                                 connection.toLocal.size(), MSG_NOSIGNAL);
        if (n > 0) {
            connection.toLocal.erase(0, static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            break;
        connection.toLocal.clear();
        connection.localEof = true;
        if (connection.protocol == ForwardProtocol::Spdy && connection.spdy
            && connection.spdy->isOpen(connection.dataStream)) {
            connection.spdy->resetStream(connection.dataStream, SpdyRstStatus::Cancel);
            flushSpdy(connection);
        }
        closeTransport(connection);
        break;
    }
    return !(connection.remoteClosed && connection.toLocal.empty());
}

void PortForwarder::Private::run()
{
    std::list<Connection> connections;
    std::vector<pollfd> fds;
    while (true) {
        bool firstList = false;
        {
            std::lock_guard lock(mutex);
            if (stopping)
                break;
            firstList = status.state == PortForwardState::Starting;
        }
        // An empty first list triggers no informer handler; the state still has to leave
        // Starting.
        if (firstList && informer->hasSynced())
            choosePod();
        fds.clear();
        fds.push_back({wakeRead, POLLIN, 0});
        fds.push_back({listenFd, POLLIN, 0});
        for (const Connection &connection : connections) {
            short events = 0;
            if (!connection.localEof && connection.toRemote.size() < kMaxPending)
                events |= POLLIN;
            if (!connection.toLocal.empty())
                events |= POLLOUT;
            fds.push_back({connection.fd, events, 0});
        }
        ::poll(fds.data(), fds.size(), firstList ? 50 : 1000);
        if (fds[0].revents & POLLIN) {
            char drain[256];
            while (::read(wakeRead, drain, sizeof drain) > 0) {}
        }
        size_t index = 2;
        for (auto it = connections.begin(); it != connections.end(); ++index) {
            const short revents = index < fds.size() ? fds[index].revents : 0;
            if (pump(*it, revents)) {
                ++it;
                continue;
            }
            ::close(it->fd);
            // Joins the WebSocket's thread, whose callbacks only touch the inbox.
            it = connections.erase(it);
        }
        if (fds[1].revents & POLLIN)
            accept(connections);
        std::lock_guard lock(mutex);
        status.activeConnections = static_cast<int>(connections.size());
    }
    for (Connection &connection : connections)
        ::close(connection.fd);
    connections.clear();
}

void PortForwarder::Private::shutdown()
{
    {
        std::lock_guard lock(mutex);
        if (stopping)
            return;
        stopping = true;
    }
    alive->store(false);
    if (informer)
        informer->stop();
    wake();
    if (thread.joinable())
        thread.join();
    closeFd(listenFd);
    closeFd(wakeRead);
    closeFd(wakeWrite);
    std::lock_guard lock(mutex);
    status.state = PortForwardState::Stopped;
    status.activeConnections = 0;
}

PortForwarder::PortForwarder(RestClient &client, transport::Executor executor,
                             PortForwardOptions options, PortForwardHandler handler,
                             std::weak_ptr<const void> guard)
    : d(std::make_shared<Private>())
{
    d->client = &client;
    d->executor = std::move(executor);
    d->options = std::move(options);
    d->handler = std::move(handler);
    d->hasGuard = util::isGuardSet(guard);
    d->guard = std::move(guard);
}

PortForwarder::~PortForwarder()
{
    d->shutdown();
}

Result<std::uint16_t> PortForwarder::start()
{
    {
        std::lock_guard lock(d->mutex);
        if (d->started)
            return Error(Error::Code::Conflict, "the port-forward was already started");
        d->started = true;
    }
    auto fail = [this](Error error) -> Result<std::uint16_t> {
        closeFd(d->listenFd);
        PortForwardStatus snapshot;
        {
            std::lock_guard lock(d->mutex);
            d->status.state = PortForwardState::Failed;
            d->status.lastError = error;
            snapshot = d->status;
        }
        d->publish(std::move(snapshot));
        return error;
    };
    if (d->options.namespace_.empty()
        || (d->options.podName.empty() == d->options.labelSelector.empty()))
        return fail(Error(Error::Code::Invalid,
                          "a port-forward needs a namespace and either a pod name or a selector"));
    if (d->options.remotePort == 0)
        return fail(Error(Error::Code::Invalid, "a port-forward needs a remote port"));

    d->listenFd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (d->listenFd < 0)
        return fail(Error(Error::Code::Io, std::string("socket: ") + std::strerror(errno)));
    const int one = 1;
    ::setsockopt(d->listenFd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(d->options.localPort);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(d->listenFd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0)
        return fail(Error(Error::Code::Io,
                          "cannot listen on 127.0.0.1:" + std::to_string(d->options.localPort)
                              + ": " + std::strerror(errno)));
    if (::listen(d->listenFd, 64) != 0)
        return fail(Error(Error::Code::Io, std::string("listen: ") + std::strerror(errno)));
    socklen_t length = sizeof address;
    ::getsockname(d->listenFd, reinterpret_cast<sockaddr *>(&address), &length);
    const std::uint16_t port = ntohs(address.sin_port);

    int pipeFds[2];
    if (::pipe2(pipeFds, O_NONBLOCK | O_CLOEXEC) != 0)
        return fail(Error(Error::Code::Io, std::string("pipe: ") + std::strerror(errno)));
    d->wakeRead = pipeFds[0];
    d->wakeWrite = pipeFds[1];
    {
        std::lock_guard lock(d->mutex);
        d->status.localPort = port;
    }

    cache::ReflectorOptions reflector;
    reflector.resource = ResourceRef{
        api::GroupVersionResource{"", "v1", "pods"}, true, d->options.namespace_, {}, {}};
    if (!d->options.podName.empty())
        reflector.fieldSelector = "metadata.name=" + d->options.podName;
    else
        reflector.labelSelector = d->options.labelSelector;
    reflector.backoff.initial = std::chrono::milliseconds(200);
    reflector.backoff.max = std::chrono::milliseconds(5000);
    // Handlers run on the reflector's thread: choosing a pod is quick and needs no other thread.
    d->informer = std::make_unique<cache::SharedInformer>(*d->client, reflector,
                                                          [](std::function<void()> fn) { fn(); });
    Private *p = d.get();
    cache::EventHandler events;
    events.onAdd = [p](const cache::ObjectPtr &) { p->choosePod(); };
    events.onUpdate = [p](const cache::ObjectPtr &, const cache::ObjectPtr &) { p->choosePod(); };
    events.onDelete = [p](const cache::ObjectPtr &) { p->choosePod(); };
    d->informer->addEventHandler(std::move(events));
    d->thread = std::thread([p] {
        util::setCurrentThreadName("kd-portforward");
        p->run();
    });
    d->informer->start();
    lcPortForward.info("port-forward listening on 127.0.0.1:" + std::to_string(port));
    return port;
}

void PortForwarder::stop()
{
    d->shutdown();
}

PortForwardStatus PortForwarder::status() const
{
    std::lock_guard lock(d->mutex);
    return d->status;
}

transport::HttpRequest PortForwarder::request(const api::ObjectKey &pod, std::uint16_t port)
{
    transport::HttpRequest request;
    request.path = "/api/v1/namespaces/" + percentEncode(pod.namespace_) + "/pods/"
                   + percentEncode(pod.name) + "/portforward?ports=" + std::to_string(port);
    return request;
}

} // namespace kd::core::client
