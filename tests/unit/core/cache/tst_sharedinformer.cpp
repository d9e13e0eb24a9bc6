// moc cannot parse some C++20 library headers; it only needs the Q_OBJECT class.
#ifndef Q_MOC_RUN
#include <core/cache/sharedinformer.h>
#include <core/client/restclient.h>

#include "fakeapiserver.h"

#include <nlohmann/json.hpp>
#endif

#include <QCoreApplication>
#include <QTest>

#include <mutex>

using namespace kd::core::cache;
using kd::core::api::GroupVersionResource;
using kd::core::api::ObjectKey;
using kd::core::client::ResourceRef;
using kd::core::client::RestClient;
using kd::core::transport::ConnectionConfig;
using kd::core::transport::Executor;

namespace {

constexpr int kWait = 15000;

ReflectorOptions podOptions(Flavour flavour = Flavour::Full)
{
    ReflectorOptions options;
    options.resource = ResourceRef{GroupVersionResource{"", "v1", "pods"}, true, {}, {}, {}};
    options.flavour = flavour;
    options.backoff.initial = std::chrono::milliseconds(10);
    options.backoff.max = std::chrono::milliseconds(100);
    return options;
}

// Queues deliveries onto the test's (GUI-like) thread, which QTRY_* spins.
Executor mainThread()
{
    return [](std::function<void()> f) {
        QMetaObject::invokeMethod(QCoreApplication::instance(), std::move(f), Qt::QueuedConnection);
    };
}

ConnectionConfig config(const FakeApiServer &api)
{
    ConnectionConfig config;
    config.baseUrl = api.baseUrl();
    return config;
}

// What a handler saw, as "+name@rv", "~name@oldrv>newrv", "-name@rv", in order.
struct Seen
{
    QStringList events;
    std::thread::id thread;

    static QString label(const ObjectPtr &object)
    {
        return QString::fromStdString((*object)["metadata"]["name"].toString() + "@"
                                      + (*object)["metadata"]["resourceVersion"].toString());
    }
    EventHandler handler()
    {
        EventHandler handler;
        handler.onAdd = [this](const ObjectPtr &object) {
            thread = std::this_thread::get_id();
            events << "+" + label(object);
        };
        handler.onUpdate = [this](const ObjectPtr &oldObject, const ObjectPtr &newObject) {
            events << "~" + label(oldObject) + ">"
                          + QString::fromStdString(
                              (*newObject)["metadata"]["resourceVersion"].toString());
        };
        handler.onDelete = [this](const ObjectPtr &object) { events << "-" + label(object); };
        return handler;
    }
};

void standardWatch(FakeApiServer &api, const TestRequest &request, QTcpSocket *socket,
                   const nlohmann::json &list)
{
    if (FakeApiServer::isWatch(request))
        api.openWatch(socket);
    else
        FakeApiServer::reply(socket, 200, list);
}

} // namespace

class TestSharedInformer final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void handlersSeeChangesInOrderOnTheExecutor()
    {
        FakeApiServer api([](FakeApiServer &server, const TestRequest &r, QTcpSocket *s) {
            standardWatch(
                server, r, s,
                podList("10", {makePod("default", "a", "8"), makePod("default", "b", "9")}));
        });
        RestClient client(config(api), [](std::function<void()> f) { f(); });
        SharedInformer informer(client, podOptions(), mainThread());
        Seen seen;
        informer.addEventHandler(seen.handler());
        QVERIFY(!informer.hasSynced());
        informer.start();
        QTRY_VERIFY_WITH_TIMEOUT(informer.hasSynced(), kWait);
        QTRY_COMPARE_WITH_TIMEOUT(api.watchesOpened(), 1, kWait);
        api.send(watchEvent("MODIFIED", makePod("default", "a", "11")));
        api.send(watchEvent("ADDED", makePod("default", "c", "12")));
        api.send(watchEvent("DELETED", makePod("default", "b", "13")));
        QTRY_COMPARE_WITH_TIMEOUT(seen.events.size(), 5, kWait);
        // onDelete gets the server's final state, which is newer than the cached one.
        QCOMPARE(seen.events, (QStringList{"+a@8", "+b@9", "~a@8>11", "+c@12", "-b@13"}));
        QCOMPARE(seen.thread, std::this_thread::get_id());
        QCOMPARE(informer.store().size(), size_t(2));
        QCOMPARE(informer.lastSyncResourceVersion(), std::string("13"));
        QVERIFY(!informer.store().byIndex(indexes::Namespace, "default").empty());
    }

    void lateHandlerGetsCurrentContentFirst()
    {
        FakeApiServer api([](FakeApiServer &server, const TestRequest &r, QTcpSocket *s) {
            standardWatch(server, r, s, podList("10", {makePod("default", "a", "8")}));
        });
        RestClient client(config(api), [](std::function<void()> f) { f(); });
        SharedInformer informer(client, podOptions(), mainThread());
        informer.start();
        QTRY_COMPARE_WITH_TIMEOUT(api.watchesOpened(), 1, kWait);
        api.send(watchEvent("ADDED", makePod("default", "b", "11")));
        QTRY_COMPARE_WITH_TIMEOUT(informer.store().size(), size_t(2), kWait);
        Seen late;
        informer.addEventHandler(late.handler());
        api.send(watchEvent("MODIFIED", makePod("default", "b", "12")));
        QTRY_COMPARE_WITH_TIMEOUT(late.events.size(), 3, kWait);
        QCOMPARE(late.events, (QStringList{"+a@8", "+b@11", "~b@11>12"}));
    }

    void relistDeliversDeletesForVanishedObjects()
    {
        std::atomic<int> lists{0};
        FakeApiServer api([&](FakeApiServer &server, const TestRequest &r, QTcpSocket *s) {
            if (!FakeApiServer::isWatch(r) && lists.fetch_add(1) > 0) {
                FakeApiServer::reply(s, 200, podList("60", {makePod("default", "b", "9")}));
                return;
            }
            standardWatch(
                server, r, s,
                podList("10", {makePod("default", "a", "8"), makePod("default", "b", "9")}));
        });
        RestClient client(config(api), [](std::function<void()> f) { f(); });
        SharedInformer informer(client, podOptions(), mainThread());
        Seen seen;
        informer.addEventHandler(seen.handler());
        informer.start();
        QTRY_COMPARE_WITH_TIMEOUT(api.watchesOpened(), 1, kWait);
        api.send(watchEvent("ERROR", expiredStatus()));
        QTRY_COMPARE_WITH_TIMEOUT(seen.events.size(), 3, kWait);
        // b is unchanged (same resourceVersion): no update for it.
        QCOMPARE(seen.events, (QStringList{"+a@8", "+b@9", "-a@8"}));
    }

    void removedHandlerAndExpiredReceiverGetNothing()
    {
        FakeApiServer api([](FakeApiServer &server, const TestRequest &r, QTcpSocket *s) {
            standardWatch(server, r, s, podList("10", {makePod("default", "a", "8")}));
        });
        RestClient client(config(api), [](std::function<void()> f) { f(); });
        SharedInformer informer(client, podOptions(), mainThread());
        Seen removed;
        Seen guarded;
        Seen kept;
        auto receiver = std::make_shared<int>(0);
        const auto id = informer.addEventHandler(removed.handler());
        informer.addEventHandler(guarded.handler(), receiver);
        informer.addEventHandler(kept.handler());
        informer.start();
        QTRY_COMPARE_WITH_TIMEOUT(kept.events.size(), 1, kWait);
        informer.removeEventHandler(id);
        receiver.reset();
        QTRY_COMPARE_WITH_TIMEOUT(api.watchesOpened(), 1, kWait);
        api.send(watchEvent("ADDED", makePod("default", "b", "11")));
        QTRY_COMPARE_WITH_TIMEOUT(kept.events.size(), 2, kWait);
        QCOMPARE(removed.events, (QStringList{"+a@8"}));
        QCOMPARE(guarded.events, (QStringList{"+a@8"}));
    }

    void nothingIsDeliveredAfterStop()
    {
        FakeApiServer api([](FakeApiServer &server, const TestRequest &r, QTcpSocket *s) {
            standardWatch(server, r, s, podList("10", {makePod("default", "a", "8")}));
        });
        RestClient client(config(api), [](std::function<void()> f) { f(); });
        // A manual executor: deliveries wait until the test runs them.
        std::mutex mutex;
        std::vector<std::function<void()>> queued;
        Executor manual = [&](std::function<void()> f) {
            std::lock_guard lock(mutex);
            queued.push_back(std::move(f));
        };
        Seen seen;
        {
            SharedInformer informer(client, podOptions(), manual);
            informer.addEventHandler(seen.handler());
            informer.start();
            QTRY_VERIFY_WITH_TIMEOUT(informer.hasSynced(), kWait);
        }
        std::lock_guard lock(mutex);
        QVERIFY(!queued.empty());
        for (auto &f : queued)
            f();
        QVERIFY(seen.events.isEmpty());
    }

    void resyncRedeliversCachedObjects()
    {
        FakeApiServer api([](FakeApiServer &server, const TestRequest &r, QTcpSocket *s) {
            standardWatch(server, r, s, podList("10", {makePod("default", "a", "8")}));
        });
        RestClient client(config(api), [](std::function<void()> f) { f(); });
        SharedInformer informer(client, podOptions(), mainThread(), indexes::standard(),
                                std::chrono::milliseconds(50));
        Seen seen;
        informer.addEventHandler(seen.handler());
        informer.start();
        QTRY_VERIFY_WITH_TIMEOUT(seen.events.size() >= 3, kWait);
        QCOMPARE(seen.events.at(0), QString("+a@8"));
        QCOMPARE(seen.events.at(1), QString("~a@8>8"));
        QCOMPARE(api.lists().size(), size_t(1)); // resync is from the cache, not the server
    }

    void metadataFlavourStoresOnlyMetadata()
    {
        FakeApiServer api([](FakeApiServer &server, const TestRequest &r, QTcpSocket *s) {
            nlohmann::json item = makePod("default", "a", "8");
            item.erase("spec");
            item["apiVersion"] = "meta.k8s.io/v1";
            item["kind"] = "PartialObjectMetadata";
            nlohmann::json list = {{"apiVersion", "meta.k8s.io/v1"},
                                   {"kind", "PartialObjectMetadataList"},
                                   {"metadata", {{"resourceVersion", "10"}}},
                                   {"items", {item}}};
            standardWatch(server, r, s, list);
        });
        RestClient client(config(api), [](std::function<void()> f) { f(); });
        SharedInformer informer(client, podOptions(Flavour::Metadata), mainThread());
        informer.start();
        QTRY_COMPARE_WITH_TIMEOUT(api.watchesOpened(), 1, kWait);
        // A server that ignores the Accept header sends whole objects: they are cut down too.
        api.send(watchEvent("ADDED", makePod("default", "b", "11")));
        QTRY_COMPARE_WITH_TIMEOUT(informer.store().size(), size_t(2), kWait);
        for (const char *name : {"a", "b"}) {
            const auto object = informer.store().get(ObjectKey{"default", name});
            QVERIFY(object);
            QVERIFY(!object->contains("spec"));
            QVERIFY(!(*object)["metadata"].contains("managedFields"));
            QCOMPARE((*object)["metadata"]["labels"]["app"].toString(), std::string(name));
        }
        QCOMPARE(api.lists().at(0).header("Accept"),
                 QByteArray("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,"
                            "application/json"));
        QCOMPARE(api.watches().at(0).header("Accept"),
                 QByteArray("application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,"
                            "application/json"));
    }

    void tableFlavourStoresRowsAndColumns()
    {
        auto row = [](const std::string &name, const std::string &rv, const std::string &status) {
            return nlohmann::json{
                {"cells", {name, "1/1", status}},
                {"object",
                 {{"kind", "PartialObjectMetadata"},
                  {"apiVersion", "meta.k8s.io/v1"},
                  {"metadata",
                   {{"name", name}, {"namespace", "default"}, {"resourceVersion", rv}}}}}};
        };
        auto columns = [](const char *last) {
            return nlohmann::json::array({{{"name", "Name"}, {"type", "string"}},
                                          {{"name", "Ready"}, {"type", "string"}},
                                          {{"name", last}, {"type", "string"}}});
        };
        FakeApiServer api([&](FakeApiServer &server, const TestRequest &r, QTcpSocket *s) {
            nlohmann::json table = {{"kind", "Table"},
                                    {"apiVersion", "meta.k8s.io/v1"},
                                    {"metadata", {{"resourceVersion", "10"}}},
                                    {"columnDefinitions", columns("Status")},
                                    {"rows", {row("a", "8", "Running")}}};
            standardWatch(server, r, s, table);
        });
        RestClient client(config(api), [](std::function<void()> f) { f(); });
        SharedInformer informer(client, podOptions(Flavour::Table), mainThread());
        QStringList columnNames;
        EventHandler handler;
        handler.onColumnsChanged = [&](const ObjectPtr &definitions) {
            columnNames.clear();
            for (std::size_t i = 0; i < definitions->root().size(); ++i)
                columnNames << QString::fromStdString((*definitions)[i]["name"].toString());
        };
        informer.addEventHandler(handler);
        informer.start();
        QTRY_COMPARE_WITH_TIMEOUT(api.watchesOpened(), 1, kWait);
        QTRY_COMPARE_WITH_TIMEOUT(columnNames, (QStringList{"Name", "Ready", "Status"}), kWait);
        nlohmann::json event = {{"kind", "Table"},
                                {"apiVersion", "meta.k8s.io/v1"},
                                {"metadata", {{"resourceVersion", "11"}}},
                                {"columnDefinitions", columns("Phase")},
                                {"rows", {row("b", "11", "Pending")}}};
        api.send(watchEvent("ADDED", event));
        QTRY_COMPARE_WITH_TIMEOUT(informer.store().size(), size_t(2), kWait);
        const auto b = informer.store().get(ObjectKey{"default", "b"});
        QCOMPARE((*b)["cells"][2].toString(), std::string("Pending"));
        QCOMPARE((*b)["metadata"]["resourceVersion"].toString(), std::string("11"));
        QCOMPARE((*informer.store().get(ObjectKey{"default", "a"}))["cells"][0].toString(),
                 std::string("a"));
        QTRY_COMPARE_WITH_TIMEOUT(columnNames, (QStringList{"Name", "Ready", "Phase"}), kWait);
        QCOMPARE((*informer.columnDefinitions())[2]["name"].toString(), std::string("Phase"));
        const QByteArray accept = api.lists().at(0).header("Accept");
        QVERIFY(accept.startsWith("application/json;as=Table;v=v1;g=meta.k8s.io"));
        QVERIFY(api.watches().at(0).header("Accept").startsWith("application/json;as=Table"));
        QVERIFY(!FakeApiServer::hasQuery(api.lists().at(0), "includeObject"));
        QCOMPARE(informer.lastSyncResourceVersion(), std::string("11"));
    }
};

QTEST_GUILESS_MAIN(TestSharedInformer)
#include "tst_sharedinformer.moc"
