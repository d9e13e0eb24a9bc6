#include <localcluster/apiserver/discovery.h>
#include <localcluster/apiserver/resourcecatalog.h>

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFile>
#include <QTest>

#include <set>
#include <thread>

using namespace kd::lc::apiserver;
using nlohmann::json;

// QCOMPARE cannot print nlohmann::json; compare the serialised forms, which show on failure.
#define JCOMPARE(actual, expected) \
    QCOMPARE(QString::fromStdString(json(actual).dump()), \
             QString::fromStdString(json(expected).dump()))

namespace {

QString referenceDir()
{
    return QStringLiteral(KD_SOURCE_DIR "/../shared/reference/kube-apiserver-1.23/discovery");
}

json readJson(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return nullptr;
    return json::parse(file.readAll().toStdString(), nullptr, false);
}

std::vector<std::string> strings(const json &j, const char *key)
{
    std::vector<std::string> out;
    if (j.contains(key))
        for (const auto &v : j[key])
            out.push_back(v.get<std::string>());
    return out;
}

const json *findEntry(const json &list, const std::string &name)
{
    for (const auto &r : list["resources"])
        if (r["name"] == name)
            return &r;
    return nullptr;
}

json crd(const std::string &scope = "Namespaced")
{
    return json::parse(R"({
      "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
      "metadata": {"name": "widgets.example.com"},
      "spec": {"group": "example.com", "scope": ")"
                       + scope + R"(",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget",
                  "listKind": "WidgetList", "shortNames": ["wd"], "categories": ["all"]},
        "versions": [
          {"name": "v1beta1", "served": true, "storage": false},
          {"name": "v1", "served": true, "storage": true,
           "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas",
                                                     "statusReplicasPath": ".status.replicas"}},
           "additionalPrinterColumns": [
             {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"}]},
          {"name": "v1alpha1", "served": false, "storage": false}]}})");
}

} // namespace

class tst_ResourceCatalog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void builtinsMatchUpstreamDiscovery_data();
    void builtinsMatchUpstreamDiscovery();
    void onlyKnownUnservedResourcesAreMissing();
    void lookups();
    void legacyDocuments();
    void apiResourceListUnknownGroupVersion();
    void aggregatedDocuments();
    void negotiation_data();
    void negotiation();
    void customResources();
    void customResourceRejected_data();
    void customResourceRejected();
    void concurrentReadersSeeConsistentSnapshots();
    void versionOrdering();
};

void tst_ResourceCatalog::builtinsMatchUpstreamDiscovery_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("group");
    QTest::addColumn<QString>("version");
    const std::pair<const char *, const char *> gvs[] = {
        {"", "v1"},
        {"apps", "v1"},
        {"batch", "v1"},
        {"autoscaling", "v1"},
        {"autoscaling", "v2"},
        {"policy", "v1"},
        {"networking.k8s.io", "v1"},
        {"discovery.k8s.io", "v1"},
        {"coordination.k8s.io", "v1"},
        {"storage.k8s.io", "v1"},
        {"rbac.authorization.k8s.io", "v1"},
        {"scheduling.k8s.io", "v1"},
        {"admissionregistration.k8s.io", "v1"},
        {"apiextensions.k8s.io", "v1"},
        {"authentication.k8s.io", "v1"},
        {"authorization.k8s.io", "v1"},
        {"events.k8s.io", "v1"},
    };
    for (auto [g, v] : gvs) {
        const QString group = QString::fromLatin1(g);
        const QString file = group.isEmpty() ? QStringLiteral("api_v1.json")
                                             : QStringLiteral("apis_%1_%2.json").arg(group, v);
        QTest::newRow(qPrintable(group.isEmpty() ? QStringLiteral("core") : group + "/" + v))
            << file << group << QString::fromLatin1(v);
    }
}

// Every resource we serve that a real 1.23 server also served must be announced identically:
// kind, scope, verbs, short names, categories, and where subresource kinds live.
void tst_ResourceCatalog::builtinsMatchUpstreamDiscovery()
{
    QFETCH(QString, file);
    QFETCH(QString, group);
    QFETCH(QString, version);
    if (!QDir(referenceDir()).exists())
        QFAIL("shared/reference must be next to the clone (CI and the session lay it there)");
    const json upstream = readJson(referenceDir() + "/" + file);
    QVERIFY(upstream.is_object());

    ResourceCatalog catalog;
    auto ours = apiResourceList(catalog, group.toStdString(), version.toStdString());
    QVERIFY(ours.ok());
    JCOMPARE(ours.value()["groupVersion"], upstream["groupVersion"]);

    int compared = 0;
    for (const auto &entry : ours.value()["resources"]) {
        const std::string name = entry["name"];
        const json *up = findEntry(upstream, name);
        if (!up)
            continue; // newer than 1.23 (selfsubjectreviews), checked elsewhere
        ++compared;
        JCOMPARE(entry["kind"], (*up)["kind"]);
        JCOMPARE(entry["namespaced"], (*up)["namespaced"]);
        QCOMPARE(strings(entry, "verbs"), strings(*up, "verbs"));
        QCOMPARE(strings(entry, "shortNames"), strings(*up, "shortNames"));
        QCOMPARE(strings(entry, "categories"), strings(*up, "categories"));
        QCOMPARE(entry.value("group", "-"), up->value("group", "-"));
        QCOMPARE(entry.value("version", "-"), up->value("version", "-"));
        const bool sub = name.find('/') != std::string::npos;
        JCOMPARE(entry["singularName"].get<std::string>().empty(), sub);
        // Storage versions unchanged since 1.23 hash identically. 1.23 still stored these kinds
        // at beta versions that are gone since; HPAs moved to autoscaling/v2.
        static const std::set<std::string> movedStorage{"HorizontalPodAutoscaler",
                                                        "CustomResourceDefinition", "EndpointSlice",
                                                        "PodDisruptionBudget"};
        if (up->contains("storageVersionHash") && !movedStorage.count(entry["kind"]))
            JCOMPARE(entry.value("storageVersionHash", ""), (*up)["storageVersionHash"]);
    }
    QVERIFY2(compared > 0, "no resource in common with the reference");
}

void tst_ResourceCatalog::onlyKnownUnservedResourcesAreMissing()
{
    if (!QDir(referenceDir()).exists())
        QFAIL("shared/reference must be next to the clone (CI and the session lay it there)");
    // What a 1.23 server announced in these groups that the bundled cluster deliberately does not
    // serve: componentstatuses (deprecated) and the proxy subresources.
    const std::set<std::string> unserved{"componentstatuses", "nodes/proxy", "pods/proxy",
                                         "services/proxy"};
    ResourceCatalog catalog;
    for (const auto &[file, group] : std::vector<std::pair<QString, std::string>>{
             {"api_v1.json", ""}, {"apis_apps_v1.json", "apps"}, {"apis_batch_v1.json", "batch"}}) {
        const json upstream = readJson(referenceDir() + "/" + file);
        auto ours = apiResourceList(catalog, group, "v1");
        QVERIFY(ours.ok());
        for (const auto &r : upstream["resources"]) {
            const std::string name = r["name"];
            if (!findEntry(ours.value(), name))
                QVERIFY2(unserved.count(name), name.c_str());
        }
    }
}

void tst_ResourceCatalog::lookups()
{
    ResourceCatalog catalog;
    auto deploy = catalog.find("apps", "v1", "deployments");
    QVERIFY(deploy);
    QCOMPARE(deploy->kind, std::string("Deployment"));
    QCOMPARE(deploy->listKind, std::string("DeploymentList"));
    QCOMPARE(deploy->singular, std::string("deployment"));
    QVERIFY(deploy->subresource("scale"));
    QCOMPARE(deploy->subresource("scale")->responseKind,
             (GroupVersionKind{"autoscaling", "v1", "Scale"}));
    QVERIFY(!deploy->subresource("log"));

    QVERIFY(!catalog.find("apps", "v1beta1", "deployments"));
    QVERIFY(!catalog.find("", "v1", "componentstatuses"));

    auto byKind = catalog.findByKind("", "v1", "Endpoints");
    QVERIFY(byKind);
    QCOMPARE(byKind->resource, std::string("endpoints"));

    const auto ev = catalog.findByShortName("ev");
    QCOMPARE(ev.size(), size_t(2));
    JCOMPARE(ev[0].group, std::string("")); // core first, as kubectl resolves it
    JCOMPARE(ev[1].group, std::string("events.k8s.io"));

    const auto hpa = catalog.findByShortName("hpa");
    QCOMPARE(hpa.size(), size_t(2));
    JCOMPARE(hpa[0].version, std::string("v2")); // preferred version first

    QVERIFY(catalog.findByShortName("nope").empty());

    auto ssr = catalog.find("authentication.k8s.io", "v1", "selfsubjectreviews");
    QVERIFY(ssr);
    QCOMPARE(ssr->verbs, std::vector<std::string>{"create"});
    QVERIFY(!ssr->namespaced);
}

void tst_ResourceCatalog::legacyDocuments()
{
    ResourceCatalog catalog;
    const json api = apiVersions("127.0.0.1:6443");
    JCOMPARE(api["kind"], "APIVersions");
    JCOMPARE(api["versions"], json::array({"v1"}));
    JCOMPARE(api["serverAddressByClientCIDRs"][0]["clientCIDR"], "0.0.0.0/0");
    JCOMPARE(api["serverAddressByClientCIDRs"][0]["serverAddress"], "127.0.0.1:6443");

    const json apis = apiGroupList(catalog);
    JCOMPARE(apis["kind"], "APIGroupList");
    JCOMPARE(apis["apiVersion"], "v1");
    std::vector<std::string> names;
    for (const auto &g : apis["groups"]) {
        names.push_back(g["name"]);
        JCOMPARE(g["preferredVersion"], g["versions"][0]);
    }
    QVERIFY(std::find(names.begin(), names.end(), "") == names.end());
    QCOMPARE(names.front(), std::string("apps"));
    const auto autoscaling = std::find_if(apis["groups"].begin(), apis["groups"].end(),
                                          [](const json &g) { return g["name"] == "autoscaling"; });
    QVERIFY(autoscaling != apis["groups"].end());
    JCOMPARE((*autoscaling)["preferredVersion"]["groupVersion"], "autoscaling/v2");
    JCOMPARE((*autoscaling)["versions"].size(), size_t(2));

    // Same group order as a real server for the groups both serve.
    if (QDir(referenceDir()).exists()) {
        std::vector<std::string> upstreamOrder;
        const json upstream = readJson(referenceDir() + "/apis.json");
        for (const auto &g : upstream["groups"])
            if (std::find(names.begin(), names.end(), g["name"]) != names.end())
                upstreamOrder.push_back(g["name"]);
        QCOMPARE(names, upstreamOrder);
    }

    auto core = apiResourceList(catalog, "", "v1");
    QVERIFY(core.ok());
    JCOMPARE(core.value()["groupVersion"], "v1");
    const json *eviction = findEntry(core.value(), "pods/eviction");
    QVERIFY(eviction);
    JCOMPARE((*eviction)["group"], "policy");
    JCOMPARE((*eviction)["version"], "v1");
    JCOMPARE((*eviction)["kind"], "Eviction");
    const json *status = findEntry(core.value(), "pods/status");
    QVERIFY(status);
    QVERIFY(!status->contains("group")); // same group/version: not repeated
    // Entries are sorted by name, subresources right after their resource.
    std::vector<std::string> entryNames;
    for (const auto &r : core.value()["resources"])
        entryNames.push_back(r["name"]);
    QVERIFY(std::is_sorted(entryNames.begin(), entryNames.end()));
}

void tst_ResourceCatalog::apiResourceListUnknownGroupVersion()
{
    ResourceCatalog catalog;
    auto missing = apiResourceList(catalog, "apps", "v1beta2");
    QVERIFY(!missing.ok());
    QCOMPARE(missing.error().code(), kd::core::util::Error::Code::NotFound);
    QCOMPARE(missing.error().httpStatus(), 404);
}

void tst_ResourceCatalog::aggregatedDocuments()
{
    ResourceCatalog catalog;
    const json core
        = aggregatedDiscovery(catalog, DiscoveryScope::Core, DiscoveryFormat::AggregatedV2);
    JCOMPARE(core["kind"], "APIGroupDiscoveryList");
    JCOMPARE(core["apiVersion"], "apidiscovery.k8s.io/v2");
    JCOMPARE(core["items"].size(), size_t(1));
    JCOMPARE(core["items"][0]["metadata"]["name"], "");
    const json &v1 = core["items"][0]["versions"][0];
    JCOMPARE(v1["version"], "v1");
    JCOMPARE(v1["freshness"], "Current");
    const json *pods = nullptr;
    for (const auto &r : v1["resources"])
        if (r["resource"] == "pods")
            pods = &r;
    QVERIFY(pods);
    JCOMPARE((*pods)["scope"], "Namespaced");
    JCOMPARE((*pods)["singularResource"], "pod");
    JCOMPARE((*pods)["responseKind"], (json{{"group", ""}, {"version", "v1"}, {"kind", "Pod"}}));
    JCOMPARE((*pods)["categories"], json::array({"all"}));
    bool sawEviction = false;
    for (const auto &s : (*pods)["subresources"])
        if (s["subresource"] == "eviction") {
            sawEviction = true;
            JCOMPARE(s["responseKind"]["group"], "policy");
            JCOMPARE(s["verbs"], json::array({"create"}));
        }
    QVERIFY(sawEviction);

    const json groups
        = aggregatedDiscovery(catalog, DiscoveryScope::Groups, DiscoveryFormat::AggregatedV2Beta1);
    JCOMPARE(groups["apiVersion"], "apidiscovery.k8s.io/v2beta1");
    bool sawAutoscaling = false;
    for (const auto &item : groups["items"]) {
        QVERIFY(item["metadata"]["name"] != "");
        if (item["metadata"]["name"] == "autoscaling") {
            sawAutoscaling = true;
            JCOMPARE(item["versions"][0]["version"], "v2"); // preferred first
            JCOMPARE(item["versions"][1]["version"], "v1");
        }
        if (item["metadata"]["name"] == "apps")
            for (const auto &r : item["versions"][0]["resources"])
                if (r["resource"] == "deployments")
                    JCOMPARE(r["subresources"][0]["responseKind"]["kind"], "Scale");
    }
    QVERIFY(sawAutoscaling);
}

void tst_ResourceCatalog::negotiation_data()
{
    QTest::addColumn<QString>("accept");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<int>("format");
    QTest::addColumn<QString>("contentType");

    const QString v2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
    const QString v2beta1
        = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";
    QTest::newRow("kubectl 1.30-1.33") << v2 + "," + v2beta1 + ",application/json" << true
                                       << int(DiscoveryFormat::AggregatedV2) << v2;
    QTest::newRow("kubectl 1.27-1.29") << v2beta1 + ",application/json" << true
                                       << int(DiscoveryFormat::AggregatedV2Beta1) << v2beta1;
    QTest::newRow("plain json") << "application/json" << true << int(DiscoveryFormat::Legacy)
                                << "application/json";
    QTest::newRow("no header") << "" << true << int(DiscoveryFormat::Legacy) << "application/json";
    QTest::newRow("dispatcher") << "application/json, */*" << true << int(DiscoveryFormat::Legacy)
                                << "application/json";
    QTest::newRow("parameters in another order")
        << "application/json;as=APIGroupDiscoveryList;v=v2;g=apidiscovery.k8s.io" << true
        << int(DiscoveryFormat::AggregatedV2) << v2;
    QTest::newRow("protobuf then json")
        << "application/vnd.kubernetes.protobuf,application/json" << true
        << int(DiscoveryFormat::Legacy) << "application/json";
    QTest::newRow("q-values reorder") << v2 + ";q=0.5,application/json;q=0.9" << true
                                      << int(DiscoveryFormat::Legacy) << "application/json";
    QTest::newRow("unknown discovery version falls back")
        << "application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList,application/json"
        << true << int(DiscoveryFormat::Legacy) << "application/json";
    QTest::newRow("only protobuf") << "application/vnd.kubernetes.protobuf" << false << 0 << "";
    QTest::newRow("only a Table") << "application/json;as=Table;v=v1;g=meta.k8s.io" << false << 0
                                  << "";
    QTest::newRow("only yaml") << "application/yaml" << false << 0 << "";
}

void tst_ResourceCatalog::negotiation()
{
    QFETCH(QString, accept);
    QFETCH(bool, ok);
    QFETCH(int, format);
    QFETCH(QString, contentType);
    auto result = negotiateDiscovery(accept.toStdString());
    QCOMPARE(result.ok(), ok);
    if (!ok) {
        QCOMPARE(result.error().code(), kd::core::util::Error::Code::NotAcceptable);
        QCOMPARE(result.error().httpStatus(), 406);
        return;
    }
    QCOMPARE(int(result->format), format);
    QCOMPARE(QString::fromStdString(result->contentType), contentType);
}

void tst_ResourceCatalog::customResources()
{
    ResourceCatalog catalog;
    const auto generation = catalog.generation();
    auto versions = ResourceInfo::fromCustomResourceDefinition(crd());
    QVERIFY(versions.ok());
    QCOMPARE(versions->size(), size_t(2)); // v1alpha1 is not served
    QVERIFY(catalog.setCustomResource(versions.value()).ok());
    QVERIFY(catalog.generation() > generation);

    auto widget = catalog.find("example.com", "v1", "widgets");
    QVERIFY(widget);
    QVERIFY(widget->custom);
    QCOMPARE(widget->kind, std::string("Widget"));
    QCOMPARE(widget->listKind, std::string("WidgetList"));
    QVERIFY(widget->subresource("status"));
    QCOMPARE(widget->subresource("scale")->responseKind.group, std::string("autoscaling"));
    QCOMPARE(widget->printerColumns.size(), size_t(1));
    QCOMPARE(catalog.findByShortName("wd").size(), size_t(2));
    QVERIFY(!catalog.find("example.com", "v1alpha1", "widgets"));

    // Custom groups follow the built-in ones; v1 is preferred over v1beta1.
    const json apis = apiGroupList(catalog);
    JCOMPARE(apis["groups"].back()["name"], "example.com");
    JCOMPARE(apis["groups"].back()["preferredVersion"]["version"], "v1");
    auto list = apiResourceList(catalog, "example.com", "v1");
    QVERIFY(list.ok());
    const json *scale = findEntry(list.value(), "widgets/scale");
    QVERIFY(scale);
    JCOMPARE((*scale)["group"], "autoscaling");
    QCOMPARE(findEntry(list.value(), "widgets")->value("storageVersionHash", ""),
             widget->storageVersionHash());

    // Re-registering replaces the versions rather than adding to them.
    json updated = crd();
    updated["spec"]["versions"].erase(0);
    const auto before = catalog.generation();
    QVERIFY(catalog.setCustomResource(ResourceInfo::fromCustomResourceDefinition(updated).value())
                .ok());
    QVERIFY(catalog.generation() > before);
    QVERIFY(!catalog.find("example.com", "v1beta1", "widgets"));
    QVERIFY(catalog.find("example.com", "v1", "widgets"));

    QVERIFY(catalog.removeCustomResource("example.com", "widgets"));
    QVERIFY(!catalog.find("example.com", "v1", "widgets"));
    QVERIFY(!catalog.removeCustomResource("example.com", "widgets"));
    QVERIFY(!catalog.removeCustomResource("apps", "deployments")); // built-ins stay
    QVERIFY(catalog.find("apps", "v1", "deployments"));
    QVERIFY(!apiResourceList(catalog, "example.com", "v1").ok());
}

void tst_ResourceCatalog::customResourceRejected_data()
{
    QTest::addColumn<QByteArray>("crdJson");
    QTest::addColumn<int>("code");
    auto mutate = [](auto f) {
        json j = crd();
        f(j);
        return QByteArray::fromStdString(j.dump());
    };
    using Code = kd::core::util::Error::Code;
    QTest::newRow("no spec") << QByteArray(R"({"kind":"CustomResourceDefinition"})")
                             << int(Code::Invalid);
    QTest::newRow("not an object") << QByteArray("[1,2]") << int(Code::Invalid);
    QTest::newRow("no group") << mutate([](json &j) { j["spec"].erase("group"); })
                              << int(Code::Invalid);
    QTest::newRow("no plural") << mutate([](json &j) { j["spec"]["names"].erase("plural"); })
                               << int(Code::Invalid);
    QTest::newRow("bad scope") << mutate([](json &j) { j["spec"]["scope"] = "Galaxy"; })
                               << int(Code::Invalid);
    QTest::newRow("versions not a list")
        << mutate([](json &j) { j["spec"]["versions"] = "v1"; }) << int(Code::Invalid);
    QTest::newRow("column without path") << mutate([](json &j) {
        j["spec"]["versions"][1]["additionalPrinterColumns"][0].erase("jsonPath");
    }) << int(Code::Invalid);
    QTest::newRow("built-in group")
        << mutate([](json &j) { j["spec"]["group"] = "apps"; }) << int(Code::Conflict);
}

void tst_ResourceCatalog::customResourceRejected()
{
    QFETCH(QByteArray, crdJson);
    QFETCH(int, code);
    ResourceCatalog catalog;
    const auto generation = catalog.generation();
    const auto before = catalog.snapshot()->size();
    auto versions = ResourceInfo::fromCustomResourceDefinition(json::parse(crdJson.toStdString()));
    kd::core::util::Error error;
    if (versions.ok()) {
        auto set = catalog.setCustomResource(versions.value());
        QVERIFY(!set.ok());
        error = set.error();
    } else {
        error = versions.error();
    }
    QCOMPARE(int(error.code()), code);
    QVERIFY(!error.message().empty());
    QCOMPARE(catalog.generation(), generation); // nothing changed
    QCOMPARE(catalog.snapshot()->size(), before);
}

void tst_ResourceCatalog::concurrentReadersSeeConsistentSnapshots()
{
    ResourceCatalog catalog;
    const auto versions = ResourceInfo::fromCustomResourceDefinition(crd()).value();
    std::atomic<bool> stop{false};
    std::atomic<int> inconsistent{0};
    std::thread reader([&] {
        while (!stop) {
            // Each snapshot holds either both served versions of the CRD or neither.
            const auto snap = catalog.snapshot();
            int widgets = 0;
            for (const auto &r : *snap)
                if (r.group == "example.com")
                    ++widgets;
            if (widgets != 0 && widgets != 2)
                ++inconsistent;
        }
    });
    for (int i = 0; i < 2000; ++i) {
        QVERIFY(catalog.setCustomResource(versions).ok());
        QVERIFY(catalog.removeCustomResource("example.com", "widgets"));
    }
    stop = true;
    reader.join();
    QCOMPARE(inconsistent.load(), 0);
    QCOMPARE(catalog.generation(), std::uint64_t(1 + 4000));
}

void tst_ResourceCatalog::versionOrdering()
{
    std::vector<std::string> versions{"v1alpha1",  "foo", "v1beta1", "v2", "v1",
                                      "v11alpha2", "v10", "v1beta2", "bar"};
    std::sort(versions.begin(), versions.end(), ResourceCatalog::versionPrecedes);
    QCOMPARE(versions, (std::vector<std::string>{"v10", "v2", "v1", "v1beta2", "v1beta1",
                                                 "v11alpha2", "v1alpha1", "bar", "foo"}));
}

QTEST_GUILESS_MAIN(tst_ResourceCatalog)
#include "tst_resourcecatalog.moc"
