#pragma once

// Shared by the port-forward tests (WebSocket in tst_portforwarder, SPDY in tst_spdyportforward):
// the API server side a PortForwarder reads besides the forward itself, and the client-side
// helpers both tests drive it with.

#include "streamserver.h"

#include <core/client/portforwarder.h>

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QHash>
#include <QMutex>
#include <QMutexLocker>
#include <QPointer>

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

inline constexpr int kWait = 10000;

// Delivers callbacks on the test's (main) thread, as the app's executor does.
inline kd::core::transport::Executor mainThread()
{
    return [](std::function<void()> f) {
        QMetaObject::invokeMethod(QCoreApplication::instance(), std::move(f), Qt::QueuedConnection);
    };
}

inline nlohmann::json runningPod(const std::string &name, const std::string &rv)
{
    return {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata",
             {{"name", name},
              {"namespace", "ns"},
              {"uid", "uid-" + name},
              {"resourceVersion", rv},
              {"labels", {{"app", "web"}}}}},
            {"status", {{"phase", "Running"}}}};
}

// An API server with one namespace "ns" of pods, served as list and watch for the forwarder's
// informer. A .../portforward request is recorded and, unless its pod is "gone" (404 with a
// metav1.Status), handed to the test's `forward` handler; the forward connection dies with its pod
// in deletePod(), as when a kubelet's pod goes away. `route` may answer other paths first
// (kubectl's discovery); everything else is a 404. The handlers run in the server thread.
class PodForwardServer final
{
public:
    // Returns true when it took over the socket, as TestHandler does.
    using ForwardHandler = std::function<bool(const TestRequest &, QTcpSocket *, QByteArray &rest,
                                              const QByteArray &pod)>;
    // Returns true when it answered the request.
    using RouteHandler = std::function<bool(const TestRequest &, QTcpSocket *)>;

    PodForwardServer(std::vector<nlohmann::json> pods, ForwardHandler forward,
                     RouteHandler route = {})
        : m_pods(std::move(pods))
        , m_forward(std::move(forward))
        , m_route(std::move(route))
        , m_server([this](const TestRequest &r, QTcpSocket *s, QByteArray &rest) {
            return handle(r, s, rest);
        })
    {}

    kd::core::transport::ConnectionConfig config() const
    {
        kd::core::transport::ConnectionConfig c;
        c.baseUrl = "http://127.0.0.1:" + std::to_string(m_server.port());
        return c;
    }
    const std::vector<nlohmann::json> &pods() const { return m_pods; }
    // Every .../portforward request, in order.
    QList<TestRequest> forwardRequests()
    {
        QMutexLocker lock(&m_mutex);
        return m_forwardRequests;
    }
    // Test thread: the pod goes away — its forward connections die and the watch says so.
    void deletePod(const std::string &name, const std::string &rv)
    {
        onServer([this, name, rv] {
            for (const auto &socket : m_sockets.value(QByteArray::fromStdString(name))) {
                if (socket)
                    socket->abort();
            }
            sendEvent("DELETED", runningPod(name, rv));
        });
    }
    void addPod(const std::string &name, const std::string &rv)
    {
        onServer([this, name, rv] { sendEvent("ADDED", runningPod(name, rv)); });
    }
    bool watching()
    {
        bool open = false;
        onServer([&] { open = !m_watch.isNull(); });
        return open;
    }

private:
    static QByteArray chunk(const QByteArray &data)
    {
        return QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n";
    }
    void onServer(std::function<void()> f)
    {
        QMetaObject::invokeMethod(m_server.context(), std::move(f), Qt::BlockingQueuedConnection);
    }
    void sendEvent(const char *type, const nlohmann::json &object)
    {
        if (m_watch) {
            const nlohmann::json event = {{"type", type}, {"object", object}};
            m_watch->write(chunk(QByteArray::fromStdString(event.dump()) + "\n"));
        }
    }

    bool handle(const TestRequest &request, QTcpSocket *socket, QByteArray &rest)
    {
        const QByteArray path = pathOf(request);
        if (path == "/api/v1/namespaces/ns/pods") {
            if (queryOf(request).queryItemValue("watch") == "true") {
                socket->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n");
                m_watch = socket;
                return true;
            }
            nlohmann::json items = nlohmann::json::array();
            const QString field
                = queryOf(request).queryItemValue("fieldSelector", QUrl::FullyDecoded);
            for (const auto &pod : m_pods) {
                const std::string name = pod["metadata"]["name"];
                if (field.isEmpty() || field == "metadata.name=" + QString::fromStdString(name))
                    items.push_back(pod);
            }
            nlohmann::json list = {{"apiVersion", "v1"},
                                   {"kind", "PodList"},
                                   {"metadata", {{"resourceVersion", "10"}}},
                                   {"items", items}};
            socket->write(httpResponse(200, QByteArray::fromStdString(list.dump()),
                                       {"Content-Type: application/json"}));
            return false;
        }
        if (m_route && m_route(request, socket))
            return false;
        if (!path.endsWith("/portforward")) {
            socket->write(httpResponse(404, statusBody(404, "NotFound", "no route")));
            return false;
        }
        {
            QMutexLocker lock(&m_mutex);
            m_forwardRequests << request;
        }
        const QByteArray pod = path.split('/').value(6);
        if (pod == "gone") {
            socket->write(httpResponse(404,
                                       statusBody(404, "NotFound", "pods \\\"gone\\\" not found"),
                                       {"Content-Type: application/json"}));
            return false;
        }
        m_sockets[pod] << QPointer<QTcpSocket>(socket);
        return m_forward(request, socket, rest, pod);
    }

    const std::vector<nlohmann::json> m_pods;
    const ForwardHandler m_forward;
    const RouteHandler m_route;
    QMutex m_mutex;
    QList<TestRequest> m_forwardRequests;
    // Server thread only.
    QPointer<QTcpSocket> m_watch;
    QHash<QByteArray, QList<QPointer<QTcpSocket>>> m_sockets;
    TestServer m_server;
};

// What a PortForwarder reported, in order (main thread).
struct Seen
{
    std::vector<kd::core::client::PortForwardStatus> statuses;
    std::vector<kd::core::util::Error> errors;

    kd::core::client::PortForwardHandler handler()
    {
        return {[this](const kd::core::client::PortForwardStatus &s) { statuses.push_back(s); },
                [this](const kd::core::util::Error &e) { errors.push_back(e); }};
    }
    kd::core::client::PortForwardState state() const
    {
        return statuses.empty() ? kd::core::client::PortForwardState::Starting
                                : statuses.back().state;
    }
    std::string pod() const { return statuses.empty() ? std::string() : statuses.back().pod; }
};

inline kd::core::client::PortForwardOptions webOptions()
{
    kd::core::client::PortForwardOptions options;
    options.namespace_ = "ns";
    options.labelSelector = "app=web";
    options.remotePort = 8080;
    return options;
}

// Sends `data` on a local connection and reads until `expected` arrived.
inline QByteArray roundTrip(QTcpSocket &socket, const QByteArray &data, const QByteArray &expected)
{
    socket.write(data);
    socket.flush();
    QByteArray received;
    QDeadlineTimer deadline(kWait);
    while (received.size() < expected.size() && !deadline.hasExpired()) {
        if (socket.bytesAvailable() > 0 || socket.waitForReadyRead(100))
            received += socket.readAll();
    }
    return received;
}
