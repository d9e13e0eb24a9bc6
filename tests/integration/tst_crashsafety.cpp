// Crash safety of the real kubedesk-cluster binary: several HTTPS clients write continuously, the
// server is SIGKILLed at a random moment, restarted on the same data directory, and every write
// it acknowledged must still be there (deletes still gone), with revisions that never go back.

#include <nlohmann/json.hpp>

#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <vector>

using nlohmann::json;

namespace {

constexpr int kWriters = 4;
constexpr int kRounds = 4;

struct Reply
{
    int status = 0; // 0: no HTTP answer (connection refused or cut)
    json body;
    QString error; // what went wrong when there is no HTTP answer
    qint64 resourceVersion() const
    {
        if (!body.is_object() || !body.contains("metadata"))
            return -1;
        const json &rv = body["metadata"].value("resourceVersion", json());
        return rv.is_string() ? QByteArray::fromStdString(rv.get<std::string>()).toLongLong() : -1;
    }
};

// What the server acknowledged for one object.
struct Ack
{
    qint64 resourceVersion = 0;
    bool deleted = false;
    // A delete was in flight when the server died: either state is correct from now on.
    bool uncertain = false;
};

// One client: its own connection pool, one request in flight at a time, so that each writer is
// a separate concurrent connection to the server. Records every acknowledgement.
struct Writer
{
    int id = 0;
    std::unique_ptr<QNetworkAccessManager> network;
    std::vector<QString> live; // acknowledged creates not yet deleted, oldest first
    qint64 counterValue = -1;  // last acknowledged value of this writer's counter ConfigMap
    qint64 counterRv = 0;
    int sequence = 0;
    bool stopped = false;
};

} // namespace

class TestCrashSafety final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QProcess m_server;
    int m_port = 0;
    QSslConfiguration m_tls;
    std::map<QString, Ack> m_acks; // every acknowledged ConfigMap write, by name
    qint64 m_maxAckedRv = 0;
    std::vector<Writer> m_writers;
    QStringList m_unexpected; // answers other than success or a dead connection

    QString dataDir() const { return m_dir.path() + "/data"; }

    static QByteArray readFile(const QString &path)
    {
        QFile file(path);
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }

    // Starts serve and waits for its "kubeconfig written" line; the port comes from the log.
    QString startServer()
    {
        m_server.setProcessChannelMode(QProcess::SeparateChannels);
        m_server.start(
            QStringLiteral(KD_CLUSTER_BINARY),
            {"serve", "--data-dir", dataDir(), "--listen", "127.0.0.1:0", "--runtime", "none"});
        if (!m_server.waitForStarted(10000))
            return "cannot start " KD_CLUSTER_BINARY ": " + m_server.errorString();
        QByteArray log;
        // The outcome is read from the log below, whether the wait ended early or not.
        (void)QTest::qWaitFor(
            [&] {
                log += m_server.readAllStandardError();
                return log.contains("kubeconfig written")
                       || m_server.state() == QProcess::NotRunning;
            },
            30000);
        if (!log.contains("kubeconfig written"))
            return "the server did not become ready:\n" + QString::fromUtf8(log);
        const auto match = QRegularExpression(" listening on https://127\\.0\\.0\\.1:(\\d+)")
                               .match(QString::fromUtf8(log));
        if (!match.hasMatch())
            return "no listening line in the log:\n" + QString::fromUtf8(log);
        m_port = match.captured(1).toInt();

        m_tls = QSslConfiguration::defaultConfiguration();
        m_tls.setCaCertificates(
            QSslCertificate::fromData(readFile(dataDir() + "/pki/ca.crt"), QSsl::Pem));
        m_tls.setLocalCertificate(
            QSslCertificate(readFile(dataDir() + "/pki/admin.crt"), QSsl::Pem));
        const QByteArray keyPem = readFile(dataDir() + "/pki/admin.key");
        QSslKey key(keyPem, QSsl::Ec, QSsl::Pem);
        if (key.isNull())
            key = QSslKey(keyPem, QSsl::Rsa, QSsl::Pem);
        if (key.isNull())
            return "cannot read the admin key in " + dataDir() + "/pki";
        m_tls.setPrivateKey(key);
        return {};
    }

    QNetworkReply *send(QNetworkAccessManager &network, const QByteArray &method,
                        const QString &path, const json &body = {},
                        const QByteArray &contentType = "application/json")
    {
        QNetworkRequest request(QUrl("https://127.0.0.1:" + QString::number(m_port) + path));
        request.setSslConfiguration(m_tls);
        request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
        request.setTransferTimeout(30000);
        if (body.is_null())
            return network.sendCustomRequest(request, method);
        request.setHeader(QNetworkRequest::ContentTypeHeader, contentType);
        return network.sendCustomRequest(request, method, QByteArray::fromStdString(body.dump()));
    }

    static Reply finish(QNetworkReply *reply)
    {
        Reply out;
        out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (out.status == 0)
            out.error = reply->errorString();
        else
            out.body = json::parse(reply->readAll().toStdString(), nullptr, false);
        reply->deleteLater();
        return out;
    }

    Reply call(const QByteArray &method, const QString &path, const json &body = {},
               const QByteArray &contentType = "application/json")
    {
        QNetworkAccessManager network;
        QNetworkReply *reply = send(network, method, path, body, contentType);
        if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 40000))
            reply->abort(); // answers as "no HTTP answer"
        return finish(reply);
    }

    static json configMap(const QString &name)
    {
        return {{"apiVersion", "v1"},
                {"kind", "ConfigMap"},
                {"metadata", {{"name", name.toStdString()}}},
                {"data", {{"k", "v"}}}};
    }

    void acknowledge(const QString &name, qint64 rv, bool deleted)
    {
        m_acks[name] = Ack{rv, deleted, false};
        m_maxAckedRv = std::max(m_maxAckedRv, rv);
    }

    // Issues the writer's next operation; on its answer records the acknowledgement and issues
    // the one after. Ops cycle: create, create, patch the counter, delete the oldest live one.
    void next(Writer &writer, int round)
    {
        const int step = writer.sequence++;
        const QString base = "/api/v1/namespaces/crash/configmaps";
        QNetworkReply *reply = nullptr;
        std::function<void(const Reply &)> onAnswer;
        if (step % 4 == 0 || step % 4 == 1 || writer.live.empty()) {
            const QString name
                = QString("w%1-r%2-%3").arg(writer.id).arg(round).arg(writer.sequence);
            reply = send(*writer.network, "POST", base, configMap(name));
            onAnswer = [this, &writer, name](const Reply &answer) {
                if (answer.status != 201)
                    return;
                acknowledge(name, answer.resourceVersion(), false);
                writer.live.push_back(name);
            };
        } else if (step % 4 == 2) {
            const qint64 value = writer.sequence;
            const QString name = QString("counter-w%1").arg(writer.id);
            reply
                = send(*writer.network, "PATCH", base + "/" + name,
                       {{"data", {{"n", std::to_string(value)}}}}, "application/merge-patch+json");
            onAnswer = [this, &writer, value](const Reply &answer) {
                if (answer.status != 200)
                    return;
                writer.counterValue = value;
                writer.counterRv = answer.resourceVersion();
                m_maxAckedRv = std::max(m_maxAckedRv, writer.counterRv);
            };
        } else {
            const QString name = writer.live.front();
            writer.live.erase(writer.live.begin());
            reply = send(*writer.network, "DELETE", base + "/" + name);
            onAnswer = [this, name](const Reply &answer) {
                if (answer.status == 200)
                    m_acks[name].deleted = true;
                else if (answer.status == 0)
                    m_acks[name].uncertain = true;
            };
        }
        connect(reply, &QNetworkReply::finished, this, [this, &writer, reply, round, onAnswer] {
            const Reply answer = finish(reply);
            onAnswer(answer);
            if (answer.status == 0) {
                writer.stopped = true; // the server is gone; the write's fate is unknown
                qInfo("writer %d stopped after %d operations: %s", writer.id, writer.sequence,
                      qPrintable(answer.error));
                return;
            }
            if (answer.status >= 300)
                m_unexpected << QString("writer %1: HTTP %2: %3")
                                    .arg(writer.id)
                                    .arg(answer.status)
                                    .arg(QString::fromStdString(answer.body.dump()));
            next(writer, round);
        });
    }

    // Checks everything acknowledged so far against the running server, from one list of the
    // namespace (a read at one revision, so the objects and the revision are consistent).
    void verifyAcknowledged()
    {
        const Reply list = call("GET", "/api/v1/namespaces/crash/configmaps");
        QCOMPARE(list.status, 200);
        QVERIFY2(list.resourceVersion() >= m_maxAckedRv,
                 qPrintable(QString("the list revision %1 is older than an acknowledged write %2")
                                .arg(list.resourceVersion())
                                .arg(m_maxAckedRv)));
        std::map<QString, json> stored;
        for (const json &item : list.body.value("items", json::array()))
            stored[QString::fromStdString(item.value("metadata", json::object()).value("name", ""))]
                = item;
        const auto revisionOf = [](const json &item) {
            return QByteArray::fromStdString(
                       item.value("metadata", json::object()).value("resourceVersion", "-1"))
                .toLongLong();
        };

        int present = 0;
        int gone = 0;
        for (const auto &[name, ack] : m_acks) {
            if (ack.uncertain)
                continue;
            const auto found = stored.find(name);
            if (ack.deleted) {
                QVERIFY2(found == stored.end(),
                         qPrintable(name + " was deleted (acknowledged) but is back"));
                ++gone;
                continue;
            }
            QVERIFY2(found != stored.end(), qPrintable(name + " was acknowledged but is lost"));
            QVERIFY2(revisionOf(found->second) >= ack.resourceVersion,
                     qPrintable(name + " has resourceVersion "
                                + QString::number(revisionOf(found->second))
                                + ", older than the acknowledged "
                                + QString::number(ack.resourceVersion)));
            ++present;
        }
        for (const Writer &writer : m_writers) {
            if (writer.counterValue < 0)
                continue;
            const auto found = stored.find(QString("counter-w%1").arg(writer.id));
            QVERIFY(found != stored.end());
            const qint64 value
                = QByteArray::fromStdString(
                      found->second.value("data", json::object()).value("n", std::string("-1")))
                      .toLongLong();
            QVERIFY2(value >= writer.counterValue,
                     qPrintable(QString("counter of writer %1 reads %2, acknowledged %3")
                                    .arg(writer.id)
                                    .arg(value)
                                    .arg(writer.counterValue)));
            QVERIFY(revisionOf(found->second) >= writer.counterRv);
        }
        qInfo("verified %d present and %d deleted objects, max acknowledged revision %lld", present,
              gone, m_maxAckedRv);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY2(QFile::exists(QStringLiteral(KD_CLUSTER_BINARY)),
                 "the kubedesk-cluster binary is missing: " KD_CLUSTER_BINARY);
        const QString failure = startServer();
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        QCOMPARE(
            call("POST", "/api/v1/namespaces",
                 {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "crash"}}}})
                .status,
            201);
        m_writers.resize(kWriters);
        for (int i = 0; i < kWriters; ++i) {
            m_writers[i].id = i;
            const Reply reply = call("POST", "/api/v1/namespaces/crash/configmaps",
                                     configMap(QString("counter-w%1").arg(i)));
            QCOMPARE(reply.status, 201);
            m_maxAckedRv = std::max(m_maxAckedRv, reply.resourceVersion());
        }
    }

    void cleanupTestCase()
    {
        if (m_server.state() != QProcess::NotRunning) {
            m_server.terminate();
            if (!m_server.waitForFinished(10000))
                m_server.kill();
            m_server.waitForFinished(5000);
        }
    }

    void acknowledgedWritesSurviveSigkill()
    {
        auto *random = QRandomGenerator::global();
        for (int round = 0; round < kRounds; ++round) {
            const std::size_t acksBefore = m_acks.size();
            for (Writer &writer : m_writers) {
                writer.network = std::make_unique<QNetworkAccessManager>();
                writer.stopped = false;
                next(writer, round);
            }
            // Let some writes through, then kill at a random moment in the middle of the stream.
            QVERIFY2(QTest::qWaitFor([&] { return m_acks.size() >= acksBefore + 20; }, 60000),
                     "the writers made no progress");
            const int delayMs = random->bounded(50, 1200);
            QTest::qWait(delayMs);
            const std::size_t acksAtKill = m_acks.size();
            m_server.kill(); // SIGKILL
            QVERIFY(m_server.waitForFinished(10000));
            QCOMPARE(m_server.exitStatus(), QProcess::CrashExit);
            QVERIFY2(QTest::qWaitFor(
                         [&] {
                             return std::all_of(m_writers.begin(), m_writers.end(),
                                                [](const Writer &w) { return w.stopped; });
                         },
                         60000),
                     "a writer did not notice the dead server");
            qInfo("round %d: killed after %d ms, %zu acknowledged writes so far", round, delayMs,
                  acksAtKill);
            for (Writer &writer : m_writers)
                writer.network.reset();
            QVERIFY2(m_unexpected.isEmpty(), qPrintable(m_unexpected.join('\n')));

            const QString failure = startServer();
            QVERIFY2(failure.isEmpty(), qPrintable(failure));
            verifyAcknowledged();
            if (QTest::currentTestFailed())
                return;

            // New writes take revisions after every acknowledged one.
            const Reply fresh = call("POST", "/api/v1/namespaces/crash/configmaps",
                                     configMap(QString("after-r%1").arg(round)));
            QCOMPARE(fresh.status, 201);
            QVERIFY2(fresh.resourceVersion() > m_maxAckedRv,
                     qPrintable(QString("a write after restart got revision %1, not above %2")
                                    .arg(fresh.resourceVersion())
                                    .arg(m_maxAckedRv)));
            acknowledge(QString("after-r%1").arg(round), fresh.resourceVersion(), false);
        }
    }
};

QTEST_GUILESS_MAIN(TestCrashSafety)
#include "tst_crashsafety.moc"
