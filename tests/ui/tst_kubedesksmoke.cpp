// Starts the real kubedesk executable (offscreen), waits until its main window is shown, then
// asks it to quit the way a desktop session does (SIGTERM) and expects a clean exit.

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

class TestKubedeskSmoke final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_home.isValid()); }

    void versionPrintsWithoutADisplay()
    {
        QProcess process;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("DISPLAY"));
        env.remove(QStringLiteral("WAYLAND_DISPLAY"));
        env.remove(QStringLiteral("QT_QPA_PLATFORM"));
        process.setProcessEnvironment(env);
        process.start(QStringLiteral(KD_KUBEDESK_BINARY), {QStringLiteral("--version")});
        QVERIFY(process.waitForFinished(20000));
        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(process.exitCode(), 0);
        QCOMPARE(QString::fromUtf8(process.readAllStandardOutput()).trimmed(),
                 QStringLiteral("kubedesk " KD_VERSION));
    }

    void startsShowsTheWindowAndQuitsOnSigterm()
    {
        QProcess process;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("HOME"), m_home.path());
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_home.path() + QStringLiteral("/config"));
        process.setProcessEnvironment(env);
        process.setProcessChannelMode(QProcess::MergedChannels);
        process.start(QStringLiteral(KD_KUBEDESK_BINARY), {});
        QVERIFY2(process.waitForStarted(10000), qPrintable(process.errorString()));

        QByteArray output;
        QVERIFY2(QTest::qWaitFor(
                     [&] {
                         process.waitForReadyRead(100);
                         output += process.readAll();
                         return output.contains("main window shown")
                                || process.state() == QProcess::NotRunning;
                     },
                     30000),
                 output.constData());
        QVERIFY2(output.contains("main window shown"), output.constData());

        ::kill(static_cast<pid_t>(process.processId()), SIGTERM);
        QVERIFY(process.waitForFinished(20000));
        output += process.readAll();
        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QVERIFY2(process.exitCode() == 0, output.constData());
        QVERIFY2(output.contains("exited cleanly"), output.constData());
    }

private:
    QTemporaryDir m_home;
};

QTEST_GUILESS_MAIN(TestKubedeskSmoke)
#include "tst_kubedesksmoke.moc"
