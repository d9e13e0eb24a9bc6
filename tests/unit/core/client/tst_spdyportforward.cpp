#include <core/client/portforwarder.h>
#include <core/client/restclient.h>
#include <core/client/spdysession.h>
#include <core/client/spdyupgradeconnection.h>

#include "../streams/podforwardserver.h"

#include <QCoreApplication>
#include <QMutex>
#include <QMutexLocker>
#include <QPointer>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <optional>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace kd::core;
using namespace kd::core::client;
using namespace kd::core::transport;

namespace {

// How the scripted server offers SPDY port-forward.
enum class Mode {
    // kube-apiserver 1.31+: SPDY frames inside a WebSocket (SPDY/3.1+portforward.k8s.io).
    WebSocketTunnel,
    // Before that: the WebSocket upgrade is refused, SPDY/3.1 is reached by POST + Upgrade.
    UpgradeOnly,
};

// What the server saw, read by the test thread.
struct Journal
{
    QMutex mutex;
    std::vector<SpdyHeaders> streams; // every SYN_STREAM's headers, in order
};

// The kubelet's side of one SPDY port-forward connection: replies to every stream, pairs error
// and data streams by requestid, echoes data (the first chunk prefixed with "<pod>:"), answers
// "fail" on the error stream as a kubelet does when nothing listens, and answers the client's
// half-close with "bye" before closing its own side. Server thread only.
class KubeletPeer final : public QObject
{
public:
    KubeletPeer(QObject *parent, QByteArray pod, Journal *journal)
        : QObject(parent)
        , m_pod(std::move(pod))
        , m_journal(journal)
    {}

    std::function<void(const std::string &)> write;
    std::function<void()> abort;

    void onBytes(std::string_view bytes)
    {
        if (!m_session.feed(bytes)) {
            abort();
            return;
        }
        while (auto event = m_session.takeEvent()) {
            const std::uint32_t id = event->streamId;
            switch (event->kind) {
            case SpdyEvent::Kind::StreamOpened: {
                {
                    QMutexLocker lock(&m_journal->mutex);
                    m_journal->streams.push_back(event->headers);
                }
                (void)m_session.reply(id);
                const std::string request = spdyHeader(event->headers, "requestid").value_or("");
                const std::string type = spdyHeader(event->headers, "streamtype").value_or("");
                if (type == "error")
                    m_pairs[request].error = id;
                else if (type == "data")
                    m_pairs[request].data = id;
                m_requestOf[id] = request;
                break;
            }
            case SpdyEvent::Kind::Data: {
                Pair &pair = m_pairs[m_requestOf[id]];
                if (id != pair.data)
                    break;
                if (event->data == "fail") {
                    (void)m_session.sendData(pair.error,
                                             "error forwarding port 8080 to pod "
                                                 + m_pod.toStdString() + ": connection refused",
                                             true);
                    (void)m_session.closeStream(pair.data);
                    break;
                }
                const std::string greeting
                    = pair.greeted ? std::string() : m_pod.toStdString() + ":";
                pair.greeted = true;
                (void)m_session.sendData(id, greeting + event->data);
                break;
            }
            case SpdyEvent::Kind::RemoteClosed: {
                Pair &pair = m_pairs[m_requestOf[id]];
                if (id == pair.data && m_session.isOpen(pair.data)) {
                    (void)m_session.sendData(pair.data, "bye", true);
                    if (m_session.isOpen(pair.error))
                        (void)m_session.closeStream(pair.error);
                }
                break;
            }
            default:
                break;
            }
        }
        if (m_session.hasOutput())
            write(m_session.takeOutput());
    }

private:
    struct Pair
    {
        std::uint32_t error = 0;
        std::uint32_t data = 0;
        bool greeted = false;
    };
    QByteArray m_pod;
    Journal *m_journal;
    SpdySession m_session{SpdyRole::Server};
    std::map<std::string, Pair> m_pairs;
    std::map<std::uint32_t, std::string> m_requestOf;
};

std::optional<nlohmann::json> discoveryDocument(const QByteArray &path)
{
    if (path == "/api")
        return nlohmann::json{{"kind", "APIVersions"},
                              {"versions", {"v1"}},
                              {"serverAddressByClientCIDRs",
                               {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", "127.0.0.1"}}}}};
    if (path == "/apis")
        return nlohmann::json{
            {"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", nlohmann::json::array()}};
    if (path == "/api/v1")
        return nlohmann::json{{"kind", "APIResourceList"},
                              {"groupVersion", "v1"},
                              {"resources",
                               {{{"name", "pods"},
                                 {"singularName", "pod"},
                                 {"namespaced", true},
                                 {"kind", "Pod"},
                                 {"verbs", {"get", "list", "watch"}},
                                 {"shortNames", {"po"}}},
                                {{"name", "pods/portforward"},
                                 {"singularName", ""},
                                 {"namespaced", true},
                                 {"kind", "PodPortForwardOptions"},
                                 {"verbs", {"create", "get"}}}}}};
    return std::nullopt;
}

class SpdyForwardServer
{
public:
    SpdyForwardServer(Mode mode, std::vector<nlohmann::json> pods)
        : m_mode(mode)
        , m_server(
              std::move(pods),
              [this](const TestRequest &r, QTcpSocket *s, QByteArray &rest, const QByteArray &pod) {
                  return forward(r, s, rest, pod);
              },
              [this](const TestRequest &r, QTcpSocket *s) { return route(r, s); })
    {}

    ConnectionConfig config() const { return m_server.config(); }
    // "GET /path", "POST /path"
    QList<QByteArray> requests()
    {
        QList<QByteArray> out;
        for (const TestRequest &request : m_server.forwardRequests())
            out << request.method + " " + request.path;
        return out;
    }
    QList<QByteArray> offeredSubprotocols()
    {
        QList<QByteArray> out;
        for (const TestRequest &request : m_server.forwardRequests()) {
            if (request.method == "GET")
                out << request.header("Sec-WebSocket-Protocol");
        }
        return out;
    }
    std::vector<SpdyHeaders> streams()
    {
        QMutexLocker lock(&m_journal.mutex);
        return m_journal.streams;
    }
    void deletePod(const std::string &name, const std::string &rv) { m_server.deletePod(name, rv); }
    void addPod(const std::string &name, const std::string &rv) { m_server.addPod(name, rv); }
    bool watching() { return m_server.watching(); }

private:
    // What kubectl reads before it forwards: discovery (the legacy form) and the pod.
    bool route(const TestRequest &request, QTcpSocket *socket)
    {
        const QByteArray path = pathOf(request);
        if (const auto document = discoveryDocument(path)) {
            socket->write(httpResponse(200, QByteArray::fromStdString(document->dump()),
                                       {"Content-Type: application/json"}));
            return true;
        }
        if (path.startsWith("/api/v1/namespaces/ns/pods/") && path.count('/') == 6) {
            const std::string name = path.split('/').value(6).toStdString();
            for (const auto &pod : m_server.pods()) {
                if (pod["metadata"]["name"] == name) {
                    socket->write(httpResponse(200, QByteArray::fromStdString(pod.dump()),
                                               {"Content-Type: application/json"}));
                    return true;
                }
            }
        }
        return false;
    }

    bool forward(const TestRequest &request, QTcpSocket *socket, QByteArray &rest,
                 const QByteArray &pod)
    {
        auto *kubelet = new KubeletPeer(socket, pod, &m_journal);
        QPointer<QTcpSocket> guard(socket);
        kubelet->abort = [guard] {
            if (guard)
                guard->abort();
        };
        if (request.method == "GET") {
            const QByteArray protocol = negotiateProtocol(request, {"SPDY/3.1+portforward.k8s.io"});
            if (m_mode == Mode::UpgradeOnly || protocol.isEmpty()) {
                delete kubelet;
                socket->write(httpResponse(
                    400, statusBody(400, "BadRequest", "websocket port-forward is not supported"),
                    {"Content-Type: application/json"}));
                return false;
            }
            WsPeer *peer = acceptWebSocket(request, socket, rest, protocol,
                                           [kubelet](WsPeer &, WebSocketMessage message) {
                                               kubelet->onBytes(message.payload);
                                           });
            QPointer<WsPeer> ws(peer);
            // Message boundaries carry no meaning: split every write inside a frame header.
            kubelet->write = [ws](const std::string &bytes) {
                if (!ws)
                    return;
                const std::size_t cut = std::min<std::size_t>(5, bytes.size());
                ws->sendBinary(std::string_view(bytes).substr(0, cut));
                if (cut < bytes.size())
                    ws->sendBinary(std::string_view(bytes).substr(cut));
            };
            return true;
        }
        if (request.method != "POST" || request.header("Upgrade") != "SPDY/3.1"
            || request.header("X-Stream-Protocol-Version") != "portforward.k8s.io") {
            delete kubelet;
            socket->write(httpResponse(400, statusBody(400, "BadRequest", "bad upgrade")));
            return false;
        }
        socket->write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                      "Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n");
        kubelet->write = [guard](const std::string &bytes) {
            if (guard)
                guard->write(bytes.data(), qint64(bytes.size()));
        };
        QObject::connect(socket, &QTcpSocket::readyRead, kubelet,
                         [kubelet, socket] { kubelet->onBytes(socket->readAll().toStdString()); });
        if (!rest.isEmpty()) {
            const std::string initial = rest.toStdString();
            rest.clear();
            QMetaObject::invokeMethod(
                kubelet, [kubelet, initial] { kubelet->onBytes(initial); }, Qt::QueuedConnection);
        }
        return true;
    }

    Mode m_mode;
    Journal m_journal;
    // Last: its server thread stops before the journal the kubelets write goes away.
    PodForwardServer m_server;
};

void addModes()
{
    QTest::addColumn<int>("mode");
    QTest::newRow("spdy in websocket") << int(Mode::WebSocketTunnel);
    QTest::newRow("spdy upgrade") << int(Mode::UpgradeOnly);
}

} // namespace

class TestSpdyPortForward final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // The raw upgrade on its own: the request kubectl 1.27 sends, bytes both ways after the 101,
    // and a 101 that switches to something else is refused.
    void upgradeConnectionCarriesRawBytes_data()
    {
        QTest::addColumn<QByteArray>("upgradeHeader");
        QTest::addColumn<bool>("works");
        QTest::newRow("spdy") << QByteArray("SPDY/3.1") << true;
        QTest::newRow("wrong protocol") << QByteArray("websocket") << false;
    }
    void upgradeConnectionCarriesRawBytes()
    {
        QFETCH(QByteArray, upgradeHeader);
        QFETCH(bool, works);
        QMutex mutex;
        TestRequest seenRequest;
        TestServer server([&](const TestRequest &request, QTcpSocket *socket, QByteArray &) {
            {
                QMutexLocker lock(&mutex);
                seenRequest = request;
            }
            socket->write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: "
                          + upgradeHeader
                          + "\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\nhi");
            // Echo everything after the upgrade, upper-cased; "end" closes.
            QObject::connect(socket, &QTcpSocket::readyRead, socket, [socket] {
                const QByteArray data = socket->readAll();
                socket->write(data.toUpper());
                if (data.contains("end"))
                    socket->disconnectFromHost();
            });
            return true;
        });
        ConnectionConfig config;
        config.baseUrl = "http://127.0.0.1:" + std::to_string(server.port());
        std::string protocol;
        std::string received;
        std::optional<util::Result<void>> closed;
        SpdyUpgradeHandler handler;
        handler.opened = [&](const std::string &p) { protocol = p; };
        handler.data = [&](std::string bytes) { received += bytes; };
        handler.closed = [&](util::Result<void> result) { closed = result; };
        HttpRequest request;
        request.path = "/api/v1/namespaces/ns/pods/p/portforward";
        SpdyUpgradeOptions options;
        options.streamProtocols = {"portforward.k8s.io"};
        SpdyUpgradeConnection connection(config, mainThread(), request, options, handler);
        connection.send("abc");
        if (!works) {
            QTRY_VERIFY_WITH_TIMEOUT(closed.has_value(), kWait);
            QVERIFY(!*closed);
            QCOMPARE(closed->error().code(), util::Error::Code::Transport);
            QVERIFY(protocol.empty());
            return;
        }
        QTRY_COMPARE_WITH_TIMEOUT(received, std::string("hiABC"), kWait);
        QCOMPARE(protocol, std::string("portforward.k8s.io"));
        {
            QMutexLocker lock(&mutex);
            QCOMPARE(seenRequest.method, QByteArray("POST"));
            QCOMPARE(seenRequest.header("Upgrade"), QByteArray("SPDY/3.1"));
            QCOMPARE(seenRequest.header("Connection"), QByteArray("Upgrade"));
            QCOMPARE(seenRequest.header("X-Stream-Protocol-Version"),
                     QByteArray("portforward.k8s.io"));
        }
        connection.send("end");
        QTRY_VERIFY_WITH_TIMEOUT(closed.has_value(), kWait);
        QVERIFY(closed->ok());
        QCOMPARE(received, std::string("hiABCEND"));
    }

    void concurrentConnectionsCarryDataBothWays_data() { addModes(); }
    void concurrentConnectionsCarryDataBothWays()
    {
        QFETCH(int, mode);
        SpdyForwardServer server(Mode(mode), std::vector<nlohmann::json>{runningPod("web-a", "5")});
        RestClient client(server.config(), mainThread());
        Seen seen;
        PortForwarder forwarder(client, mainThread(), webOptions(), seen.handler());
        auto port = forwarder.start();
        QVERIFY(port.ok());
        QTRY_COMPARE_WITH_TIMEOUT(seen.state(), PortForwardState::Ready, kWait);

        QTcpSocket first;
        first.connectToHost(QHostAddress::LocalHost, *port);
        QVERIFY(first.waitForConnected(kWait));
        QCOMPARE(roundTrip(first, "one", "web-a:one"), QByteArray("web-a:one"));
        QTcpSocket second;
        QTcpSocket third;
        second.connectToHost(QHostAddress::LocalHost, *port);
        third.connectToHost(QHostAddress::LocalHost, *port);
        QVERIFY(second.waitForConnected(kWait));
        QVERIFY(third.waitForConnected(kWait));
        QCOMPARE(roundTrip(second, "two", "web-a:two"), QByteArray("web-a:two"));
        QCOMPARE(roundTrip(third, "three", "web-a:three"), QByteArray("web-a:three"));
        // Larger than one SPDY frame's worth of reads, and intact.
        QByteArray big(300000, '\0');
        for (qsizetype i = 0; i < big.size(); ++i)
            big[i] = char(i * 7);
        QCOMPARE(roundTrip(first, big, big), big);
        QCOMPARE(roundTrip(third, "again", "again"), QByteArray("again"));
        QTRY_COMPARE_WITH_TIMEOUT(forwarder.status().activeConnections, 3, kWait);
        QVERIFY(seen.errors.empty());

        // Per connection an error stream, then a data stream, paired by requestid.
        const auto streams = server.streams();
        QCOMPARE(streams.size(), std::size_t(6));
        QVERIFY(streams[0]
                == (SpdyHeaders{{"streamtype", "error"}, {"port", "8080"}, {"requestid", "0"}}));
        QVERIFY(streams[1]
                == (SpdyHeaders{{"streamtype", "data"}, {"port", "8080"}, {"requestid", "0"}}));
        QCOMPARE(spdyHeader(streams[2], "requestid"), spdyHeader(streams[3], "requestid"));
        QVERIFY(spdyHeader(streams[2], "requestid") != spdyHeader(streams[4], "requestid"));

        const QList<QByteArray> requests = server.requests();
        const QByteArray path = "/api/v1/namespaces/ns/pods/web-a/portforward?ports=8080";
        if (Mode(mode) == Mode::WebSocketTunnel) {
            QCOMPARE(requests, QList<QByteArray>(3, "GET " + path));
            QCOMPARE(server.offeredSubprotocols().value(0),
                     QByteArray("SPDY/3.1+portforward.k8s.io, v4.channel.k8s.io"));
        } else {
            // The refused WebSocket is tried once; later connections go straight to SPDY.
            QCOMPARE(requests, (QList<QByteArray>{"GET " + path, "POST " + path, "POST " + path,
                                                  "POST " + path}));
        }
        first.disconnectFromHost();
        QTRY_COMPARE_WITH_TIMEOUT(forwarder.status().activeConnections, 2, kWait);
    }

    void halfCloseKeepsTheAnswerComing_data() { addModes(); }
    void halfCloseKeepsTheAnswerComing()
    {
        QFETCH(int, mode);
        SpdyForwardServer server(Mode(mode), std::vector<nlohmann::json>{runningPod("web-a", "5")});
        RestClient client(server.config(), mainThread());
        Seen seen;
        PortForwarder forwarder(client, mainThread(), webOptions(), seen.handler());
        auto port = forwarder.start();
        QVERIFY(port.ok());
        QTRY_COMPARE_WITH_TIMEOUT(seen.state(), PortForwardState::Ready, kWait);

        // A client that sends its request and shuts down its sending side, as `nc -N` does.
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        QVERIFY(fd >= 0);
        timeval timeout{kWait / 1000, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(*port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        QCOMPARE(::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address), 0);
        QCOMPARE(::write(fd, "request", 7), ssize_t(7));
        QCOMPARE(::shutdown(fd, SHUT_WR), 0);
        std::string received;
        char buffer[256];
        while (true) {
            const ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n <= 0)
                break;
            received.append(buffer, size_t(n));
        }
        ::close(fd);
        // The answer after our FIN arrived, then the end of the stream.
        QCOMPARE(received, std::string("web-a:requestbye"));
        QTRY_COMPARE_WITH_TIMEOUT(forwarder.status().activeConnections, 0, kWait);
        QVERIFY(seen.errors.empty());
    }

    void errorStreamTextFailsTheConnection_data() { addModes(); }
    void errorStreamTextFailsTheConnection()
    {
        QFETCH(int, mode);
        SpdyForwardServer server(Mode(mode), std::vector<nlohmann::json>{runningPod("web-a", "5")});
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
        QCOMPARE(seen.state(), PortForwardState::Ready);
        QTcpSocket next;
        next.connectToHost(QHostAddress::LocalHost, *port);
        QVERIFY(next.waitForConnected(kWait));
        QCOMPARE(roundTrip(next, "ok", "web-a:ok"), QByteArray("web-a:ok"));
        QCOMPARE(seen.errors.size(), size_t(1));
    }

    void refusedEverywhereIsReportedOnce_data() { addModes(); }
    void refusedEverywhereIsReportedOnce()
    {
        QFETCH(int, mode);
        SpdyForwardServer server(Mode(mode), std::vector<nlohmann::json>{runningPod("gone", "5")});
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
        QTRY_COMPARE_WITH_TIMEOUT(socket.state(), QAbstractSocket::UnconnectedState, kWait);
        QTRY_COMPARE_WITH_TIMEOUT(seen.errors.size(), size_t(1), kWait);
        QCOMPARE(seen.errors[0].code(), util::Error::Code::NotFound);
        QCOMPARE(seen.errors[0].message(), std::string("pods \"gone\" not found"));
        // The WebSocket and then the SPDY upgrade were both tried.
        const QByteArray path = "/api/v1/namespaces/ns/pods/gone/portforward?ports=8080";
        QCOMPARE(server.requests(), (QList<QByteArray>{"GET " + path, "POST " + path}));
    }

    // Our server-role session against a real SPDY client: kubectl 1.27 (SPDY/3.1 upgrade),
    // 1.33 (SPDY inside a WebSocket, or the upgrade when the server refuses the WebSocket).
    void realKubectlForwardsThroughOurSpdySession_data()
    {
        QTest::addColumn<QString>("version");
        QTest::addColumn<int>("mode");
        QTest::addColumn<QByteArray>("method");
        QTest::newRow("1.27") << "1.27" << int(Mode::WebSocketTunnel) << QByteArray("POST");
        QTest::newRow("1.33 websocket")
            << "1.33" << int(Mode::WebSocketTunnel) << QByteArray("GET");
        QTest::newRow("1.33 fallback") << "1.33" << int(Mode::UpgradeOnly) << QByteArray("POST");
    }
    void realKubectlForwardsThroughOurSpdySession()
    {
        QFETCH(QString, version);
        QFETCH(int, mode);
        QFETCH(QByteArray, method);
        const QString kubectl = "/usr/lib/google-cloud-sdk/bin/kubectl." + version;
        // installer/install-deps.sh installs every versioned kubectl: a missing one is a failure.
        QVERIFY2(QFile::exists(kubectl), qPrintable(kubectl + " is not installed"));
        SpdyForwardServer server(Mode(mode), std::vector<nlohmann::json>{runningPod("web-a", "5")});
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const nlohmann::json kubeconfig
            = {{"apiVersion", "v1"},
               {"kind", "Config"},
               {"clusters", {{{"name", "c"}, {"cluster", {{"server", server.config().baseUrl}}}}}},
               {"users", {{{"name", "u"}, {"user", nlohmann::json::object()}}}},
               {"contexts",
                {{{"name", "x"},
                  {"context", {{"cluster", "c"}, {"user", "u"}, {"namespace", "ns"}}}}}},
               {"current-context", "x"}};
        QFile file(dir.filePath("kubeconfig"));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray::fromStdString(kubeconfig.dump())); // JSON is YAML
        file.close();

        QProcess process;
        process.setProcessChannelMode(QProcess::MergedChannels);
        process.start(kubectl, {"--kubeconfig", file.fileName(), "--cache-dir",
                                dir.filePath("cache"), "port-forward", "pod/web-a", ":8080"});
        QVERIFY(process.waitForStarted(kWait));
        QByteArray output;
        const QRegularExpression forwarding("Forwarding from 127\\.0\\.0\\.1:(\\d+)");
        QRegularExpressionMatch match;
        QDeadlineTimer deadline(30000);
        while (!deadline.hasExpired() && !match.hasMatch()
               && process.state() == QProcess::Running) {
            process.waitForReadyRead(200);
            output += process.readAll();
            match = forwarding.match(QString::fromUtf8(output));
        }
        QVERIFY2(match.hasMatch(), output.constData());
        const quint16 port = match.captured(1).toUShort();

        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(socket.waitForConnected(kWait));
        QCOMPARE(roundTrip(socket, "hello", "web-a:hello"), QByteArray("web-a:hello"));
        const QByteArray big(100000, 'k');
        QCOMPARE(roundTrip(socket, big, big), big);

        // kubectl's streams: error, then data, with the headers the wire spec names.
        auto streams = server.streams();
        QCOMPARE(streams.size(), std::size_t(2));
        for (auto &headers : streams)
            std::sort(headers.begin(), headers.end());
        QVERIFY(streams[0]
                == (SpdyHeaders{{"port", "8080"}, {"requestid", "0"}, {"streamtype", "error"}}));
        QVERIFY(streams[1]
                == (SpdyHeaders{{"port", "8080"}, {"requestid", "0"}, {"streamtype", "data"}}));
        const QList<QByteArray> requests = server.requests();
        QVERIFY(!requests.isEmpty());
        QVERIFY2(
            requests.last().startsWith(method + " /api/v1/namespaces/ns/pods/web-a/portforward"),
            requests.last().constData());
        socket.disconnectFromHost();
        process.terminate();
        QVERIFY(process.waitForFinished(kWait));
    }

    void movesToANewPodAfterTheOldOneGoesAway_data() { addModes(); }
    void movesToANewPodAfterTheOldOneGoesAway()
    {
        QFETCH(int, mode);
        SpdyForwardServer server(Mode(mode), std::vector<nlohmann::json>{runningPod("web-a", "5")});
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
        QTRY_COMPARE_WITH_TIMEOUT(old.state(), QAbstractSocket::UnconnectedState, kWait);

        server.addPod("web-b", "12");
        QTRY_COMPARE_WITH_TIMEOUT(seen.state(), PortForwardState::Ready, kWait);
        QCOMPARE(seen.pod(), std::string("web-b"));
        QTcpSocket fresh;
        fresh.connectToHost(QHostAddress::LocalHost, *port);
        QVERIFY(fresh.waitForConnected(kWait));
        QCOMPARE(roundTrip(fresh, "hi", "web-b:hi"), QByteArray("web-b:hi"));
        QVERIFY(server.requests().last().endsWith(
            "/api/v1/namespaces/ns/pods/web-b/portforward?ports=8080"));
        QTRY_COMPARE_WITH_TIMEOUT(forwarder.status().activeConnections, 1, kWait);
    }
};

QTEST_GUILESS_MAIN(TestSpdyPortForward)
#include "tst_spdyportforward.moc"
