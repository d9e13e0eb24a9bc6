#include "tlsclient.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

// Drives the real kubedesk-cluster binary as the IDE does: start, wait for the kubeconfig, talk
// to it, stop with SIGTERM, start again.
class TestServe : public QObject
{
    Q_OBJECT

private:
    static QString binary() { return QStringLiteral(KD_CLUSTER_BINARY); }

    // Starts serve and waits until it reports the kubeconfig written (a kubeconfig left by an
    // earlier run may still be there for a moment); returns the port from the log line.
    static int startServe(QProcess &process, const QString &dataDir, QByteArray &log)
    {
        process.start(binary(), {"serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0",
                                 "--runtime", "none"});
        if (!process.waitForStarted(10000))
            return -1;
        const QString kubeconfig = dataDir + "/kubeconfig";
        const bool appeared = QTest::qWaitFor(
            [&] {
                log += process.readAllStandardError();
                return log.contains("kubeconfig written")
                       || process.state() == QProcess::NotRunning;
            },
            30000);
        log += process.readAllStandardError();
        if (!appeared || !log.contains("kubeconfig written") || !QFile::exists(kubeconfig))
            return -1;
        const auto match = QRegularExpression(" listening on https://127\\.0\\.0\\.1:(\\d+)")
                               .match(QString::fromUtf8(log));
        return match.hasMatch() ? match.captured(1).toInt() : -1;
    }

    static QByteArray readAll(const QString &path)
    {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

private slots:
    void badCommandLinesAreUsageErrors_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown flag") << QStringList{"serve", "--bogus"} << "unknown option";
        QTest::newRow("bad runtime")
            << QStringList{"serve", "--runtime", "containerd"} << "--runtime must be";
        QTest::newRow("listen without port")
            << QStringList{"serve", "--listen", "127.0.0.1"} << "HOST:PORT";
        QTest::newRow("listen bad port")
            << QStringList{"serve", "--listen", "127.0.0.1:99999"} << "not a port";
        QTest::newRow("listen not an address")
            << QStringList{"serve", "--listen", "example:80"} << "not an IP address";
        QTest::newRow("missing value") << QStringList{"serve", "--data-dir"} << "--data-dir";
    }

    void badCommandLinesAreUsageErrors()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, message);
        QProcess process;
        process.start(binary(), arguments);
        QVERIFY(process.waitForFinished(10000));
        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(process.exitCode(), 2);
        QVERIFY(QString::fromUtf8(process.readAllStandardError()).contains(message));
    }

    void serveLifecycle()
    {
        QTemporaryDir dir;
        const QString dataDir = dir.path() + "/cluster";
        QProcess first;
        QByteArray log;
        const int port = startServe(first, dataDir, log);
        QVERIFY2(port > 0, log.constData());

        const QString kubeconfig = dataDir + "/kubeconfig";
        QCOMPARE(QFileInfo(kubeconfig).permissions() & (QFile::ReadGroup | QFile::ReadOther),
                 QFile::Permissions());
        QCOMPARE(QFileInfo(dataDir).permissions() & (QFile::ReadGroup | QFile::ReadOther),
                 QFile::Permissions());
        const QByteArray config = readAll(kubeconfig);
        QVERIFY(config.contains("server: https://127.0.0.1:" + QByteArray::number(port) + "\n"));
        const QByteArray caBefore = readAll(dataDir + "/pki/ca.crt");
        QVERIFY(!caBefore.isEmpty());

        // The admin credentials in DIR/pki reach the server as kubedesk-admin.
        TlsClient client(quint16(port), caBefore);
        QVERIFY(client.connectToServer());
        QVERIFY(client.get("/readyz"));
        auto ready = client.readResponse();
        QVERIFY(ready);
        QCOMPARE(ready->body, QByteArray("ok"));

        const QString kubectl = "/usr/lib/google-cloud-sdk/bin/kubectl.1.33";
        if (QFile::exists(kubectl)) {
            QProcess version;
            version.start(kubectl, {"--kubeconfig", kubeconfig, "--cache-dir",
                                    dir.path() + "/cache", "version", "-o", "json"});
            QVERIFY(version.waitForFinished(60000));
            QVERIFY2(version.exitCode() == 0, version.readAllStandardError().constData());
            const QJsonObject out
                = QJsonDocument::fromJson(version.readAllStandardOutput()).object();
            QCOMPARE(out["serverVersion"].toObject()["gitVersion"].toString(),
                     QStringLiteral(KD_KUBERNETES_VERSION));
        }

        // A second instance on the same data directory refuses to start.
        QProcess second;
        second.start(binary(), {"serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0"});
        QVERIFY(second.waitForFinished(20000));
        QVERIFY(second.exitCode() != 0);
        QVERIFY2(second.readAllStandardError().contains("already in use"), "no lock message");
        QVERIFY(QFile::exists(kubeconfig)); // and did not disturb the running one

        first.terminate(); // SIGTERM
        QVERIFY(first.waitForFinished(20000));
        log += first.readAllStandardError();
        QCOMPARE(first.exitStatus(), QProcess::NormalExit);
        QVERIFY2(first.exitCode() == 0, log.constData());

        // A restart keeps the cluster identity.
        QProcess again;
        QByteArray againLog;
        QVERIFY2(startServe(again, dataDir, againLog) > 0, againLog.constData());
        QCOMPARE(readAll(dataDir + "/pki/ca.crt"), caBefore);
        QVERIFY(readAll(kubeconfig)
                    .contains("certificate-authority-data: " + caBefore.toBase64() + "\n"));
        again.terminate();
        QVERIFY(again.waitForFinished(20000));
        QCOMPARE(again.exitCode(), 0);
    }
};

QTEST_GUILESS_MAIN(TestServe)
#include "tst_serve.moc"
