// moc cannot parse some C++20 library headers; it only needs the Q_OBJECT class.
#ifndef Q_MOC_RUN
#include <core/client/restclient.h>
#include <core/engine/metrics.h>
#include <core/util/time.h>

#include <nlohmann/json.hpp>

#include <mutex>
#include <string>
#endif

#include "../transport/testserver.h"

#include <QTest>

using namespace kd::core::engine;
using kd::core::client::RestClient;
using kd::core::transport::ConnectionConfig;
using kd::core::util::Error;
using nlohmann::json;

namespace {

// What the scripted metrics API answers; the test changes it between polls.
struct Script
{
    std::mutex mutex;
    int status = 200;
    json nodes;
    json pods;
};

QByteArray answer(int status, const QByteArray &body)
{
    const QByteArray reason = status == 200 ? "OK" : status == 404 ? "Not Found" : "Error";
    return "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason
           + "\r\nContent-Type: application/json\r\nContent-Length: "
           + QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

std::string stamp(int second)
{
    return "2026-11-29T05:00:" + std::string(second < 10 ? "0" : "") + std::to_string(second) + "Z";
}

json nodeList(int second, const std::string &cpu, const std::string &memory)
{
    return {{"kind", "NodeMetricsList"},
            {"apiVersion", "metrics.k8s.io/v1beta1"},
            {"metadata", json::object()},
            {"items", json::array({{{"metadata", {{"name", "kd-node"}}},
                                    {"timestamp", stamp(second)},
                                    {"window", "20.05s"},
                                    {"usage", {{"cpu", cpu}, {"memory", memory}}}}})}};
}

json podList(int second, bool withPod = true)
{
    json items = json::array();
    if (withPod) {
        items.push_back(
            {{"metadata", {{"name", "web-1"}, {"namespace", "shop"}}},
             {"timestamp", stamp(second)},
             {"window", "15s"},
             {"containers",
              json::array(
                  {{{"name", "app"}, {"usage", {{"cpu", "100m"}, {"memory", "64Mi"}}}},
                   {{"name", "proxy"}, {"usage", {{"cpu", "150m"}, {"memory", "32Mi"}}}}})}});
    }
    return {{"kind", "PodMetricsList"},
            {"apiVersion", "metrics.k8s.io/v1beta1"},
            {"metadata", json::object()},
            {"items", items}};
}

} // namespace

class TestMetricsPoller final : public QObject
{
    Q_OBJECT

public:
    TestMetricsPoller()
        : m_server([this](const TestRequest &request, QTcpSocket *socket, QByteArray &) {
            std::lock_guard lock(m_script.mutex);
            if (m_script.status == 404) {
                const json status
                    = {{"kind", "Status"},
                       {"apiVersion", "v1"},
                       {"metadata", json::object()},
                       {"status", "Failure"},
                       {"message", "the server could not find the requested resource"},
                       {"reason", "NotFound"},
                       {"code", 404}};
                socket->write(answer(404, QByteArray::fromStdString(status.dump())));
            } else if (m_script.status != 200) {
                socket->write(answer(m_script.status, "{}"));
            } else if (request.path.startsWith("/apis/metrics.k8s.io/v1beta1/nodes")) {
                socket->write(answer(200, QByteArray::fromStdString(m_script.nodes.dump())));
            } else if (request.path.startsWith("/apis/metrics.k8s.io/v1beta1/pods")) {
                socket->write(answer(200, QByteArray::fromStdString(m_script.pods.dump())));
            } else {
                socket->write(answer(404, "{}"));
            }
            return false;
        })
    {
        m_config.baseUrl = "http://127.0.0.1:" + std::to_string(m_server.port());
    }

private slots:
    void init()
    {
        std::lock_guard lock(m_script.mutex);
        m_script.status = 200;
        m_script.nodes = nodeList(0, "500m", "1Gi");
        m_script.pods = podList(0);
    }

    void absentMetricsApiIsAStateNotAnError()
    {
        {
            std::lock_guard lock(m_script.mutex);
            m_script.status = 404;
        }
        RestClient client(m_config, [](std::function<void()> f) { f(); });
        MetricsPoller poller(client, {});
        QCOMPARE(poller.state(), MetricsPoller::State::Unknown);
        QVERIFY(poller.pollOnce().ok());
        QCOMPARE(poller.state(), MetricsPoller::State::Unavailable);
        QCOMPARE(poller.lastError().code(), Error::Code::NotFound);
        QVERIFY(poller.nodeHistory("kd-node").empty());

        // metrics-server installed later: the next poll picks it up.
        {
            std::lock_guard lock(m_script.mutex);
            m_script.status = 200;
        }
        QVERIFY(poller.pollOnce().ok());
        QCOMPARE(poller.state(), MetricsPoller::State::Available);
        QCOMPARE(poller.nodeHistory("kd-node").size(), size_t(1));
    }

    void historyIsBoundedAndSumsContainers()
    {
        RestClient client(m_config, [](std::function<void()> f) { f(); });
        MetricsPoller poller(client, {std::chrono::milliseconds(1000), 3});
        for (int second = 0; second < 5; ++second) {
            {
                std::lock_guard lock(m_script.mutex);
                m_script.nodes = nodeList(second, std::to_string(100 * (second + 1)) + "m", "2Gi");
                m_script.pods = podList(second);
            }
            QVERIFY(poller.pollOnce().ok());
        }
        const std::vector<MetricsSample> node = poller.nodeHistory("kd-node");
        QCOMPARE(node.size(), size_t(3));
        QCOMPARE(node[0].cpuMillicores, std::int64_t(300));
        QCOMPARE(node[2].cpuMillicores, std::int64_t(500));
        QCOMPARE(node[2].memoryBytes, std::int64_t(2) * 1024 * 1024 * 1024);
        QCOMPARE(node[2].time, kd::core::util::parseRfc3339(stamp(4)).value());

        const std::vector<MetricsSample> pod = poller.podHistory("shop", "web-1");
        QCOMPARE(pod.size(), size_t(3));
        QCOMPARE(pod.back().cpuMillicores, std::int64_t(250));
        QCOMPARE(pod.back().memoryBytes, std::int64_t(96) * 1024 * 1024);

        // Polling faster than metrics-server scrapes repeats a sample; it is kept once.
        QVERIFY(poller.pollOnce().ok());
        QCOMPARE(poller.nodeHistory("kd-node"), node);

        // A deleted pod's history goes with it.
        {
            std::lock_guard lock(m_script.mutex);
            m_script.pods = podList(5, false);
        }
        QVERIFY(poller.pollOnce().ok());
        QVERIFY(poller.podHistory("shop", "web-1").empty());
    }

    void failuresKeepTheHistory_data()
    {
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("cpu");
        QTest::addColumn<int>("codeValue"); // Error::Code
        QTest::newRow("server error") << 500 << "1" << int(Error::Code::Internal);
        QTest::newRow("bad quantity") << 200 << "lots" << int(Error::Code::Decode);
    }

    void failuresKeepTheHistory()
    {
        QFETCH(int, status);
        QFETCH(QString, cpu);
        QFETCH(int, codeValue);
        const auto code = Error::Code(codeValue);
        RestClient client(m_config, [](std::function<void()> f) { f(); });
        MetricsPoller poller(client, {});
        QVERIFY(poller.pollOnce().ok());
        const auto before = poller.nodeHistory("kd-node");
        QCOMPARE(before.size(), size_t(1));
        {
            std::lock_guard lock(m_script.mutex);
            m_script.status = status;
            m_script.nodes = nodeList(1, cpu.toStdString(), "1Gi");
        }
        const auto result = poller.pollOnce();
        QVERIFY(!result.ok());
        QCOMPARE(result.error().code(), code);
        QCOMPARE(poller.state(), MetricsPoller::State::Failing);
        QCOMPARE(poller.lastError().code(), code);
        QCOMPARE(poller.nodeHistory("kd-node"), before);
    }

    void pollsOnItsOwnThreadUntilStopped()
    {
        RestClient client(m_config, [](std::function<void()> f) { f(); });
        MetricsPoller poller(client, {std::chrono::milliseconds(5), 60});
        std::atomic<int> notified{0};
        poller.setChangeCallback([&](MetricsPoller::State) { ++notified; });
        poller.start();
        poller.start();
        QTRY_VERIFY_WITH_TIMEOUT(poller.pollCount() >= 3, 10000);
        poller.stop();
        const std::uint64_t polls = poller.pollCount();
        QCOMPARE(std::uint64_t(notified.load()), polls);
        QCOMPARE(poller.state(), MetricsPoller::State::Available);
        // After stop() returns no poll runs any more.
        QTest::qWait(50);
        QCOMPARE(poller.pollCount(), polls);
    }

private:
    Script m_script;
    TestServer m_server;
    ConnectionConfig m_config;
};

QTEST_GUILESS_MAIN(TestMetricsPoller)
#include "tst_metricspoller.moc"
