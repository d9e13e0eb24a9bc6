#include <core/transport/httpclient.h>
#include <core/util/log.h>

#include <core/engine/clusterconnection.h>
#include <core/kubeconfig/credentials.h>
#include <core/kubeconfig/kubeconfig.h>

#include <nlohmann/json.hpp>

#include "testserver.h"

#include <QFile>
#include <QProcess>
#include <QSslCertificate>
#include <QSslKey>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <zlib.h>

#include <atomic>
#include <mutex>
#include <optional>

using namespace kd::core;
using namespace kd::core::transport;
using namespace std::chrono_literals;

namespace {

// Collects callback results from the client's I/O thread (inline executor).
struct Collector
{
    std::mutex mutex;
    std::vector<util::Result<HttpResponse>> finished;
    std::vector<std::string> chunks;
    int headers = 0;

    size_t finishedCount()
    {
        std::lock_guard lock(mutex);
        return finished.size();
    }
    size_t chunkCount()
    {
        std::lock_guard lock(mutex);
        return chunks.size();
    }
    StreamHandler handler()
    {
        return StreamHandler{[this](const HttpResponse &) {
                                 std::lock_guard lock(mutex);
                                 ++headers;
                             },
                             [this](std::string chunk) {
                                 std::lock_guard lock(mutex);
                                 chunks.push_back(std::move(chunk));
                             },
                             [this](util::Result<HttpResponse> result) {
                                 std::lock_guard lock(mutex);
                                 finished.push_back(std::move(result));
                             }};
    }
};

Executor inlineExecutor()
{
    return [](std::function<void()> fn) { fn(); };
}

ConnectionConfig plainConfig(const TestServer &server)
{
    ConnectionConfig config;
    config.baseUrl = "http://127.0.0.1:" + std::to_string(server.port());
    config.retry.initialBackoff = 10ms;
    config.retry.maxBackoff = 50ms;
    return config;
}

HttpRequest get(std::string path)
{
    HttpRequest request;
    request.path = std::move(path);
    return request;
}

QByteArray chunk(const QByteArray &data)
{
    return QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n";
}

QByteArray gzip(const QByteArray &data)
{
    z_stream stream{};
    deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    QByteArray out(static_cast<qsizetype>(deflateBound(&stream, data.size()) + 32), '\0');
    stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.data()));
    stream.avail_in = static_cast<uInt>(data.size());
    stream.next_out = reinterpret_cast<Bytef *>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    deflate(&stream, Z_FINISH);
    out.resize(static_cast<qsizetype>(stream.total_out));
    deflateEnd(&stream);
    return out;
}

std::string readFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll().toStdString();
}

} // namespace

class tst_HttpClient : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanup();
    void warningHeaders_data();
    void warningHeaders();
    void redactedHeaderValues_data();
    void redactedHeaderValues();
    void getAndPost();
    void statusIsMappedAndBodyKept();
    void keepAliveReusesConnection();
    void manyConcurrentRequests();
    void streamDeliversChunksBeforeTheEnd();
    void cancelMidStream();
    void droppedConnectionReportedOnce();
    void idleStreamTimesOut();
    void retryAfterIsHonoured();
    void postServerErrorWithoutRetryAfterIsFinal();
    void connectionResetRetriedForGetOnly();
    void unauthorizedRefreshesOnce();
    void gzipIsDecoded();
    void logsRedactCredentials();
    void connectionRefusedIsTransportError();
    void tlsVerifiesWithCa();
    void tlsFailsWithoutCa();
    void tlsInsecureSkipVerify();
    void tlsServerName();
    void tlsClientCertificate();
    void runtimeClientCertificate();
    void execPluginCertificate_data();
    void execPluginCertificate();
    void cancelledOrExpiredReceiverGetsNothing();
    void httpProxy();

private:
    std::optional<QSslConfiguration> serverTls(bool requireClientCert) const;
    ConnectionConfig tlsConfig(const TestServer &server, bool withCa) const;

    QTemporaryDir m_pki;
    bool m_pkiOk = false;
};

void tst_HttpClient::initTestCase()
{
    QVERIFY(m_pki.isValid());
    // A CA, a server certificate valid for DNS:localhost only (so an IP URL fails verification
    // unless tls-server-name says "localhost"), and a client certificate.
    const QString dir = m_pki.path();
    const QStringList script = {
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout ca.key -out "
        "ca.crt",
        "openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout server.key -out "
        "server.csr",
        "printf 'subjectAltName=DNS:localhost\\n' > server.ext",
        "openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 "
        "-extfile server.ext -out server.crt",
        "openssl req -newkey rsa:2048 -nodes -subj /CN=alice/O=devs -keyout client.key -out "
        "client.csr",
        "openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out "
        "client.crt",
        "openssl req -newkey rsa:2048 -nodes -subj /CN=bob/O=devs -keyout bob.key -out bob.csr",
        "openssl x509 -req -in bob.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out "
        "bob.crt",
    };
    for (const QString &step : script) {
        QProcess process;
        process.setWorkingDirectory(dir);
        process.start("sh", {"-c", step});
        QVERIFY(process.waitForFinished(60000));
        QVERIFY2(process.exitCode() == 0, qPrintable(step + ": " + process.readAllStandardError()));
    }
    m_pkiOk = true;
}

void tst_HttpClient::cleanup()
{
    util::log::setWriter({});
}

std::optional<QSslConfiguration> tst_HttpClient::serverTls(bool requireClientCert) const
{
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    QFile certFile(m_pki.filePath("server.crt"));
    QFile keyFile(m_pki.filePath("server.key"));
    if (!certFile.open(QIODevice::ReadOnly) || !keyFile.open(QIODevice::ReadOnly))
        return std::nullopt;
    tls.setLocalCertificate(QSslCertificate(&certFile, QSsl::Pem));
    tls.setPrivateKey(QSslKey(&keyFile, QSsl::Rsa, QSsl::Pem));
    tls.setCaCertificates(QSslCertificate::fromPath(m_pki.filePath("ca.crt")));
    tls.setPeerVerifyMode(requireClientCert ? QSslSocket::VerifyPeer : QSslSocket::VerifyNone);
    return tls;
}

ConnectionConfig tst_HttpClient::tlsConfig(const TestServer &server, bool withCa) const
{
    ConnectionConfig config;
    config.baseUrl = "https://localhost:" + std::to_string(server.port());
    if (withCa)
        config.tls.caPem = readFile(m_pki.filePath("ca.crt"));
    config.retry.maxRetries = 0;
    return config;
}

void tst_HttpClient::warningHeaders_data()
{
    QTest::addColumn<QString>("value");
    QTest::addColumn<int>("count");
    QTest::addColumn<QString>("firstText");

    QTest::newRow("kubernetes") << R"(299 - "v1beta1 CronJob is deprecated")" << 1
                                << "v1beta1 CronJob is deprecated";
    QTest::newRow("two in one") << R"(299 - "a", 299 - "b")" << 2 << "a";
    QTest::newRow("escaped quote") << R"(299 - "say \"hi\"")" << 1 << R"(say "hi")";
    QTest::newRow("with date") << R"(299 - "x" "Sat, 25 Aug 2012 23:34:45 GMT")" << 1 << "x";
    QTest::newRow("no quotes") << "299 - text" << 0 << "";
    QTest::newRow("short code") << R"(29 - "x")" << 0 << "";
    QTest::newRow("unterminated") << R"(299 - "x)" << 0 << "";
}

void tst_HttpClient::warningHeaders()
{
    QFETCH(QString, value);
    QFETCH(int, count);
    QFETCH(QString, firstText);
    const auto warnings = parseWarningHeaders({{"warning", value.toStdString()}});
    QCOMPARE(int(warnings.size()), count);
    if (count > 0) {
        QCOMPARE(warnings[0].code, 299);
        QCOMPARE(warnings[0].agent, std::string("-"));
        QCOMPARE(QString::fromStdString(warnings[0].text), firstText);
    }
}

void tst_HttpClient::redactedHeaderValues_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("expected");
    QTest::newRow("bearer") << "Authorization"
                            << "Bearer abc.def"
                            << "Bearer <redacted>";
    QTest::newRow("lowercase name") << "authorization"
                                    << "Basic dXNlcjpw"
                                    << "Basic <redacted>";
    QTest::newRow("bare token") << "Authorization"
                                << "abc"
                                << "<redacted>";
    QTest::newRow("proxy") << "Proxy-Authorization"
                           << "Basic x"
                           << "Basic <redacted>";
    QTest::newRow("set-cookie") << "Set-Cookie"
                                << "session=1; HttpOnly"
                                << "<redacted>";
    QTest::newRow("other") << "Accept"
                           << "application/json"
                           << "application/json";
}

void tst_HttpClient::redactedHeaderValues()
{
    QFETCH(QString, name);
    QFETCH(QString, value);
    QFETCH(QString, expected);
    QCOMPARE(QString::fromStdString(redactedHeaderValue(name.toStdString(), value.toStdString())),
             expected);
}

void tst_HttpClient::getAndPost()
{
    TestServer server([](const TestRequest &request, QTcpSocket *socket, QByteArray &) {
        const QByteArray body
            = request.method + " " + request.path + " x-test=" + request.header("X-Test")
              + " type=" + request.header("Content-Type") + " body=" + request.body;
        socket->write(httpResponse(
            200, body,
            {"Content-Type: text/plain", "X-Served-By: test", "Warning: 299 - \"deprecated\""}));
        return false;
    });
    HttpClient client(plainConfig(server), inlineExecutor());

    HttpRequest request = get("/api/v1/pods?limit=5");
    request.headers = {{"X-Test", "one"}};
    auto response = client.sendAndWait(request);
    QVERIFY2(response.ok(), response.ok() ? "" : response.error().message().c_str());
    QCOMPARE(response->status, 200);
    QCOMPARE(response->body, std::string("GET /api/v1/pods?limit=5 x-test=one type= body="));
    QCOMPARE(response->header("x-served-by"), std::string("test"));
    QCOMPARE(response->httpVersion, 1);
    QCOMPARE(response->warnings.size(), size_t(1));
    QCOMPARE(response->warnings[0].text, std::string("deprecated"));

    HttpRequest post;
    post.method = "POST";
    post.path = "/api/v1/namespaces";
    post.headers = {{"Content-Type", "application/json"}};
    post.body = R"({"kind":"Namespace"})";
    response = client.sendAndWait(post);
    QVERIFY(response.ok());
    QCOMPARE(
        response->body,
        std::string(
            R"(POST /api/v1/namespaces x-test= type=application/json body={"kind":"Namespace"})"));

    HttpRequest patch = post;
    patch.method = "PATCH";
    patch.body = "[]";
    response = client.sendAndWait(patch);
    QVERIFY(response.ok());
    QVERIFY(response->body.starts_with("PATCH /api/v1/namespaces"));
    QVERIFY(response->body.ends_with("body=[]"));
}

void tst_HttpClient::statusIsMappedAndBodyKept()
{
    const QByteArray status = R"({"kind":"Status","reason":"NotFound","code":404})";
    TestServer server([&](const TestRequest &, QTcpSocket *socket, QByteArray &) {
        socket->write(httpResponse(404, status, {"Content-Type: application/json"}));
        return false;
    });
    HttpClient client(plainConfig(server), inlineExecutor());
    auto response = client.sendAndWait(get("/api/v1/namespaces/none"));
    QVERIFY(response.ok());
    QCOMPARE(response->status, 404);
    QVERIFY(!response->ok());
    const util::Error error = response->statusError();
    QCOMPARE(error.code(), util::Error::Code::NotFound);
    QCOMPARE(error.httpStatus(), 404);
    QCOMPARE(error.message(), status.toStdString());
}

void tst_HttpClient::keepAliveReusesConnection()
{
    TestServer server([](const TestRequest &, QTcpSocket *socket, QByteArray &) {
        socket->write(httpResponse(200, "ok"));
        return false;
    });
    HttpClient client(plainConfig(server), inlineExecutor());
    for (int i = 0; i < 5; ++i)
        QVERIFY(client.sendAndWait(get("/healthz")).ok());
    QCOMPARE(server.requestCount(), 5);
    QCOMPARE(server.connectionCount(), 1);
    QCOMPARE(client.stats().connections, 1);
}

void tst_HttpClient::manyConcurrentRequests()
{
    TestServer server([](const TestRequest &request, QTcpSocket *socket, QByteArray &) {
        socket->write(httpResponse(200, request.path));
        return false;
    });
    HttpClient client(plainConfig(server), inlineExecutor());
    constexpr int count = 60;
    std::mutex mutex;
    std::map<std::string, std::string> bodies;
    for (int i = 0; i < count; ++i) {
        const std::string path = "/item/" + std::to_string(i);
        client.send(get(path), [&, path](util::Result<HttpResponse> result) {
            std::lock_guard lock(mutex);
            bodies[path] = result ? result->body : "error: " + result.error().message();
        });
    }
    QVERIFY(QTest::qWaitFor(
        [&] {
            std::lock_guard lock(mutex);
            return bodies.size() == count;
        },
        20000));
    for (const auto &[path, body] : bodies)
        QCOMPARE(body, path);
}

void tst_HttpClient::streamDeliversChunksBeforeTheEnd()
{
    Collector collector;
    TestServer server([&](const TestRequest &, QTcpSocket *socket, QByteArray &) {
        socket->write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                      "Content-Type: application/json\r\n\r\n");
        socket->write(chunk("{\"type\":\"ADDED\"}\n"));
        // The rest is only sent once the client has seen the first event: proves incremental
        // delivery without timing.
        auto *timer = new QTimer(socket);
        QObject::connect(timer, &QTimer::timeout, socket, [&collector, socket, timer] {
            if (collector.chunkCount() == 0)
                return;
            timer->stop();
            socket->write(chunk("{\"type\":\"MODIFIED\"}\n"));
            socket->write("0\r\n\r\n");
        });
        timer->start(5);
        return false;
    });
    HttpClient client(plainConfig(server), inlineExecutor());
    client.stream(get("/api/v1/pods?watch=1"), collector.handler());
    QVERIFY(QTest::qWaitFor([&] { return collector.finishedCount() == 1; }, 10000));
    std::lock_guard lock(collector.mutex);
    QCOMPARE(collector.headers, 1);
    std::string all;
    for (const auto &piece : collector.chunks)
        all += piece;
    QCOMPARE(all, std::string("{\"type\":\"ADDED\"}\n{\"type\":\"MODIFIED\"}\n"));
    QCOMPARE(collector.chunks.front(), std::string("{\"type\":\"ADDED\"}\n"));
    QVERIFY(collector.finished[0].ok());
    QCOMPARE(collector.finished[0]->status, 200);
    QVERIFY(collector.finished[0]->body.empty());
}

void tst_HttpClient::cancelMidStream()
{
    Collector collector;
    TestServer server([](const TestRequest &, QTcpSocket *socket, QByteArray &) {
        socket->write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        socket->write(chunk("first\n"));
        return false; // and then nothing: a watch with no events
    });
    HttpClient client(plainConfig(server), inlineExecutor());
    RequestHandle handle = client.stream(get("/watch"), collector.handler());
    QVERIFY(QTest::qWaitFor([&] { return collector.chunkCount() == 1; }, 10000));
    handle.cancel();
    QVERIFY(handle.isFinished());
    // The transfer is really stopped: the server sees the connection go away.
    QVERIFY(QTest::qWaitFor([&] { return server.disconnectCount() == 1; }, 10000));
    QCOMPARE(collector.finishedCount(), size_t(0));
    QCOMPARE(collector.chunkCount(), size_t(1));
}

void tst_HttpClient::droppedConnectionReportedOnce()
{
    Collector collector;
    TestServer server([](const TestRequest &, QTcpSocket *socket, QByteArray &) {
        socket->write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        socket->write(chunk("partial\n"));
        socket->flush();
        QTimer::singleShot(50, socket, [socket] { socket->abort(); });
        return false;
    });
    HttpClient client(plainConfig(server), inlineExecutor());
    client.stream(get("/api/v1/pods?watch=1"), collector.handler());
    QVERIFY(QTest::qWaitFor([&] { return collector.finishedCount() == 1; }, 10000));
    // A second report would come from the same I/O loop; give it a chance to misbehave.
    QTest::qWait(200);
    std::lock_guard lock(collector.mutex);
    QCOMPARE(collector.finished.size(), size_t(1));
    QVERIFY(!collector.finished[0].ok());
    QCOMPARE(collector.finished[0].error().code(), util::Error::Code::Transport);
    QCOMPARE(collector.chunks.size(), size_t(1));
    // Data had been delivered, so the watch is not silently re-sent.
    QCOMPARE(server.requestCount(), 1);
}

void tst_HttpClient::idleStreamTimesOut()
{
    Collector collector;
    TestServer server([](const TestRequest &, QTcpSocket *socket, QByteArray &) {
        socket->write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        socket->write(chunk("hello\n"));
        return false;
    });
    HttpClient client(plainConfig(server), inlineExecutor());
    HttpRequest request = get("/api/v1/namespaces/default/pods/p/log?follow=true");
    request.idleTimeout = 1s;
    client.stream(request, collector.handler());
    QVERIFY(QTest::qWaitFor([&] { return collector.finishedCount() == 1; }, 15000));
    std::lock_guard lock(collector.mutex);
    QVERIFY(!collector.finished[0].ok());
    QCOMPARE(collector.finished[0].error().code(), util::Error::Code::Timeout);
    QCOMPARE(collector.chunks.size(), size_t(1));
}

void tst_HttpClient::retryAfterIsHonoured()
{
    std::atomic<int> seen{0};
    TestServer server([&](const TestRequest &, QTcpSocket *socket, QByteArray &) {
        if (++seen <= 2)
            socket->write(httpResponse(429, "slow down", {"Retry-After: 0"}));
        else
            socket->write(httpResponse(200, "finally"));
        return false;
    });
    HttpClient client(plainConfig(server), inlineExecutor());
    // Retry-After applies to every verb, POST included.
    HttpRequest post;
    post.method = "POST";
    post.path = "/api/v1/namespaces/default/configmaps";
    post.body = "{}";
    auto response = client.sendAndWait(post);
    QVERIFY(response.ok());
    QCOMPARE(response->status, 200);
    QCOMPARE(response->body, std::string("finally"));
    QCOMPARE(server.requestCount(), 3);
    QCOMPARE(client.stats().retries, 2);

    // maxRetries bounds it: the last 429 is returned.
    seen = -100;
    ConnectionConfig config = plainConfig(server);
    config.retry.maxRetries = 1;
    HttpClient limited(config, inlineExecutor());
    response = limited.sendAndWait(get("/x"));
    QVERIFY(response.ok());
    QCOMPARE(response->status, 429);
    QCOMPARE(response->statusError().code(), util::Error::Code::TooManyRequests);
    QCOMPARE(limited.stats().retries, 1);
}

void tst_HttpClient::postServerErrorWithoutRetryAfterIsFinal()
{
    TestServer server([](const TestRequest &, QTcpSocket *socket, QByteArray &) {
        socket->write(httpResponse(503, "unavailable"));
        return false;
    });
    HttpClient client(plainConfig(server), inlineExecutor());
    HttpRequest post;
    post.method = "POST";
    post.path = "/api/v1/namespaces";
    post.body = "{}";
    auto response = client.sendAndWait(post);
    QVERIFY(response.ok());
    QCOMPARE(response->status, 503);
    QCOMPARE(response->statusError().code(), util::Error::Code::ServiceUnavailable);
    QCOMPARE(server.requestCount(), 1);
    QCOMPARE(client.stats().retries, 0);
}

void tst_HttpClient::connectionResetRetriedForGetOnly()
{
    std::atomic<int> seen{0};
    TestServer server([&](const TestRequest &, QTcpSocket *socket, QByteArray &) {
        if (++seen % 2 == 1) {
            socket->abort(); // reset with no answer
            return true;
        }
        socket->write(httpResponse(200, "second time"));
        return false;
    });
    HttpClient client(plainConfig(server), inlineExecutor());
    auto response = client.sendAndWait(get("/api"));
    QVERIFY2(response.ok(), response.ok() ? "" : response.error().message().c_str());
    QCOMPARE(response->body, std::string("second time"));
    QCOMPARE(server.requestCount(), 2);

    HttpRequest post;
    post.method = "POST";
    post.path = "/api/v1/namespaces";
    post.body = "{}";
    // A fresh client, so the POST goes out on a new connection: libcurl itself replays a request
    // whose reused keep-alive connection turned out dead, which is not what is tested here.
    HttpClient fresh(plainConfig(server), inlineExecutor());
    response = fresh.sendAndWait(post);
    QVERIFY(!response.ok());
    QCOMPARE(response.error().code(), util::Error::Code::Transport);
    QCOMPARE(server.requestCount(), 3);
    QCOMPARE(fresh.stats().retries, 0);
}

void tst_HttpClient::unauthorizedRefreshesOnce()
{
    TestServer server([](const TestRequest &request, QTcpSocket *socket, QByteArray &) {
        if (request.header("Authorization") == "Bearer fresh")
            socket->write(httpResponse(200, "welcome"));
        else
            socket->write(httpResponse(401, "who are you"));
        return false;
    });
    std::mutex mutex;
    std::string token = "Bearer stale";
    int refreshes = 0;
    ConnectionConfig config = plainConfig(server);
    config.auth.authorizationHeader = [&] {
        std::lock_guard lock(mutex);
        return token;
    };
    config.auth.onUnauthorized = [&] {
        std::lock_guard lock(mutex);
        ++refreshes;
        token = "Bearer fresh";
        return true;
    };
    HttpClient client(config, inlineExecutor());
    auto response = client.sendAndWait(get("/api"));
    QVERIFY(response.ok());
    QCOMPARE(response->status, 200);
    QCOMPARE(server.requestCount(), 2);
    QCOMPARE(refreshes, 1);

    // A refresh that does not help is tried once only; the 401 comes back.
    {
        std::lock_guard lock(mutex);
        token = "Bearer revoked";
    }
    config.auth.onUnauthorized = [&] {
        std::lock_guard lock(mutex);
        ++refreshes;
        return true;
    };
    HttpClient stubborn(config, inlineExecutor());
    response = stubborn.sendAndWait(get("/api"));
    QVERIFY(response.ok());
    QCOMPARE(response->status, 401);
    QCOMPARE(response->statusError().code(), util::Error::Code::Unauthorized);
    QCOMPARE(refreshes, 2);
    QCOMPARE(server.requestCount(), 4);
}

void tst_HttpClient::gzipIsDecoded()
{
    const QByteArray plain = QByteArray("{\"items\":[") + QByteArray(5000, 'x') + "]}";
    QByteArray acceptEncoding;
    TestServer server([&](const TestRequest &request, QTcpSocket *socket, QByteArray &) {
        acceptEncoding = request.header("Accept-Encoding");
        socket->write(httpResponse(200, gzip(plain), {"Content-Encoding: gzip"}));
        return false;
    });
    HttpClient client(plainConfig(server), inlineExecutor());
    auto response = client.sendAndWait(get("/api/v1/pods"));
    QVERIFY(response.ok());
    QVERIFY(acceptEncoding.contains("gzip"));
    QCOMPARE(response->body, plain.toStdString());
}

void tst_HttpClient::logsRedactCredentials()
{
    std::mutex mutex;
    std::string logged;
    util::log::setWriter([&](const util::LogRecord &record) {
        std::lock_guard lock(mutex);
        logged += std::string(record.category) + ": " + std::string(record.message) + "\n";
    });
    util::log::setCategoryLevel("kd.transport", util::LogLevel::Debug);
    TestServer server([](const TestRequest &, QTcpSocket *socket, QByteArray &) {
        socket->write(httpResponse(200, "ok", {"Set-Cookie: session=cookie-secret-42"}));
        return false;
    });
    ConnectionConfig config = plainConfig(server);
    config.auth.authorizationHeader = [] { return std::string("Bearer token-secret-17"); };
    {
        HttpClient client(config, inlineExecutor());
        QVERIFY(client.sendAndWait(get("/api/v1/secrets")).ok());
    }
    util::log::setWriter({});
    util::log::setCategoryLevel("kd.transport", util::LogLevel::Info);
    std::lock_guard lock(mutex);
    QVERIFY2(logged.find("/api/v1/secrets") != std::string::npos, logged.c_str());
    QVERIFY2(logged.find("Authorization: Bearer <redacted>") != std::string::npos, logged.c_str());
    QVERIFY2(logged.find("Set-Cookie: <redacted>") != std::string::npos, logged.c_str());
    QVERIFY(logged.find("token-secret-17") == std::string::npos);
    QVERIFY(logged.find("cookie-secret-42") == std::string::npos);
}

void tst_HttpClient::connectionRefusedIsTransportError()
{
    quint16 port = 0;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }
    ConnectionConfig config;
    config.baseUrl = "http://127.0.0.1:" + std::to_string(port);
    HttpClient client(config, inlineExecutor());
    auto response = client.sendAndWait(get("/api"));
    QVERIFY(!response.ok());
    QCOMPARE(response.error().code(), util::Error::Code::Transport);
    QVERIFY(!response.error().message().empty());

    config.baseUrl.clear();
    HttpClient unconfigured(config, inlineExecutor());
    response = unconfigured.sendAndWait(get("/api"));
    QVERIFY(!response.ok());
    QCOMPARE(response.error().code(), util::Error::Code::Invalid);
}

void tst_HttpClient::tlsVerifiesWithCa()
{
    QVERIFY(m_pkiOk);
    TestServer server(
        [](const TestRequest &, QTcpSocket *socket, QByteArray &) {
            socket->write(httpResponse(200, "secure"));
            return false;
        },
        serverTls(false));
    HttpClient client(tlsConfig(server, true), inlineExecutor());
    auto response = client.sendAndWait(get("/version"));
    QVERIFY2(response.ok(), response.ok() ? "" : response.error().message().c_str());
    QCOMPARE(response->body, std::string("secure"));
}

void tst_HttpClient::tlsFailsWithoutCa()
{
    QVERIFY(m_pkiOk);
    TestServer server(
        [](const TestRequest &, QTcpSocket *socket, QByteArray &) {
            socket->write(httpResponse(200, "secure"));
            return false;
        },
        serverTls(false));
    HttpClient client(tlsConfig(server, false), inlineExecutor());
    auto response = client.sendAndWait(get("/version"));
    QVERIFY(!response.ok());
    QCOMPARE(response.error().code(), util::Error::Code::Transport);
    QCOMPARE(server.requestCount(), 0);
}

void tst_HttpClient::tlsInsecureSkipVerify()
{
    QVERIFY(m_pkiOk);
    TestServer server(
        [](const TestRequest &, QTcpSocket *socket, QByteArray &) {
            socket->write(httpResponse(200, "secure"));
            return false;
        },
        serverTls(false));
    ConnectionConfig config = tlsConfig(server, false);
    config.tls.insecureSkipVerify = true;
    HttpClient client(config, inlineExecutor());
    auto response = client.sendAndWait(get("/version"));
    QVERIFY(response.ok());
}

void tst_HttpClient::tlsServerName()
{
    QVERIFY(m_pkiOk);
    QByteArray host;
    TestServer server(
        [&](const TestRequest &request, QTcpSocket *socket, QByteArray &) {
            host = request.header("Host");
            socket->write(httpResponse(200, "named"));
            return false;
        },
        serverTls(false));
    // The certificate names only "localhost": by IP it fails, with tls-server-name it passes.
    ConnectionConfig config = tlsConfig(server, true);
    config.baseUrl = "https://127.0.0.1:" + std::to_string(server.port());
    {
        HttpClient client(config, inlineExecutor());
        auto response = client.sendAndWait(get("/version"));
        QVERIFY(!response.ok());
        QCOMPARE(response.error().code(), util::Error::Code::Transport);
    }
    config.tls.serverName = "localhost";
    HttpClient client(config, inlineExecutor());
    auto response = client.sendAndWait(get("/version"));
    QVERIFY2(response.ok(), response.ok() ? "" : response.error().message().c_str());
    QCOMPARE(response->body, std::string("named"));
    QCOMPARE(host, "127.0.0.1:" + QByteArray::number(server.port()));
}

void tst_HttpClient::tlsClientCertificate()
{
    QVERIFY(m_pkiOk);
    TestServer server(
        [](const TestRequest &request, QTcpSocket *socket, QByteArray &) {
            socket->write(httpResponse(200, "hello " + request.peerCommonName));
            return false;
        },
        serverTls(true));
    ConnectionConfig config = tlsConfig(server, true);
    {
        HttpClient anonymous(config, inlineExecutor());
        auto response = anonymous.sendAndWait(get("/version"));
        QVERIFY(!response.ok());
        QCOMPARE(response.error().code(), util::Error::Code::Transport);
    }
    config.tls.clientCertPem = readFile(m_pki.filePath("client.crt"));
    config.tls.clientKeyPem = readFile(m_pki.filePath("client.key"));
    HttpClient client(config, inlineExecutor());
    auto response = client.sendAndWait(get("/version"));
    QVERIFY2(response.ok(), response.ok() ? "" : response.error().message().c_str());
    QCOMPARE(response->body, std::string("hello alice"));
}

// An exec plugin's certificate, asked for per request: it replaces the static one, a changed
// certificate is presented on a new TLS session (never on the pooled connection of the old one),
// and a failure to produce one fails the request unsent.
void tst_HttpClient::runtimeClientCertificate()
{
    QVERIFY(m_pkiOk);
    std::atomic<int> served{0};
    TestServer server(
        [&served](const TestRequest &request, QTcpSocket *socket, QByteArray &) {
            ++served;
            socket->write(httpResponse(200, "hello " + request.peerCommonName));
            return false;
        },
        serverTls(true));
    ConnectionConfig config = tlsConfig(server, true);
    config.tls.clientCertPem = readFile(m_pki.filePath("client.crt"));
    config.tls.clientKeyPem = readFile(m_pki.filePath("client.key"));
    std::mutex mutex;
    std::string user = "bob";
    std::optional<util::Error> failure;
    config.auth.clientCertificate = [&]() -> util::Result<std::optional<ClientCertificatePem>> {
        std::lock_guard lock(mutex);
        if (failure)
            return *failure;
        if (user.empty())
            return std::optional<ClientCertificatePem>();
        return std::optional<ClientCertificatePem>(
            ClientCertificatePem{readFile(m_pki.filePath(QString::fromStdString(user) + ".crt")),
                                 readFile(m_pki.filePath(QString::fromStdString(user) + ".key"))});
    };
    const auto set = [&](std::string next, std::optional<util::Error> error) {
        std::lock_guard lock(mutex);
        user = std::move(next);
        failure = std::move(error);
    };
    HttpClient client(config, inlineExecutor());
    const auto body = [&client] {
        auto response = client.sendAndWait(get("/version"));
        return response.ok() ? response->body : "error: " + response.error().message();
    };
    QCOMPARE(body(), std::string("hello bob"));
    QCOMPARE(body(), std::string("hello bob"));
    set("client", std::nullopt);
    QCOMPARE(body(), std::string("hello alice"));
    set("", std::nullopt); // nothing at run time: the static certificate (alice as well)
    QCOMPARE(body(), std::string("hello alice"));
    set("bob", std::nullopt);
    QCOMPARE(body(), std::string("hello bob"));

    const int before = served.load();
    set("bob", util::Error(util::Error::Code::Unauthorized, "exec plugin kd-auth: exited with 1"));
    auto response = client.sendAndWait(get("/version"));
    QVERIFY(!response.ok());
    QCOMPARE(response.error().code(), util::Error::Code::Unauthorized);
    QCOMPARE(response.error().message(), std::string("exec plugin kd-auth: exited with 1"));
    QCOMPARE(served.load(), before);
}

void tst_HttpClient::execPluginCertificate_data()
{
    QTest::addColumn<QString>("certificate");
    QTest::addColumn<QString>("expected");
    QTest::newRow("valid") << "client.crt"
                           << "hello alice";
    QTest::newRow("not a certificate") << ""
                                       << "error: exec plugin";
    QTest::newRow("key of another certificate") << "bob.crt"
                                                << "error: exec plugin";
}

// The whole path with a real credential plugin: kubeconfig exec user -> ExecAuth -> the
// connection's auth hook -> the TLS handshake, the server seeing the plugin's certificate.
void tst_HttpClient::execPluginCertificate()
{
    QFETCH(QString, certificate);
    QFETCH(QString, expected);
    QVERIFY(m_pkiOk);
    TestServer server(
        [](const TestRequest &request, QTcpSocket *socket, QByteArray &) {
            socket->write(httpResponse(200, "hello " + request.peerCommonName));
            return false;
        },
        serverTls(true));
    QTemporaryDir dir;
    const std::string certificatePem = certificate.isEmpty()
                                           ? std::string("-----BEGIN CERTIFICATE-----\nbm9uZQ==\n"
                                                         "-----END CERTIFICATE-----\n")
                                           : readFile(m_pki.filePath(certificate));
    const nlohmann::json credential
        = {{"apiVersion", "client.authentication.k8s.io/v1"},
           {"kind", "ExecCredential"},
           {"status",
            {{"clientCertificateData", certificatePem},
             {"clientKeyData", readFile(m_pki.filePath("client.key"))}}}};
    QFile output(dir.filePath("credential.json"));
    QVERIFY(output.open(QIODevice::WriteOnly));
    output.write(QByteArray::fromStdString(credential.dump()));
    output.close();
    QFile plugin(dir.filePath("kd-cert-plugin"));
    QVERIFY(plugin.open(QIODevice::WriteOnly));
    plugin.write("#!/bin/sh\ncat '" + output.fileName().toUtf8() + "'\n");
    plugin.close();
    plugin.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    QFile kubeconfig(dir.filePath("kubeconfig"));
    QVERIFY(kubeconfig.open(QIODevice::WriteOnly));
    kubeconfig.write("clusters:\n- name: c\n  cluster:\n    server: https://localhost:"
                     + QByteArray::number(server.port())
                     + "\n    certificate-authority: " + m_pki.filePath("ca.crt").toUtf8()
                     + "\nusers:\n- name: u\n  user:\n    exec:\n"
                       "      apiVersion: client.authentication.k8s.io/v1\n"
                       "      interactiveMode: Never\n      command: "
                     + plugin.fileName().toUtf8()
                     + "\ncontexts:\n- name: ctx\n  context: {cluster: c, user: u}\n");
    kubeconfig.close();

    auto credentials = kubeconfig::resolveCredentials(
        kubeconfig::Kubeconfig::loadFile(kubeconfig.fileName().toStdString()), "ctx");
    QVERIFY2(credentials.ok(), credentials.ok() ? "" : credentials.error().message().c_str());
    QVERIFY(!credentials->clientCertificate); // the plugin is the only source
    ConnectionConfig config = engine::ClusterConnection::connectionConfig(credentials.value());
    config.retry.maxRetries = 0;
    HttpClient client(config, inlineExecutor());
    auto response = client.sendAndWait(get("/version"));
    const std::string body
        = response.ok() ? response->body : "error: " + response.error().message();
    QVERIFY2(body.starts_with(expected.toStdString()), body.c_str());
    if (!response.ok())
        QVERIFY2(body.find("client certificate") != std::string::npos
                     || body.find("client key") != std::string::npos,
                 body.c_str());
}

void tst_HttpClient::cancelledOrExpiredReceiverGetsNothing()
{
    TestServer server([](const TestRequest &request, QTcpSocket *socket, QByteArray &) {
        socket->write(httpResponse(200, request.path));
        return false;
    });
    // A manual executor, like the GUI thread's queue: deliveries wait until the test runs them.
    std::mutex mutex;
    std::vector<std::function<void()>> queue;
    auto queued = [&] {
        std::lock_guard lock(mutex);
        return queue.size();
    };
    auto runQueue = [&] {
        std::vector<std::function<void()>> pending;
        {
            std::lock_guard lock(mutex);
            pending.swap(queue);
        }
        for (auto &fn : pending)
            fn();
    };
    HttpClient client(plainConfig(server), [&](std::function<void()> fn) {
        std::lock_guard lock(mutex);
        queue.push_back(std::move(fn));
    });

    std::vector<std::string> delivered;
    auto record = [&](util::Result<HttpResponse> r) { delivered.push_back(r ? r->body : "error"); };

    RequestHandle cancelled = client.send(get("/cancelled"), record);
    auto receiver = std::make_shared<int>(0);
    client.send(get("/expired"), record, receiver);
    auto alive = std::make_shared<int>(0);
    client.send(get("/alive"), record, alive);
    QVERIFY(QTest::qWaitFor([&] { return queued() == 3; }, 10000));

    // Both happen after the answer was queued but before the receiver's thread ran it.
    cancelled.cancel();
    receiver.reset();
    runQueue();
    QCOMPARE(delivered, std::vector<std::string>{"/alive"});
}

void tst_HttpClient::httpProxy()
{
    TestServer proxy([](const TestRequest &request, QTcpSocket *socket, QByteArray &) {
        // A forward proxy receives the absolute URL.
        socket->write(httpResponse(200, "proxied " + request.path));
        return false;
    });
    ConnectionConfig config;
    config.baseUrl = "http://api.cluster.invalid:6443";
    config.proxyUrl = "http://127.0.0.1:" + std::to_string(proxy.port());
    HttpClient client(config, inlineExecutor());
    auto response = client.sendAndWait(get("/version"));
    QVERIFY2(response.ok(), response.ok() ? "" : response.error().message().c_str());
    QCOMPARE(response->body, std::string("proxied http://api.cluster.invalid:6443/version"));
}

QTEST_GUILESS_MAIN(tst_HttpClient)
#include "tst_httpclient.moc"
