#include <core/client/channelprotocol.h>
#include <core/client/portforwarder.h>
#include <core/client/restclient.h>

#include "podforwardserver.h"

#include <QTest>

#include <nlohmann/json.hpp>

using namespace kd::core;
using namespace kd::core::client;
using namespace kd::core::transport;

namespace {

// The WebSocket port-forward of every pod: each port's channels start with the port, data is
// echoed, the first data of a connection prefixed with "<pod>:", and "fail" answers on the error
// channel as a kubelet does when nothing listens in the pod.
bool forwardWebSocket(const TestRequest &request, QTcpSocket *socket, QByteArray &rest,
                      const QByteArray &pod)
{
    const quint16 port = queryOf(request).queryItemValue("ports").toUShort();
    const std::string prefix{char(port & 0xff), char(port >> 8)};
    WsPeer *peer = acceptWebSocket(
        request, socket, rest, negotiateProtocol(request, {"v4.channel.k8s.io"}),
        [pod, prefix, port, greeted = false](WsPeer &p, WebSocketMessage message) mutable {
            auto frame = decodeChannelFrame(message.payload);
            if (!frame || frame->channel != 0)
                return;
            if (frame->payload == "fail") {
                p.sendBinary(encodeChannelFrame(1, "error forwarding port " + std::to_string(port)
                                                       + " to pod " + pod.toStdString()
                                                       + ": connection refused"));
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
    return true;
}

QList<QByteArray> forwardPaths(PodForwardServer &server)
{
    QList<QByteArray> paths;
    for (const TestRequest &request : server.forwardRequests())
        paths << request.path;
    return paths;
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
        PodForwardServer server(std::vector<nlohmann::json>{runningPod("web-a", "5")},
                                forwardWebSocket);
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
        QCOMPARE(forwardPaths(server).size(), qsizetype(2));
        QCOMPARE(forwardPaths(server)[0],
                 QByteArray("/api/v1/namespaces/ns/pods/web-a/portforward?ports=8080"));
        first.disconnectFromHost();
        QTRY_COMPARE_WITH_TIMEOUT(forwarder.status().activeConnections, 1, kWait);
        QVERIFY(seen.errors.empty());
    }

    void errorChannelFailsTheConnection()
    {
        PodForwardServer server(std::vector<nlohmann::json>{runningPod("web-a", "5")},
                                forwardWebSocket);
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
        PodForwardServer server(std::vector<nlohmann::json>{runningPod("web-a", "5")},
                                forwardWebSocket);
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
        QCOMPARE(forwardPaths(server).last(),
                 QByteArray("/api/v1/namespaces/ns/pods/web-b/portforward?ports=8080"));
    }

    void namedPodIsFollowedByName()
    {
        PodForwardServer server(
            std::vector<nlohmann::json>{runningPod("web-a", "5"), runningPod("web-b", "6")},
            forwardWebSocket);
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
        PodForwardServer server(std::vector<nlohmann::json>{runningPod("gone", "5")},
                                forwardWebSocket);
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
        PodForwardServer server(std::vector<nlohmann::json>{runningPod("web-a", "5")},
                                forwardWebSocket);
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
        PodForwardServer server(std::vector<nlohmann::json>{}, forwardWebSocket);
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
        PodForwardServer server(std::vector<nlohmann::json>{}, forwardWebSocket);
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
