#include <core/client/logstream.h>
#include <core/transport/httpclient.h>

#include "streamserver.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QMutex>
#include <QMutexLocker>
#include <QPointer>
#include <QTest>

using namespace kd::core;
using namespace kd::core::client;
using namespace kd::core::transport;

namespace {

constexpr int kWait = 10000;

Executor mainThread()
{
    return [](std::function<void()> f) {
        QMetaObject::invokeMethod(QCoreApplication::instance(), std::move(f), Qt::QueuedConnection);
    };
}

QByteArray chunk(const QByteArray &data)
{
    return QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n";
}

struct Line
{
    QByteArray timestamp;
    QByteArray text;
};

// A container's log as the kubelet serves it: timestamps on request, sinceTime honoured with
// second precision (the API server forwards metav1.Time, which drops fractions), tailLines.
// The first followed request is dropped after `dropAfter` lines, in the middle of the next line.
class LogServer
{
public:
    explicit LogServer(std::vector<Line> lines, int dropAfter = -1)
        : m_lines(std::move(lines))
        , m_dropAfter(dropAfter)
        , m_server([this](const TestRequest &r, QTcpSocket *s, QByteArray &) {
            handle(r, s);
            return false;
        })
    {}

    ConnectionConfig config() const
    {
        ConnectionConfig c;
        c.baseUrl = "http://127.0.0.1:" + std::to_string(m_server.port());
        return c;
    }
    QList<QByteArray> paths()
    {
        QMutexLocker lock(&m_mutex);
        return m_paths;
    }

private:
    void handle(const TestRequest &request, QTcpSocket *socket)
    {
        {
            QMutexLocker lock(&m_mutex);
            m_paths << request.path;
        }
        if (pathOf(request).endsWith("/pods/starting/log")) {
            socket->write(httpResponse(400,
                                       statusBody(400, "BadRequest",
                                                  "container \\\"c\\\" in pod \\\"starting\\\" is "
                                                  "waiting to start: ContainerCreating"),
                                       {"Content-Type: application/json"}));
            return;
        }
        const QUrlQuery query = queryOf(request);
        const bool timestamps = query.queryItemValue("timestamps") == "true";
        const bool follow = query.queryItemValue("follow") == "true";
        QDateTime since;
        if (query.hasQueryItem("sinceTime"))
            since = QDateTime::fromString(query.queryItemValue("sinceTime"), Qt::ISODate);
        std::vector<QByteArray> out;
        for (const Line &line : m_lines) {
            if (since.isValid()) {
                QDateTime at
                    = QDateTime::fromString(QString::fromUtf8(line.timestamp), Qt::ISODateWithMs);
                at.setTime(QTime(at.time().hour(), at.time().minute(), at.time().second()));
                if (at < since)
                    continue;
            }
            out.push_back((timestamps ? line.timestamp + " " : QByteArray()) + line.text + "\n");
        }
        if (query.hasQueryItem("tailLines")) {
            const size_t tail = query.queryItemValue("tailLines").toULongLong();
            if (out.size() > tail)
                out.erase(out.begin(), out.end() - qsizetype(tail));
        }
        socket->write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n");
        const bool drop = follow && m_dropAfter >= 0 && !m_dropped;
        for (size_t i = 0; i < out.size(); ++i) {
            if (drop && int(i) == m_dropAfter) {
                m_dropped = true;
                // Half of the next line, then the connection dies.
                socket->write(chunk(out[i].left(out[i].size() / 2)));
                socket->flush();
                socket->abort();
                return;
            }
            socket->write(chunk(out[i]));
        }
        socket->write("0\r\n\r\n");
    }

    std::vector<Line> m_lines;
    int m_dropAfter;
    bool m_dropped = false; // server thread
    QMutex m_mutex;
    QList<QByteArray> m_paths;
    TestServer m_server;
};

struct Seen
{
    std::vector<LogLine> lines;
    int resumes = 0;
    std::vector<util::Result<void>> finished;

    LogHandler handler()
    {
        return {[this](std::vector<LogLine> batch) {
                    lines.insert(lines.end(), batch.begin(), batch.end());
                },
                [this](const util::Error &) { ++resumes; },
                [this](util::Result<void> result) { finished.push_back(std::move(result)); }};
    }
    QStringList texts() const
    {
        QStringList out;
        for (const auto &line : lines)
            out << QString::fromStdString(line.text);
        return out;
    }
};

util::TimePoint at(const char *text)
{
    return util::parseRfc3339(text).value();
}

} // namespace

class TestLogStream final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void requestQueryStrings_data()
    {
        QTest::addColumn<int>("row");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("plain") << 0 << QByteArray("/api/v1/namespaces/ns/pods/web/log");
        QTest::newRow("tail of previous")
            << 1
            << QByteArray("/api/v1/namespaces/ns/pods/web/log?container=app&previous=true&"
                          "tailLines=10");
        QTest::newRow("follow with timestamps since a time")
            << 2
            << QByteArray("/api/v1/namespaces/ns/pods/web/log?follow=true&timestamps=true&"
                          "sinceTime=2026-11-29T04%3A47%3A54Z&limitBytes=100");
        QTest::newRow("since seconds") << 3
                                       << QByteArray("/api/v1/namespaces/ns/pods/web/log?"
                                                     "sinceSeconds=3600");
    }
    void requestQueryStrings()
    {
        QFETCH(int, row);
        QFETCH(QByteArray, expected);
        LogOptions options;
        if (row == 1) {
            options.container = "app";
            options.previous = true;
            options.tailLines = 10;
        } else if (row == 2) {
            options.follow = true;
            options.timestamps = true;
            options.sinceTime = at("2026-11-29T04:47:54.5Z");
            options.limitBytes = 100;
        } else if (row == 3) {
            options.sinceSeconds = 3600;
        }
        QCOMPARE(QByteArray::fromStdString(LogStream::request({"ns", "web"}, options).path),
                 expected);
    }

    void tailLinesWithoutTimestamps()
    {
        LogServer server({{"2026-01-01T10:00:00.1Z", "one"},
                          {"2026-01-01T10:00:00.2Z", "two"},
                          {"2026-01-01T10:00:01.3Z", "three"}});
        HttpClient http(server.config(), mainThread());
        Seen seen;
        LogStreamOptions options;
        options.log.tailLines = 2;
        LogStream stream(http, {"ns", "web"}, options, seen.handler());
        QTRY_COMPARE_WITH_TIMEOUT(seen.finished.size(), size_t(1), kWait);
        QVERIFY(seen.finished[0].ok());
        QCOMPARE(seen.texts(), (QStringList{"two", "three"}));
        QVERIFY(!seen.lines[0].timestamp);
        QCOMPARE(server.paths(),
                 (QList<QByteArray>{"/api/v1/namespaces/ns/pods/web/log?tailLines=2"}));
    }

    void timestampsAreParsedOffTheLines()
    {
        LogServer server(
            std::vector<Line>{{"2026-01-01T10:00:00.123456789Z", "with a  double space"}});
        HttpClient http(server.config(), mainThread());
        Seen seen;
        LogStreamOptions options;
        options.log.timestamps = true;
        LogStream stream(http, {"ns", "web"}, options, seen.handler());
        QTRY_COMPARE_WITH_TIMEOUT(seen.finished.size(), size_t(1), kWait);
        QCOMPARE(seen.lines.size(), size_t(1));
        QCOMPARE(seen.lines[0].text, std::string("with a  double space"));
        QVERIFY(seen.lines[0].timestamp == at("2026-01-01T10:00:00.123456789Z"));
    }

    void droppedFollowResumesWithoutLossOrDuplicates()
    {
        // Several lines share a second, and three share one exact timestamp across the drop:
        // the resumed stream repeats everything from 10:00:01 on, and only the unseen lines may
        // reach the caller.
        LogServer server({{"2026-01-01T10:00:00.500Z", "l1"},
                          {"2026-01-01T10:00:01.100Z", "l2"},
                          {"2026-01-01T10:00:01.700Z", "l3"},
                          {"2026-01-01T10:00:01.700Z", "l4"},
                          {"2026-01-01T10:00:01.700Z", "l5"},
                          {"2026-01-01T10:00:01.900Z", "l6"},
                          {"2026-01-01T10:00:02.000Z", "l7"}},
                         /*dropAfter=*/4);
        HttpClient http(server.config(), mainThread());
        Seen seen;
        LogStreamOptions options;
        options.log.follow = true;
        options.log.tailLines = 100;
        options.resumeDelay = std::chrono::milliseconds(10);
        LogStream stream(http, {"ns", "web"}, options, seen.handler());
        QTRY_COMPARE_WITH_TIMEOUT(seen.finished.size(), size_t(1), kWait);
        QVERIFY(seen.finished[0].ok());
        QCOMPARE(seen.resumes, 1);
        QCOMPARE(seen.texts(), (QStringList{"l1", "l2", "l3", "l4", "l5", "l6", "l7"}));
        const QList<QByteArray> paths = server.paths();
        QCOMPARE(paths.size(), qsizetype(2));
        QCOMPARE(paths[0], QByteArray("/api/v1/namespaces/ns/pods/web/log?follow=true&"
                                      "timestamps=true&tailLines=100"));
        // Resumed from the last delivered line's second; the tail would lose lines.
        QCOMPARE(paths[1], QByteArray("/api/v1/namespaces/ns/pods/web/log?follow=true&"
                                      "timestamps=true&sinceTime=2026-01-01T10%3A00%3A01Z"));
    }

    void cancelDuringResumeWaitReportsNothing()
    {
        LogServer server(std::vector<Line>{{"2026-01-01T10:00:00.500Z", "l1"},
                                           {"2026-01-01T10:00:01.100Z", "l2"}},
                         /*dropAfter=*/1);
        HttpClient http(server.config(), mainThread());
        Seen seen;
        LogStreamOptions options;
        options.log.follow = true;
        options.resumeDelay = std::chrono::minutes(10);
        options.maxResumeDelay = std::chrono::minutes(10);
        auto stream = std::make_unique<LogStream>(http, api::ObjectKey{"ns", "web"}, options,
                                                  seen.handler());
        QTRY_COMPARE_WITH_TIMEOUT(seen.resumes, 1, kWait);
        QCOMPARE(seen.texts(), QStringList{"l1"});
        stream->cancel();
        // The pending resume is abandoned: destroying the stream does not wait for its delay.
        stream.reset();
        QTest::qWait(50);
        QCOMPARE(seen.finished.size(), size_t(0));
        QCOMPARE(server.paths().size(), qsizetype(1));
    }

    void refusedRequestReportsTheStatus()
    {
        LogServer server(std::vector<Line>{});
        HttpClient http(server.config(), mainThread());
        Seen seen;
        LogStreamOptions options;
        options.log.follow = true;
        LogStream stream(http, {"ns", "starting"}, options, seen.handler());
        QTRY_COMPARE_WITH_TIMEOUT(seen.finished.size(), size_t(1), kWait);
        QVERIFY(!seen.finished[0]);
        QCOMPARE(seen.finished[0].error().code(), util::Error::Code::BadRequest);
        QVERIFY(seen.finished[0].error().message().find("waiting to start") != std::string::npos);
        QCOMPARE(seen.resumes, 0);
    }

    void unreachableServerGivesUpAfterTheAttempts()
    {
        ConnectionConfig config;
        config.baseUrl = "http://127.0.0.1:1";
        config.retry.maxRetries = 0;
        HttpClient http(config, mainThread());
        Seen seen;
        LogStreamOptions options;
        options.log.follow = true;
        options.maxResumeAttempts = 2;
        options.resumeDelay = std::chrono::milliseconds(1);
        LogStream stream(http, {"ns", "web"}, options, seen.handler());
        QTRY_COMPARE_WITH_TIMEOUT(seen.finished.size(), size_t(1), kWait);
        QVERIFY(!seen.finished[0]);
        QCOMPARE(seen.finished[0].error().code(), util::Error::Code::Transport);
        QCOMPARE(seen.resumes, 2);
    }
};

QTEST_GUILESS_MAIN(TestLogStream)
#include "tst_logstream.moc"
