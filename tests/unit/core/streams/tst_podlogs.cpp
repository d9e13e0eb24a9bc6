#include <core/client/podlogs.h>
#include <core/client/restclient.h>

#include "streamserver.h"

#include <QCoreApplication>
#include <QMutex>
#include <QMutexLocker>
#include <QPointer>
#include <QTest>

#include <nlohmann/json.hpp>

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

// A pod of app=web with containers "c" and "sidecar"; `started` lists those that run.
nlohmann::json webPod(const std::string &name, const std::string &rv,
                      const std::vector<std::string> &started)
{
    nlohmann::json statuses = nlohmann::json::array();
    for (const char *container : {"c", "sidecar"}) {
        const bool running = std::find(started.begin(), started.end(), container) != started.end();
        nlohmann::json state = nlohmann::json::object();
        if (running)
            state["running"] = {{"startedAt", "2026-01-01T10:00:00Z"}};
        else
            state["waiting"] = {{"reason", "ContainerCreating"}};
        statuses.push_back({{"name", container}, {"state", state}});
    }
    return {
        {"apiVersion", "v1"},
        {"kind", "Pod"},
        {"metadata",
         {{"name", name},
          {"namespace", "ns"},
          {"uid", "uid-" + name},
          {"resourceVersion", rv},
          {"labels", {{"app", "web"}}}}},
        {"spec", {{"containers", {{{"name", "c"}}, {{"name", "sidecar"}}}}}},
        {"status",
         {{"phase", started.empty() ? "Pending" : "Running"}, {"containerStatuses", statuses}}}};
}

// Pods (list + watch) and their containers' logs: "<pod>-<container>-1" and "-2", honouring
// timestamps and tailLines, then the stream ends as when the container exits.
class PodLogServer
{
public:
    explicit PodLogServer(std::vector<nlohmann::json> pods)
        : m_pods(std::move(pods))
        , m_server(
              [this](const TestRequest &r, QTcpSocket *s, QByteArray &) { return handle(r, s); })
    {}

    ConnectionConfig config() const
    {
        ConnectionConfig c;
        c.baseUrl = "http://127.0.0.1:" + std::to_string(m_server.port());
        return c;
    }
    QList<QByteArray> logPaths()
    {
        QMutexLocker lock(&m_mutex);
        return m_logPaths;
    }
    bool watching()
    {
        bool open = false;
        onServer([&] { open = !m_watch.isNull(); });
        return open;
    }
    void event(const char *type, const nlohmann::json &object)
    {
        onServer([this, type, object] {
            if (m_watch) {
                const nlohmann::json event = {{"type", type}, {"object", object}};
                m_watch->write(chunk(QByteArray::fromStdString(event.dump()) + "\n"));
            }
        });
    }

private:
    void onServer(std::function<void()> f)
    {
        QMetaObject::invokeMethod(m_server.context(), std::move(f), Qt::BlockingQueuedConnection);
    }

    bool handle(const TestRequest &request, QTcpSocket *socket)
    {
        const QByteArray path = pathOf(request);
        const QUrlQuery query = queryOf(request);
        if (path == "/api/v1/namespaces/ns/pods") {
            if (query.queryItemValue("watch") == "true") {
                socket->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n");
                m_watch = socket;
                return true;
            }
            const nlohmann::json list = {{"apiVersion", "v1"},
                                         {"kind", "PodList"},
                                         {"metadata", {{"resourceVersion", "10"}}},
                                         {"items", m_pods}};
            socket->write(httpResponse(200, QByteArray::fromStdString(list.dump()),
                                       {"Content-Type: application/json"}));
            return false;
        }
        {
            QMutexLocker lock(&m_mutex);
            m_logPaths << request.path;
        }
        const QByteArray pod = path.split('/').value(6);
        const QByteArray container = query.queryItemValue("container").toUtf8();
        QList<QByteArray> lines;
        const bool timestamps = query.queryItemValue("timestamps") == "true";
        for (int i = 1; i <= 2; ++i) {
            const QByteArray stamp = "2026-01-01T10:00:0" + QByteArray::number(i) + "Z ";
            lines << (timestamps ? stamp : QByteArray()) + pod + "-" + container + "-"
                         + QByteArray::number(i) + "\n";
        }
        if (query.hasQueryItem("tailLines"))
            lines = lines.mid(lines.size() - query.queryItemValue("tailLines").toInt());
        socket->write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n");
        for (const auto &line : lines)
            socket->write(chunk(line));
        socket->write("0\r\n\r\n");
        return false;
    }

    std::vector<nlohmann::json> m_pods;
    QMutex m_mutex;
    QList<QByteArray> m_logPaths;
    QPointer<QTcpSocket> m_watch; // server thread
    TestServer m_server;
};

} // namespace

class TestPodLogs final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void podJoiningMidStreamIsFollowedFromItsFirstLine()
    {
        PodLogServer server(std::vector<nlohmann::json>{webPod("a", "5", {"c", "sidecar"})});
        RestClient client(server.config(), mainThread());
        QStringList lines;
        QStringList started;
        QStringList ended;
        PodLogsOptions options;
        options.namespace_ = "ns";
        options.labelSelector = "app=web";
        options.stream.log.follow = true;
        options.stream.log.tailLines = 1;
        PodLogsHandler handler;
        handler.lines = [&](std::vector<PodLogLine> batch) {
            for (const auto &line : batch)
                lines << QString::fromStdString(line.pod.name + "/" + line.container + ": "
                                                + line.line.text);
        };
        handler.streamStarted = [&](const api::ObjectKey &pod, const std::string &container) {
            started << QString::fromStdString(pod.name + "/" + container);
        };
        handler.streamEnded = [&](const api::ObjectKey &pod, const std::string &container,
                                  const util::Result<void> &result) {
            ended << QString::fromStdString(pod.name + "/" + container
                                            + (result.ok() ? " ok" : " failed"));
        };
        PodLogs logs(client, options, handler);
        logs.start();
        QTRY_COMPARE_WITH_TIMEOUT(ended.size(), qsizetype(2), kWait);
        lines.sort();
        QCOMPARE(lines, (QStringList{"a/c: a-c-2", "a/sidecar: a-sidecar-2"}));

        // Pod b appears while waiting for its containers, then they start: read from the start.
        QTRY_VERIFY_WITH_TIMEOUT(server.watching(), kWait);
        server.event("ADDED", webPod("b", "11", {}));
        server.event("MODIFIED", webPod("b", "12", {"c"}));
        QTRY_COMPARE_WITH_TIMEOUT(ended.size(), qsizetype(3), kWait);
        QCOMPARE(lines.mid(2), (QStringList{"b/c: b-c-1", "b/c: b-c-2"}));
        QCOMPARE(logs.streamCount(), 3);
        started.sort();
        QCOMPARE(started, (QStringList{"a/c", "a/sidecar", "b/c"}));
        // An update of a pod whose streams already ran starts nothing twice.
        server.event("MODIFIED", webPod("a", "13", {"c", "sidecar"}));
        server.event("MODIFIED", webPod("b", "14", {"c", "sidecar"}));
        QTRY_COMPARE_WITH_TIMEOUT(logs.streamCount(), 4, kWait);
        QTRY_COMPARE_WITH_TIMEOUT(ended.size(), qsizetype(4), kWait);
        QCOMPARE(lines.mid(4), (QStringList{"b/sidecar: b-sidecar-1", "b/sidecar: b-sidecar-2"}));

        QList<QByteArray> paths = server.logPaths();
        std::sort(paths.begin(), paths.end());
        QCOMPARE(paths,
                 (QList<QByteArray>{
                     "/api/v1/namespaces/ns/pods/a/log?container=c&follow=true&timestamps=true&"
                     "tailLines=1",
                     "/api/v1/namespaces/ns/pods/a/log?container=sidecar&follow=true&"
                     "timestamps=true&tailLines=1",
                     "/api/v1/namespaces/ns/pods/b/log?container=c&follow=true&timestamps=true",
                     "/api/v1/namespaces/ns/pods/b/log?container=sidecar&follow=true&"
                     "timestamps=true"}));
    }

    void oneContainerOnly()
    {
        PodLogServer server(std::vector<nlohmann::json>{webPod("a", "5", {"c", "sidecar"})});
        RestClient client(server.config(), mainThread());
        QStringList lines;
        int ended = 0;
        PodLogsOptions options;
        options.namespace_ = "ns";
        options.labelSelector = "app=web";
        options.container = "sidecar";
        PodLogsHandler handler;
        handler.lines = [&](std::vector<PodLogLine> batch) {
            for (const auto &line : batch)
                lines << QString::fromStdString(line.container + ": " + line.line.text);
        };
        handler.streamEnded = [&](const api::ObjectKey &, const std::string &,
                                  const util::Result<void> &) { ++ended; };
        PodLogs logs(client, options, handler);
        logs.start();
        QTRY_COMPARE_WITH_TIMEOUT(ended, 1, kWait);
        QCOMPARE(lines, (QStringList{"sidecar: a-sidecar-1", "sidecar: a-sidecar-2"}));
        QCOMPARE(logs.streamCount(), 1);
    }

    void podSelectorOfObjects_data()
    {
        QTest::addColumn<QByteArray>("object");
        QTest::addColumn<QString>("selector");
        QTest::newRow("service") << QByteArray(
            "{\"kind\":\"Service\",\"spec\":{\"selector\":{\"tier\":\"web\","
            "\"app\":\"shop\"}}}")
                                 << "app=shop,tier=web";
        QTest::newRow("deployment")
            << QByteArray("{\"kind\":\"Deployment\",\"spec\":{\"selector\":{\"matchLabels\":"
                          "{\"app\":\"shop\"},\"matchExpressions\":[{\"key\":\"env\","
                          "\"operator\":\"In\",\"values\":[\"prod\",\"dev\"]}]}}}")
            << "app=shop,env in (dev,prod)";
        QTest::newRow("service without selector")
            << QByteArray("{\"kind\":\"Service\",\"spec\":{}}") << QString();
        QTest::newRow("empty workload selector")
            << QByteArray("{\"kind\":\"Deployment\",\"spec\":{\"selector\":{\"matchLabels\":{}}}}")
            << QString();
        QTest::newRow("not an object") << QByteArray("[1]") << QString();
    }
    void podSelectorOfObjects()
    {
        QFETCH(QByteArray, object);
        QFETCH(QString, selector);
        auto result = podSelectorOf(nlohmann::json::parse(object.toStdString()));
        if (selector.isEmpty()) {
            QVERIFY(!result);
            QCOMPARE(result.error().code(), util::Error::Code::Invalid);
        } else {
            QVERIFY2(result.ok(), result.ok() ? "" : result.error().message().c_str());
            QCOMPARE(QString::fromStdString(*result), selector);
        }
    }
};

QTEST_GUILESS_MAIN(TestPodLogs)
#include "tst_podlogs.moc"
