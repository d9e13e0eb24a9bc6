#include <core/kubeconfig/credentials.h>
#include <core/kubeconfig/kubeconfig.h>
#include <core/kubeconfig/process.h>

#include <QDir>
#include <QFile>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslServer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>

using namespace std::chrono_literals;
using kd::core::kubeconfig::ClientCertificate;
using kd::core::kubeconfig::Credentials;
using kd::core::kubeconfig::Kubeconfig;
using kd::core::kubeconfig::resolveCredentials;
using kd::core::kubeconfig::ResolveOptions;
using kd::core::kubeconfig::verifyClientCertificate;
using kd::core::util::Error;
using kd::core::util::Result;

namespace {

std::string writeFile(const QString &path, const QByteArray &text, bool executable = false)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        qFatal("cannot write %s", qPrintable(path));
    file.write(text);
    file.close();
    if (executable)
        file.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    return path.toStdString();
}

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

QByteArray b64(const QByteArray &bytes)
{
    return bytes.toBase64();
}

QByteArray jwt(qint64 exp)
{
    const auto part = [](const QByteArray &json) {
        return json.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
    };
    return part(R"({"alg":"none"})") + "."
           + part("{\"sub\":\"me\",\"exp\":" + QByteArray::number(exp) + "}") + ".c2ln";
}

qint64 nowSeconds()
{
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Waits for a blocking call made on another thread while this thread serves the event loop (the
// local OIDC issuer lives on it).
template<typename T>
T waitFor(std::future<T> &future)
{
    if (!QTest::qWaitFor([&] { return future.wait_for(0s) == std::future_status::ready; }, 20000))
        qFatal("a blocking credential call did not finish within 20 s");
    return future.get();
}

// A minimal OpenID issuer over plain HTTP: the discovery document and a token endpoint that
// records what it was sent.
class Issuer final : public QObject
{
public:
    // With a certificate and key the issuer speaks HTTPS, as real ones do.
    explicit Issuer(const QByteArray &certificatePem = {}, const QByteArray &keyPem = {})
    {
        if (certificatePem.isEmpty()) {
            m_server = std::make_unique<QTcpServer>();
        } else {
            auto server = std::make_unique<QSslServer>();
            QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
            tls.setLocalCertificate(QSslCertificate(certificatePem));
            tls.setPrivateKey(QSslKey(keyPem, QSsl::Ec));
            server->setSslConfiguration(tls);
            m_scheme = "https";
            m_server = std::move(server);
        }
        m_server->listen(QHostAddress::LocalHost);
        connect(m_server.get(), &QTcpServer::pendingConnectionAvailable, this, [this] {
            while (QTcpSocket *socket = m_server->nextPendingConnection()) {
                connect(socket, &QTcpSocket::readyRead, this, [this, socket] { read(socket); });
                connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
    }
    QByteArray url() const
    {
        return m_scheme + "://127.0.0.1:" + QByteArray::number(m_server->serverPort());
    }

    int discoveryRequests = 0;
    int tokenRequests = 0;
    QByteArray lastBody;
    QByteArray lastAuthorization;
    int status = 200;
    QByteArray answer;

private:
    void read(QTcpSocket *socket)
    {
        QByteArray &buffer = m_buffers[socket];
        buffer += socket->readAll();
        const qsizetype end = buffer.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        const QList<QByteArray> lines = buffer.left(end).split('\n');
        qsizetype length = 0;
        QByteArray authorization;
        for (const QByteArray &line : lines) {
            const QByteArray lower = line.trimmed().toLower();
            if (lower.startsWith("content-length:"))
                length = lower.mid(15).trimmed().toLongLong();
            if (lower.startsWith("authorization:"))
                authorization = line.trimmed().mid(14).trimmed();
        }
        if (buffer.size() < end + 4 + length)
            return;
        const QByteArray path = lines.first().split(' ').value(1);
        const QByteArray body = buffer.mid(end + 4, length);
        m_buffers.remove(socket);
        int code = 404;
        QByteArray reply = "{}";
        if (path == "/.well-known/openid-configuration") {
            ++discoveryRequests;
            code = 200;
            reply = "{\"issuer\":\"" + url() + "\",\"token_endpoint\":\"" + url() + "/token\"}";
        } else if (path == "/token") {
            ++tokenRequests;
            lastBody = body;
            lastAuthorization = authorization;
            code = status;
            reply = answer;
        }
        socket->write("HTTP/1.1 " + QByteArray::number(code)
                      + " X\r\nContent-Type: "
                        "application/json\r\nConnection: close\r\nContent-Length: "
                      + QByteArray::number(reply.size()) + "\r\n\r\n" + reply);
        socket->disconnectFromHost();
    }

    std::unique_ptr<QTcpServer> m_server;
    QByteArray m_scheme = "http";
    QHash<QTcpSocket *, QByteArray> m_buffers;
};

} // namespace

class tst_KubeconfigAuth : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_pki;
    QTemporaryDir m_dir;

    QByteArray pem(const QString &name) const { return readFile(m_pki.filePath(name)); }

    void makePair(const QString &name, const QStringList &keyArgs)
    {
        QProcess openssl;
        openssl.start("openssl",
                      QStringList{"req", "-x509", "-nodes", "-days", "1", "-subj", "/CN=" + name,
                                  "-keyout", m_pki.filePath(name + ".key"), "-out",
                                  m_pki.filePath(name + ".crt")}
                          + keyArgs);
        QVERIFY(openssl.waitForFinished(60000));
        QVERIFY2(openssl.exitCode() == 0, openssl.readAllStandardError().constData());
    }

    // A kubeconfig whose context "ctx" uses the given user body (YAML, indented 4).
    std::string configWithUser(const QByteArray &userBody, const QByteArray &clusterExtra = {})
    {
        return writeFile(m_dir.filePath("config"),
                         "clusters:\n- name: c\n  cluster:\n    server: https://c.example:6443\n"
                             + clusterExtra + "users:\n- name: u\n  user:\n" + userBody
                             + "contexts:\n- name: ctx\n  context: {cluster: c, user: u}\n");
    }

    QByteArray execUser(const QByteArray &apiVersion, const QByteArray &script,
                        const QByteArray &extra = "      interactiveMode: IfAvailable\n")
    {
        writeFile(m_dir.filePath("bin/kd-test-plugin"), "#!/bin/sh\n" + script, true);
        return "    exec:\n      apiVersion: " + apiVersion
               + "\n      command: kd-test-plugin\n      env:\n      - {name: COUNTER, value: "
               + m_dir.filePath("counter").toUtf8() + "}\n" + extra;
    }

    ResolveOptions options() const
    {
        ResolveOptions result;
        // Our plugin directory first, then the system's, like a login shell's PATH.
        result.execSearchPath
            = m_dir.filePath("bin").toStdString() + ":" + qgetenv("PATH").toStdString();
        result.execTimeout = 20s;
        return result;
    }

    Result<Credentials> resolve(const std::string &path)
    {
        return resolveCredentials(Kubeconfig::load({path}), "ctx", options());
    }

    int runs() { return readFile(m_dir.filePath("counter")).trimmed().toInt(); }

    // Counts its runs and answers token "tok-<run>", expiring at $EXPIRY when set.
    static QByteArray countingTokenScript(const QByteArray &apiVersion)
    {
        return "n=$(cat \"$COUNTER\" 2>/dev/null || echo 0); n=$((n+1)); echo $n > \"$COUNTER\"\n"
               "exp=''; [ -n \"$EXPIRY\" ] && "
               "exp=\",\\\"expirationTimestamp\\\":\\\"$EXPIRY\\\"\"\n"
               "printf '{\"apiVersion\":\""
               + apiVersion
               + "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"tok-%s\"%s}}' "
                 "\"$n\" \"$exp\"\n";
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_pki.isValid());
        makePair("rsa", {"-newkey", "rsa:2048"});
        makePair("ecdsa", {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"});
        makePair("ed25519", {"-newkey", "ed25519"});
        makePair("issuer", {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-addext",
                            "subjectAltName=IP:127.0.0.1"});
    }

    void init() { QFile::remove(m_dir.filePath("counter")); }

    void clientCertificates_data()
    {
        QTest::addColumn<QString>("cert");
        QTest::addColumn<QString>("key");
        QTest::addColumn<bool>("inlineData");
        QTest::addColumn<bool>("ok");
        for (const char *type : {"rsa", "ecdsa", "ed25519"}) {
            QTest::addRow("%s files", type) << QString(type) << QString(type) << false << true;
            QTest::addRow("%s data", type) << QString(type) << QString(type) << true << true;
        }
        QTest::newRow("rsa cert, ecdsa key") << "rsa"
                                             << "ecdsa" << false << false;
        QTest::newRow("ed25519 cert, rsa key") << "ed25519"
                                               << "rsa" << true << false;
    }

    void clientCertificates()
    {
        QFETCH(QString, cert);
        QFETCH(QString, key);
        QFETCH(bool, inlineData);
        QFETCH(bool, ok);
        const QByteArray user
            = inlineData
                  ? "    client-certificate-data: " + b64(pem(cert + ".crt"))
                        + "\n    client-key-data: " + b64(pem(key + ".key")) + "\n"
                  : "    client-certificate: " + m_pki.filePath(cert + ".crt").toUtf8()
                        + "\n    client-key: " + m_pki.filePath(key + ".key").toUtf8() + "\n";
        const auto credentials = resolve(configWithUser(user));
        QCOMPARE(credentials.ok(), ok);
        if (ok) {
            QVERIFY(credentials->clientCertificate);
            QCOMPARE(QByteArray::fromStdString(credentials->clientCertificate->certificatePem),
                     pem(cert + ".crt"));
            QVERIFY(!credentials->authProvider);
        } else {
            QCOMPARE(credentials.error().code(), Error::Code::Invalid);
            QVERIFY2(credentials.error().message().find("does not belong") != std::string::npos,
                     credentials.error().message().c_str());
        }
    }

    void garbageKeyIsAClearError()
    {
        const auto result = verifyClientCertificate(
            ClientCertificate{pem("rsa.crt").toStdString(), "-----BEGIN PRIVATE KEY-----\nAAAA\n"
                                                            "-----END PRIVATE KEY-----\n"});
        QVERIFY(!result.ok());
        QVERIFY2(result.error().message().find("client key") != std::string::npos,
                 result.error().message().c_str());
    }

    void clusterSettings_data()
    {
        QTest::addColumn<QByteArray>("cluster");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("http proxy")
            << QByteArray("    proxy-url: http://proxy:3128\n") << true << "";
        QTest::newRow("socks5h proxy")
            << QByteArray("    proxy-url: socks5h://proxy:1080\n") << true << "";
        QTest::newRow("ftp proxy")
            << QByteArray("    proxy-url: ftp://proxy\n") << false << "proxy-url";
        QTest::newRow("ca data") << "    certificate-authority-data: " + b64(pem("ecdsa.crt"))
                                        + "\n"
                                 << true << "";
        QTest::newRow("ca data not a certificate")
            << "    certificate-authority-data: " + b64("hello") + "\n"
            << false << "certificate-authority";
    }

    void clusterSettings()
    {
        QFETCH(QByteArray, cluster);
        QFETCH(bool, ok);
        QFETCH(QString, mentions);
        const auto credentials = resolve(configWithUser("    token: t\n", cluster));
        QCOMPARE(credentials.ok(), ok);
        if (!ok)
            QVERIFY2(QString::fromStdString(credentials.error().message()).contains(mentions),
                     credentials.error().message().c_str());
    }

    void staticTokenAndBasicAuth()
    {
        auto token = resolve(configWithUser("    token: abc\n"));
        QVERIFY(token.ok());
        QCOMPARE(token->server, "https://c.example:6443");
        QCOMPARE(*token->authProvider->authorization(), "Bearer abc");
        // Asking again cannot produce another token, so a retry is pointless.
        QCOMPARE(token->authProvider->handleUnauthorized("Bearer abc").error().code(),
                 Error::Code::Unauthorized);

        auto basic = resolve(configWithUser("    username: admin\n    password: s3cret\n"));
        QVERIFY(basic.ok());
        QCOMPARE(*basic->authProvider->authorization(),
                 "Basic " + b64("admin:s3cret").toStdString());

        auto both = resolve(configWithUser("    token: abc\n    username: admin\n"));
        QVERIFY(!both.ok());
    }

    void tokenFileRotation()
    {
        const QString tokenPath = m_dir.filePath("token");
        writeFile(tokenPath, "aaa\n");
        auto credentials = resolve(configWithUser("    tokenFile: token\n"));
        QVERIFY2(credentials.ok(), credentials.ok() ? "" : credentials.error().message().c_str());
        auto &auth = *credentials->authProvider;
        QCOMPARE(*auth.authorization(), "Bearer aaa");

        // Same size, so only the new mtime tells us the file changed.
        writeFile(tokenPath, "bbb\n");
        const auto bump = [&] {
            std::filesystem::last_write_time(
                tokenPath.toStdString(),
                std::filesystem::last_write_time(tokenPath.toStdString()) + 2s);
        };
        bump();
        QCOMPARE(*auth.authorization(), "Bearer bbb");

        // A 401 with the file unchanged: nothing better to offer.
        QCOMPARE(auth.handleUnauthorized("Bearer bbb").error().code(), Error::Code::Unauthorized);
        writeFile(tokenPath, "ccc\n");
        bump();
        QVERIFY(auth.handleUnauthorized("Bearer bbb").ok());
        QCOMPARE(*auth.authorization(), "Bearer ccc");

        QFile::remove(tokenPath);
        const auto missing = resolve(configWithUser("    tokenFile: token\n"));
        QVERIFY(!missing.ok());
        QVERIFY(QString::fromStdString(missing.error().message()).contains(tokenPath));
    }

    void execToken_data()
    {
        QTest::addColumn<QByteArray>("apiVersion");
        QTest::newRow("v1") << QByteArray("client.authentication.k8s.io/v1");
        QTest::newRow("v1beta1") << QByteArray("client.authentication.k8s.io/v1beta1");
    }

    void execToken()
    {
        QFETCH(QByteArray, apiVersion);
        auto credentials
            = resolve(configWithUser(execUser(apiVersion, countingTokenScript(apiVersion))));
        QVERIFY(credentials.ok());
        auto token = credentials->authProvider->authorization();
        QVERIFY2(token.ok(), token.ok() ? "" : token.error().message().c_str());
        QCOMPARE(*token, "Bearer tok-1");
        QVERIFY(!credentials->authProvider->clientCertificate()->has_value());
    }

    void execCachesUntilExpiry_data()
    {
        QTest::addColumn<QByteArray>("expiry");
        QTest::addColumn<int>("runsForTwoCalls");
        QTest::newRow("no expiry") << QByteArray() << 1;
        QTest::newRow("future") << QByteArray("2099-01-01T00:00:00Z") << 1;
        QTest::newRow("future with offset") << QByteArray("2099-01-01T00:00:00.5+02:00") << 1;
        QTest::newRow("past") << QByteArray("2001-01-01T00:00:00Z") << 2;
    }

    void execCachesUntilExpiry()
    {
        QFETCH(QByteArray, expiry);
        QFETCH(int, runsForTwoCalls);
        const QByteArray v1 = "client.authentication.k8s.io/v1";
        auto credentials = resolve(configWithUser(
            execUser(v1, countingTokenScript(v1), "      interactiveMode: Never\n      args: []\n")
                .replace("      env:\n",
                         "      env:\n      - {name: EXPIRY, value: \"" + expiry + "\"}\n")));
        QVERIFY(credentials.ok());
        QVERIFY(credentials->authProvider->authorization().ok());
        const auto second = credentials->authProvider->authorization();
        QVERIFY(second.ok());
        QCOMPARE(runs(), runsForTwoCalls);
        QCOMPARE(*second, "Bearer tok-" + std::to_string(runsForTwoCalls));
    }

    void execChattyPluginDoesNotDeadlock()
    {
        // Far more than a pipe buffer on stderr before anything on stdout: reading only stdout
        // until EOF would hang here.
        const QByteArray v1 = "client.authentication.k8s.io/v1";
        auto credentials = resolve(configWithUser(execUser(
            v1, "head -c 1000000 /dev/zero | tr '\\0' x >&2\n" + countingTokenScript(v1))));
        QVERIFY(credentials.ok());
        const auto token = credentials->authProvider->authorization();
        QVERIFY2(token.ok(), token.ok() ? "" : token.error().message().substr(0, 200).c_str());
        QCOMPARE(*token, "Bearer tok-1");
    }

    void execRerunsAfterUnauthorized()
    {
        const QByteArray v1 = "client.authentication.k8s.io/v1";
        auto credentials = resolve(configWithUser(execUser(v1, countingTokenScript(v1))));
        QVERIFY(credentials.ok());
        auto &auth = *credentials->authProvider;
        QCOMPARE(*auth.authorization(), "Bearer tok-1");
        QVERIFY(auth.handleUnauthorized("Bearer tok-1").ok());
        const auto second = auth.authorization();
        QVERIFY2(second.ok(), second.ok() ? "" : second.error().message().c_str());
        QCOMPARE(*second, "Bearer tok-2");
        // A late 401 for the old token must not throw away the new one.
        QVERIFY(auth.handleUnauthorized("Bearer tok-1").ok());
        QCOMPARE(*auth.authorization(), "Bearer tok-2");
        QCOMPARE(runs(), 2);
    }

    void execClientCertificate()
    {
        for (const QString &keyName : {QString("ecdsa"), QString("rsa")}) {
            const bool matching = keyName == "ecdsa";
            QJsonObject status{{"clientCertificateData", QString(pem("ecdsa.crt"))},
                               {"clientKeyData", QString(pem(keyName + ".key"))}};
            writeFile(
                m_dir.filePath("cred.json"),
                QJsonDocument(QJsonObject{{"apiVersion", "client.authentication.k8s.io/v1beta1"},
                                          {"kind", "ExecCredential"},
                                          {"status", status}})
                    .toJson());
            auto credentials = resolve(configWithUser(
                execUser("client.authentication.k8s.io/v1beta1",
                         "cat '" + m_dir.filePath("cred.json").toUtf8() + "'\n", "")));
            QVERIFY(credentials.ok());
            auto certificate = credentials->authProvider->clientCertificate();
            QVERIFY2(certificate.ok() == matching,
                     certificate.ok() ? "" : certificate.error().message().c_str());
            if (matching) {
                QVERIFY(certificate->has_value());
                QCOMPARE(QByteArray::fromStdString((*certificate)->keyPem), pem("ecdsa.key"));
                QCOMPARE(*credentials->authProvider->authorization(), "");
            } else {
                QVERIFY2(certificate.error().message().find("does not belong") != std::string::npos,
                         certificate.error().message().c_str());
            }
        }
    }

    void execProvideClusterInfo()
    {
        const QByteArray v1 = "client.authentication.k8s.io/v1";
        const QString infoPath = m_dir.filePath("info.json");
        const QString argsPath = m_dir.filePath("args.txt");
        const QByteArray script = "printf '%s' \"$KUBERNETES_EXEC_INFO\" > '" + infoPath.toUtf8()
                                  + "'\nprintf '%s\\n' \"$@\" > '" + argsPath.toUtf8() + "'\n"
                                  + countingTokenScript(v1);
        const QByteArray cluster = "    certificate-authority-data: " + b64(pem("rsa.crt"))
                                   + "\n    tls-server-name: api.internal\n"
                                     "    proxy-url: socks5://proxy:1080\n"
                                     "    extensions:\n"
                                     "    - name: client.authentication.k8s.io/exec\n"
                                     "      extension: {audience: kd, nested: {n: 1}}\n"
                                     "    - name: other\n      extension: ignored\n";
        const QByteArray extra = "      interactiveMode: Never\n      provideClusterInfo: true\n"
                                 "      args: [\"two words\", \"$HOME\", \"a;b\"]\n";
        auto credentials = resolve(configWithUser(execUser(v1, script, extra), cluster));
        QVERIFY2(credentials.ok(), credentials.ok() ? "" : credentials.error().message().c_str());
        QVERIFY(credentials->authProvider->authorization().ok());

        const QJsonObject info = QJsonDocument::fromJson(readFile(infoPath)).object();
        QCOMPARE(info["apiVersion"].toString(), QString(v1));
        QCOMPARE(info["kind"].toString(), "ExecCredential");
        const QJsonObject spec = info["spec"].toObject();
        QCOMPARE(spec["interactive"], QJsonValue(false));
        const QJsonObject clusterInfo = spec["cluster"].toObject();
        QCOMPARE(clusterInfo["server"].toString(), "https://c.example:6443");
        QCOMPARE(clusterInfo["certificate-authority-data"].toString().toUtf8(),
                 b64(pem("rsa.crt")));
        QCOMPARE(clusterInfo["tls-server-name"].toString(), "api.internal");
        QCOMPARE(clusterInfo["proxy-url"].toString(), "socks5://proxy:1080");
        QCOMPARE(clusterInfo["config"].toObject()["audience"].toString(), "kd");
        QCOMPARE(clusterInfo["config"].toObject()["nested"].toObject()["n"].toInt(), 1);
        // Arguments reach the plugin exactly as written: no shell in between.
        QCOMPARE(readFile(argsPath), "two words\n$HOME\na;b\n");

        // Without provideClusterInfo the plugin learns only that it is not interactive.
        auto plain = resolve(
            configWithUser(execUser(v1, script, "      interactiveMode: Never\n"), cluster));
        QVERIFY(plain->authProvider->authorization().ok());
        const QJsonObject plainSpec
            = QJsonDocument::fromJson(readFile(infoPath)).object()["spec"].toObject();
        QCOMPARE(plainSpec["interactive"], QJsonValue(false));
        QVERIFY(!plainSpec.contains("cluster"));
    }

    void execErrors_data()
    {
        QTest::addColumn<QByteArray>("apiVersion");
        QTest::addColumn<QByteArray>("script");
        QTest::addColumn<QByteArray>("extra");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("mentions");
        const QByteArray v1 = "client.authentication.k8s.io/v1";
        const QByteArray ok = countingTokenScript(v1);
        const QByteArray never = "      interactiveMode: Never\n";
        QTest::newRow("failing plugin shows stderr")
            << v1 << QByteArray("echo 'error: your session expired, run login' >&2\nexit 3\n")
            << never << int(Error::Code::Unauthorized) << "your session expired, run login";
        QTest::newRow("output not json") << v1 << QByteArray("echo hello; echo warn >&2\n") << never
                                         << int(Error::Code::Decode) << "warn";
        QTest::newRow("wrong apiVersion in output")
            << v1 << countingTokenScript("client.authentication.k8s.io/v1beta1") << never
            << int(Error::Code::Decode) << "apiVersion";
        QTest::newRow("interactive Always")
            << v1 << ok << QByteArray("      interactiveMode: Always\n")
            << int(Error::Code::Invalid) << "Always";
        QTest::newRow("v1 needs interactiveMode")
            << v1 << ok << QByteArray() << int(Error::Code::Invalid) << "interactiveMode";
        QTest::newRow("v1alpha1 unsupported")
            << QByteArray("client.authentication.k8s.io/v1alpha1") << ok << never
            << int(Error::Code::Invalid) << "v1alpha1";
        QTest::newRow("timeout") << v1 << QByteArray("echo started >&2\nsleep 30\n") << never
                                 << int(Error::Code::Timeout) << "started";
    }

    void execErrors()
    {
        QFETCH(QByteArray, apiVersion);
        QFETCH(QByteArray, script);
        QFETCH(QByteArray, extra);
        QFETCH(int, code);
        QFETCH(QString, mentions);
        ResolveOptions opts = options();
        opts.execTimeout = 500ms;
        auto credentials = resolveCredentials(
            Kubeconfig::load({configWithUser(execUser(apiVersion, script, extra))}), "ctx", opts);
        QVERIFY(credentials.ok());
        const auto token = credentials->authProvider->authorization();
        QVERIFY(!token.ok());
        QVERIFY2(int(token.error().code()) == code, token.error().message().c_str());
        QVERIFY2(QString::fromStdString(token.error().message()).contains(mentions),
                 token.error().message().c_str());
    }

    void execMissingPlugin()
    {
        auto credentials = resolve(configWithUser(
            "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
            "      command: kd-no-such-plugin\n      interactiveMode: Never\n"
            "      installHint: \"Install it with: apt install kd-no-such-plugin\"\n"));
        QVERIFY(credentials.ok());
        const auto token = credentials->authProvider->authorization();
        QVERIFY(!token.ok());
        QCOMPARE(token.error().code(), Error::Code::NotFound);
        const QString message = QString::fromStdString(token.error().message());
        QVERIFY2(message.contains("\"kd-no-such-plugin\""), qPrintable(message));
        QVERIFY2(message.contains(m_dir.filePath("bin")), qPrintable(message));
        QVERIFY2(message.contains("Install it with: apt install kd-no-such-plugin"),
                 qPrintable(message));
    }

    void loginShellPath()
    {
        // A login shell whose profile prints a banner and extends PATH, as many do.
        const std::string shell = writeFile(
            m_dir.filePath("fake-shell"),
            "#!/bin/sh\necho 'Welcome to the machine'\nPATH=/opt/kd-login/bin:$PATH\nexport PATH\n"
            "[ \"$1\" = -l ] && shift\n[ \"$1\" = -c ] && shift\nexec /bin/sh -c \"$1\"\n",
            true);
        const std::string path = kd::core::kubeconfig::queryLoginShellPath(shell, 10s);
        QVERIFY2(QString::fromStdString(path).startsWith("/opt/kd-login/bin:"), path.c_str());

        const std::string hanging
            = writeFile(m_dir.filePath("hanging-shell"), "#!/bin/sh\nsleep 30\n", true);
        QCOMPARE(kd::core::kubeconfig::queryLoginShellPath(hanging, 300ms), "");
        QCOMPARE(
            kd::core::kubeconfig::queryLoginShellPath(m_dir.filePath("absent").toStdString(), 1s),
            "");
        QVERIFY(!kd::core::kubeconfig::loginShellPath().empty());
    }

    void oidcRefreshesExpiredTokenAndPersists()
    {
        Issuer issuer;
        issuer.answer = "{\"id_token\":\"" + jwt(nowSeconds() + 3600)
                        + "\",\"refresh_token\":\"refresh-2\",\"token_type\":\"Bearer\"}";
        const QByteArray oldToken = jwt(nowSeconds() - 60);
        // The user lives in the second file of the list; the refreshed token must land there.
        const std::string a = writeFile(m_dir.filePath("oidc/a"),
                                        "current-context: ctx\nclusters:\n- name: c\n  cluster: "
                                        "{server: https://c}\ncontexts:\n- name: ctx\n  context: "
                                        "{cluster: c, user: u}\n");
        const std::string b = writeFile(
            m_dir.filePath("oidc/b"),
            "x-vendor: keep\nusers:\n- name: u\n  user:\n    auth-provider:\n      name: oidc\n"
            "      config:\n        client-id: kubedesk\n        client-secret: s3cret\n"
            "        idp-issuer-url: "
                + issuer.url() + "/\n        id-token: " + oldToken
                + "\n        refresh-token: refresh-1\n        x-extra: kept\n");
        const QByteArray aBefore = readFile(QString::fromStdString(a));
        auto credentials = resolveCredentials(Kubeconfig::load({a, b}), "ctx");
        QVERIFY(credentials.ok());
        auto auth = credentials->authProvider;

        auto future = std::async(std::launch::async, [auth] { return auth->authorization(); });
        const auto token = waitFor(future);
        QVERIFY2(token.ok(), token.ok() ? "" : token.error().message().c_str());
        const std::string newToken = jwt(nowSeconds() + 3600).toStdString();
        QCOMPARE(QByteArray::fromStdString(*token).left(20),
                 "Bearer " + QByteArray::fromStdString(newToken).left(13));
        QCOMPARE(issuer.discoveryRequests, 1);
        QCOMPARE(issuer.tokenRequests, 1);
        QVERIFY2(issuer.lastBody.contains("grant_type=refresh_token"), issuer.lastBody.constData());
        QVERIFY2(issuer.lastBody.contains("refresh_token=refresh-1"), issuer.lastBody.constData());
        QCOMPARE(issuer.lastAuthorization, "Basic " + b64("kubedesk:s3cret"));

        // Persisted into b, next to the fields we do not know; a untouched.
        QCOMPARE(readFile(QString::fromStdString(a)), aBefore);
        const Kubeconfig reloaded = Kubeconfig::load({a, b});
        const auto &config = reloaded.user("u")->authProvider->config;
        QCOMPARE("Bearer " + config.at("id-token"), *token);
        QCOMPARE(config.at("refresh-token"), "refresh-2");
        QCOMPARE(config.at("x-extra"), "kept");
        QCOMPARE(YAML::LoadFile(b)["x-vendor"].as<std::string>(), "keep");

        // The fresh token is used without asking the issuer again.
        auto again = std::async(std::launch::async, [auth] { return auth->authorization(); });
        QCOMPARE(*waitFor(again), *token);
        QCOMPARE(issuer.tokenRequests, 1);

        // A 401 forces a refresh even though the token has not expired.
        issuer.answer = "{\"id_token\":\"third\"}";
        const std::string rejected = *token;
        auto retry = std::async(std::launch::async,
                                [auth, rejected] { return auth->handleUnauthorized(rejected); });
        QVERIFY(waitFor(retry).ok());
        QCOMPARE(issuer.tokenRequests, 2);
        QVERIFY2(issuer.lastBody.contains("refresh_token=refresh-2"), issuer.lastBody.constData());
        auto third = std::async(std::launch::async, [auth] { return auth->authorization(); });
        QCOMPARE(*waitFor(third), "Bearer third");
        // No new refresh-token in the answer: the old one stays.
        const Kubeconfig last = Kubeconfig::load({b});
        QCOMPARE(last.user("u")->authProvider->config.at("id-token"), "third");
        QCOMPARE(last.user("u")->authProvider->config.at("refresh-token"), "refresh-2");
    }

    void oidcHttpsIssuerUsesItsOwnCa()
    {
        Issuer issuer(pem("issuer.crt"), pem("issuer.key"));
        QVERIFY(issuer.url().startsWith("https://"));
        issuer.answer = "{\"id_token\":\"over-tls\"}";
        const QByteArray user = "    auth-provider:\n      name: oidc\n      config:\n"
                                "        client-id: x\n        refresh-token: r\n"
                                "        idp-issuer-url: "
                                + issuer.url() + "\n        id-token: " + jwt(nowSeconds() - 60)
                                + "\n";
        // The cluster's CA is a different one: the issuer must be checked against its own.
        const QByteArray cluster = "    certificate-authority-data: " + b64(pem("rsa.crt")) + "\n";
        auto trusted = resolve(configWithUser(
            user + "        idp-certificate-authority-data: " + b64(pem("issuer.crt")) + "\n",
            cluster));
        QVERIFY(trusted.ok());
        auto auth = trusted->authProvider;
        auto future = std::async(std::launch::async, [auth] { return auth->authorization(); });
        const auto token = waitFor(future);
        QVERIFY2(token.ok(), token.ok() ? "" : token.error().message().c_str());
        QCOMPARE(*token, "Bearer over-tls");

        // Without the issuer's CA the TLS handshake must fail, not fall back to trusting it.
        auto untrusted = resolve(configWithUser(user, cluster));
        QVERIFY(untrusted.ok());
        auto untrustedAuth = untrusted->authProvider;
        auto failing = std::async(std::launch::async,
                                  [untrustedAuth] { return untrustedAuth->authorization(); });
        const auto refused = waitFor(failing);
        QVERIFY(!refused.ok());
        QCOMPARE(refused.error().code(), Error::Code::Transport);
        QCOMPARE(issuer.tokenRequests, 1);
    }

    void oidcRejectedRefreshChangesNothing()
    {
        Issuer issuer;
        issuer.status = 400;
        issuer.answer = R"({"error":"invalid_grant","error_description":"refresh token revoked"})";
        const std::string path = configWithUser(
            "    auth-provider:\n      name: oidc\n      config:\n        client-id: public\n"
            "        idp-issuer-url: "
            + issuer.url() + "\n        id-token: " + jwt(nowSeconds() - 3600)
            + "\n        refresh-token: revoked\n");
        const QByteArray before = readFile(QString::fromStdString(path));
        auto credentials = resolve(path);
        QVERIFY(credentials.ok());
        auto auth = credentials->authProvider;
        auto future = std::async(std::launch::async, [auth] { return auth->authorization(); });
        const auto token = waitFor(future);
        QVERIFY(!token.ok());
        QCOMPARE(token.error().code(), Error::Code::Unauthorized);
        QVERIFY2(token.error().message().find("invalid_grant: refresh token revoked")
                     != std::string::npos,
                 token.error().message().c_str());
        // A public client names itself in the body.
        QVERIFY(issuer.lastBody.contains("client_id=public"));
        QVERIFY(issuer.lastAuthorization.isEmpty());
        QCOMPARE(readFile(QString::fromStdString(path)), before);
    }

    void oidcValidTokenNeedsNoIssuer()
    {
        const QByteArray valid = jwt(nowSeconds() + 3600);
        auto credentials = resolve(configWithUser(
            "    auth-provider:\n      name: oidc\n      config:\n        client-id: x\n"
            "        idp-issuer-url: http://127.0.0.1:1\n        id-token: "
            + valid + "\n"));
        QVERIFY(credentials.ok());
        QCOMPARE(*credentials->authProvider->authorization(), "Bearer " + valid.toStdString());
        // Expired and nothing to refresh with: a clear error instead of a doomed request.
        auto expired = resolve(configWithUser(
            "    auth-provider:\n      name: oidc\n      config:\n        client-id: x\n"
            "        idp-issuer-url: http://127.0.0.1:1\n        id-token: "
            + jwt(nowSeconds() - 5) + "\n"));
        const auto token = expired->authProvider->authorization();
        QVERIFY(!token.ok());
        QVERIFY(token.error().message().find("refresh-token") != std::string::npos);
    }
};

QTEST_GUILESS_MAIN(tst_KubeconfigAuth)
#include "tst_kubeconfigauth.moc"
