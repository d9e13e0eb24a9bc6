// Qt 6.4's moc cannot parse <compare> (pulled in by core/api/groupversion.h) unless <string> was
// included before it.
#include <string>

#include <core/client/apply.h>
#include <core/client/discovery.h>

#include "discoveryserver.h"

#include <nlohmann/json.hpp>

#include <QTest>

using namespace kd::core::client;
using kd::core::transport::ConnectionConfig;
using kd::core::util::Error;
using Outcome = ApplyResult::Outcome;

namespace {

void inlineExecutor(std::function<void()> f)
{
    f();
}

nlohmann::json status(int code, const std::string &reason, const std::string &message,
                      nlohmann::json causes = nullptr)
{
    nlohmann::json out
        = {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", nlohmann::json::object()},
           {"status", "Failure"}, {"reason", reason},   {"message", message},
           {"code", code}};
    if (!causes.is_null())
        out["details"] = {{"causes", std::move(causes)}};
    return out;
}

ScriptedReply json(int code, const nlohmann::json &body)
{
    return {code, "application/json", QByteArray::fromStdString(body.dump())};
}

nlohmann::json withoutVersion(nlohmann::json object)
{
    object["metadata"].erase("resourceVersion");
    return object;
}

// The object store behind the scripted server: enough of kube-apiserver's write semantics for
// apply's decisions (upsert on apply, conflicts until forced, resourceVersion bumped only by a
// change, optimistic concurrency on PUT, dry runs that store nothing). Server thread and test
// thread share it under the mutex.
struct ObjectStore
{
    std::mutex mutex;
    std::map<std::string, nlohmann::json> objects; // item path -> object
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> conflicts;
    bool serverSideApply = true;
    int revision = 100;

    void put(const std::string &path, nlohmann::json object)
    {
        std::lock_guard lock(mutex);
        object["metadata"]["resourceVersion"] = std::to_string(++revision);
        objects[path] = std::move(object);
    }

    std::optional<nlohmann::json> get(const std::string &path)
    {
        std::lock_guard lock(mutex);
        auto it = objects.find(path);
        return it == objects.end() ? std::nullopt : std::optional(it->second);
    }

    // Stores `object` unless it equals what is stored; returns the stored object.
    nlohmann::json write(const std::string &path, nlohmann::json object, bool dryRun)
    {
        auto it = objects.find(path);
        if (it != objects.end() && withoutVersion(it->second) == withoutVersion(object))
            return it->second;
        object["metadata"]["resourceVersion"] = std::to_string(dryRun ? revision : ++revision);
        if (!dryRun)
            objects[path] = object;
        return object;
    }

    std::optional<ScriptedReply> handle(const TestRequest &request)
    {
        const qsizetype q = request.path.indexOf('?');
        const std::string path = (q < 0 ? request.path : request.path.left(q)).toStdString();
        const QByteArray query = q < 0 ? QByteArray() : request.path.mid(q + 1);
        const bool dryRun = query.contains("dryRun=All");
        if (!query.contains("fieldManager=kubedesk") && request.method != "GET")
            return json(400, status(400, "BadRequest", "no field manager"));
        std::lock_guard lock(mutex);
        const auto existing = objects.find(path);
        if (request.method == "GET") {
            if (existing == objects.end())
                return std::nullopt; // 404
            return json(200, existing->second);
        }
        nlohmann::json body = nlohmann::json::parse(request.body.toStdString(), nullptr, false);
        if (body.is_discarded())
            return json(400, status(400, "BadRequest", "bad body"));
        if (request.method == "PATCH") {
            if (!serverSideApply)
                return json(415, status(415, "UnsupportedMediaType",
                                        "the body of the request was "
                                        "in an unknown format"));
            if (request.header("Content-Type") != "application/apply-patch+yaml")
                return json(400, status(400, "BadRequest", "expected an apply patch"));
            auto &owned = conflicts[path];
            if (!owned.empty() && !query.contains("force=true")) {
                nlohmann::json causes = nlohmann::json::array();
                for (const auto &[field, manager] : owned)
                    causes.push_back(
                        {{"reason", "FieldManagerConflict"},
                         {"message", "conflict with \"" + manager + "\" using apps/v1"},
                         {"field", field}});
                return json(409, status(409, "Conflict",
                                        "Apply failed with " + std::to_string(owned.size())
                                            + " conflict(s)",
                                        causes));
            }
            if (!dryRun)
                owned.clear();
            const bool created = existing == objects.end();
            return json(created ? 201 : 200, write(path, body, dryRun));
        }
        if (request.method == "POST") {
            const std::string item = path + "/" + body["metadata"]["name"].get<std::string>();
            if (objects.count(item))
                return json(409, status(409, "AlreadyExists", "already exists"));
            return json(201, write(item, body, dryRun));
        }
        if (request.method == "PUT") {
            if (existing == objects.end())
                return std::nullopt;
            if (body["metadata"].value("resourceVersion", "")
                != existing->second["metadata"]["resourceVersion"].get<std::string>())
                return json(409, status(409, "Conflict", "the object has been modified"));
            return json(200, write(path, body, dryRun));
        }
        return std::nullopt;
    }
};

nlohmann::json discoveryApis(bool withWidgets)
{
    nlohmann::json groups = nlohmann::json::array({aggregatedGroup(
        "apps",
        nlohmann::json::array({aggregatedVersion(
            "v1", nlohmann::json::array({aggregatedResource(
                      "deployments", "apps", "v1", "Deployment", true, {"deploy"}, {"all"})}))}))});
    if (withWidgets)
        groups.push_back(aggregatedGroup(
            "example.com", nlohmann::json::array({aggregatedVersion(
                               "v1", nlohmann::json::array({aggregatedResource(
                                         "widgets", "example.com", "v1", "Widget", false)}))})));
    return aggregatedList("apidiscovery.k8s.io/v2", groups);
}

void serveDiscovery(ScriptedApiServer &server, bool withWidgets)
{
    server.setJson(
        "/api",
        aggregatedList(
            "apidiscovery.k8s.io/v2",
            nlohmann::json::array({aggregatedGroup(
                "", nlohmann::json::array({aggregatedVersion(
                        "v1", nlohmann::json::array(
                                  {aggregatedResource("configmaps", "", "v1", "ConfigMap", true),
                                   aggregatedResource("namespaces", "", "v1", "Namespace",
                                                      false)}))}))})),
        aggregatedContentType("v2"));
    server.setJson("/apis", discoveryApis(withWidgets), aggregatedContentType("v2"));
}

nlohmann::json deployment(const std::string &name, int replicas)
{
    return {{"apiVersion", "apps/v1"},
            {"kind", "Deployment"},
            {"metadata", {{"name", name}, {"namespace", "web"}}},
            {"spec", {{"replicas", replicas}}}};
}

// A fixture: scripted server with discovery and the store, client, discovery, applier.
struct Cluster
{
    ScriptedApiServer server;
    std::shared_ptr<ObjectStore> store = std::make_shared<ObjectStore>();
    std::unique_ptr<RestClient> client;
    std::unique_ptr<Discovery> discovery;
    std::unique_ptr<Applier> applier;

    Cluster()
    {
        serveDiscovery(server, false);
        server.setDynamic([store = store](const TestRequest &r) { return store->handle(r); });
        ConnectionConfig config;
        config.baseUrl = server.baseUrl();
        config.retry.maxRetries = 0;
        client = std::make_unique<RestClient>(config, inlineExecutor);
        discovery = std::make_unique<Discovery>(*client, inlineExecutor);
        applier = std::make_unique<Applier>(*client, *discovery);
    }
};

std::string manifests(const std::vector<nlohmann::json> &objects)
{
    std::string out;
    for (const auto &o : objects)
        out += "---\n" + o.dump() + "\n";
    return out;
}

} // namespace

class TestApply final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void outcomesPerDocument()
    {
        Cluster c;
        c.store->put("/apis/apps/v1/namespaces/web/deployments/same", deployment("same", 2));
        c.store->put("/apis/apps/v1/namespaces/web/deployments/changed", deployment("changed", 1));
        c.store->put("/apis/apps/v1/namespaces/web/deployments/owned", deployment("owned", 1));
        c.store->conflicts["/apis/apps/v1/namespaces/web/deployments/owned"]
            = {{".spec.replicas", "kubectl"}, {".spec.paused", "helm"}};
        const std::string yaml
            = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
              "data:\n  mode: fast\n"
              "---\n"
              + manifests({deployment("same", 2), deployment("changed", 3), deployment("owned", 5)})
              + "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: "
                "team\n  namespace: ignored\n";
        ApplyOptions options;
        options.defaultNamespace = "dev";
        auto results = c.applier->apply(yaml, options);
        QVERIFY(results.ok());
        QCOMPARE(results->size(), size_t(5));
        const auto &r = results.value();

        QCOMPARE(r[0].outcome, Outcome::Created);
        QCOMPARE(r[0].key.namespace_, std::string("dev"));
        QCOMPARE(r[0].key.name, std::string("settings"));
        QVERIFY(!r[0].usedFallback);
        auto stored = c.store->get("/api/v1/namespaces/dev/configmaps/settings");
        QVERIFY(stored);
        QVERIFY((*stored)["data"]["mode"] == "fast");
        QVERIFY((*stored)["metadata"]["namespace"] == "dev");

        QCOMPARE(r[1].outcome, Outcome::Unchanged);
        QCOMPARE(r[2].outcome, Outcome::Configured);
        QVERIFY((*r[2].object)["spec"]["replicas"] == 3);

        QCOMPARE(r[3].outcome, Outcome::Conflict);
        QCOMPARE(r[3].conflicts.size(), size_t(2));
        QCOMPARE(r[3].conflicts[0].field, std::string(".spec.replicas"));
        QCOMPARE(r[3].conflicts[0].manager, std::string("kubectl"));
        QCOMPARE(r[3].conflicts[1].manager, std::string("helm"));
        QCOMPARE(r[3].error->code(), Error::Code::Conflict);
        QVERIFY(
            (*c.store->get("/apis/apps/v1/namespaces/web/deployments/owned"))["spec"]["replicas"]
            == 1);

        // Cluster-scoped: no namespace in the path or the body.
        QCOMPARE(r[4].outcome, Outcome::Created);
        QCOMPARE(r[4].key.namespace_, std::string());
        auto ns = c.store->get("/api/v1/namespaces/team");
        QVERIFY(ns);
        QVERIFY(!(*ns)["metadata"].contains("namespace"));

        // What went over the wire: apply patches under our field manager, JSON bodies.
        int patches = 0;
        for (const auto &request : c.server.requests()) {
            if (request.method != "PATCH")
                continue;
            ++patches;
            QCOMPARE(request.header("Content-Type"), QByteArray("application/apply-patch+yaml"));
            QVERIFY(request.path.contains("fieldManager=kubedesk"));
            QVERIFY(!request.path.contains("force="));
            QVERIFY(
                !nlohmann::json::parse(request.body.toStdString(), nullptr, false).is_discarded());
        }
        QCOMPARE(patches, 5);
        QCOMPARE(c.server.count("POST", "/"), 0);
    }

    void forceTakesOverConflicts()
    {
        Cluster c;
        const std::string path = "/apis/apps/v1/namespaces/web/deployments/owned";
        c.store->put(path, deployment("owned", 1));
        c.store->conflicts[path] = {{".spec.replicas", "kubectl"}};
        auto first = c.applier->apply(deployment("owned", 4).dump(), {});
        QVERIFY(first.ok());
        QCOMPARE(first->at(0).outcome, Outcome::Conflict);

        ApplyOptions force;
        force.force = true;
        auto second = c.applier->apply(deployment("owned", 4).dump(), force);
        QVERIFY(second.ok());
        QCOMPARE(second->at(0).outcome, Outcome::Configured);
        QVERIFY((*c.store->get(path))["spec"]["replicas"] == 4);
        QVERIFY(c.server.requests().back().path.contains("force=true"));
    }

    void dryRunStoresNothing()
    {
        Cluster c;
        ApplyOptions options;
        options.dryRun = true;
        auto results = c.applier->apply(deployment("new", 1).dump(), options);
        QVERIFY(results.ok());
        QCOMPARE(results->at(0).outcome, Outcome::Created);
        QVERIFY(!c.store->get("/apis/apps/v1/namespaces/web/deployments/new"));
        QVERIFY(c.server.requests().back().path.contains("dryRun=All"));

        c.store->put("/apis/apps/v1/namespaces/web/deployments/live", deployment("live", 1));
        auto same = c.applier->apply(deployment("live", 1).dump(), options);
        QCOMPARE(same->at(0).outcome, Outcome::Unchanged);
        auto changed = c.applier->apply(deployment("live", 2).dump(), options);
        QCOMPARE(changed->at(0).outcome, Outcome::Configured);
        QVERIFY((*c.store->get("/apis/apps/v1/namespaces/web/deployments/live"))["spec"]["replicas"]
                == 1);
    }

    void fallbackWithoutServerSideApply()
    {
        Cluster c;
        c.store->serverSideApply = false;
        const std::string path = "/apis/apps/v1/namespaces/web/deployments/";
        c.store->put(path + "same", deployment("same", 2));
        c.store->put(path + "changed", deployment("changed", 1));
        const std::string liveVersion
            = (*c.store->get(path + "changed"))["metadata"]["resourceVersion"].get<std::string>();
        auto results = c.applier->apply(
            manifests({deployment("fresh", 1), deployment("same", 2), deployment("changed", 6)}),
            {});
        QVERIFY(results.ok());
        const auto &r = results.value();
        QCOMPARE(r[0].outcome, Outcome::Created);
        QCOMPARE(r[1].outcome, Outcome::Unchanged);
        QCOMPARE(r[2].outcome, Outcome::Configured);
        for (const auto &result : r)
            QVERIFY(result.usedFallback);
        QVERIFY((*c.store->get(path + "fresh"))["spec"]["replicas"] == 1);
        QVERIFY((*c.store->get(path + "changed"))["spec"]["replicas"] == 6);

        // One rejected apply patch is enough to know; the replace carried the live version.
        QCOMPARE(c.server.count("PATCH", "/"), 1);
        QCOMPARE(c.server.count("POST", "/apis/apps/v1/namespaces/web/deployments?"), 1);
        QCOMPARE(c.server.count("PUT", path.c_str()), 2);
        bool sawVersion = false;
        for (const auto &request : c.server.requests()) {
            if (request.method == "PUT" && request.path.contains("/changed")) {
                const auto body = nlohmann::json::parse(request.body.toStdString());
                sawVersion = body["metadata"]["resourceVersion"] == liveVersion;
            }
        }
        QVERIFY(sawVersion);
    }

    void unknownKindsRefreshDiscoveryOnce()
    {
        Cluster c;
        QVERIFY(c.discovery->get().ok()); // cached before the CRD existed
        serveDiscovery(c.server, true);
        c.server.clearRequests();
        const nlohmann::json widget
            = {{"apiVersion", "example.com/v1"}, {"kind", "Widget"}, {"metadata", {{"name", "w"}}}};
        const nlohmann::json gadget
            = {{"apiVersion", "example.com/v1"}, {"kind", "Gadget"}, {"metadata", {{"name", "g"}}}};
        auto results = c.applier->apply(manifests({gadget, widget, gadget}), {});
        QVERIFY(results.ok());
        const auto &r = results.value();
        QCOMPARE(r[0].outcome, Outcome::Failed);
        QCOMPARE(r[0].error->code(), Error::Code::NotFound);
        QVERIFY(QString::fromStdString(r[0].error->message()).contains("Gadget"));
        QCOMPARE(r[1].outcome, Outcome::Created);
        QVERIFY(c.store->get("/apis/example.com/v1/widgets/w"));
        QCOMPARE(r[2].outcome, Outcome::Failed);
        QCOMPARE(c.server.count("GET", "/api"), 3); // /api, /apis once, then the widget's GET
    }

    void badDocumentsFailAloneAndBadTextFailsWhole()
    {
        Cluster c;
        const nlohmann::json noName = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}};
        const nlohmann::json noKind = {{"apiVersion", "v1"}, {"metadata", {{"name", "x"}}}};
        const nlohmann::json list
            = {{"apiVersion", "v1"},
               {"kind", "List"},
               {"items",
                {{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "a"}}}},
                 {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "b"}}}}}}};
        auto results = c.applier->apply(manifests({noName, noKind, list}) + "--- 42\n", {});
        QVERIFY(results.ok());
        const auto &r = results.value();
        QCOMPARE(r.size(), size_t(5));
        QCOMPARE(r[0].outcome, Outcome::Failed);
        QCOMPARE(r[0].error->code(), Error::Code::Invalid);
        QCOMPARE(r[1].outcome, Outcome::Failed);
        QCOMPARE(r[2].outcome, Outcome::Created);
        QCOMPARE(r[3].outcome, Outcome::Created);
        QCOMPARE(r[3].document, size_t(3));
        QCOMPARE(r[4].outcome, Outcome::Failed);
        QVERIFY(c.store->get("/api/v1/namespaces/default/configmaps/b"));

        auto broken = c.applier->apply("kind: [unclosed\n", {});
        QVERIFY(!broken.ok());
        QCOMPARE(broken.error().code(), Error::Code::Decode);
    }

    void conflictCausesParse_data()
    {
        QTest::addColumn<QString>("message");
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("expectedManager");
        QTest::addColumn<QString>("expectedField");
        QTest::newRow("field in cause") << "conflict with \"kubectl\" using apps/v1"
                                        << ".spec.replicas"
                                        << "kubectl"
                                        << ".spec.replicas";
        QTest::newRow("field only in message")
            << "conflict with \"kube-controller-manager\" using v1: .spec.selector"
            << ""
            << "kube-controller-manager"
            << ".spec.selector";
    }

    void conflictCausesParse()
    {
        QFETCH(QString, message);
        QFETCH(QString, field);
        QFETCH(QString, expectedManager);
        QFETCH(QString, expectedField);
        Error error(Error::Code::Conflict, 409, "Conflict", "Apply failed with 1 conflict");
        error.addCause({"FieldManagerConflict", message.toStdString(), field.toStdString()});
        const auto conflicts = Applier::fieldConflicts(error);
        QCOMPARE(conflicts.size(), size_t(1));
        QCOMPARE(QString::fromStdString(conflicts[0].manager), expectedManager);
        QCOMPARE(QString::fromStdString(conflicts[0].field), expectedField);

        // An optimistic-concurrency conflict is not a field conflict.
        QVERIFY(Applier::fieldConflicts(Error(Error::Code::Conflict, 409, "Conflict", "modified"))
                    .empty());
    }
};

QTEST_GUILESS_MAIN(TestApply)
#include "tst_apply.moc"
