#include <core/transport/websocket.h>

#include "testserver.h"

#include <QFile>
#include <QProcess>
#include <QSslCertificate>
#include <QSslKey>
#include <QTemporaryDir>
#include <QTest>

#include <mutex>

using namespace kd::core;
using namespace kd::core::transport;
using namespace std::chrono_literals;

namespace {

// What the scripted server observed, read by the test thread.
struct ServerLog
{
    std::mutex mutex;
    std::vector<std::string> pongs;
    int pings = 0;
    std::vector<int> closeCodes;
    QByteArray offeredProtocols;
    QByteArray peerCommonName;

    template<typename F>
    auto read(F f)
    {
        std::lock_guard lock(mutex);
        return f(*this);
    }
};

// The server side of RFC 6455, scripted by the text messages the client sends.
class WsServerSession : public QObject
{
public:
    WsServerSession(QTcpSocket *socket, ServerLog &log, QByteArray initial)
        : QObject(socket)
        , m_socket(socket)
        , m_log(log)
    {
        connect(socket, &QTcpSocket::readyRead, this, [this] { onBytes(m_socket->readAll()); });
        if (!initial.isEmpty())
            onBytes(initial);
    }

private:
    void send(WebSocketOpcode opcode, std::string_view payload, bool fin = true)
    {
        const std::string frame = WebSocketCodec::encodeFrame(opcode, payload, fin, std::nullopt);
        m_socket->write(frame.data(), qint64(frame.size()));
    }

    void onBytes(const QByteArray &bytes)
    {
        if (!m_codec.feed(std::string_view(bytes.constData(), size_t(bytes.size())))) {
            std::lock_guard lock(m_log.mutex);
            m_log.closeCodes.push_back(-int(m_codec.failureCloseCode()));
            m_socket->abort();
            return;
        }
        while (auto message = m_codec.takeMessage()) {
            switch (message->opcode) {
            case WebSocketOpcode::Ping: {
                std::lock_guard lock(m_log.mutex);
                ++m_log.pings;
                send(WebSocketOpcode::Pong, message->payload);
                break;
            }
            case WebSocketOpcode::Pong: {
                std::lock_guard lock(m_log.mutex);
                m_log.pongs.push_back(message->payload);
                break;
            }
            case WebSocketOpcode::Close: {
                auto close = WebSocketCodec::decodeClosePayload(message->payload);
                {
                    std::lock_guard lock(m_log.mutex);
                    m_log.closeCodes.push_back(close ? close->code : -1);
                }
                if (!m_closeSent)
                    send(WebSocketOpcode::Close, message->payload.substr(0, 2));
                m_socket->flush();
                m_socket->disconnectFromHost();
                return;
            }
            case WebSocketOpcode::Text:
                if (message->payload == "send-ping") {
                    send(WebSocketOpcode::Ping, "srv");
                } else if (message->payload == "close-me") {
                    m_closeSent = true;
                    send(WebSocketOpcode::Close, WebSocketCodec::encodeClosePayload(4001, "bye"));
                } else if (message->payload == "fragmented") {
                    send(WebSocketOpcode::Text, "frag", false);
                    send(WebSocketOpcode::Ping, "between");
                    send(WebSocketOpcode::Continuation, "men", false);
                    send(WebSocketOpcode::Continuation, "ted", true);
                } else if (message->payload == "bad-frame") {
                    const std::string masked = WebSocketCodec::encodeFrame(
                        WebSocketOpcode::Text, "x", true, std::array<uint8_t, 4>{1, 2, 3, 4});
                    m_socket->write(masked.data(), qint64(masked.size()));
                } else if (message->payload == "drop") {
                    m_socket->abort();
                    return;
                } else {
                    send(WebSocketOpcode::Text, message->payload);
                }
                break;
            default:
                send(message->opcode, message->payload);
            }
        }
    }

    QTcpSocket *m_socket;
    ServerLog &m_log;
    WebSocketCodec m_codec{WebSocketCodec::Role::Server};
    bool m_closeSent = false;
};

bool handle(const TestRequest &request, QTcpSocket *socket, QByteArray &rest, ServerLog &log)
{
    if (request.path == "/forbidden") {
        socket->write(httpResponse(403, R"({"kind":"Status","reason":"Forbidden","code":403})",
                                   {"Content-Type: application/json"}));
        return false;
    }
    const QByteArray key = request.header("Sec-WebSocket-Key");
    if (request.header("Upgrade").toLower() != "websocket" || key.isEmpty()) {
        socket->write(httpResponse(400, "not a websocket request"));
        return false;
    }
    QByteArray accept = QByteArray::fromStdString(webSocketAccept(key.toStdString()));
    if (request.path == "/bad-accept")
        accept = "AAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    // The server supports only v4 and channel.k8s.io, so offering v5 first negotiates v4.
    const QList<QByteArray> offered = request.header("Sec-WebSocket-Protocol").split(',');
    QByteArray chosen;
    for (const QByteArray &supported :
         {QByteArray("v4.channel.k8s.io"), QByteArray("channel.k8s.io")}) {
        for (const QByteArray &offer : offered) {
            if (chosen.isEmpty() && offer.trimmed() == supported)
                chosen = supported;
        }
    }
    if (request.path == "/wrong-protocol")
        chosen = "v99.example";
    {
        std::lock_guard lock(log.mutex);
        log.offeredProtocols = request.header("Sec-WebSocket-Protocol");
        log.peerCommonName = request.peerCommonName;
    }
    QByteArray response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Accept: "
                          + accept + "\r\n";
    if (!chosen.isEmpty())
        response += "Sec-WebSocket-Protocol: " + chosen + "\r\n";
    response += "\r\n";
    // A server may send its first frame in the same packet as the handshake.
    if (request.path == "/greeting")
        response += QByteArray::fromStdString(
            WebSocketCodec::encodeFrame(WebSocketOpcode::Text, "welcome", true, std::nullopt));
    socket->write(response);
    new WsServerSession(socket, log, rest);
    rest.clear();
    return true;
}

// Client-side events, collected from the WebSocket's thread (inline executor).
struct Events
{
    std::mutex mutex;
    std::optional<std::string> opened;
    std::vector<WebSocketMessage> messages;
    std::vector<util::Result<WebSocketClose>> closed;

    WebSocketHandler handler()
    {
        return {[this](const std::string &protocol) {
                    std::lock_guard lock(mutex);
                    opened = protocol;
                },
                [this](WebSocketMessage message) {
                    std::lock_guard lock(mutex);
                    messages.push_back(std::move(message));
                },
                [this](util::Result<WebSocketClose> result) {
                    std::lock_guard lock(mutex);
                    closed.push_back(std::move(result));
                }};
    }
    bool isOpen()
    {
        std::lock_guard lock(mutex);
        return opened.has_value();
    }
    size_t messageCount()
    {
        std::lock_guard lock(mutex);
        return messages.size();
    }
    size_t closedCount()
    {
        std::lock_guard lock(mutex);
        return closed.size();
    }
};

Executor inlineExecutor()
{
    return [](std::function<void()> fn) { fn(); };
}

} // namespace

class tst_WebSocket : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void overTlsWithClientCertificate();
    void echoTextAndBinaryWithSubprotocol();
    void frameInSameReadAsHandshake();
    void fragmentedMessageFromServer();
    void answersServerPing();
    void sendsKeepAlivePings();
    void clientInitiatedClose();
    void serverInitiatedClose();
    void protocolViolationClosesWith1002();
    void droppedConnectionIsError();
    void refusedUpgradeKeepsStatus();
    void badAcceptRejected();
    void unofferedSubprotocolRejected();
    void destroyWhileOpenIsQuiet();

private:
    QTemporaryDir m_pki;
    bool m_pkiOk = false;
    std::unique_ptr<TestServer> m_server;
    std::unique_ptr<ServerLog> m_log;

    ConnectionConfig config() const
    {
        ConnectionConfig c;
        c.baseUrl = "http://127.0.0.1:" + std::to_string(m_server->port());
        return c;
    }
    std::unique_ptr<WebSocket> open(const std::string &path, Events &events,
                                    WebSocketOptions options = {})
    {
        if (options.subprotocols.empty())
            options.subprotocols = {"v5.channel.k8s.io", "v4.channel.k8s.io", "channel.k8s.io"};
        HttpRequest request;
        request.path = path;
        return std::make_unique<WebSocket>(config(), inlineExecutor(), request, options,
                                           events.handler());
    }
};

void tst_WebSocket::initTestCase()
{
    QVERIFY(m_pki.isValid());
    const QStringList script = {
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout ca.key -out "
        "ca.crt",
        "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout server.key -out "
        "server.csr",
        "printf 'subjectAltName=DNS:localhost\\n' > server.ext",
        "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 "
        "-extfile server.ext -out server.crt",
        "openssl req -newkey rsa:2048 -nodes -subj /CN=alice -keyout client.key -out client.csr",
        "openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out "
        "client.crt",
    };
    for (const QString &step : script) {
        QProcess process;
        process.setWorkingDirectory(m_pki.path());
        process.start("sh", {"-c", step});
        QVERIFY(process.waitForFinished(60000));
        QVERIFY2(process.exitCode() == 0, qPrintable(step + ": " + process.readAllStandardError()));
    }
    m_pkiOk = true;
}

void tst_WebSocket::overTlsWithClientCertificate()
{
    QVERIFY(m_pkiOk);
    auto readAll = [&](const char *name) {
        QFile file(m_pki.filePath(name));
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    };
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setLocalCertificate(QSslCertificate(readAll("server.crt")));
    tls.setPrivateKey(QSslKey(readAll("server.key"), QSsl::Rsa));
    tls.setCaCertificates(QSslCertificate::fromData(readAll("ca.crt")));
    tls.setPeerVerifyMode(QSslSocket::VerifyPeer);
    ServerLog *log = m_log.get();
    TestServer server([log](const TestRequest &request, QTcpSocket *socket,
                            QByteArray &rest) { return handle(request, socket, rest, *log); },
                      tls);

    ConnectionConfig config;
    config.baseUrl = "https://localhost:" + std::to_string(server.port());
    config.tls.caPem = readAll("ca.crt").toStdString();
    config.tls.clientCertPem = readAll("client.crt").toStdString();
    config.tls.clientKeyPem = readAll("client.key").toStdString();
    Events events;
    HttpRequest request;
    request.path = "/api/v1/namespaces/default/pods/p/attach";
    WebSocketOptions options;
    options.subprotocols = {"v4.channel.k8s.io"};
    WebSocket ws(config, inlineExecutor(), request, options, events.handler());
    ws.sendText("over tls"); // queued before the upgrade completes
    QVERIFY(QTest::qWaitFor([&] { return events.messageCount() == 1; }, 10000));
    QCOMPARE(*events.opened, std::string("v4.channel.k8s.io"));
    QCOMPARE(events.messages[0].payload, std::string("over tls"));
    QCOMPARE(m_log->read([](ServerLog &l) { return l.peerCommonName; }), QByteArray("alice"));
    ws.close();
    QVERIFY(QTest::qWaitFor([&] { return events.closedCount() == 1; }, 10000));
    std::lock_guard lock(events.mutex);
    QVERIFY(events.closed[0].ok());
}

void tst_WebSocket::init()
{
    m_server.reset();
    m_log = std::make_unique<ServerLog>();
    ServerLog *log = m_log.get();
    m_server = std::make_unique<TestServer>(
        [log](const TestRequest &request, QTcpSocket *socket, QByteArray &rest) {
            return handle(request, socket, rest, *log);
        });
}

void tst_WebSocket::echoTextAndBinaryWithSubprotocol()
{
    Events events;
    auto ws = open("/api/v1/namespaces/default/pods/p/exec?command=sh&stdin=true", events);
    QVERIFY(QTest::qWaitFor([&] { return events.isOpen(); }, 10000));
    QCOMPARE(*events.opened, std::string("v4.channel.k8s.io"));
    QCOMPARE(m_log->read([](ServerLog &l) { return l.offeredProtocols; }),
             QByteArray("v5.channel.k8s.io, v4.channel.k8s.io, channel.k8s.io"));

    ws->sendText("hello");
    std::string binary("\x00\x01\xff\x7f", 4);
    binary += std::string(70000, 'z'); // 64-bit length on the wire
    ws->sendBinary(binary);
    QVERIFY(QTest::qWaitFor([&] { return events.messageCount() == 2; }, 10000));
    std::lock_guard lock(events.mutex);
    QCOMPARE(events.messages[0], (WebSocketMessage{WebSocketOpcode::Text, "hello"}));
    QCOMPARE(events.messages[1], (WebSocketMessage{WebSocketOpcode::Binary, binary}));
    QCOMPARE(events.closed.size(), size_t(0));
}

void tst_WebSocket::frameInSameReadAsHandshake()
{
    Events events;
    auto ws = open("/greeting", events);
    QVERIFY(QTest::qWaitFor([&] { return events.messageCount() == 1; }, 10000));
    std::lock_guard lock(events.mutex);
    QCOMPARE(events.messages[0].payload, std::string("welcome"));
}

void tst_WebSocket::fragmentedMessageFromServer()
{
    Events events;
    auto ws = open("/x", events);
    ws->sendText("fragmented");
    QVERIFY(QTest::qWaitFor([&] { return events.messageCount() == 1; }, 10000));
    std::lock_guard lock(events.mutex);
    QCOMPARE(events.messages[0], (WebSocketMessage{WebSocketOpcode::Text, "fragmented"}));
    // The ping between the fragments was answered, not surfaced.
    QCOMPARE(m_log->read([](ServerLog &l) { return l.pongs; }),
             std::vector<std::string>{"between"});
}

void tst_WebSocket::answersServerPing()
{
    Events events;
    auto ws = open("/x", events);
    ws->sendText("send-ping");
    QVERIFY(QTest::qWaitFor(
        [&] { return m_log->read([](ServerLog &l) { return l.pongs.size(); }) == 1; }, 10000));
    QCOMPARE(m_log->read([](ServerLog &l) { return l.pongs[0]; }), std::string("srv"));
    QCOMPARE(events.messageCount(), size_t(0));
}

void tst_WebSocket::sendsKeepAlivePings()
{
    Events events;
    WebSocketOptions options;
    options.pingInterval = 100ms;
    auto ws = open("/x", events, options);
    QVERIFY(QTest::qWaitFor([&] { return m_log->read([](ServerLog &l) { return l.pings; }) >= 2; },
                            10000));
    ws->ping("manual");
    QVERIFY(QTest::qWaitFor([&] { return m_log->read([](ServerLog &l) { return l.pings; }) >= 3; },
                            10000));
}

void tst_WebSocket::clientInitiatedClose()
{
    Events events;
    auto ws = open("/x", events);
    QVERIFY(QTest::qWaitFor([&] { return events.isOpen(); }, 10000));
    ws->close(WebSocketCloseCode::Normal, "done");
    QVERIFY(QTest::qWaitFor([&] { return events.closedCount() == 1; }, 10000));
    std::lock_guard lock(events.mutex);
    QVERIFY(events.closed[0].ok());
    QCOMPARE(int(events.closed[0]->code), 1000);
    QCOMPARE(m_log->read([](ServerLog &l) { return l.closeCodes; }), std::vector<int>{1000});
}

void tst_WebSocket::serverInitiatedClose()
{
    Events events;
    auto ws = open("/x", events);
    ws->sendText("close-me");
    QVERIFY(QTest::qWaitFor([&] { return events.closedCount() == 1; }, 10000));
    {
        std::lock_guard lock(events.mutex);
        QVERIFY(events.closed[0].ok());
        QCOMPARE(*events.closed[0], (WebSocketClose{4001, "bye"}));
    }
    // Our echo carries the server's code.
    QVERIFY(QTest::qWaitFor(
        [&] { return m_log->read([](ServerLog &l) { return l.closeCodes.size(); }) == 1; }, 10000));
    QCOMPARE(m_log->read([](ServerLog &l) { return l.closeCodes; }), std::vector<int>{4001});
    // Sending after close is dropped quietly.
    ws->sendText("late");
    QTest::qWait(50);
    QCOMPARE(events.closedCount(), size_t(1));
}

void tst_WebSocket::protocolViolationClosesWith1002()
{
    Events events;
    auto ws = open("/x", events);
    ws->sendText("bad-frame");
    QVERIFY(QTest::qWaitFor([&] { return events.closedCount() == 1; }, 10000));
    {
        std::lock_guard lock(events.mutex);
        QVERIFY(!events.closed[0].ok());
        QCOMPARE(events.closed[0].error().code(), util::Error::Code::Decode);
    }
    QVERIFY(QTest::qWaitFor(
        [&] { return m_log->read([](ServerLog &l) { return l.closeCodes.size(); }) == 1; }, 10000));
    QCOMPARE(m_log->read([](ServerLog &l) { return l.closeCodes; }), std::vector<int>{1002});
}

void tst_WebSocket::droppedConnectionIsError()
{
    Events events;
    auto ws = open("/x", events);
    ws->sendText("drop");
    QVERIFY(QTest::qWaitFor([&] { return events.closedCount() == 1; }, 10000));
    QTest::qWait(100);
    std::lock_guard lock(events.mutex);
    QCOMPARE(events.closed.size(), size_t(1));
    QVERIFY(!events.closed[0].ok());
    QCOMPARE(events.closed[0].error().code(), util::Error::Code::Transport);
}

void tst_WebSocket::refusedUpgradeKeepsStatus()
{
    Events events;
    auto ws = open("/forbidden", events);
    QVERIFY(QTest::qWaitFor([&] { return events.closedCount() == 1; }, 10000));
    std::lock_guard lock(events.mutex);
    QVERIFY(!events.opened);
    QVERIFY(!events.closed[0].ok());
    QCOMPARE(events.closed[0].error().code(), util::Error::Code::Forbidden);
    QCOMPARE(events.closed[0].error().httpStatus(), 403);
    QCOMPARE(events.closed[0].error().message(),
             std::string(R"({"kind":"Status","reason":"Forbidden","code":403})"));
}

void tst_WebSocket::badAcceptRejected()
{
    Events events;
    auto ws = open("/bad-accept", events);
    QVERIFY(QTest::qWaitFor([&] { return events.closedCount() == 1; }, 10000));
    std::lock_guard lock(events.mutex);
    QVERIFY(!events.opened);
    QCOMPARE(events.closed[0].error().code(), util::Error::Code::Transport);
    QVERIFY(events.closed[0].error().message().find("Sec-WebSocket-Accept") != std::string::npos);
}

void tst_WebSocket::unofferedSubprotocolRejected()
{
    Events events;
    auto ws = open("/wrong-protocol", events);
    QVERIFY(QTest::qWaitFor([&] { return events.closedCount() == 1; }, 10000));
    std::lock_guard lock(events.mutex);
    QVERIFY(!events.opened);
    QVERIFY(events.closed[0].error().message().find("v99.example") != std::string::npos);
}

void tst_WebSocket::destroyWhileOpenIsQuiet()
{
    Events events;
    auto ws = open("/x", events);
    QVERIFY(QTest::qWaitFor([&] { return events.isOpen(); }, 10000));
    ws.reset();
    QCOMPARE(events.closedCount(), size_t(0));
    // The server is told the client went away.
    QVERIFY(QTest::qWaitFor(
        [&] { return m_log->read([](ServerLog &l) { return l.closeCodes.size(); }) == 1; }, 10000));
    QCOMPARE(m_log->read([](ServerLog &l) { return l.closeCodes; }), std::vector<int>{1001});
}

QTEST_GUILESS_MAIN(tst_WebSocket)
#include "tst_websocket.moc"
