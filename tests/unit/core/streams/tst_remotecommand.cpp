#include <core/client/channelprotocol.h>
#include <core/client/remotecommand.h>

#include "streamserver.h"

#include <QCoreApplication>
#include <QMutex>
#include <QMutexLocker>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

using namespace kd::core;
using namespace kd::core::client;
using namespace kd::core::transport;

namespace {

constexpr int kWait = 10000;

// Deliveries are queued onto the test thread, as the UI's executor does onto the GUI thread.
Executor mainThread()
{
    return [](std::function<void()> f) {
        QMetaObject::invokeMethod(QCoreApplication::instance(), std::move(f), Qt::QueuedConnection);
    };
}

// What the scripted API server saw of one exec session.
struct ExecLog
{
    QMutex mutex;
    QByteArray path;
    QByteArray offered;
    QByteArray chosen;
    QByteArray stdinBytes;
    QList<QByteArray> resizes;
    bool stdinClosed = false;
    int pings = 0;

    template<typename F>
    auto read(F f)
    {
        QMutexLocker lock(&mutex);
        return f(*this);
    }
};

std::string channel(std::uint8_t ch, std::string_view payload)
{
    return encodeChannelFrame(ch, payload);
}

// Behaves like kube-apiserver in front of a shell: greets on stdout and stderr, echoes stdin to
// stdout, records resizes; stdin "exit N" or the v5 stdin close ends the command with a Status.
class ExecServer
{
public:
    ExecServer(QList<QByteArray> protocols, ExecLog &log)
        : m_protocols(std::move(protocols))
        , m_log(log)
        , m_server([this](const TestRequest &r, QTcpSocket *s, QByteArray &rest) {
            return handle(r, s, rest);
        })
    {}

    ConnectionConfig config() const
    {
        ConnectionConfig c;
        c.baseUrl = "http://127.0.0.1:" + std::to_string(m_server.port());
        return c;
    }

private:
    static void exitWith(WsPeer &peer, int code)
    {
        std::string status;
        if (code == 0) {
            status = "{\"metadata\":{},\"status\":\"Success\"}";
        } else {
            status = "{\"metadata\":{},\"status\":\"Failure\",\"message\":\"command terminated "
                     "with non-zero exit code: error executing command [sh], exit code "
                     + std::to_string(code)
                     + "\",\"reason\":\"NonZeroExitCode\",\"details\":{\"causes\":[{\"reason\":"
                       "\"ExitCode\",\"message\":\""
                     + std::to_string(code) + "\"}]}}";
        }
        peer.sendBinary(channel(StreamChannel::Error, status));
        peer.close();
    }

    bool handle(const TestRequest &request, QTcpSocket *socket, QByteArray &rest)
    {
        if (pathOf(request).endsWith("/pods/missing/exec")) {
            socket->write(
                httpResponse(404, statusBody(404, "NotFound", "pods \\\"missing\\\" not found"),
                             {"Content-Type: application/json"}));
            return false;
        }
        const QByteArray chosen = negotiateProtocol(request, m_protocols);
        {
            QMutexLocker lock(&m_log.mutex);
            m_log.path = request.path;
            m_log.offered = request.header("Sec-WebSocket-Protocol");
            m_log.chosen = chosen;
        }
        const bool withStderr = queryOf(request).queryItemValue("stderr") == "true";
        WsPeer *peer = acceptWebSocket(
            request, socket, rest, chosen, [this](WsPeer &p, WebSocketMessage message) {
                auto frame = decodeChannelFrame(message.payload);
                if (!frame)
                    return;
                QMutexLocker lock(&m_log.mutex);
                m_log.pings = p.pings();
                if (frame->channel == StreamChannel::Stdin) {
                    const QByteArray data(frame->payload.data(), qsizetype(frame->payload.size()));
                    m_log.stdinBytes += data;
                    if (data.startsWith("exit ")) {
                        lock.unlock();
                        exitWith(p, data.mid(5).trimmed().toInt());
                        return;
                    }
                    p.sendBinary(channel(StreamChannel::Stdout, frame->payload));
                } else if (frame->channel == StreamChannel::Resize) {
                    m_log.resizes << QByteArray(frame->payload.data(),
                                                qsizetype(frame->payload.size()));
                } else if (frame->channel == StreamChannel::Close
                           && frame->payload == std::string_view("\0", 1)) {
                    m_log.stdinClosed = true;
                    lock.unlock();
                    exitWith(p, 3);
                }
            });
        peer->sendBinary(channel(StreamChannel::Stdout, "hello\n"));
        if (withStderr)
            peer->sendBinary(channel(StreamChannel::Stderr, "warn\n"));
        return true;
    }

    QList<QByteArray> m_protocols;
    ExecLog &m_log;
    TestServer m_server;
};

// What the client saw, on the test thread.
struct Seen
{
    std::optional<ChannelProtocol> protocol;
    std::string stdoutText;
    std::string stderrText;
    std::vector<util::Result<ExitStatus>> finished;

    RemoteCommandHandler handler()
    {
        return {[this](ChannelProtocol p) { protocol = p; },
                [this](std::uint8_t ch, std::string data) {
                    (ch == StreamChannel::Stdout ? stdoutText : stderrText) += data;
                },
                [this](util::Result<ExitStatus> result) { finished.push_back(std::move(result)); }};
    }
};

RemoteCommandOptions shellOptions()
{
    RemoteCommandOptions options;
    options.pod = {"ns", "web"};
    options.container = "app";
    options.command = {"sh", "-c", "cat && echo done"};
    options.withStdin = true;
    return options;
}

const QList<QByteArray> kV5AndV4{"v5.channel.k8s.io", "v4.channel.k8s.io"};

} // namespace

class TestRemoteCommand final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void requestQueryStrings_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<bool>("tty");
        QTest::addColumn<bool>("withStdin");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("exec, no tty")
            << 0 << false << true
            << QByteArray("/api/v1/namespaces/ns/pods/web/exec?command=sh&command=-c&command="
                          "ls%20-l&container=app&stdin=true&stdout=true&stderr=true");
        QTest::newRow("exec, tty drops stderr")
            << 0 << true << true
            << QByteArray("/api/v1/namespaces/ns/pods/web/exec?command=sh&command=-c&command="
                          "ls%20-l&container=app&stdin=true&stdout=true&tty=true");
        QTest::newRow("attach has no command")
            << 1 << true << false
            << QByteArray(
                   "/api/v1/namespaces/ns/pods/web/attach?container=app&stdout=true&tty=true");
    }
    void requestQueryStrings()
    {
        QFETCH(int, kind);
        QFETCH(bool, tty);
        QFETCH(bool, withStdin);
        QFETCH(QByteArray, expected);
        RemoteCommandOptions options;
        options.kind
            = kind == 0 ? RemoteCommandOptions::Kind::Exec : RemoteCommandOptions::Kind::Attach;
        options.pod = {"ns", "web"};
        options.container = "app";
        options.command = {"sh", "-c", "ls -l"};
        options.tty = tty;
        options.withStdin = withStdin;
        QCOMPARE(QByteArray::fromStdString(RemoteCommand::request(options).path), expected);
    }

    void exitStatusDecoding()
    {
        QCOMPARE(exitStatusFromStatus("{\"metadata\":{},\"status\":\"Success\"}").value().code, 0);
        auto failure = exitStatusFromStatus(
            "{\"status\":\"Failure\",\"reason\":\"InternalError\",\"message\":\"boom\"}");
        QVERIFY(!failure);
        QCOMPARE(failure.error().message(), std::string("boom"));
        QVERIFY(!exitStatusFromStatus("not json"));
        QVERIFY(!exitStatusFromStatus("{\"status\":\"Failure\",\"reason\":\"NonZeroExitCode\"}"));
    }

    void execV5StdoutStderrStdinAndExitCode()
    {
        ExecLog log;
        ExecServer server(kV5AndV4, log);
        Seen seen;
        RemoteCommand session(server.config(), mainThread(), shellOptions(), seen.handler());
        QTRY_VERIFY_WITH_TIMEOUT(seen.protocol.has_value(), kWait);
        QCOMPARE(*seen.protocol, ChannelProtocol::V5);
        QTRY_COMPARE_WITH_TIMEOUT(seen.stdoutText, std::string("hello\n"), kWait);
        QTRY_COMPARE_WITH_TIMEOUT(seen.stderrText, std::string("warn\n"), kWait);
        session.writeStdin("line one\n");
        QTRY_COMPARE_WITH_TIMEOUT(seen.stdoutText, std::string("hello\nline one\n"), kWait);
        QVERIFY(session.closeStdin().ok());
        QTRY_COMPARE_WITH_TIMEOUT(seen.finished.size(), size_t(1), kWait);
        QVERIFY(log.read([](ExecLog &l) { return l.stdinClosed; }));
        QVERIFY(seen.finished[0].ok());
        QCOMPARE(seen.finished[0]->code, 3);
        QVERIFY(seen.finished[0]->message.find("exit code 3") != std::string::npos);
        QCOMPARE(log.read([](ExecLog &l) { return l.offered; }),
                 QByteArray("v5.channel.k8s.io, v4.channel.k8s.io"));
        QCOMPARE(log.read([](ExecLog &l) { return l.path; }),
                 QByteArray::fromStdString(RemoteCommand::request(shellOptions()).path));
        // Nothing more arrives after the exit status.
        QTest::qWait(50);
        QCOMPARE(seen.finished.size(), size_t(1));
    }

    void ttyResizesAndSuccessfulExit()
    {
        ExecLog log;
        ExecServer server(kV5AndV4, log);
        Seen seen;
        RemoteCommandOptions options = shellOptions();
        options.tty = true;
        options.initialSize = TerminalSize{100, 30};
        RemoteCommand session(server.config(), mainThread(), options, seen.handler());
        QTRY_VERIFY_WITH_TIMEOUT(seen.protocol.has_value(), kWait);
        session.resize({120, 40});
        QTRY_COMPARE_WITH_TIMEOUT(log.read([](ExecLog &l) { return l.resizes.size(); }),
                                  qsizetype(2), kWait);
        QCOMPARE(
            log.read([](ExecLog &l) { return l.resizes; }),
            (QList<QByteArray>{"{\"Height\":30,\"Width\":100}", "{\"Height\":40,\"Width\":120}"}));
        session.writeStdin("exit 0\n");
        QTRY_COMPARE_WITH_TIMEOUT(seen.finished.size(), size_t(1), kWait);
        QVERIFY(seen.finished[0].ok());
        QCOMPARE(seen.finished[0]->code, 0);
        // With a tty there is no separate stderr.
        QCOMPARE(seen.stderrText, std::string());
    }

    void fallsBackToV4WhenServerOnlySpeaksV4()
    {
        ExecLog log;
        ExecServer server({"v4.channel.k8s.io"}, log);
        Seen seen;
        RemoteCommand session(server.config(), mainThread(), shellOptions(), seen.handler());
        QTRY_VERIFY_WITH_TIMEOUT(seen.protocol.has_value(), kWait);
        QCOMPARE(*seen.protocol, ChannelProtocol::V4);
        QCOMPARE(log.read([](ExecLog &l) { return l.chosen; }), QByteArray("v4.channel.k8s.io"));
        session.writeStdin("still works\n");
        QTRY_COMPARE_WITH_TIMEOUT(seen.stdoutText, std::string("hello\nstill works\n"), kWait);
        // v4 has no way to say that stdin ended; the caller is told instead of silently hanging.
        auto closed = session.closeStdin();
        QVERIFY(!closed);
        QCOMPARE(closed.error().code(), util::Error::Code::MethodNotAllowed);
        session.writeStdin("exit 7\n");
        QTRY_COMPARE_WITH_TIMEOUT(seen.finished.size(), size_t(1), kWait);
        QCOMPARE(seen.finished[0]->code, 7);
        QVERIFY(!log.read([](ExecLog &l) { return l.stdinClosed; }));
    }

    void refusedUpgradeReportsTheStatus()
    {
        ExecLog log;
        ExecServer server(kV5AndV4, log);
        Seen seen;
        RemoteCommandOptions options = shellOptions();
        options.pod.name = "missing";
        RemoteCommand session(server.config(), mainThread(), options, seen.handler());
        QTRY_COMPARE_WITH_TIMEOUT(seen.finished.size(), size_t(1), kWait);
        QVERIFY(!seen.finished[0]);
        QCOMPARE(seen.finished[0].error().code(), util::Error::Code::NotFound);
        QCOMPARE(seen.finished[0].error().message(), std::string("pods \"missing\" not found"));
        QVERIFY(!seen.protocol);
    }

    void idleSessionSendsKeepAlivePings()
    {
        ExecLog log;
        ExecServer server(kV5AndV4, log);
        Seen seen;
        RemoteCommandOptions options = shellOptions();
        options.pingInterval = std::chrono::milliseconds(20);
        RemoteCommand session(server.config(), mainThread(), options, seen.handler());
        QTRY_VERIFY_WITH_TIMEOUT(seen.protocol.has_value(), kWait);
        // The server counts pings when the next message arrives; stay idle, then poke it.
        QTest::qWait(200);
        session.writeStdin("x");
        QTRY_VERIFY_WITH_TIMEOUT(log.read([](ExecLog &l) { return l.pings; }) >= 2, kWait);
    }

    void cancelSuppressesFurtherCallbacks()
    {
        ExecLog log;
        ExecServer server(kV5AndV4, log);
        Seen seen;
        RemoteCommand session(server.config(), mainThread(), shellOptions(), seen.handler());
        QTRY_COMPARE_WITH_TIMEOUT(seen.stdoutText, std::string("hello\n"), kWait);
        session.writeStdin("exit 0\n");
        session.cancel();
        QTest::qWait(200);
        QCOMPARE(seen.finished.size(), size_t(0));
    }

    void shellCommandPrefersBashAndFallsBackToSh_data()
    {
        QTest::addColumn<bool>("withBash");
        QTest::newRow("image with bash") << true;
        QTest::newRow("image without bash") << false;
    }
    void shellCommandPrefersBashAndFallsBackToSh()
    {
        QFETCH(bool, withBash);
        // bash is essential on Debian: its absence is a broken machine, not a reason to skip.
        QVERIFY2(!withBash || QFile::exists("/bin/bash"), "/bin/bash is missing");
        // A PATH holding only what the image would hold: sh, and bash or not.
        QTemporaryDir bin;
        QVERIFY(QFile::link("/bin/sh", bin.filePath("sh")));
        if (withBash)
            QVERIFY(QFile::link("/bin/bash", bin.filePath("bash")));
        const std::vector<std::string> command = RemoteCommand::shellCommand();
        QCOMPARE(command.size(), size_t(3));
        QProcess process;
        QProcessEnvironment env;
        env.insert("PATH", bin.path());
        process.setProcessEnvironment(env);
        QStringList arguments;
        for (size_t i = 1; i < command.size(); ++i)
            arguments << QString::fromStdString(command[i]);
        process.start(bin.filePath(QString::fromStdString(command[0])), arguments);
        QVERIFY(process.waitForStarted());
        process.write("echo \"shell=${BASH_VERSION:-posix}\"\n");
        process.closeWriteChannel();
        QVERIFY(process.waitForFinished(kWait));
        const QByteArray output = process.readAllStandardOutput().trimmed();
        if (withBash)
            QVERIFY2(output.startsWith("shell=") && output != "shell=posix", output.constData());
        else
            QCOMPARE(output, QByteArray("shell=posix"));
    }
};

QTEST_GUILESS_MAIN(TestRemoteCommand)
#include "tst_remotecommand.moc"
