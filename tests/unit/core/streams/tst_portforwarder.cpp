#include <core/client/channelprotocol.h>
#include <core/client/portforwarder.h>
#include <core/client/restclient.h>

#include "streamserver.h"

#include <QCoreApplication>
#include <QMutex>
#include <QMutexLocker>
#include <QPointer>
#include <QTest>

#include <nlohmann/json.hpp>

using namespace kd::core;
using namespace kd::core::client;
using namespace kd::core::transport;

namespace {

constexpr int kWait = 10000;

Executor mainThread()
{
    return [](std::function<void()> f) {
        QMetaObject::invokeMethod(QCoreApplication::instance(), std::move(f), Qt::QueuedConnection);
    };
}

nlohmann::json runningPod(const std::string &name, const std::string &rv)
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

QByteArray chunk(const QByteArray &data)
{
    return QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n";
}

// An API server with one namespace of pods (list + watch, for the forwarder's informer) and the
// WebSocket port-forward of every pod: each port's channels start with the port, data is echoed,
// the first data of a connection prefixed with "<pod>:", and "fail" answers on the error channel as
// a kubelet does when nothing listens in the pod.
class ForwardServer
{
public:
    explicit ForwardServer(std::vector<nlohmann::json> pods)
        : m_pods(std::move(pods))
        , m_server([this](const TestRequest &r, QTcpSocket *s, QByteArray &rest) {
            return handle(r, s, rest);
        })
    {}

    ConnectionConfig config() const
    {
        ConnectionConfig c;
        c.baseUrl = "http://127.0.0.1:" + std::to_string(m_server.port());
        return c;
    }
    QList<QByteArray> forwardPaths()
    {
        QMutexLocker lock(&m_mutex);
        return m_forwardPaths;
    }
    // Test thread: the pod goes away — its streams die and the watch says so.
    void deletePod(const std::string &name, const std::string &rv)
    {
        onServer([this, name, rv] {
            for (const auto &peer : m_peers.value(QByteArray::fromStdString(name))) {
                if (peer)
                    peer->abort();
            }
            auto pod = runningPod(name, rv);
            sendEvent("DELETED", pod);
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
        if (!path.endsWith("/portforward")) {
            socket->write(httpResponse(404, statusBody(404, "NotFound", "no route")));
            return false;
        }
        {
            QMutexLocker lock(&m_mutex);
            m_forwardPaths << request.path;
        }
        const QByteArray pod = path.split('/').value(6);
        if (pod == "gone") {
            socket->write(httpResponse(404,
                                       statusBody(404, "NotFound", "pods \\\"gone\\\" not found"),
                                       {"Content-Type: application/json"}));
            return false;
        }
        const quint16 port = queryOf(request).queryItemValue("ports").toUShort();
        const std::string prefix{char(port & 0xff), char(port >> 8)};
        WsPeer *peer = acceptWebSocket(
            request, socket, rest, negotiateProtocol(request, {"v4.channel.k8s.io"}),
            [pod, prefix, port, greeted = false](WsPeer &p, WebSocketMessage message) mutable {
                auto frame = decodeChannelFrame(message.payload);
                if (!frame || frame->channel != 0)
                    return;
                if (frame->payload == "fail") {
                    p.sendBinary(encodeChannelFrame(
                        1, "error forwarding port " + std::to_string(port) + " to pod "
                               + pod.toStdString() + ": connection refused"));
                    p.close();
                    return;
                }
                const std::string greeting = greeted ? std::string() : pod.toStdString() + ":";
                greeted = true;
                p.sendBinary(encodeChannelFrame(0, greeting + std::string(frame->payload)));
            });
        // The port prefix arrives in messages of its own, as the kubelet writes it.
        peer->sendBinary(encodeChannelFrame(0, prefix));
        peer->sendBinary(encodeChannelFrame(1, prefix));
        m_peers[pod] << QPointer<WsPeer>(peer);
        return true;
    }

    std::vector<nlohmann::json> m_pods;
    QMutex m_mutex;
    QList<QByteArray> m_forwardPaths;
    // Server thread only.
    QPointer<QTcpSocket> m_watch;
    QHash<QByteArray, QList<QPointer<WsPeer>>> m_peers;
    TestServer m_server;
};

struct Seen
{
    std::vector<PortForwardStatus> statuses;
    std::vector<util::Error> errors;

    PortForwardHandler handler()
    {
        return {[this](const PortForwardStatus &s) { statuses.push_back(s); },
                [this](const util::Error &e) { errors.push_back(e); }};
    }
    PortForwardState state() const
    {
        return statuses.empty() ? PortForwardState::Starting : statuses.back().state;
    }
    std::string pod() const { return statuses.empty() ? std::string() : statuses.back().pod; }
};

PortForwardOptions webOptions()
{
    PortForwardOptions options;
    options.namespace_ = "ns";
    options.labelSelector = "app=web";
    options.remotePort = 8080;
    return options;
}

// Sends `data` on a local connection and reads until `expected` arrived.
QByteArray roundTrip(QTcpSocket &socket, const QByteArray &data, const QByteArray &expected)
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

} // namespace

class TestPortForwarder final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void requestPath()
    {
        QCOMPARE(PortForwarder::request({"ns", "web-0"}, 8080).path,
                 std::string("/api/v1/namespaces/ns/pods/web-0/portforward?ports=8080"));
    }

    void twoConcurrentConnectionsCarryDataBothWays()
    {
        ForwardServer server(std::vector<nlohmann::json>{runningPod("web-a", "5")});
        RestClient client(server.config(), mainThread());
        Seen seen;
        PortForwarder forwarder(client, mainThread(), webOptions(), seen.handler());
        auto port = forwarder.start();
        QVERIFY(port.ok());
        QVERIFY(*port != 0);
        QTRY_COMPARE_WITH_TIMEOUT(seen.state(), PortForwardState::Ready, kWait);
        QCOMPARE(seen.pod(), std::string("web-a"));

        QTcpSocket first;
        QTcpSocket second;
        first.connectToHost(QHostAddress::LocalHost, *port);
        second.connectToHost(QHostAddress::LocalHost, *port);
        QVERIFY(first.waitForConnected(kWait));
        QVERIFY(second.waitForConnected(kWait));
        QCOMPARE(roundTrip(first, "one", "web-a:one"), QByteArray("web-a:one"));
        QCOMPARE(roundTrip(second, "two", "web-a:two"), QByteArray("web-a:two"));
        // Both stay usable side by side, and large payloads pass intact.
        const QByteArray big(200000, 'x');
        QCOMPARE(roundTrip(first, big, big), big);
        QCOMPARE(roundTrip(second, "again", "again"), QByteArray("again"));
        QTRY_COMPARE_WITH_TIMEOUT(forwarder.status().activeConnections, 2, kWait);
        QCOMPARE(server.forwardPaths().size(), qsizetype(2));
        QCOMPARE(server.forwardPaths()[0],
                 QByteArray("/api/v1/namespaces/ns/pods/web-a/portforward?ports=8080"));
        first.disconnectFromHost();
        QTRY_COMPARE_WITH_TIMEOUT(forwarder.status().activeConnections, 1, kWait);
        QVERIFY(seen.errors.empty());
    }

    void errorChannelFailsTheConnection()
    {
        ForwardServer server(std::vector<nlohmann::json>{runningPod("web-a", "5")});
        RestClient client(server.config(), mainThread());
        Seen seen;
        PortForwarder forwarder(client, mainThread(), webOptions(), seen.handler());
        auto port = forwarder.start();
        QVERIFY(port.ok());
        QTRY_COMPARE_WITH_TIMEOUT(seen.state(), PortForwardState::Ready, kWait);
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, *port);
        QVERIFY(socket.waitForConnected(kWait));
        socket.write("fail");
        QTRY_COMPARE_WITH_TIMEOUT(seen.errors.size(), size_t(1), kWait);
        QCOMPARE(seen.errors[0].message(),
                 std::string("error forwarding port 8080 to pod web-a: connection refused"));
        QTRY_COMPARE_WITH_TIMEOUT(socket.state(), QAbstractSocket::UnconnectedState, kWait);
        QVERIFY(forwarder.status().lastError.has_value());
        // The forwarder itself is fine: the next connection works.
        QCOMPARE(seen.state(), PortForwardState::Ready);
        QTcpSocket next;
        next.connectToHost(QHostAddress::LocalHost, *port);
        QVERIFY(next.waitForConnected(kWait));
        QCOMPARE(roundTrip(next, "ok", "web-a:ok"), QByteArray("web-a:ok"));
    }

    void movesToANewPodAfterTheOldOneGoesAway()
    {
        ForwardServer server(std::vector<nlohmann::json>{runningPod("web-a", "5")});
        RestClient client(server.config(), mainThread());
        Seen seen;
        PortForwarder forwarder(client, mainThread(), webOptions(), seen.handler());
        auto port = forwarder.start();
        QVERIFY(port.ok());
        QTRY_COMPARE_WITH_TIMEOUT(seen.state(), PortForwardState::Ready, kWait);
        QTRY_VERIFY_WITH_TIMEOUT(server.watching(), kWait);
        QTcpSocket old;
        old.connectToHost(QHostAddress::LocalHost, *port);
        QVERIFY(old.waitForConnected(kWait));
        QCOMPARE(roundTrip(old, "hi", "web-a:hi"), QByteArray("web-a:hi"));

        server.deletePod("web-a", "11");
        QTRY_COMPARE_WITH_TIMEOUT(seen.state(), PortForwardState::WaitingForPod, kWait);
        // The connection to the old pod ends with it.
        QTRY_COMPARE_WITH_TIMEOUT(old.state(), QAbstractSocket::UnconnectedState, kWait);
        // Meanwhile a new local connection is refused and reported.
        QTcpSocket early;
        early.connectToHost(QHostAddress::LocalHost, *port);
        QVERIFY(early.waitForConnected(kWait));
        QTRY_COMPARE_WITH_TIMEOUT(early.state(), QAbstractSocket::UnconnectedState, kWait);
        QTRY_VERIFY_WITH_TIMEOUT(!seen.errors.empty(), kWait);
        QCOMPARE(seen.errors.back().code(), util::Error::Code::ServiceUnavailable);

        server.addPod("web-b", "12");
        QTRY_COMPARE_WITH_TIMEOUT(seen.state(), PortForwardState::Ready, kWait);
        QCOMPARE(seen.pod(), std::string("web-b"));
        QTcpSocket fresh;
        fresh.connectToHost(QHostAddress::LocalHost, *port);
        QVERIFY(fresh.waitForConnected(kWait));
        QCOMPARE(roundTrip(fresh, "hi", "web-b:hi"), QByteArray("web-b:hi"));
        QCOMPARE(server.forwardPaths().last(),
                 QByteArray("/api/v1/namespaces/ns/pods/web-b/portforward?ports=8080"));
    }

    void namedPodIsFollowedByName()
    {
        ForwardServer server(
            std::vector<nlohmann::json>{runningPod("web-a", "5"), runningPod("web-b", "6")});
        RestClient client(server.config(), mainThread());
        Seen seen;
        PortForwardOptions options = webOptions();
        options.labelSelector.clear();
        options.podName = "web-b";
        PortForwarder forwarder(client, mainThread(), options, seen.handler());
        auto port = forwarder.start();
        QVERIFY(port.ok());
        QTRY_COMPARE_WITH_TIMEOUT(seen.state(), PortForwardState::Ready, kWait);
        QCOMPARE(seen.pod(), std::string("web-b"));
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, *port);
        QVERIFY(socket.waitForConnected(kWait));
        QCOMPARE(roundTrip(socket, "hi", "web-b:hi"), QByteArray("web-b:hi"));
    }

    void refusedUpgradeIsReportedWithTheServersMessage()
    {
        ForwardServer server(std::vector<nlohmann::json>{runningPod("gone", "5")});
        RestClient client(server.config(), mainThread());
        Seen seen;
        PortForwardOptions options = webOptions();
        options.labelSelector.clear();
        options.podName = "gone";
        PortForwarder forwarder(client, mainThread(), options, seen.handler());
        auto port = forwarder.start();
        QVERIFY(port.ok());
        QTRY_COMPARE_WITH_TIMEOUT(seen.state(), PortForwardState::Ready, kWait);
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, *port);
        QVERIFY(socket.waitForConnected(kWait));
        QTRY_COMPARE_WITH_TIMEOUT(seen.errors.size(), size_t(1), kWait);
        QCOMPARE(seen.errors[0].code(), util::Error::Code::NotFound);
        QCOMPARE(seen.errors[0].message(), std::string("pods \"gone\" not found"));
        QTRY_COMPARE_WITH_TIMEOUT(socket.state(), QAbstractSocket::UnconnectedState, kWait);
    }

    void busyLocalPortFails()
    {
        ForwardServer server(std::vector<nlohmann::json>{runningPod("web-a", "5")});
        RestClient client(server.config(), mainThread());
        Seen first;
        PortForwarder forwarder(client, mainThread(), webOptions(), first.handler());
        auto port = forwarder.start();
        QVERIFY(port.ok());
        PortForwardOptions options = webOptions();
        options.localPort = *port;
        Seen seen;
        PortForwarder clash(client, mainThread(), options, seen.handler());
        auto result = clash.start();
        QVERIFY(!result);
        QCOMPARE(result.error().code(), util::Error::Code::Io);
        QCOMPARE(clash.status().state, PortForwardState::Failed);
    }

    void optionsWithoutTargetAreRejected()
    {
        ForwardServer server(std::vector<nlohmann::json>{});
        RestClient client(server.config(), mainThread());
        PortForwardOptions options = webOptions();
        options.labelSelector.clear();
        PortForwarder forwarder(client, mainThread(), options, {});
        auto result = forwarder.start();
        QVERIFY(!result);
        QCOMPARE(result.error().code(), util::Error::Code::Invalid);
    }

    void noMatchingPodMeansWaiting()
    {
        ForwardServer server(std::vector<nlohmann::json>{});
        RestClient client(server.config(), mainThread());
        Seen seen;
        PortForwarder forwarder(client, mainThread(), webOptions(), seen.handler());
        QVERIFY(forwarder.start().ok());
        QTRY_COMPARE_WITH_TIMEOUT(seen.state(), PortForwardState::WaitingForPod, kWait);
        forwarder.stop();
        QCOMPARE(forwarder.status().state, PortForwardState::Stopped);
    }
};

QTEST_GUILESS_MAIN(TestPortForwarder)
#include "tst_portforwarder.moc"
