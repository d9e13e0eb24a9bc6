// Qt 6.4's moc cannot parse <compare> (pulled in by core/api/groupversion.h) unless <string> was
// included before it.
#include <string>

#include <core/client/discovery.h>
#include <core/client/discoverycache.h>

#include "discoveryserver.h"

#include <nlohmann/json.hpp>

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

#include <future>

using namespace kd::core::client;
using kd::core::api::GroupVersionKind;
using kd::core::api::GroupVersionResource;
using kd::core::transport::ConnectionConfig;
using kd::core::util::Error;

namespace {

const char *const kReferenceDir
    = KD_SOURCE_DIR "/../shared/reference/kube-apiserver-1.23/discovery";

void inlineExecutor(std::function<void()> f)
{
    f();
}

ConnectionConfig configFor(const ScriptedApiServer &server)
{
    ConnectionConfig config;
    config.baseUrl = server.baseUrl();
    config.retry.maxRetries = 0;
    return config;
}

nlohmann::json coreGroup()
{
    nlohmann::json podSubresources = nlohmann::json::array(
        {{{"subresource", "log"},
          {"responseKind", {{"group", ""}, {"version", "v1"}, {"kind", "Pod"}}},
          {"verbs", {"get"}}},
         {{"subresource", "exec"},
          {"responseKind", {{"group", ""}, {"version", "v1"}, {"kind", "PodExecOptions"}}},
          {"verbs", {"create", "get"}}}});
    return aggregatedGroup(
        "",
        nlohmann::json::array({aggregatedVersion(
            "v1", nlohmann::json::array(
                      {aggregatedResource("pods", "", "v1", "Pod", true, {"po"}, {"all"},
                                          podSubresources),
                       aggregatedResource("events", "", "v1", "Event", true, {"ev"}),
                       aggregatedResource("namespaces", "", "v1", "Namespace", false, {"ns"}),
                       aggregatedResource("configmaps", "", "v1", "ConfigMap", true, {"cm"})}))}));
}

nlohmann::json apisGroups()
{
    nlohmann::json scale = nlohmann::json::array(
        {{{"subresource", "scale"},
          {"responseKind", {{"group", "autoscaling"}, {"version", "v1"}, {"kind", "Scale"}}},
          {"verbs", {"get", "patch", "update"}}},
         {{"subresource", "status"},
          {"responseKind", {{"group", "apps"}, {"version", "v1"}, {"kind", "Deployment"}}},
          {"verbs", {"get", "patch", "update"}}}});
    return nlohmann::json::array(
        {aggregatedGroup("apps", nlohmann::json::array({aggregatedVersion(
                                     "v1", nlohmann::json::array({aggregatedResource(
                                               "deployments", "apps", "v1", "Deployment", true,
                                               {"deploy"}, {"all"}, scale)}))})),
         aggregatedGroup(
             "events.k8s.io",
             nlohmann::json::array({aggregatedVersion(
                 "v1", nlohmann::json::array({aggregatedResource("events", "events.k8s.io", "v1",
                                                                 "Event", true, {"ev"})}))})),
         // A CRD served in two versions, the first listed being preferred.
         aggregatedGroup(
             "stable.example.com",
             nlohmann::json::array(
                 {aggregatedVersion("v1", nlohmann::json::array({aggregatedResource(
                                              "crontabs", "stable.example.com", "v1", "CronTab",
                                              true, {"ct"}, {"all"})})),
                  aggregatedVersion("v1beta1", nlohmann::json::array({aggregatedResource(
                                                   "crontabs", "stable.example.com", "v1beta1",
                                                   "CronTab", true, {"ct"}, {"all"})}))})),
         // An aggregated API server that stopped answering.
         aggregatedGroup("metrics.k8s.io",
                         nlohmann::json::array({aggregatedVersion(
                             "v1beta1",
                             nlohmann::json::array({aggregatedResource(
                                 "pods", "metrics.k8s.io", "v1beta1", "PodMetrics", true)}),
                             "Stale")}))});
}

void serveAggregated(ScriptedApiServer &server, const char *version)
{
    const std::string apiVersion = std::string("apidiscovery.k8s.io/") + version;
    server.setJson("/api", aggregatedList(apiVersion, nlohmann::json::array({coreGroup()})),
                   aggregatedContentType(version));
    server.setJson("/apis", aggregatedList(apiVersion, apisGroups()),
                   aggregatedContentType(version));
}

// Serves the recorded legacy documents: /api -> api.json, /apis/apps/v1 -> apis_apps_v1.json.
int serveReference(ScriptedApiServer &server)
{
    int served = 0;
    const QDir dir(QString::fromUtf8(kReferenceDir));
    for (const QString &name : dir.entryList({"*.json"}, QDir::Files)) {
        if (name == "version.json")
            continue;
        std::string path = "/" + name.chopped(5).toStdString();
        std::replace(path.begin(), path.end(), '_', '/');
        QFile file(dir.filePath(name));
        if (!file.open(QIODevice::ReadOnly))
            continue;
        server.setReply(path, {200, "application/json", file.readAll()});
        ++served;
    }
    return served;
}

QStringList names(const std::vector<const DiscoveredResource *> &resources)
{
    QStringList out;
    for (const auto *r : resources)
        out << QString::fromStdString(r->gvr.groupResource() + "/" + r->gvr.version);
    return out;
}

} // namespace

class TestDiscovery final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void contentTypeDecidesFormat_data()
    {
        QTest::addColumn<QString>("contentType");
        QTest::addColumn<int>("format"); // -1: not a discovery format

        QTest::newRow("v2")
            << "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
            << int(DiscoveryFormat::AggregatedV2);
        QTest::newRow("v2beta1 parameters reordered")
            << "application/json; as=APIGroupDiscoveryList; v=v2beta1; g=apidiscovery.k8s.io"
            << int(DiscoveryFormat::AggregatedV2Beta1);
        QTest::newRow("plain json") << "application/json" << int(DiscoveryFormat::Legacy);
        QTest::newRow("json with charset")
            << "application/json; charset=utf-8" << int(DiscoveryFormat::Legacy);
        QTest::newRow("unknown aggregated version")
            << "application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList" << -1;
        QTest::newRow("protobuf") << "application/vnd.kubernetes.protobuf" << -1;
        QTest::newRow("html") << "text/html" << -1;
    }

    void contentTypeDecidesFormat()
    {
        QFETCH(QString, contentType);
        QFETCH(int, format);
        const auto parsed = discoveryFormatFromContentType(contentType.toStdString());
        QCOMPARE(parsed ? int(*parsed) : -1, format);
    }

    void aggregatedV2NeedsNoPerVersionRequests()
    {
        ScriptedApiServer server;
        serveAggregated(server, "v2");
        RestClient client(configFor(server), inlineExecutor);
        Discovery discovery(client, inlineExecutor);
        auto snapshot = discovery.get();
        QVERIFY2(snapshot.ok(), snapshot.ok() ? "" : snapshot.error().message().c_str());
        const auto &s = *snapshot.value();
        QCOMPARE(s.format(), DiscoveryFormat::AggregatedV2);

        const auto requests = server.requests();
        QCOMPARE(requests.size(), size_t(2));
        for (const auto &r : requests)
            QCOMPARE(r.header("Accept"), QByteArray(kDiscoveryAccept));

        const DiscoveredResource *deployments = s.resource({"apps", "v1", "deployments"});
        QVERIFY(deployments);
        QVERIFY(deployments->namespaced);
        QCOMPARE(deployments->responseKind.kind, std::string("Deployment"));
        QCOMPARE(deployments->singular, std::string("deployment"));
        QVERIFY(deployments->hasVerb("watch"));
        QCOMPARE(deployments->shortNames, std::vector<std::string>{"deploy"});
        const auto *scale = deployments->subresource("scale");
        QVERIFY(scale);
        QVERIFY((scale->responseKind == GroupVersionKind{"autoscaling", "v1", "Scale"}));
        QCOMPARE(scale->verbs, (std::vector<std::string>{"get", "patch", "update"}));

        const DiscoveredResource *namespaces = s.resource({"", "v1", "namespaces"});
        QVERIFY(namespaces);
        QVERIFY(!namespaces->namespaced);

        // The preferred version is listed first, and kind lookups pick it.
        const DiscoveredResource *crontabs
            = s.preferredResourceForKind("stable.example.com", "CronTab");
        QVERIFY(crontabs);
        QCOMPARE(crontabs->gvr.version, std::string("v1"));
        QVERIFY(s.resourceForKind({"stable.example.com", "v1beta1", "CronTab"}));
        QVERIFY(!s.resourceForKind({"stable.example.com", "v2", "CronTab"}));

        // The stale aggregated API is reported, and hides nothing else.
        const auto failures = s.failures();
        QCOMPARE(failures.size(), size_t(1));
        QCOMPARE(failures[0].groupVersion.group, std::string("metrics.k8s.io"));
        QCOMPARE(failures[0].error.code(), Error::Code::ServiceUnavailable);
    }

    void aggregatedV2Beta1()
    {
        ScriptedApiServer server;
        serveAggregated(server, "v2beta1");
        RestClient client(configFor(server), inlineExecutor);
        Discovery discovery(client, inlineExecutor);
        auto snapshot = discovery.get();
        QVERIFY(snapshot.ok());
        QCOMPARE(snapshot.value()->format(), DiscoveryFormat::AggregatedV2Beta1);
        QVERIFY(snapshot.value()->resource({"", "v1", "pods"}));
        QCOMPARE(server.requests().size(), size_t(2));
    }

    // A 1.23 server answers plain JSON: every group version is fetched, and one that fails
    // (an aggregated API server that is down) is recorded without hiding the others.
    void legacyFromRecordedServer()
    {
        if (!QDir(kReferenceDir).exists())
            QFAIL("the recorded kube-apiserver 1.23 responses are not available");
        ScriptedApiServer server;
        const int served = serveReference(server);
        const nlohmann::json unavailable
            = {{"kind", "Status"},
               {"apiVersion", "v1"},
               {"status", "Failure"},
               {"reason", "ServiceUnavailable"},
               {"message", "the server is currently unable to handle the request"},
               {"code", 503}};
        server.setJson("/apis/batch/v1beta1", unavailable, "application/json", 503);

        RestClient client(configFor(server), inlineExecutor);
        Discovery discovery(client, inlineExecutor);
        auto snapshot = discovery.get();
        QVERIFY2(snapshot.ok(), snapshot.ok() ? "" : snapshot.error().message().c_str());
        const auto &s = *snapshot.value();
        QCOMPARE(s.format(), DiscoveryFormat::Legacy);

        const auto failures = s.failures();
        QCOMPARE(failures.size(), size_t(1));
        QCOMPARE(failures[0].groupVersion.apiVersion(), std::string("batch/v1beta1"));
        QCOMPARE(failures[0].error.code(), Error::Code::ServiceUnavailable);
        QVERIFY(s.resource({"batch", "v1", "jobs"}));
        QVERIFY(s.resource({"batch", "v1", "cronjobs"}));

        // /api and /apis negotiate; the per-version lists ask for plain JSON, once each.
        int perVersion = 0;
        for (const auto &r : server.requests()) {
            if (r.path == "/api" || r.path == "/apis") {
                QCOMPARE(r.header("Accept"), QByteArray(kDiscoveryAccept));
            } else {
                QCOMPARE(r.header("Accept"), QByteArray("application/json"));
                ++perVersion;
            }
        }
        QCOMPARE(perVersion, served - 2);

        const DiscoveredResource *deployments = s.resource({"apps", "v1", "deployments"});
        QVERIFY(deployments);
        QCOMPARE(deployments->singular, std::string("deployment")); // guessed: 1.23 sends ""
        QVERIFY(deployments->subresource("status"));
        QVERIFY((deployments->subresource("scale")->responseKind
                 == GroupVersionKind{"autoscaling", "v1", "Scale"}));
        const DiscoveredResource *pods = s.resource({"", "v1", "pods"});
        QVERIFY(pods);
        for (const char *sub : {"log", "exec", "attach", "portforward", "eviction", "binding"})
            QVERIFY2(pods->subresource(sub), sub);
        QVERIFY(pods->subresource("eviction")->responseKind.group == "policy");
        // autoscaling lists v2 as preferred ahead of v1.
        QVERIFY(s.preferredResourceForKind("autoscaling", "HorizontalPodAutoscaler"));
        QCOMPARE(s.preferredResourceForKind("autoscaling", "HorizontalPodAutoscaler")->gvr.version,
                 std::string("v2"));
        QCOMPARE(s.find("hpa").value()->gvr.version, std::string("v2"));
    }

    void restMapperLookups_data()
    {
        QTest::addColumn<QString>("argument");
        QTest::addColumn<QString>("expected"); // "resource.group/version", empty: NotFound

        QTest::newRow("short name") << "po"
                                    << "pods/v1";
        QTest::newRow("plural") << "pods"
                                << "pods/v1";
        QTest::newRow("singular") << "pod"
                                  << "pods/v1";
        QTest::newRow("kind any case") << "Pod"
                                       << "pods/v1";
        QTest::newRow("upper case") << "PODS"
                                    << "pods/v1";
        QTest::newRow("group short name") << "deploy"
                                          << "deployments.apps/v1";
        QTest::newRow("resource.group") << "deployments.apps"
                                        << "deployments.apps/v1";
        QTest::newRow("singular.group") << "deployment.apps"
                                        << "deployments.apps/v1";
        QTest::newRow("resource.version.group") << "deployments.v1.apps"
                                                << "deployments.apps/v1";
        QTest::newRow("core wins over events.k8s.io") << "events"
                                                      << "events/v1";
        QTest::newRow("ambiguous short name, core wins") << "ev"
                                                         << "events/v1";
        QTest::newRow("qualified other group") << "events.events.k8s.io"
                                               << "events.events.k8s.io/v1";
        QTest::newRow("CRD short name, preferred version") << "ct"
                                                           << "crontabs.stable.example.com/v1";
        QTest::newRow("CRD non-preferred version") << "crontabs.v1beta1.stable.example.com"
                                                   << "crontabs.stable.example.com/v1beta1";
        QTest::newRow("unknown") << "widgets"
                                 << "";
        QTest::newRow("unknown group") << "deployments.nosuch"
                                       << "";
        QTest::newRow("empty") << ""
                               << "";
    }

    void restMapperLookups()
    {
        QFETCH(QString, argument);
        QFETCH(QString, expected);
        ScriptedApiServer server;
        serveAggregated(server, "v2");
        RestClient client(configFor(server), inlineExecutor);
        Discovery discovery(client, inlineExecutor);
        auto snapshot = discovery.get();
        QVERIFY(snapshot.ok());
        auto found = snapshot.value()->find(argument.toStdString());
        if (expected.isEmpty()) {
            QVERIFY(!found.ok());
            return;
        }
        QVERIFY2(found.ok(), found.ok() ? "" : found.error().message().c_str());
        const auto *r = found.value();
        QCOMPARE(QString::fromStdString(r->gvr.groupResource() + "/" + r->gvr.version), expected);
    }

    void categoryAll()
    {
        ScriptedApiServer server;
        serveAggregated(server, "v2");
        RestClient client(configFor(server), inlineExecutor);
        Discovery discovery(client, inlineExecutor);
        auto snapshot = discovery.get();
        QVERIFY(snapshot.ok());
        QCOMPARE(names(snapshot.value()->category("all")),
                 QStringList({"pods/v1", "deployments.apps/v1", "crontabs.stable.example.com/v1"}));
        QVERIFY(snapshot.value()->category("nosuch").empty());
    }

    void diskCacheServesSecondLoadWithoutRequests()
    {
        QTemporaryDir base;
        ScriptedApiServer server;
        serveAggregated(server, "v2");
        RestClient client(configFor(server), inlineExecutor);
        const std::string dir
            = DiscoveryCache::directoryFor(base.path().toStdString(), server.baseUrl());
        QVERIFY(QString::fromStdString(dir).endsWith(
            "/127.0.0.1_"
            + QString::number(QUrl(QString::fromStdString(server.baseUrl())).port())));
        nlohmann::json first;
        {
            Discovery discovery(client, inlineExecutor, std::make_shared<DiscoveryCache>(dir));
            auto snapshot = discovery.get();
            QVERIFY(snapshot.ok());
            first = snapshot.value()->toJson();
            QCOMPARE(server.requests().size(), size_t(2));
        }
        server.clearRequests();
        // A new session: everything comes from disk, including the per-version error.
        Discovery again(client, inlineExecutor, std::make_shared<DiscoveryCache>(dir));
        auto cached = again.get();
        QVERIFY(cached.ok());
        QCOMPARE(server.requests().size(), size_t(0));
        QVERIFY(cached.value()->toJson() == first);
        QCOMPARE(cached.value()->failures().size(), size_t(1));
        QVERIFY(cached.value()->find("ct").ok());

        // Invalidation (a CRD appeared): the next get() asks the server again.
        again.invalidate();
        QVERIFY(!again.current());
        QVERIFY(!QFile::exists(QString::fromStdString(dir + "/discovery.json")));
        QVERIFY(again.get().ok());
        QCOMPARE(server.requests().size(), size_t(2));
        QVERIFY(QFile::exists(QString::fromStdString(dir + "/discovery.json")));
    }

    void diskCacheExpiresAndFollowsFingerprint()
    {
        QTemporaryDir base;
        ScriptedApiServer server;
        serveAggregated(server, "v2");
        RestClient client(configFor(server), inlineExecutor);
        const std::string dir = base.path().toStdString() + "/srv";
        auto cache = std::make_shared<DiscoveryCache>(dir);
        cache->setFingerprint("v1.33.0");
        {
            Discovery discovery(client, inlineExecutor, cache);
            QVERIFY(discovery.get().ok());
        }
        QVERIFY(cache->load().ok());

        // Another server version behind the same address: the copy does not apply.
        DiscoveryCache upgraded(dir);
        upgraded.setFingerprint("v1.34.0");
        QCOMPARE(upgraded.load().error().code(), Error::Code::Gone);

        // A zero TTL: every copy is already too old, so the server is asked.
        server.clearRequests();
        auto expired = std::make_shared<DiscoveryCache>(dir, std::chrono::seconds(0));
        expired->setFingerprint("v1.33.0");
        QCOMPARE(expired->load().error().code(), Error::Code::Gone);
        Discovery discovery(client, inlineExecutor, expired);
        QVERIFY(discovery.get().ok());
        QCOMPARE(server.requests().size(), size_t(2));
    }

    void corruptCacheIsIgnoredAndRewritten_data()
    {
        QTest::addColumn<QByteArray>("contents");
        QTest::newRow("not json") << QByteArray("{\"version\":1,\"savedAt\":");
        QTest::newRow("wrong layout") << QByteArray("[1,2,3]");
        QTest::newRow("future version")
            << QByteArray("{\"version\":99,\"savedAt\":1,\"snapshot\":{}}");
        QTest::newRow("bad snapshot") << QByteArray(
            "{\"version\":1,\"savedAt\":" + QByteArray::number(QDateTime::currentSecsSinceEpoch())
            + ",\"fingerprint\":\"\",\"snapshot\":{\"format\":\"legacy\",\"groups\":[{\"name\":"
              "\"\",\"versions\":[{\"version\":\"v1\",\"resources\":[{\"resource\":\"\"}]}]}]}}");
    }

    void corruptCacheIsIgnoredAndRewritten()
    {
        QFETCH(QByteArray, contents);
        QTemporaryDir base;
        const std::string dir = base.path().toStdString() + "/srv";
        QVERIFY(QDir().mkpath(QString::fromStdString(dir)));
        QFile file(QString::fromStdString(dir + "/discovery.json"));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(contents);
        file.close();

        auto cache = std::make_shared<DiscoveryCache>(dir);
        QCOMPARE(cache->load().error().code(), Error::Code::Decode);

        ScriptedApiServer server;
        serveAggregated(server, "v2");
        RestClient client(configFor(server), inlineExecutor);
        Discovery discovery(client, inlineExecutor, cache);
        auto snapshot = discovery.get();
        QVERIFY(snapshot.ok());
        QCOMPARE(server.requests().size(), size_t(2));
        auto reloaded = cache->load();
        QVERIFY(reloaded.ok());
        QVERIFY(reloaded.value().resource({"apps", "v1", "deployments"}));
    }

    void failingRootIsAnErrorAndCachesNothing()
    {
        QTemporaryDir base;
        ScriptedApiServer server;
        server.setJson("/api", {{"kind", "APIVersions"}, {"versions", {"v1"}}});
        server.setReply("/apis", {500, "text/plain", "boom"});
        RestClient client(configFor(server), inlineExecutor);
        auto cache = std::make_shared<DiscoveryCache>(base.path().toStdString() + "/srv");
        Discovery discovery(client, inlineExecutor, cache);
        auto snapshot = discovery.get();
        QVERIFY(!snapshot.ok());
        QCOMPARE(snapshot.error().httpStatus(), 500);
        QVERIFY(!discovery.current());
        QCOMPARE(cache->load().error().code(), Error::Code::NotFound);

        // Garbage where a discovery document belongs is a Decode error, not a crash.
        server.setReply("/apis", {200, "application/json", "{\"kind\":\"Pod\"}"});
        auto garbage = discovery.refresh();
        QVERIFY(!garbage.ok());
        QCOMPARE(garbage.error().code(), Error::Code::Decode);
    }

    void refreshSeesNewCustomResources()
    {
        ScriptedApiServer server;
        server.setJson(
            "/api", aggregatedList("apidiscovery.k8s.io/v2", nlohmann::json::array({coreGroup()})),
            aggregatedContentType("v2"));
        server.setJson("/apis", aggregatedList("apidiscovery.k8s.io/v2", nlohmann::json::array()),
                       aggregatedContentType("v2"));
        RestClient client(configFor(server), inlineExecutor);
        Discovery discovery(client, inlineExecutor);
        QVERIFY(!discovery.get().value()->find("ct").ok());
        serveAggregated(server, "v2");
        QVERIFY(!discovery.get().value()->find("ct").ok()); // served from memory
        auto fresh = discovery.refresh();
        QVERIFY(fresh.ok());
        QVERIFY(fresh.value()->find("ct").ok());
        QVERIFY(discovery.current()->find("ct").ok());
    }

    void asyncDeliversThroughExecutor()
    {
        ScriptedApiServer server;
        serveAggregated(server, "v2");
        RestClient client(configFor(server), inlineExecutor);
        std::atomic<int> queued{0};
        Discovery discovery(client, [&queued](std::function<void()> f) {
            ++queued;
            f();
        });
        std::promise<kd::core::util::Result<Discovery::Snapshot>> promise;
        auto future = promise.get_future();
        discovery.getAsync([&promise](auto result) { promise.set_value(std::move(result)); });
        QVERIFY(future.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
        auto result = future.get();
        QVERIFY(result.ok());
        QVERIFY(result.value()->resource({"", "v1", "pods"}));
        QCOMPARE(queued.load(), 1);

        // A receiver that is gone gets nothing.
        auto receiver = std::make_shared<int>(0);
        std::weak_ptr<const void> guard = receiver;
        receiver.reset();
        bool called = false;
        discovery.getAsync([&called](auto) { called = true; }, guard);
        QVERIFY(!called);
    }

    void snapshotRoundTrip()
    {
        auto groups
            = parseAggregatedDiscovery(aggregatedList("apidiscovery.k8s.io/v2", apisGroups()));
        QVERIFY(groups.ok());
        DiscoverySnapshot snapshot(groups.value(), DiscoveryFormat::AggregatedV2);
        auto back = DiscoverySnapshot::fromJson(snapshot.toJson());
        QVERIFY(back.ok());
        QVERIFY(back.value().toJson() == snapshot.toJson());
        QCOMPARE(back.value().format(), DiscoveryFormat::AggregatedV2);
        QVERIFY(!DiscoverySnapshot::fromJson(nlohmann::json::array()).ok());
        QVERIFY(!parseAggregatedDiscovery(nlohmann::json{{"kind", "APIGroupList"}}).ok());
    }
};

QTEST_GUILESS_MAIN(TestDiscovery)
#include "tst_discovery.moc"
