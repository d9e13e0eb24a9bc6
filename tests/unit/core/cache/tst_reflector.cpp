// moc cannot parse some C++20 library headers; it only needs the Q_OBJECT class.
#ifndef Q_MOC_RUN
#include <core/cache/reflector.h>
#include <core/cache/store.h>
#include <core/client/restclient.h>

#include "fakeapiserver.h"

#include <nlohmann/json.hpp>

#include <QTest>
#include <QTimer>

#include <atomic>
#endif

using namespace kd::core::cache;
using kd::core::api::GroupVersionResource;
using kd::core::api::ObjectKey;
using kd::core::client::ResourceRef;
using kd::core::client::RestClient;
using kd::core::client::WatchEvent;
using kd::core::transport::ConnectionConfig;
using kd::core::util::Error;

namespace {

constexpr int kWait = 15000;

ResourceRef pods(std::string ns = {})
{
    return ResourceRef{GroupVersionResource{"", "v1", "pods"}, true, std::move(ns), {}, {}};
}

ReflectorOptions fastOptions()
{
    ReflectorOptions options;
    options.resource = pods();
    options.backoff.initial = std::chrono::milliseconds(10);
    options.backoff.max = std::chrono::milliseconds(100);
    return options;
}

// A reflector writing into a Store, recording what each sink call changed.
class Harness
{
public:
    Harness(const FakeApiServer &api, ReflectorOptions options = fastOptions())
        : m_client(config(api), [](std::function<void()> f) { f(); })
        , m_store(indexes::standard())
        , m_reflector(m_client, std::move(options), sink())
    {
        m_reflector.start();
    }

    Store &store() { return m_store; }
    Reflector &reflector() { return m_reflector; }
    int replaces() const { return m_replaces.load(); }
    QStringList log() const
    {
        QMutexLocker lock(&m_mutex);
        return m_log;
    }
    QStringList names() const
    {
        QStringList out;
        for (const auto &key : m_store.keys())
            out << QString::fromStdString(key.name);
        return out;
    }
    std::string rvOf(const char *name, const char *ns = "default") const
    {
        const auto object = m_store.get(ObjectKey{ns, name});
        return object ? (*object)["metadata"]["resourceVersion"].toString() : std::string("-");
    }

private:
    static ConnectionConfig config(const FakeApiServer &api)
    {
        ConnectionConfig config;
        config.baseUrl = api.baseUrl();
        config.retry.initialBackoff = std::chrono::milliseconds(10);
        return config;
    }

    void record(const std::vector<Delta> &deltas)
    {
        QMutexLocker lock(&m_mutex);
        for (const auto &delta : deltas) {
            const QString name
                = QString::fromStdString((*delta.object)["metadata"]["name"].toString());
            switch (delta.type) {
            case Delta::Type::Added:
                m_log << "+" + name;
                break;
            case Delta::Type::Updated:
                m_log << "~" + name;
                break;
            case Delta::Type::Deleted:
                m_log << "-" + name;
                break;
            }
        }
    }

    ReflectorSink sink()
    {
        ReflectorSink sink;
        sink.replace = [this](std::vector<ObjectPtr> objects, const std::string &) {
            record(m_store.replace(std::move(objects)));
            ++m_replaces;
        };
        sink.apply = [this](std::vector<ObjectEvent> changes) {
            std::vector<Delta> deltas;
            for (auto &change : changes) {
                auto delta = change.type == WatchEvent::Type::Deleted
                                 ? m_store.remove(change.object)
                                 : m_store.upsert(change.object);
                if (delta)
                    deltas.push_back(*delta);
            }
            record(deltas);
        };
        return sink;
    }

    RestClient m_client;
    Store m_store;
    mutable QMutex m_mutex;
    QStringList m_log;
    std::atomic<int> m_replaces{0};
    Reflector m_reflector;
};

} // namespace

class TestReflector final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void listThenWatchAppliesEvents()
    {
        FakeApiServer api([](FakeApiServer &server, const TestRequest &request,
                             QTcpSocket *socket) {
            if (!FakeApiServer::isWatch(request)) {
                FakeApiServer::reply(
                    socket, 200,
                    podList("10", {makePod("default", "a", "8"), makePod("default", "b", "9")}));
                return;
            }
            if (server.watchesOpened() == 0)
                server.openWatch(socket);
        });
        Harness harness(api);
        QTRY_COMPARE_WITH_TIMEOUT(api.watchesOpened(), 1, kWait);
        QCOMPARE(harness.names(), (QStringList{"a", "b"}));

        api.send(watchEvent("ADDED", makePod("default", "c", "11")));
        api.send(watchEvent("MODIFIED", makePod("default", "a", "12")));
        api.send(watchEvent("DELETED", makePod("default", "b", "13")));
        QTRY_COMPARE_WITH_TIMEOUT(harness.reflector().lastSyncResourceVersion(), std::string("13"),
                                  kWait);
        QCOMPARE(harness.names(), (QStringList{"a", "c"}));
        QCOMPARE(harness.rvOf("a"), std::string("12"));
        QCOMPARE(harness.log(), (QStringList{"+a", "+b", "+c", "~a", "-b"}));

        // The requests follow client-go: a cached LIST, then a bookmarked WATCH from its RV.
        const auto lists = api.lists();
        QCOMPARE(lists.size(), size_t(1));
        QCOMPARE(FakeApiServer::query(lists[0], "resourceVersion"), QString("0"));
        QCOMPARE(FakeApiServer::query(lists[0], "limit"), QString("500"));
        const auto watch = api.watches().at(0);
        QCOMPARE(FakeApiServer::query(watch, "resourceVersion"), QString("10"));
        QCOMPARE(FakeApiServer::query(watch, "allowWatchBookmarks"), QString("true"));
        const int timeout = FakeApiServer::query(watch, "timeoutSeconds").toInt();
        QVERIFY2(timeout >= 300 && timeout <= 600, qPrintable(QString::number(timeout)));
        QCOMPARE(watch.header("Accept"), QByteArray("application/json"));
    }

    void bookmarkMovesResourceVersionAndTimeoutRewatches()
    {
        FakeApiServer api([](FakeApiServer &server, const TestRequest &request,
                             QTcpSocket *socket) {
            if (!FakeApiServer::isWatch(request)) {
                FakeApiServer::reply(socket, 200, podList("10", {makePod("default", "a", "8")}));
                return;
            }
            server.openWatch(socket);
        });
        Harness harness(api);
        QTRY_COMPARE_WITH_TIMEOUT(api.watchesOpened(), 1, kWait);
        api.send(watchEvent(
            "BOOKMARK",
            {{"kind", "Pod"}, {"apiVersion", "v1"}, {"metadata", {{"resourceVersion", "20"}}}}));
        QTRY_COMPARE_WITH_TIMEOUT(harness.reflector().lastSyncResourceVersion(), std::string("20"),
                                  kWait);
        // The server's timeoutSeconds ran out: the stream ends cleanly.
        api.endWatch();
        QTRY_COMPARE_WITH_TIMEOUT(api.watchesOpened(), 2, kWait);
        const auto watches = api.watches();
        QCOMPARE(FakeApiServer::query(watches.at(1), "resourceVersion"), QString("20"));
        // Re-watching is not relisting, and the bookmark is not an object.
        QCOMPARE(api.lists().size(), size_t(1));
        QCOMPARE(harness.names(), (QStringList{"a"}));
        QCOMPARE(harness.replaces(), 1);
    }

    void expiredErrorEventRelistsConsistently()
    {
        std::atomic<int> listCount{0};
        FakeApiServer api(
            [&](FakeApiServer &server, const TestRequest &request, QTcpSocket *socket) {
                if (!FakeApiServer::isWatch(request)) {
                    if (listCount.fetch_add(1) == 0)
                        FakeApiServer::reply(socket, 200,
                                             podList("10", {makePod("default", "a", "8"),
                                                            makePod("default", "b", "9")}));
                    else
                        FakeApiServer::reply(socket, 200,
                                             podList("60", {makePod("default", "a", "55"),
                                                            makePod("default", "c", "57")}));
                    return;
                }
                server.openWatch(socket);
            });
        Harness harness(api);
        QTRY_COMPARE_WITH_TIMEOUT(api.watchesOpened(), 1, kWait);
        api.send(watchEvent("ERROR", expiredStatus()));
        QTRY_COMPARE_WITH_TIMEOUT(api.watchesOpened(), 2, kWait);
        QCOMPARE(harness.names(), (QStringList{"a", "c"}));
        // b vanished while we were not watching: the relist reports it deleted.
        QCOMPARE(harness.log(), (QStringList{"+a", "+b", "~a", "-b", "+c"}));
        const auto lists = api.lists();
        QCOMPARE(lists.size(), size_t(2));
        // After 410 the relist is a consistent read: no resourceVersion at all.
        QVERIFY(!FakeApiServer::hasQuery(lists[1], "resourceVersion"));
        QCOMPARE(FakeApiServer::query(api.watches().at(1), "resourceVersion"), QString("60"));
    }

    void http410OnWatchRelists()
    {
        std::atomic<int> watchCount{0};
        FakeApiServer api([&](FakeApiServer &server, const TestRequest &request,
                              QTcpSocket *socket) {
            if (!FakeApiServer::isWatch(request)) {
                FakeApiServer::reply(socket, 200, podList("10", {makePod("default", "a", "8")}));
                return;
            }
            if (watchCount.fetch_add(1) == 0)
                FakeApiServer::reply(socket, 410, expiredStatus());
            else
                server.openWatch(socket);
        });
        Harness harness(api);
        QTRY_COMPARE_WITH_TIMEOUT(api.watchesOpened(), 1, kWait);
        const auto lists = api.lists();
        QCOMPARE(lists.size(), size_t(2));
        QVERIFY(!FakeApiServer::hasQuery(lists[1], "resourceVersion"));
        QCOMPARE(harness.names(), (QStringList{"a"}));
    }

    void droppedConnectionsReconnectWithoutLossOrDuplicates()
    {
        FakeApiServer api([](FakeApiServer &server, const TestRequest &request,
                             QTcpSocket *socket) {
            if (!FakeApiServer::isWatch(request)) {
                FakeApiServer::reply(socket, 200, podList("10", {makePod("default", "a", "8")}));
                return;
            }
            server.openWatch(socket);
        });
        Harness harness(api);
        for (int round = 0; round < 3; ++round) {
            QTRY_COMPARE_WITH_TIMEOUT(api.watchesOpened(), round + 1, kWait);
            const std::string name = "p" + std::to_string(round);
            const std::string rv = std::to_string(11 + round);
            api.send(watchEvent("ADDED", makePod("default", name, rv)));
            QTRY_COMPARE_WITH_TIMEOUT(harness.reflector().lastSyncResourceVersion(), rv, kWait);
            api.dropWatch();
        }
        QTRY_COMPARE_WITH_TIMEOUT(api.watchesOpened(), 4, kWait);
        const auto watches = api.watches();
        QCOMPARE(FakeApiServer::query(watches.at(1), "resourceVersion"), QString("11"));
        QCOMPARE(FakeApiServer::query(watches.at(2), "resourceVersion"), QString("12"));
        QCOMPARE(FakeApiServer::query(watches.at(3), "resourceVersion"), QString("13"));
        QCOMPARE(harness.log(), (QStringList{"+a", "+p0", "+p1", "+p2"}));
        QCOMPARE(api.lists().size(), size_t(1));
        QVERIFY(api.server().connectionCount() >= 2);
    }

    void tooManyRequestsOnListIsRetried()
    {
        std::atomic<int> listCount{0};
        FakeApiServer api(
            [&](FakeApiServer &server, const TestRequest &request, QTcpSocket *socket) {
                if (!FakeApiServer::isWatch(request)) {
                    if (listCount.fetch_add(1) < 2) {
                        nlohmann::json status
                            = {{"kind", "Status"},       {"apiVersion", "v1"},
                               {"status", "Failure"},    {"reason", "TooManyRequests"},
                               {"message", "slow down"}, {"code", 429}};
                        FakeApiServer::reply(socket, 429, status, {"Retry-After: 1"});
                    } else {
                        FakeApiServer::reply(socket, 200,
                                             podList("10", {makePod("default", "a", "8")}));
                    }
                    return;
                }
                server.openWatch(socket);
            });
        Harness harness(api);
        QTRY_COMPARE_WITH_TIMEOUT(api.watchesOpened(), 1, kWait);
        QCOMPARE(listCount.load(), 3);
        QCOMPARE(harness.names(), (QStringList{"a"}));
        QVERIFY(!harness.reflector().lastError());
    }

    void slowResponsesStillSync()
    {
        FakeApiServer api([](FakeApiServer &server, const TestRequest &request,
                             QTcpSocket *socket) {
            if (!FakeApiServer::isWatch(request)) {
                const QByteArray body = jsonBytes(
                    podList("10", {makePod("default", "a", "8"), makePod("default", "b", "9")}));
                socket->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              "Content-Length: "
                              + QByteArray::number(body.size()) + "\r\n\r\n");
                // The body trickles in over a second.
                for (int i = 0; i < 10; ++i) {
                    QPointer<QTcpSocket> guard(socket);
                    const QByteArray part = body.mid(
                        i * body.size() / 10, (i + 1) * body.size() / 10 - i * body.size() / 10);
                    QTimer::singleShot(100 * (i + 1), socket, [guard, part] {
                        if (guard)
                            guard->write(part);
                    });
                }
                return;
            }
            server.openWatch(socket);
        });
        Harness harness(api);
        QTRY_COMPARE_WITH_TIMEOUT(api.watchesOpened(), 1, kWait);
        QCOMPARE(harness.names(), (QStringList{"a", "b"}));
    }

    void pagedRelistAndExpiredContinueToken()
    {
        std::atomic<int> expireContinue{1};
        FakeApiServer api([&](FakeApiServer &server, const TestRequest &request,
                              QTcpSocket *socket) {
            if (FakeApiServer::isWatch(request)) {
                server.openWatch(socket);
                return;
            }
            const QString token = FakeApiServer::query(request, "continue");
            if (token.isEmpty()) {
                FakeApiServer::reply(
                    socket, 200,
                    podList("10", {makePod("default", "a", "8"), makePod("default", "b", "9")},
                            "page2"));
            } else if (expireContinue.fetch_sub(1) > 0) {
                nlohmann::json status = expiredStatus();
                status["message"] = "The provided continue parameter is too old";
                FakeApiServer::reply(socket, 410, status);
            } else {
                FakeApiServer::reply(socket, 200, podList("10", {makePod("default", "c", "7")}));
            }
        });
        ReflectorOptions options = fastOptions();
        options.pageSize = 2;
        Harness harness(api, options);
        QTRY_COMPARE_WITH_TIMEOUT(api.watchesOpened(), 1, kWait);
        QCOMPARE(harness.names(), (QStringList{"a", "b", "c"}));
        QCOMPARE(harness.replaces(), 1);
        const auto lists = api.lists();
        // page 1 (RV 0), page 2 -> 410, full relist page 1 (no RV), page 2.
        QCOMPARE(lists.size(), size_t(4));
        QCOMPARE(FakeApiServer::query(lists[0], "resourceVersion"), QString("0"));
        QCOMPARE(FakeApiServer::query(lists[0], "limit"), QString("2"));
        QCOMPARE(FakeApiServer::query(lists[1], "continue"), QString("page2"));
        QVERIFY(!FakeApiServer::hasQuery(lists[1], "resourceVersion"));
        QVERIFY(!FakeApiServer::hasQuery(lists[2], "resourceVersion"));
        QVERIFY(!FakeApiServer::hasQuery(lists[2], "continue"));
        QCOMPARE(FakeApiServer::query(lists[3], "continue"), QString("page2"));
    }

    void undecodableListLeavesStoreUntouchedAndIsRetried()
    {
        std::atomic<bool> healthy{false};
        FakeApiServer api([&](FakeApiServer &server, const TestRequest &request,
                              QTcpSocket *socket) {
            if (FakeApiServer::isWatch(request)) {
                server.openWatch(socket);
                return;
            }
            if (!healthy.load())
                socket->write(httpResponse(200, "{\"kind\":\"PodList\",\"items\":[{\"metad"));
            else
                FakeApiServer::reply(socket, 200, podList("10", {makePod("default", "a", "8")}));
        });
        Harness harness(api);
        QTRY_VERIFY_WITH_TIMEOUT(harness.reflector().lastError().has_value(), kWait);
        QCOMPARE(harness.reflector().lastError()->code(), Error::Code::Decode);
        QCOMPARE(harness.replaces(), 0);
        QCOMPARE(api.watchesOpened(), 0);
        healthy = true;
        QTRY_COMPARE_WITH_TIMEOUT(api.watchesOpened(), 1, kWait);
        QCOMPARE(harness.names(), (QStringList{"a"}));
        QCOMPARE(harness.replaces(), 1);
    }

    void forbiddenListIsReportedAndRetried()
    {
        std::atomic<bool> allowed{false};
        FakeApiServer api([&](FakeApiServer &server, const TestRequest &request,
                              QTcpSocket *socket) {
            if (FakeApiServer::isWatch(request)) {
                server.openWatch(socket);
                return;
            }
            if (!allowed.load()) {
                nlohmann::json status = {{"kind", "Status"},
                                         {"apiVersion", "v1"},
                                         {"status", "Failure"},
                                         {"reason", "Forbidden"},
                                         {"message", "pods is forbidden"},
                                         {"code", 403}};
                FakeApiServer::reply(socket, 403, status);
            } else {
                FakeApiServer::reply(socket, 200, podList("10", {makePod("default", "a", "8")}));
            }
        });
        Harness harness(api);
        QTRY_VERIFY_WITH_TIMEOUT(harness.reflector().lastError().has_value(), kWait);
        QCOMPARE(harness.reflector().lastError()->code(), Error::Code::Forbidden);
        QCOMPARE(harness.store().size(), size_t(0));
        allowed = true;
        QTRY_COMPARE_WITH_TIMEOUT(api.watchesOpened(), 1, kWait);
        QCOMPARE(harness.names(), (QStringList{"a"}));
        QVERIFY(!harness.reflector().lastError());
    }

    void watchListIsUsedWhenTheServerServesIt()
    {
        FakeApiServer api(
            [](FakeApiServer &server, const TestRequest &request, QTcpSocket *socket) {
                if (!FakeApiServer::isWatch(request)) {
                    FakeApiServer::reply(socket, 200, podList("10", {}));
                    return;
                }
                nlohmann::json end = {{"kind", "Pod"},
                                      {"apiVersion", "v1"},
                                      {"metadata",
                                       {{"resourceVersion", "30"},
                                        {"annotations", {{"k8s.io/initial-events-end", "true"}}}}}};
                server.openWatch(socket, {watchEvent("ADDED", makePod("default", "a", "25")),
                                          watchEvent("ADDED", makePod("default", "b", "28")),
                                          watchEvent("BOOKMARK", end)});
            });
        ReflectorOptions options = fastOptions();
        options.useWatchList = true;
        Harness harness(api, options);
        QTRY_COMPARE_WITH_TIMEOUT(harness.replaces(), 1, kWait);
        QCOMPARE(harness.names(), (QStringList{"a", "b"}));
        QCOMPARE(harness.reflector().lastSyncResourceVersion(), std::string("30"));
        api.send(watchEvent("ADDED", makePod("default", "c", "31")));
        QTRY_COMPARE_WITH_TIMEOUT(harness.names(), (QStringList{"a", "b", "c"}), kWait);
        QVERIFY(api.lists().empty());
        const auto watch = api.watches().at(0);
        QCOMPARE(FakeApiServer::query(watch, "sendInitialEvents"), QString("true"));
        QCOMPARE(FakeApiServer::query(watch, "resourceVersionMatch"), QString("NotOlderThan"));
        QCOMPARE(FakeApiServer::query(watch, "allowWatchBookmarks"), QString("true"));
    }

    void watchListDroppedBeforeItsEndStartsOver()
    {
        std::atomic<int> watchCount{0};
        FakeApiServer api(
            [&](FakeApiServer &server, const TestRequest &request, QTcpSocket *socket) {
                if (!FakeApiServer::isWatch(request)) {
                    FakeApiServer::reply(socket, 200, podList("10", {}));
                    return;
                }
                if (watchCount.fetch_add(1) == 0) {
                    server.openWatch(socket, {watchEvent("ADDED", makePod("default", "a", "25"))});
                    socket->disconnectFromHost();
                    return;
                }
                nlohmann::json end = {{"kind", "Pod"},
                                      {"apiVersion", "v1"},
                                      {"metadata",
                                       {{"resourceVersion", "30"},
                                        {"annotations", {{"k8s.io/initial-events-end", "true"}}}}}};
                server.openWatch(socket, {watchEvent("ADDED", makePod("default", "a", "25")),
                                          watchEvent("ADDED", makePod("default", "b", "28")),
                                          watchEvent("BOOKMARK", end)});
            });
        ReflectorOptions options = fastOptions();
        options.useWatchList = true;
        Harness harness(api, options);
        QTRY_COMPARE_WITH_TIMEOUT(harness.replaces(), 1, kWait);
        QCOMPARE(harness.names(), (QStringList{"a", "b"}));
        const auto watches = api.watches();
        QCOMPARE(watches.size(), size_t(2));
        for (const auto &watch : watches)
            QCOMPARE(FakeApiServer::query(watch, "sendInitialEvents"), QString("true"));
        QVERIFY(api.lists().empty());
    }

    void watchListFallsBackToListWhenRejected()
    {
        FakeApiServer api([](FakeApiServer &server, const TestRequest &request,
                             QTcpSocket *socket) {
            if (!FakeApiServer::isWatch(request)) {
                FakeApiServer::reply(socket, 200, podList("10", {makePod("default", "a", "8")}));
                return;
            }
            if (request.path.contains("sendInitialEvents")) {
                nlohmann::json status = {{"kind", "Status"},
                                         {"apiVersion", "v1"},
                                         {"status", "Failure"},
                                         {"reason", "Invalid"},
                                         {"message", "sendInitialEvents is forbidden"},
                                         {"code", 422}};
                FakeApiServer::reply(socket, 422, status);
                return;
            }
            server.openWatch(socket);
        });
        ReflectorOptions options = fastOptions();
        options.useWatchList = true;
        Harness harness(api, options);
        QTRY_COMPARE_WITH_TIMEOUT(api.watchesOpened(), 1, kWait);
        QCOMPARE(harness.names(), (QStringList{"a"}));
        QCOMPARE(api.lists().size(), size_t(1));
        QCOMPARE(FakeApiServer::query(api.watches().back(), "resourceVersion"), QString("10"));
    }

    void stopReturnsWhileAWatchIsOpen()
    {
        FakeApiServer api([](FakeApiServer &server, const TestRequest &request,
                             QTcpSocket *socket) {
            if (!FakeApiServer::isWatch(request)) {
                FakeApiServer::reply(socket, 200, podList("10", {makePod("default", "a", "8")}));
                return;
            }
            server.openWatch(socket);
        });
        Harness harness(api);
        QTRY_COMPARE_WITH_TIMEOUT(api.watchesOpened(), 1, kWait);
        harness.reflector().stop();
        api.send(watchEvent("ADDED", makePod("default", "late", "11")));
        QTest::qWait(100);
        QCOMPARE(harness.names(), (QStringList{"a"}));
    }
};

QTEST_GUILESS_MAIN(TestReflector)
#include "tst_reflector.moc"
