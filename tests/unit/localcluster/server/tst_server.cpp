#include "tlsclient.h"

#include <localcluster/pki/clusterpki.h>
#include <localcluster/pki/kubeconfigwriter.h>
#include <localcluster/server/authenticator.h>
#include <localcluster/server/handler.h>
#include <localcluster/server/responsewriter.h>
#include <localcluster/server/server.h>

#include <nlohmann/json.hpp>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

using namespace kd::lc;

namespace {

// Echoes what the server tells a handler (user, groups, method, path, query, body size), and
// on /stream starts a chunked answer that the test drives through the recorded writers.
class EchoHandler final : public server::Handler
{
public:
    void handle(server::Request request, std::shared_ptr<server::ResponseWriter> writer) override
    {
        if (request.path == "/stream") {
            writer->beginStream(200, {{"Content-Type", "application/json"}});
            writer->writeChunk("first\n");
            auto gone = m_gone;
            writer->onClientGone([gone] {
                std::lock_guard lock(gone->mutex);
                ++gone->count;
                gone->changed.notify_all();
            });
            std::lock_guard lock(m_mutex);
            m_streams.push_back(std::move(writer));
            return;
        }
        if (request.path == "/big") {
            writer->respond(server::Response::json(200, std::string(200 * 1024, 'b')));
            return;
        }
        nlohmann::json query = nlohmann::json::object();
        for (const auto &[key, value] : request.query)
            query[key] = value;
        const nlohmann::json body = {{"user", request.user.name},
                                     {"groups", request.user.groups},
                                     {"method", request.method},
                                     {"path", request.path},
                                     {"query", query},
                                     {"bodySize", request.body.size()}};
        writer->respond(server::Response::json(200, body.dump()));
    }

    std::vector<std::shared_ptr<server::ResponseWriter>> takeStreams()
    {
        std::lock_guard lock(m_mutex);
        return std::exchange(m_streams, {});
    }

    // Waits until `count` streams noticed their client leaving.
    bool waitForGone(int count)
    {
        std::unique_lock lock(m_gone->mutex);
        return m_gone->changed.wait_for(lock, std::chrono::seconds(10),
                                        [&] { return m_gone->count >= count; });
    }

private:
    struct Gone
    {
        std::mutex mutex;
        std::condition_variable changed;
        int count = 0;
    };
    std::shared_ptr<Gone> m_gone = std::make_shared<Gone>();
    std::mutex m_mutex;
    std::vector<std::shared_ptr<server::ResponseWriter>> m_streams;
};

QJsonObject jsonBody(const TlsClient::Response &response)
{
    return QJsonDocument::fromJson(response.body).object();
}

} // namespace

class TestServer : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::optional<pki::ClusterPki> m_pki;
    std::unique_ptr<server::Server> m_server;
    std::shared_ptr<EchoHandler> m_handler;
    std::atomic<bool> m_extraCheckOk{true};

    QByteArray ca() const { return QByteArray::fromStdString(m_pki->caCertificatePem()); }

    std::unique_ptr<TlsClient> anonymous() const
    {
        return std::make_unique<TlsClient>(m_server->port(), ca());
    }

    std::unique_ptr<TlsClient> admin() const
    {
        return std::make_unique<TlsClient>(m_server->port(), ca(),
                                           QByteArray::fromStdString(m_pki->adminCertificatePem()),
                                           QByteArray::fromStdString(m_pki->adminKeyPem()));
    }

    std::optional<TlsClient::Response> fetch(std::unique_ptr<TlsClient> client,
                                             const QByteArray &target)
    {
        if (!client->connectToServer() || !client->get(target))
            return std::nullopt;
        return client->readResponse();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        auto pki = pki::ClusterPki::loadOrCreate((m_dir.path() + "/pki").toStdString(), {});
        QVERIFY2(pki.ok(), pki.ok() ? "" : pki.error().message().c_str());
        m_pki = *pki;
        server::ServerOptions options;
        options.port = 0;
        options.certificatePem = m_pki->servingCertificatePem();
        options.privateKeyPem = m_pki->servingKeyPem();
        options.clientCaPem = m_pki->caCertificatePem();
        options.compressForLoopback = true; // every test client here is on loopback
        m_server = std::make_unique<server::Server>(options);
        m_server->addAuthenticator(std::make_shared<server::ClientCertificateAuthenticator>());
        m_server->addHealthCheck(
            "informer-sync", [this] { return m_extraCheckOk.load(); },
            server::Server::Probe::Ready);
        m_handler = std::make_shared<EchoHandler>();
        m_server->setHandler(m_handler);
        auto started = m_server->start();
        QVERIFY2(started.ok(), started.ok() ? "" : started.error().message().c_str());
        QVERIFY(m_server->port() != 0);
        QVERIFY(m_server->ready());
    }

    void cleanupTestCase() { m_server.reset(); }

    void probes_data()
    {
        QTest::addColumn<QByteArray>("target");
        QTest::addColumn<QByteArray>("body");
        QTest::newRow("healthz") << QByteArray("/healthz") << QByteArray("ok");
        QTest::newRow("livez") << QByteArray("/livez") << QByteArray("ok");
        QTest::newRow("readyz") << QByteArray("/readyz") << QByteArray("ok");
        QTest::newRow("version-style query")
            << QByteArray("/healthz?timeout=32s") << QByteArray("ok");
        QTest::newRow("healthz verbose")
            << QByteArray("/healthz?verbose") << QByteArray("[+]ping ok\nhealthz check passed\n");
        QTest::newRow("livez verbose")
            << QByteArray("/livez?verbose=1") << QByteArray("[+]ping ok\nlivez check passed\n");
        QTest::newRow("readyz verbose")
            << QByteArray("/readyz?verbose")
            << QByteArray("[+]ping ok\n[+]shutdown ok\n[+]informer-sync ok\nreadyz check passed\n");
        QTest::newRow("single check") << QByteArray("/readyz/informer-sync") << QByteArray("ok");
    }

    void probes()
    {
        QFETCH(QByteArray, target);
        QFETCH(QByteArray, body);
        auto response = fetch(anonymous(), target);
        QVERIFY(response);
        QCOMPARE(response->status, 200);
        QVERIFY(response->header("Content-Type").startsWith("text/plain"));
        QCOMPARE(response->body, body);
    }

    void failingReadinessCheckFailsReadyzOnly()
    {
        m_extraCheckOk = false;
        auto ready = fetch(anonymous(), "/readyz");
        auto healthy = fetch(anonymous(), "/healthz");
        const bool serverReady = m_server->ready();
        m_extraCheckOk = true;
        QVERIFY(ready && healthy);
        QCOMPARE(ready->status, 500);
        QVERIFY(ready->body.contains("[-]informer-sync failed"));
        QVERIFY(ready->body.endsWith("readyz check failed\n"));
        QCOMPARE(healthy->status, 200);
        QVERIFY(!serverReady);
        QVERIFY(m_server->ready());
    }

    void version()
    {
        auto response = fetch(anonymous(), "/version?timeout=5s");
        QVERIFY(response);
        QCOMPARE(response->status, 200);
        QCOMPARE(response->header("Content-Type"), QByteArray("application/json"));
        const QJsonObject v = jsonBody(*response);
        QCOMPARE(v["gitVersion"].toString(), QStringLiteral(KD_KUBERNETES_VERSION));
        QCOMPARE(v["major"].toString(), QStringLiteral("1"));
        QVERIFY(
            QStringLiteral(KD_KUBERNETES_VERSION).startsWith("v1." + v["minor"].toString() + "."));
        QVERIFY(v.contains("platform") && v.contains("gitTreeState") && v.contains("buildDate"));
    }

    void anonymousRequestsAreUnauthorized_data()
    {
        QTest::addColumn<QByteArray>("target");
        QTest::newRow("api") << QByteArray("/api");
        QTest::newRow("pods") << QByteArray("/api/v1/namespaces/default/pods?watch=1");
        QTest::newRow("root") << QByteArray("/");
        QTest::newRow("lookalike") << QByteArray("/healthzfoo");
    }

    void anonymousRequestsAreUnauthorized()
    {
        QFETCH(QByteArray, target);
        auto response = fetch(anonymous(), target);
        QVERIFY(response);
        QCOMPARE(response->status, 401);
        QCOMPARE(response->header("Content-Type"), QByteArray("application/json"));
        QCOMPARE(
            response->body,
            QByteArray(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
                       R"("message":"Unauthorized","reason":"Unauthorized","code":401})"));
    }

    void clientCertificateIdentifiesAdmin()
    {
        auto response = fetch(admin(), "/api/v1/pods?labelSelector=app%3Dweb&limit=500");
        QVERIFY(response);
        QCOMPARE(response->status, 200);
        const QJsonObject echo = jsonBody(*response);
        QCOMPARE(echo["user"].toString(), QStringLiteral("kubedesk-admin"));
        const QVariantList groups = echo["groups"].toArray().toVariantList();
        QVERIFY(groups.contains("system:masters"));
        QVERIFY(groups.contains("system:authenticated"));
        QCOMPARE(echo["path"].toString(), QStringLiteral("/api/v1/pods"));
        QCOMPARE(echo["query"].toObject()["labelSelector"].toString(), QStringLiteral("app=web"));
        QCOMPARE(echo["query"].toObject()["limit"].toString(), QStringLiteral("500"));
    }

    void certificateFromAnotherCaIsRefused()
    {
        QTemporaryDir otherDir;
        auto other = pki::ClusterPki::loadOrCreate((otherDir.path() + "/pki").toStdString(), {});
        QVERIFY(other.ok());
        TlsClient client(m_server->port(), ca(),
                         QByteArray::fromStdString(other->adminCertificatePem()),
                         QByteArray::fromStdString(other->adminKeyPem()));
        // TLS 1.3 reports the client certificate failure after the handshake, on first read.
        const bool connected = client.connectToServer();
        if (connected) {
            QVERIFY(client.get("/api"));
            QVERIFY(!client.readResponse(5000));
        }
    }

    void noHandlerMeansNotFound()
    {
        server::ServerOptions options;
        options.port = 0;
        options.certificatePem = m_pki->servingCertificatePem();
        options.privateKeyPem = m_pki->servingKeyPem();
        options.clientCaPem = m_pki->caCertificatePem();
        server::Server bare(options);
        bare.addAuthenticator(std::make_shared<server::ClientCertificateAuthenticator>());
        QVERIFY(bare.start().ok());
        auto client = std::make_unique<TlsClient>(
            bare.port(), ca(), QByteArray::fromStdString(m_pki->adminCertificatePem()),
            QByteArray::fromStdString(m_pki->adminKeyPem()));
        auto response = fetch(std::move(client), "/api/v1/pods");
        QVERIFY(response);
        QCOMPARE(response->status, 404);
        const QJsonObject status = jsonBody(*response);
        QCOMPARE(status["reason"].toString(), QStringLiteral("NotFound"));
        QCOMPARE(status["message"].toString(),
                 QStringLiteral("the server could not find the requested resource"));
        QCOMPARE(status["code"].toInt(), 404);
    }

    void keepAliveServesSeveralRequests()
    {
        auto client = admin();
        QVERIFY(client->connectToServer());
        for (int i = 0; i < 3; ++i) {
            QVERIFY(client->get("/apis/apps/v1?i=" + QByteArray::number(i)));
            auto response = client->readResponse();
            QVERIFY(response);
            QCOMPARE(response->status, 200);
            QCOMPARE(jsonBody(*response)["query"].toObject()["i"].toString(), QString::number(i));
        }
        // Pipelined requests are answered in order.
        QVERIFY(
            client->send("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n"));
        auto a = client->readResponse();
        auto b = client->readResponse();
        QVERIFY(a && b);
        QCOMPARE(jsonBody(*a)["path"].toString(), QStringLiteral("/a"));
        QCOMPARE(jsonBody(*b)["path"].toString(), QStringLiteral("/b"));
    }

    void connectionCloseIsHonoured()
    {
        auto client = admin();
        QVERIFY(client->connectToServer());
        QVERIFY(client->get("/x", "Connection: close\r\n"));
        auto response = client->readResponse();
        QVERIFY(response);
        QCOMPARE(response->header("Connection"), QByteArray("close"));
        QVERIFY(client->waitForDisconnected());
    }

    void bodyIsDelivered()
    {
        auto client = admin();
        QVERIFY(client->connectToServer());
        const QByteArray body(2 * 1024 * 1024, 'x');
        QVERIFY(client->send("POST /api/v1/namespaces HTTP/1.1\r\nHost: x\r\nContent-Length: "
                             + QByteArray::number(body.size()) + "\r\n\r\n" + body));
        auto response = client->readResponse();
        QVERIFY(response);
        QCOMPARE(response->status, 200);
        QCOMPARE(jsonBody(*response)["bodySize"].toInt(), body.size());
        QCOMPARE(jsonBody(*response)["method"].toString(), QStringLiteral("POST"));
    }

    void oversizedBodyIsRejected()
    {
        auto client = admin();
        QVERIFY(client->connectToServer());
        QVERIFY(client->send("POST /api/v1/namespaces HTTP/1.1\r\nHost: x\r\nContent-Length: "
                             + QByteArray::number(4 * 1024 * 1024) + "\r\n\r\n"));
        auto response = client->readResponse();
        QVERIFY(response);
        QCOMPARE(response->status, 413);
        const QJsonObject status = jsonBody(*response);
        QCOMPARE(status["reason"].toString(), QStringLiteral("RequestEntityTooLarge"));
        QCOMPARE(status["code"].toInt(), 413);
    }

    void oversizedBodyWithCurl()
    {
        // curl sends "Expect: 100-continue" for big bodies and must see the 413, not a reset.
        QTemporaryDir dir;
        const QString caPath = dir.path() + "/ca.crt";
        const QString certPath = dir.path() + "/admin.crt";
        const QString keyPath = dir.path() + "/admin.key";
        for (const auto &[path, pem] : {std::pair{caPath, m_pki->caCertificatePem()},
                                        std::pair{certPath, m_pki->adminCertificatePem()},
                                        std::pair{keyPath, m_pki->adminKeyPem()}}) {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray::fromStdString(pem));
        }
        const QString bodyPath = dir.path() + "/body";
        {
            QFile f(bodyPath);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray(4 * 1024 * 1024, 'y'));
        }
        QProcess curl;
        curl.start("curl",
                   {"-sS", "--cacert", caPath, "--cert", certPath, "--key", keyPath, "-o",
                    "/dev/null", "-w", "%{http_code}", "--data-binary", "@" + bodyPath,
                    QString("https://127.0.0.1:%1/api/v1/namespaces").arg(m_server->port())});
        QVERIFY(curl.waitForFinished(60000));
        QCOMPARE(curl.readAllStandardOutput(), QByteArray("413"));
    }

    void largeAnswersAreCompressedForClientsThatAsk_data()
    {
        QTest::addColumn<QByteArray>("acceptEncoding");
        QTest::addColumn<bool>("compressed");
        QTest::newRow("gzip") << QByteArray("gzip") << true;
        QTest::newRow("list") << QByteArray("deflate, gzip;q=0.5") << true;
        QTest::newRow("refused") << QByteArray("gzip;q=0") << false;
        QTest::newRow("none") << QByteArray() << false;
    }

    void largeAnswersAreCompressedForClientsThatAsk()
    {
        QFETCH(QByteArray, acceptEncoding);
        QFETCH(bool, compressed);
        auto client = admin();
        QVERIFY(client->connectToServer());
        QVERIFY(client->get("/big", acceptEncoding.isEmpty()
                                        ? QByteArray()
                                        : "Accept-Encoding: " + acceptEncoding + "\r\n"));
        auto response = client->readResponse();
        QVERIFY(response);
        QCOMPARE(response->status, 200);
        QCOMPARE(response->header("Content-Encoding") == "gzip", compressed);
        if (compressed) {
            QVERIFY(response->body.size() < 200 * 1024);
            QVERIFY(response->body.startsWith("\x1f\x8b")); // gzip magic
        } else {
            QCOMPARE(response->body, QByteArray(200 * 1024, 'b'));
        }
    }

    void loopbackPeersGetUncompressedAnswersByDefault()
    {
        server::ServerOptions options;
        options.port = 0;
        options.certificatePem = m_pki->servingCertificatePem();
        options.privateKeyPem = m_pki->servingKeyPem();
        options.clientCaPem = m_pki->caCertificatePem();
        server::Server local(options);
        local.addAuthenticator(std::make_shared<server::ClientCertificateAuthenticator>());
        local.setHandler(m_handler);
        QVERIFY(local.start().ok());
        auto client = std::make_unique<TlsClient>(
            local.port(), ca(), QByteArray::fromStdString(m_pki->adminCertificatePem()),
            QByteArray::fromStdString(m_pki->adminKeyPem()));
        QVERIFY(client->connectToServer());
        QVERIFY(client->get("/big", "Accept-Encoding: gzip\r\n"));
        auto response = client->readResponse();
        QVERIFY(response);
        QCOMPARE(response->status, 200);
        QCOMPARE(response->header("Content-Encoding"), QByteArray());
        QCOMPARE(response->body, QByteArray(200 * 1024, 'b'));
    }

    void curlDecompressesLargeAnswers()
    {
        QTemporaryDir dir;
        const QString caPath = dir.path() + "/ca.crt";
        const QString certPath = dir.path() + "/admin.crt";
        const QString keyPath = dir.path() + "/admin.key";
        for (const auto &[path, pem] : {std::pair{caPath, m_pki->caCertificatePem()},
                                        std::pair{certPath, m_pki->adminCertificatePem()},
                                        std::pair{keyPath, m_pki->adminKeyPem()}}) {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(QByteArray::fromStdString(pem));
        }
        QProcess curl;
        curl.start("curl", {"-sS", "--compressed", "--cacert", caPath, "--cert", certPath, "--key",
                            keyPath, "-w", "\n%{size_download}",
                            QString("https://127.0.0.1:%1/big").arg(m_server->port())});
        QVERIFY(curl.waitForFinished(60000));
        const QByteArray out = curl.readAllStandardOutput();
        const auto newline = out.lastIndexOf('\n');
        QCOMPARE(out.left(newline), QByteArray(200 * 1024, 'b'));
        QVERIFY(out.mid(newline + 1).toInt() < 200 * 1024);
    }

    void malformedRequestIsRejected()
    {
        auto client = admin();
        QVERIFY(client->connectToServer());
        QVERIFY(client->send("GARBAGE\r\n\r\n"));
        auto response = client->readResponse();
        QVERIFY(response);
        QCOMPARE(response->status, 400);
        QVERIFY(client->waitForDisconnected());
    }

    void chunksArriveBeforeTheStreamEnds()
    {
        auto client = admin();
        QVERIFY(client->connectToServer());
        QVERIFY(client->get("/stream"));
        auto head = client->readHead();
        QVERIFY(head);
        QCOMPARE(head->status, 200);
        QCOMPARE(head->header("Transfer-Encoding"), QByteArray("chunked"));
        QCOMPARE(client->readChunk(), std::optional<QByteArray>("first\n"));

        auto streams = m_handler->takeStreams();
        QCOMPARE(streams.size(), std::size_t(1));
        // Written from this (non-I/O) thread, as an API server's watch dispatcher would.
        streams[0]->writeChunk("second\n");
        QCOMPARE(client->readChunk(), std::optional<QByteArray>("second\n"));
        QVERIFY(!streams[0]->clientGone());
        streams[0]->endStream();
        QCOMPARE(client->readChunk(), std::optional<QByteArray>(QByteArray()));

        // The connection is reusable after the stream.
        QVERIFY(client->get("/after"));
        auto after = client->readResponse();
        QVERIFY(after);
        QCOMPARE(jsonBody(*after)["path"].toString(), QStringLiteral("/after"));
    }

    void clientDisconnectIsDetected()
    {
        auto client = admin();
        QVERIFY(client->connectToServer());
        QVERIFY(client->get("/stream"));
        QVERIFY(client->readHead());
        QVERIFY(client->readChunk());
        auto streams = m_handler->takeStreams();
        QCOMPARE(streams.size(), std::size_t(1));
        QVERIFY(!streams[0]->clientGone());
        client->close();
        QVERIFY(m_handler->waitForGone(1));
        QVERIFY(streams[0]->clientGone());
        streams[0]->writeChunk("ignored\n"); // must be harmless
        streams[0]->endStream();
    }

    void manyStreamsDoNotStarveShortRequests()
    {
        constexpr int streamCount = 100;
        std::vector<std::unique_ptr<TlsClient>> watchers;
        for (int i = 0; i < streamCount; ++i) {
            auto client = std::make_unique<TlsClient>(
                m_server->port(), ca(), QByteArray::fromStdString(m_pki->adminCertificatePem()),
                QByteArray::fromStdString(m_pki->adminKeyPem()));
            QVERIFY2(client->connectToServer(), qPrintable(QString::number(i)));
            QVERIFY(client->get("/stream"));
            QVERIFY(client->readHead());
            QCOMPARE(client->readChunk(), std::optional<QByteArray>("first\n"));
            watchers.push_back(std::move(client));
        }
        for (int i = 0; i < 20; ++i) {
            auto response = fetch(i % 2 ? anonymous() : admin(), i % 2 ? "/healthz" : "/api");
            QVERIFY(response);
            QCOMPARE(response->status, 200);
        }
        auto streams = m_handler->takeStreams();
        QCOMPARE(streams.size(), std::size_t(streamCount));
        for (auto &stream : streams) {
            stream->writeChunk("bye\n");
            stream->endStream();
        }
        for (auto &client : watchers) {
            QCOMPARE(client->readChunk(), std::optional<QByteArray>("bye\n"));
            QCOMPARE(client->readChunk(), std::optional<QByteArray>(QByteArray()));
        }
    }

    void kubectlReportsServerVersion_data()
    {
        QTest::addColumn<QString>("kubectl");
        QTest::newRow("1.33") << "/usr/lib/google-cloud-sdk/bin/kubectl.1.33";
        QTest::newRow("1.27") << "/usr/lib/google-cloud-sdk/bin/kubectl.1.27";
    }

    void kubectlReportsServerVersion()
    {
        QFETCH(QString, kubectl);
        if (!QFile::exists(kubectl))
            QFAIL("kubectl binary not installed");
        QTemporaryDir dir;
        const QString kubeconfig = dir.path() + "/kubeconfig";
        QVERIFY(pki::kubeconfig::write(kubeconfig.toStdString(), *m_pki,
                                       "https://127.0.0.1:" + std::to_string(m_server->port()))
                    .ok());
        QProcess process;
        process.start(kubectl, {"--kubeconfig", kubeconfig, "--cache-dir", dir.path() + "/cache",
                                "version", "-o", "json"});
        QVERIFY(process.waitForFinished(60000));
        const QByteArray err = process.readAllStandardError();
        QVERIFY2(process.exitCode() == 0, err.constData());
        const QJsonObject out = QJsonDocument::fromJson(process.readAllStandardOutput()).object();
        QCOMPARE(out["serverVersion"].toObject()["gitVersion"].toString(),
                 QStringLiteral(KD_KUBERNETES_VERSION));
    }

    void stopEndsStreamsCleanly()
    {
        auto client = admin();
        QVERIFY(client->connectToServer());
        QVERIFY(client->get("/stream"));
        QVERIFY(client->readHead());
        QVERIFY(client->readChunk());
        m_server->stop();
        QVERIFY(!m_server->ready());
        // The watch got its terminating chunk rather than a torn connection.
        QCOMPARE(client->readChunk(), std::optional<QByteArray>(QByteArray()));
        QVERIFY(m_handler->waitForGone(2));
        m_handler->takeStreams();
    }
};

QTEST_GUILESS_MAIN(TestServer)
#include "tst_server.moc"
