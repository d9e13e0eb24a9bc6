#pragma once

// A scripted HTTP/1.1 server for transport tests: listens on 127.0.0.1:0 in its own thread (so the
// test thread may block), parses requests and hands each to the test's handler, which writes the
// answer on the socket itself (in the server thread). Optionally TLS via QSslServer.

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QMutex>
#include <QPair>
#include <QSslConfiguration>
#include <QSslServer>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

struct TestRequest
{
    QByteArray method;
    QByteArray path;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    QByteArray peerCommonName; // TLS client certificate CN, if any

    QByteArray header(const QByteArray &name) const
    {
        for (const auto &[key, value] : headers) {
            if (key.compare(name, Qt::CaseInsensitive) == 0)
                return value;
        }
        return {};
    }
};

// Called in the server thread; returns true when it took over the socket (e.g. WebSocket upgrade),
// after which the server no longer parses requests on it.
using TestHandler = std::function<bool(const TestRequest &, QTcpSocket *, QByteArray &rest)>;

class TestServer final : public QObject
{
public:
    explicit TestServer(TestHandler handler, std::optional<QSslConfiguration> tls = std::nullopt)
        : m_handler(std::move(handler))
        , m_tls(std::move(tls))
    {
        m_context.moveToThread(&m_thread);
        m_thread.start();
        QMetaObject::invokeMethod(
            &m_context,
            [this] {
                if (m_tls) {
                    auto *server = new QSslServer(&m_context);
                    server->setSslConfiguration(*m_tls);
                    m_server = server;
                } else {
                    m_server = new QTcpServer(&m_context);
                }
                QObject::connect(m_server, &QTcpServer::pendingConnectionAvailable, &m_context,
                                 [this] { acceptAll(); });
                m_server->listen(QHostAddress::LocalHost, 0);
                m_port = m_server->serverPort();
            },
            Qt::BlockingQueuedConnection);
    }
    ~TestServer() override
    {
        QMetaObject::invokeMethod(
            &m_context, [this] { delete m_server; }, Qt::BlockingQueuedConnection);
        m_thread.quit();
        m_thread.wait();
    }

    quint16 port() const { return m_port; }
    int connectionCount() const { return m_connections.load(); }
    int requestCount() const { return m_requests.load(); }
    int disconnectCount() const { return m_disconnects.load(); }
    QObject *context() { return &m_context; }

private:
    // Lives in the server thread; parent of everything the server creates.
    struct Context : QObject
    {};

    void acceptAll()
    {
        while (QTcpSocket *socket = m_server->nextPendingConnection()) {
            ++m_connections;
            auto buffer = std::make_shared<QByteArray>();
            auto takenOver = std::make_shared<bool>(false);
            QObject::connect(socket, &QTcpSocket::disconnected, socket, [this, socket] {
                ++m_disconnects;
                socket->deleteLater();
            });
            QObject::connect(socket, &QTcpSocket::readyRead, socket,
                             [this, socket, buffer, takenOver] {
                                 if (*takenOver)
                                     return;
                                 buffer->append(socket->readAll());
                                 parse(socket, *buffer, *takenOver);
                             });
            if (socket->bytesAvailable() > 0) {
                buffer->append(socket->readAll());
                parse(socket, *buffer, *takenOver);
            }
        }
    }

    void parse(QTcpSocket *socket, QByteArray &buffer, bool &takenOver)
    {
        while (!takenOver) {
            const qsizetype headEnd = buffer.indexOf("\r\n\r\n");
            if (headEnd < 0)
                return;
            TestRequest request;
            const QList<QByteArray> lines = buffer.left(headEnd).split('\n');
            const QList<QByteArray> start = lines.value(0).trimmed().split(' ');
            request.method = start.value(0);
            request.path = start.value(1);
            for (qsizetype i = 1; i < lines.size(); ++i) {
                const qsizetype colon = lines[i].indexOf(':');
                if (colon > 0)
                    request.headers.append(
                        {lines[i].left(colon).trimmed(), lines[i].mid(colon + 1).trimmed()});
            }
            const qsizetype length = request.header("Content-Length").toLongLong();
            if (buffer.size() < headEnd + 4 + length)
                return;
            request.body = buffer.mid(headEnd + 4, length);
            buffer.remove(0, headEnd + 4 + length);
            if (auto *ssl = qobject_cast<QSslSocket *>(socket)) {
                const QStringList cn
                    = ssl->peerCertificate().subjectInfo(QSslCertificate::CommonName);
                request.peerCommonName = cn.value(0).toUtf8();
            }
            ++m_requests;
            takenOver = m_handler(request, socket, buffer);
        }
    }

    TestHandler m_handler;
    std::optional<QSslConfiguration> m_tls;
    QThread m_thread;
    Context m_context;
    QTcpServer *m_server = nullptr;
    quint16 m_port = 0;
    std::atomic<int> m_connections{0};
    std::atomic<int> m_requests{0};
    std::atomic<int> m_disconnects{0};
};

inline QByteArray httpResponse(int status, const QByteArray &body,
                               const QList<QByteArray> &extraHeaders = {})
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status)
                     + " X\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n";
    for (const auto &header : extraHeaders)
        out += header + "\r\n";
    return out + "\r\n" + body;
}
