// core against a real API server: kubeconfig -> ClusterConnection -> discovery, CRUD with paging,
// conflicts, the three patch types, deletion propagation, dryRun, Tables, warnings, informers of
// every flavour, a watch outliving server-side timeouts, and multi-document apply.
// By default the bundled cluster runs in-process; KUBEDESK_TEST_KUBECONFIG points the test at any
// conformant cluster instead (its current context). Everything is created in a namespace of the
// test's own, which is deleted at the end.

// moc cannot parse some C++20 library headers; it only needs the Q_OBJECT class.
#ifndef Q_MOC_RUN
#include "testcluster.h"

#include <core/cache/sharedinformer.h>
#include <core/client/apply.h>
#include <core/client/discovery.h>
#include <core/engine/clusterconnection.h>
#include <core/kubeconfig/credentials.h>
#include <core/kubeconfig/kubeconfig.h>

#include <nlohmann/json.hpp>

#include <mutex>
#include <random>
#endif

#include <QTest>

using namespace kd::core;
using client::DeleteOptions;
using client::ListOptions;
using client::PatchType;
using client::ResourceRef;
using client::WriteOptions;
using nlohmann::json;
using util::Error;

namespace {

constexpr int kWait = 20000;

transport::Executor inlineExecutor()
{
    return [](std::function<void()> f) { f(); };
}

ResourceRef configMaps(const std::string &ns, const std::string &name = {})
{
    return ResourceRef{api::GroupVersionResource{"", "v1", "configmaps"}, true, ns, name, {}};
}

json configMap(const std::string &name, json data = json::object())
{
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}}},
            {"data", std::move(data)}};
}

// True when the answer is a 404 (never asserts on a success, unlike error()).
bool isNotFound(const util::Result<client::ApiResponse> &result)
{
    return !result.ok() && result.error().code() == Error::Code::NotFound;
}

// What an informer's handlers saw, in order: "+name", "~name", "-name".
class Recorder
{
public:
    cache::EventHandler handler()
    {
        cache::EventHandler handler;
        handler.onAdd = [this](const cache::ObjectPtr &o) { record("+", o); };
        handler.onUpdate
            = [this](const cache::ObjectPtr &, const cache::ObjectPtr &o) { record("~", o); };
        handler.onDelete = [this](const cache::ObjectPtr &o) { record("-", o); };
        return handler;
    }
    QStringList events() const
    {
        std::lock_guard lock(m_mutex);
        return m_events;
    }

private:
    void record(const char *what, const cache::ObjectPtr &object)
    {
        std::lock_guard lock(m_mutex);
        m_events << QString::fromLatin1(what)
                        + QString::fromStdString((*object)["metadata"]["name"].toString());
    }
    mutable std::mutex m_mutex;
    QStringList m_events;
};

} // namespace

class TestCoreClient final : public QObject
{
    Q_OBJECT

private:
    TestCluster m_cluster;
    std::unique_ptr<engine::ClusterConnection> m_connection;
    std::string m_ns;

    client::RestClient &rest() { return m_connection->client(); }

    std::string getString(const ResourceRef &ref, const char *section, const char *key)
    {
        auto got = rest().get(ref);
        if (!got.ok())
            return "<" + got.error().message() + ">";
        return got->body->value(json::json_pointer(std::string("/") + section + "/" + key), "");
    }

private slots:
    void initTestCase()
    {
        std::string path = qEnvironmentVariable("KUBEDESK_TEST_KUBECONFIG").toStdString();
        if (path.empty()) {
            const QString failure = m_cluster.start(TestCluster::Options());
            QVERIFY2(failure.isEmpty(), qPrintable(failure));
            path = m_cluster.kubeconfig().toStdString();
        }
        const kubeconfig::Kubeconfig config = kubeconfig::Kubeconfig::loadFile(path);
        QVERIFY2(config.fileErrors().empty(), path.c_str());
        auto credentials = kubeconfig::resolveCredentials(config, config.currentContext());
        QVERIFY2(credentials.ok(), credentials.ok() ? "" : credentials.error().message().c_str());
        engine::ConnectionOptions options;
        options.executor = inlineExecutor();
        m_connection = engine::ClusterConnection::fromCredentials(credentials.value(), options);
        QVERIFY(m_connection);
        const engine::ConnectionStatus status = m_connection->checkHealth();
        QVERIFY2(status.state == engine::ConnectionState::Connected,
                 status.lastError ? status.lastError->message().c_str() : "not connected");

        std::random_device random;
        m_ns = "kd-coreclient-" + std::to_string(random() % 1000000);
        auto created = rest().create(
            ResourceRef{api::GroupVersionResource{"", "v1", "namespaces"}, false, {}, {}, {}},
            {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", m_ns}}}});
        QVERIFY2(created.ok(), created.ok() ? "" : created.error().message().c_str());
    }

    void cleanupTestCase()
    {
        if (m_connection && !m_ns.empty()) {
            (void)rest().remove(ResourceRef{
                api::GroupVersionResource{"", "v1", "namespaces"}, false, {}, m_ns, {}});
        }
        m_connection.reset();
        m_cluster.stop();
    }

    void discoveryListsGroupsAndResources()
    {
        auto snapshot = m_connection->discovery().get();
        QVERIFY2(snapshot.ok(), snapshot.ok() ? "" : snapshot.error().message().c_str());
        const auto &groups = (*snapshot)->groups();
        QVERIFY(std::any_of(groups.begin(), groups.end(),
                            [](const auto &g) { return g.name.empty(); }));
        QVERIFY(std::any_of(groups.begin(), groups.end(),
                            [](const auto &g) { return g.name == "apps"; }));
        const auto *pods = (*snapshot)->resource({"", "v1", "pods"});
        QVERIFY(pods);
        QVERIFY(pods->namespaced);
        QVERIFY(pods->hasVerb("watch"));
        QVERIFY(pods->subresource("log"));
        auto deployments = (*snapshot)->find("deploy");
        QVERIFY2(deployments.ok(), deployments.ok() ? "" : deployments.error().message().c_str());
        QCOMPARE((*deployments)->gvr.group, std::string("apps"));
        // A kind nobody registered (no CRD is assumed to exist) is not found.
        QVERIFY(!(*snapshot)->resourceForKind({"kubedesk.test", "v1", "NoSuchKind"}));
        QVERIFY(!(*snapshot)->find("nosuchresources").ok());
    }

    void createGetAndListWithPaging()
    {
        for (int i = 0; i < 5; ++i) {
            auto created = rest().create(configMaps(m_ns),
                                         configMap("page-" + std::to_string(i), {{"i", "x"}}));
            QVERIFY2(created.ok(), created.ok() ? "" : created.error().message().c_str());
        }
        QCOMPARE(getString(configMaps(m_ns, "page-3"), "data", "i"), std::string("x"));
        auto missing = rest().get(configMaps(m_ns, "page-9"));
        QVERIFY(!missing.ok());
        QCOMPARE(missing.error().code(), Error::Code::NotFound);

        ListOptions options;
        options.limit = 2;
        options.labelSelector = "";
        QStringList names;
        int pages = 0;
        for (;;) {
            auto page = rest().list(configMaps(m_ns), options);
            QVERIFY2(page.ok(), page.ok() ? "" : page.error().message().c_str());
            ++pages;
            QVERIFY((*page->body)["items"].size() <= 2);
            for (const auto &item : (*page->body)["items"]) {
                const std::string name = item["metadata"]["name"];
                if (name.rfind("page-", 0) == 0)
                    names << QString::fromStdString(name);
            }
            const std::string next
                = page->body->value(json::json_pointer("/metadata/continue"), "");
            if (next.empty())
                break;
            options.continueToken = next;
        }
        names.sort();
        QCOMPARE(names, (QStringList{"page-0", "page-1", "page-2", "page-3", "page-4"}));
        QVERIFY(pages >= 3);
    }

    void updateWithAStaleResourceVersionConflicts()
    {
        auto created = rest().create(configMaps(m_ns), configMap("conflict", {{"v", "1"}}));
        QVERIFY(created.ok());
        json first = *created->body;
        json second = first;
        first["data"]["v"] = "2";
        auto updated = rest().update(configMaps(m_ns, "conflict"), first);
        QVERIFY2(updated.ok(), updated.ok() ? "" : updated.error().message().c_str());
        second["data"]["v"] = "3";
        auto stale = rest().update(configMaps(m_ns, "conflict"), second);
        QVERIFY(!stale.ok());
        QCOMPARE(stale.error().code(), Error::Code::Conflict);
        QCOMPARE(stale.error().httpStatus(), 409);
        QCOMPARE(getString(configMaps(m_ns, "conflict"), "data", "v"), std::string("2"));
    }

    void patchesOfEveryType()
    {
        QVERIFY(rest().create(configMaps(m_ns), configMap("patched", {{"a", "1"}})).ok());
        auto jsonPatch = rest().patch(
            configMaps(m_ns, "patched"), PatchType::Json,
            json::array({{{"op", "add"}, {"path", "/data/b"}, {"value", "2"}}}).dump());
        QVERIFY2(jsonPatch.ok(), jsonPatch.ok() ? "" : jsonPatch.error().message().c_str());
        auto merge = rest().patch(configMaps(m_ns, "patched"), PatchType::Merge,
                                  json{{"data", {{"a", nullptr}, {"c", "3"}}}}.dump());
        QVERIFY2(merge.ok(), merge.ok() ? "" : merge.error().message().c_str());
        auto strategic = rest().patch(configMaps(m_ns, "patched"), PatchType::StrategicMerge,
                                      json{{"metadata", {{"labels", {{"tier", "x"}}}}}}.dump());
        QVERIFY2(strategic.ok(), strategic.ok() ? "" : strategic.error().message().c_str());
        auto got = rest().get(configMaps(m_ns, "patched"));
        QVERIFY(got.ok());
        QVERIFY((*got->body)["data"] == (json{{"b", "2"}, {"c", "3"}}));
        QCOMPARE((*got->body)["metadata"]["labels"]["tier"].get<std::string>(), std::string("x"));
        // A patch that does not apply changes nothing.
        auto bad = rest().patch(
            configMaps(m_ns, "patched"), PatchType::Json,
            json::array({{{"op", "test"}, {"path", "/data/b"}, {"value", "9"}}}).dump());
        QVERIFY(!bad.ok());
        QVERIFY(rest().get(configMaps(m_ns, "patched"))->body->at("data") == got->body->at("data"));
    }

    void dryRunChangesNothing()
    {
        WriteOptions dry;
        dry.dryRun = true;
        auto created = rest().create(configMaps(m_ns), configMap("dry"), dry);
        QVERIFY2(created.ok(), created.ok() ? "" : created.error().message().c_str());
        QCOMPARE((*created->body)["metadata"]["name"].get<std::string>(), std::string("dry"));
        QVERIFY(isNotFound(rest().get(configMaps(m_ns, "dry"))));

        QVERIFY(rest().create(configMaps(m_ns), configMap("dry-delete")).ok());
        DeleteOptions dryDelete;
        dryDelete.dryRun = true;
        QVERIFY(rest().remove(configMaps(m_ns, "dry-delete"), dryDelete).ok());
        QVERIFY(rest().get(configMaps(m_ns, "dry-delete")).ok());
    }

    void deletionPropagatesToDependents_data()
    {
        QTest::addColumn<int>("policy");
        QTest::addColumn<bool>("dependentSurvives");
        QTest::newRow("background") << int(DeleteOptions::Propagation::Background) << false;
        QTest::newRow("foreground") << int(DeleteOptions::Propagation::Foreground) << false;
        QTest::newRow("orphan") << int(DeleteOptions::Propagation::Orphan) << true;
    }

    void deletionPropagatesToDependents()
    {
        QFETCH(int, policy);
        QFETCH(bool, dependentSurvives);
        const std::string owner = "owner-" + std::to_string(policy);
        const std::string dependent = "dependent-" + std::to_string(policy);
        auto created = rest().create(configMaps(m_ns), configMap(owner));
        QVERIFY(created.ok());
        json child = configMap(dependent);
        child["metadata"]["ownerReferences"]
            = json::array({{{"apiVersion", "v1"},
                            {"kind", "ConfigMap"},
                            {"name", owner},
                            {"uid", (*created->body)["metadata"]["uid"]},
                            {"blockOwnerDeletion", true}}});
        QVERIFY(rest().create(configMaps(m_ns), child).ok());

        DeleteOptions options;
        options.propagationPolicy = static_cast<DeleteOptions::Propagation>(policy);
        auto removed = rest().remove(configMaps(m_ns, owner), options);
        QVERIFY2(removed.ok(), removed.ok() ? "" : removed.error().message().c_str());
        QTRY_VERIFY_WITH_TIMEOUT(!rest().get(configMaps(m_ns, owner)).ok(), kWait);
        if (dependentSurvives) {
            // Orphaned: kept, with the owner reference removed.
            QTRY_VERIFY_WITH_TIMEOUT(rest().get(configMaps(m_ns, dependent)).ok()
                                         && !rest()
                                                 .get(configMaps(m_ns, dependent))
                                                 ->body->at("metadata")
                                                 .contains("ownerReferences"),
                                     kWait);
        } else {
            QTRY_VERIFY_WITH_TIMEOUT(isNotFound(rest().get(configMaps(m_ns, dependent))), kWait);
        }
    }

    void tableListHasColumnsAndRows()
    {
        QVERIFY(rest().create(configMaps(m_ns), configMap("table-a")).ok());
        ListOptions options;
        auto table = rest().callAndWait(client::RestClient::tableRequest(
            configMaps(m_ns), options, client::IncludeObject::Metadata));
        QVERIFY2(table.ok(), table.ok() ? "" : table.error().message().c_str());
        const json &body = *table->body;
        QCOMPARE(body.value("kind", ""), std::string("Table"));
        QVERIFY(!body["columnDefinitions"].empty());
        QCOMPARE(body["columnDefinitions"][0]["name"].get<std::string>(), std::string("Name"));
        bool found = false;
        for (const auto &row : body["rows"]) {
            if (row["object"]["metadata"]["name"] == "table-a")
                found = row["cells"][0] == "table-a";
        }
        QVERIFY(found);
    }

    void warningsReachTheCaller()
    {
        json object = configMap("warned");
        object["unknownTopLevelField"] = "x";
        WriteOptions options;
        options.fieldValidation = "Warn";
        auto created = rest().create(configMaps(m_ns), object, options);
        QVERIFY2(created.ok(), created.ok() ? "" : created.error().message().c_str());
        QVERIFY(!created->warnings.empty());
        QVERIFY2(created->warnings.front().find("unknownTopLevelField") != std::string::npos,
                 created->warnings.front().c_str());
        // Strict turns the same field into a refusal.
        options.fieldValidation = "Strict";
        object["metadata"]["name"] = "refused";
        auto refused = rest().create(configMaps(m_ns), object, options);
        QVERIFY(!refused.ok());
        QCOMPARE(refused.error().httpStatus(), 400);
    }

    void informersOfEveryFlavourSeeChangesInOrder_data()
    {
        QTest::addColumn<int>("flavour");
        QTest::newRow("full") << int(cache::Flavour::Full);
        QTest::newRow("metadata") << int(cache::Flavour::Metadata);
        QTest::newRow("table") << int(cache::Flavour::Table);
    }

    void informersOfEveryFlavourSeeChangesInOrder()
    {
        QFETCH(int, flavour);
        const std::string name = "watched-" + std::to_string(flavour);
        cache::ReflectorOptions options;
        options.resource = configMaps(m_ns);
        options.flavour = static_cast<cache::Flavour>(flavour);
        options.labelSelector = "watched=" + std::to_string(flavour);
        cache::SharedInformer informer(rest(), options, inlineExecutor());
        Recorder recorder;
        informer.addEventHandler(recorder.handler());
        informer.start();
        QTRY_VERIFY_WITH_TIMEOUT(informer.hasSynced(), kWait);

        json object = configMap(name, {{"v", "1"}});
        object["metadata"]["labels"] = {{"watched", std::to_string(flavour)}};
        QVERIFY(rest().create(configMaps(m_ns), object).ok());
        QVERIFY(rest()
                    .patch(configMaps(m_ns, name), PatchType::Merge,
                           json{{"data", {{"v", "2"}}}}.dump())
                    .ok());
        QVERIFY(rest().remove(configMaps(m_ns, name)).ok());
        const QString n = QString::fromStdString(name);
        QTRY_COMPARE_WITH_TIMEOUT(recorder.events(), (QStringList{"+" + n, "~" + n, "-" + n}),
                                  kWait);
        QVERIFY(informer.store().size() == 0);
        if (options.flavour == cache::Flavour::Table)
            QVERIFY(informer.columnDefinitions()
                    && informer.columnDefinitions()->root().size() > 0);
        informer.stop();
    }

    void informerOutlivesServerSideWatchTimeouts()
    {
        cache::ReflectorOptions options;
        options.resource = configMaps(m_ns);
        options.labelSelector = "timeouts=yes";
        options.minWatchTimeout = std::chrono::seconds(1);
        options.maxWatchTimeout = std::chrono::seconds(1);
        cache::SharedInformer informer(rest(), options, inlineExecutor());
        Recorder recorder;
        informer.addEventHandler(recorder.handler());
        informer.start();
        QTRY_VERIFY_WITH_TIMEOUT(informer.hasSynced(), kWait);
        // Several watches end at the server's timeoutSeconds meanwhile.
        QTest::qWait(3500);
        json object = configMap("after-timeouts");
        object["metadata"]["labels"] = {{"timeouts", "yes"}};
        QVERIFY(rest().create(configMaps(m_ns), object).ok());
        QTRY_COMPARE_WITH_TIMEOUT(recorder.events(), QStringList{"+after-timeouts"}, kWait);
        QVERIFY(!informer.lastError().has_value());
        informer.stop();
    }

    void applierAppliesMultipleDocuments()
    {
        const std::string manifests
            = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied-a\n"
              "data:\n  k: one\n---\n"
              "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied-b\n"
              "data:\n  k: two\n";
        client::Applier applier(rest(), m_connection->discovery());
        client::ApplyOptions options;
        options.defaultNamespace = m_ns;
        auto first = applier.apply(manifests, options);
        QVERIFY2(first.ok(), first.ok() ? "" : first.error().message().c_str());
        QCOMPARE(first->size(), std::size_t(2));
        for (const auto &result : *first)
            QVERIFY2(result.outcome == client::ApplyResult::Outcome::Created,
                     result.error ? result.error->message().c_str() : "not created");
        QCOMPARE(getString(configMaps(m_ns, "applied-a"), "data", "k"), std::string("one"));
        QCOMPARE(getString(configMaps(m_ns, "applied-b"), "data", "k"), std::string("two"));

        std::string changed = manifests;
        changed.replace(changed.find("k: two"), 6, "k: 2nd");
        auto second = applier.apply(changed, options);
        QVERIFY(second.ok());
        QCOMPARE(second->size(), std::size_t(2));
        QVERIFY(!(*second)[1].error.has_value());
        QCOMPARE((*second)[1].outcome, client::ApplyResult::Outcome::Configured);
        QCOMPARE(getString(configMaps(m_ns, "applied-b"), "data", "k"), std::string("2nd"));
        QCOMPARE(getString(configMaps(m_ns, "applied-a"), "data", "k"), std::string("one"));
    }
};

QTEST_GUILESS_MAIN(TestCoreClient)
#include "tst_coreclient.moc"
