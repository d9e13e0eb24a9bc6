// A CustomResourceDefinition's versions and list types as the API server applies them, against
// a real Store and ResourceCatalog: objects stored in the storage version and served in the
// requested one, storedVersions, deprecation warnings, webhook conversion refused, x-kubernetes
// list types for validation and server-side apply, and the cleanup of a deleted CRD waiting for
// its objects' finalizers.

#include <localcluster/apiserver/crd/applyschema.h>
#include <localcluster/apiserver/crd/customresources.h>
#include <localcluster/apiserver/crd/structuralschema.h>
#include <localcluster/apiserver/resourcecatalog.h>
#include <localcluster/apiserver/rest/managedfields.h>
#include <localcluster/storage/store.h>

#include <nlohmann/json.hpp>

#include <QDeadlineTimer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <cstdio>

using namespace kd::lc::apiserver;
using kd::core::util::Error;
using nlohmann::json;
namespace storage = kd::lc::storage;

namespace {

// JSON written with single quotes, so that the tables stay readable without escapes.
json j(const char *text)
{
    std::string s(text);
    for (char &c : s)
        if (c == '\'')
            c = '"';
    return json::parse(s);
}

QStringList printed(const std::vector<Error::Cause> &causes)
{
    QStringList out;
    for (const auto &cause : causes)
        out << QString::fromStdString(cause.field + ": " + cause.message);
    return out;
}

// spec.ports: a map list keyed by name; spec.pairs: keyed by two fields; spec.tags: a set;
// spec.args: atomic; spec.routes: a map of map lists; spec.selector: an atomic map.
const char *kListSchema
    = "{'type':'object','properties':{'spec':{'type':'object','properties':{"
      "'ports':{'type':'array','x-kubernetes-list-type':'map','x-kubernetes-list-map-keys':"
      "['name'],'items':{'type':'object','properties':{'name':{'type':'string'},"
      "'port':{'type':'integer'},'hosts':{'type':'array','x-kubernetes-list-type':'set',"
      "'items':{'type':'string'}}}}},"
      "'pairs':{'type':'array','x-kubernetes-list-type':'map','x-kubernetes-list-map-keys':"
      "['a','b'],'items':{'type':'object','properties':{'a':{'type':'string'},"
      "'b':{'type':'integer','default':0}}}},"
      "'tags':{'type':'array','x-kubernetes-list-type':'set','items':{'type':'string'}},"
      "'args':{'type':'array','items':{'type':'string'}},"
      "'routes':{'type':'object','additionalProperties':{'type':'array',"
      "'x-kubernetes-list-type':'set','items':{'type':'integer'}}},"
      "'selector':{'type':'object','x-kubernetes-map-type':'atomic',"
      "'additionalProperties':{'type':'string'}}}}}}";

// stable.example.com CronTabs: v1beta1 served and deprecated, v1 served and stored, v2alpha1
// defined but not served.
json cronTabDefinition()
{
    const json schema = j("{'type':'object','properties':{'spec':{'type':'object','properties':"
                          "{'cronSpec':{'type':'string'}}}}}");
    json crd = j("{'apiVersion':'apiextensions.k8s.io/v1','kind':'CustomResourceDefinition',"
                 "'metadata':{'name':'crontabs.stable.example.com','uid':'u1'},"
                 "'spec':{'group':'stable.example.com','scope':'Namespaced','names':{"
                 "'plural':'crontabs','kind':'CronTab'},'versions':["
                 "{'name':'v1beta1','served':true,'storage':false,'deprecated':true},"
                 "{'name':'v1','served':true,'storage':true},"
                 "{'name':'v2alpha1','served':false,'storage':false}]}}");
    for (json &v : crd["spec"]["versions"])
        v["schema"]["openAPIV3Schema"] = schema;
    return crd;
}

json cronTab(const std::string &version, const std::string &name)
{
    json object = j("{'kind':'CronTab','metadata':{'namespace':'default'},"
                    "'spec':{'cronSpec':'* * * * */5'}}");
    object["apiVersion"] = "stable.example.com/" + version;
    object["metadata"]["name"] = name;
    return object;
}

} // namespace

class TestCrdVersions : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<storage::Store> m_store;
    std::unique_ptr<ResourceCatalog> m_catalog;
    std::unique_ptr<crd::CustomResources> m_resources;

    ResourceInfo definitions() const
    {
        return *m_catalog->find("apiextensions.k8s.io", "v1", "customresourcedefinitions");
    }
    ResourceInfo cronTabs(const char *version) const
    {
        const auto found = m_catalog->find("stable.example.com", version, "crontabs");
        return found ? *found : ResourceInfo();
    }
    // Admits and stores a CRD as the write handlers would.
    void storeDefinition(json crd, const json *previous)
    {
        std::vector<std::string> warnings;
        auto admitted = m_resources->admit(definitions(), "", crd, previous, "", warnings);
        QVERIFY2(admitted, admitted ? "" : admitted.error().message().c_str());
        const storage::Key key{{"apiextensions.k8s.io", "customresourcedefinitions"},
                               "",
                               "crontabs.stable.example.com"};
        crd["metadata"].erase("resourceVersion");
        auto written
            = previous ? m_store->update(key, crd, std::nullopt) : m_store->create(key, crd);
        QVERIFY2(written, written ? "" : written.error().message().c_str());
    }
    json storedDefinition() const
    {
        auto got = m_store->get({{"apiextensions.k8s.io", "customresourcedefinitions"},
                                 "",
                                 "crontabs.stable.example.com"});
        return got ? (*got)->object() : json();
    }

private Q_SLOTS:
    void init()
    {
        QVERIFY(m_dir.isValid());
        auto store = storage::Store::open(
            {m_dir.path().toStdString() + "/" + QTest::currentTestFunction()});
        QVERIFY2(store, store ? "" : store.error().message().c_str());
        m_store = std::move(*store);
        m_catalog = std::make_unique<ResourceCatalog>();
        m_resources = std::make_unique<crd::CustomResources>(*m_store, *m_catalog);
        QVERIFY(m_resources->start());
    }
    void cleanup()
    {
        m_resources.reset();
        m_catalog.reset();
        m_store.reset();
    }

    void listTypes_data();
    void listTypes();
    void applySchema_data();
    void applySchema();
    void servedVersions();
    void storedVersions();
    void webhookConversion();
    void cleanupWaitsForFinalizers();
    void updateManagersCapped();
};

void TestCrdVersions::listTypes_data()
{
    QTest::addColumn<QString>("spec");
    QTest::addColumn<QStringList>("expected");

    QTest::newRow("unique") << "{'ports':[{'name':'a','port':1},{'name':'b','port':1}],"
                               "'tags':['x','y'],'args':['x','x'],'pairs':[{'a':'x'},{'a':'x',"
                               "'b':1}]}"
                            << QStringList();
    QTest::newRow("set") << "{'tags':['x','y','x','x','y']}"
                         << QStringList{"spec.tags[2]: Duplicate value: \"x\"",
                                        "spec.tags[4]: Duplicate value: \"y\""};
    QTest::newRow("map") << "{'ports':[{'name':'a','port':1},{'name':'a','port':2}]}"
                         << QStringList{"spec.ports[1]: Duplicate value: map[string]interface "
                                        "{}{\"name\":\"a\"}"};
    QTest::newRow("map without its key")
        << "{'ports':[{'port':1},{'port':2}]}"
        << QStringList{"spec.ports[1]: Duplicate value: map[string]interface "
                       "{}{\"name\":interface {}(nil)}"};
    QTest::newRow("two keys, one defaulted")
        << "{'pairs':[{'a':'x'},{'a':'x','b':0}]}"
        << QStringList{"spec.pairs[1]: Duplicate value: map[string]interface {}{\"a\":\"x\", "
                       "\"b\":0}"};
    QTest::newRow("not an object") << "{'ports':[{'name':'a'},'b']}"
                                   << QStringList{"spec.ports[1]: Invalid value: \"string\": "
                                                  "spec.ports[1] in body must be of type object: "
                                                  "\"string\"",
                                                  "spec.ports[1]: Invalid value: \"b\": must be "
                                                  "an object for an array of list-type map"};
    QTest::newRow("set inside a map list")
        << "{'ports':[{'name':'a','hosts':['h','h']}]}"
        << QStringList{"spec.ports[0].hosts[1]: Duplicate value: \"h\""};
    QTest::newRow("set under a map")
        << "{'routes':{'r1':[1,2,1]}}" << QStringList{"spec.routes[r1][2]: Duplicate value: 1"};
}

void TestCrdVersions::listTypes()
{
    QFETCH(QString, spec);
    QFETCH(QStringList, expected);
    json object
        = {{"apiVersion", "example.com/v1"}, {"kind", "Widget"}, {"metadata", json::object()}};
    object["spec"] = j(spec.toUtf8().constData());
    QCOMPARE(printed(crd::validate(j(kListSchema), object)), expected);
}

void TestCrdVersions::applySchema_data()
{
    QTest::addColumn<QStringList>("path");
    QTest::addColumn<QString>("shape"); // atomic, set, map:<keys>; atomic-map / granular

    QTest::newRow("map list") << QStringList{"spec", "ports"} << "map:name";
    QTest::newRow("two keys") << QStringList{"spec", "pairs"} << "map:a,b";
    QTest::newRow("set") << QStringList{"spec", "tags"} << "set";
    QTest::newRow("no list type") << QStringList{"spec", "args"} << "atomic";
    QTest::newRow("set in map list items") << QStringList{"spec", "ports", "hosts"} << "set";
    QTest::newRow("set under a map key") << QStringList{"spec", "routes", "r1"} << "set";
    QTest::newRow("undeclared") << QStringList{"spec", "other"} << "atomic";
    QTest::newRow("finalizers") << QStringList{"metadata", "finalizers"} << "set";
    QTest::newRow("ownerReferences") << QStringList{"metadata", "ownerReferences"} << "map:uid";
    QTest::newRow("atomic map") << QStringList{"spec", "selector"} << "atomic-map";
    QTest::newRow("granular map") << QStringList{"spec", "routes"} << "granular";
}

void TestCrdVersions::applySchema()
{
    QFETCH(QStringList, path);
    QFETCH(QString, shape);
    ResourceInfo resource;
    resource.custom = true;
    resource.openApiSchema = std::make_shared<const json>(j(kListSchema));
    const FieldSchema schema = crd::applySchema(resource);
    std::vector<std::string> names;
    for (const QString &p : path)
        names.push_back(p.toStdString());
    if (shape == "atomic-map" || shape == "granular") {
        QCOMPARE(schema.isAtomicMap(names), shape == "atomic-map");
        return;
    }
    const FieldSchema::ListShape list = schema.shapeOf(names);
    QString got;
    switch (list.type) {
    case FieldSchema::ListShape::Type::Atomic:
        got = "atomic";
        break;
    case FieldSchema::ListShape::Type::Set:
        got = "set";
        break;
    case FieldSchema::ListShape::Type::Map: {
        QStringList keys;
        for (const std::string &k : list.keys)
            keys << QString::fromStdString(k);
        got = "map:" + keys.join(',');
        break;
    }
    }
    QCOMPARE(got, shape);
}

// Written through any served version, stored in the storage version, read in any served one.
void TestCrdVersions::servedVersions()
{
    storeDefinition(cronTabDefinition(), nullptr);
    const ResourceInfo v1beta1 = cronTabs("v1beta1");
    const ResourceInfo v1 = cronTabs("v1");
    QCOMPARE(QString::fromStdString(v1beta1.version), QStringLiteral("v1beta1"));
    QCOMPARE(QString::fromStdString(v1.version), QStringLiteral("v1"));
    QVERIFY2(!m_catalog->find("stable.example.com", "v2alpha1", "crontabs"),
             "an unserved version is not served");

    json object = cronTab("v1beta1", "c1");
    std::vector<std::string> warnings;
    QVERIFY(m_resources->admit(v1beta1, "", object, nullptr, "", warnings));
    QCOMPARE(QString::fromStdString(object["apiVersion"].get<std::string>()),
             QStringLiteral("stable.example.com/v1"));
    const std::string stored = object.dump();

    auto asBeta = m_resources->served(v1beta1, stored);
    QVERIFY(asBeta);
    json answered = json::parse(*asBeta);
    QCOMPARE(QString::fromStdString(answered["apiVersion"].get<std::string>()),
             QStringLiteral("stable.example.com/v1beta1"));
    answered["apiVersion"] = object["apiVersion"];
    QVERIFY2(answered == object, "only apiVersion changes");
    auto asV1 = m_resources->served(v1, stored);
    QVERIFY(asV1);
    QCOMPARE(*asV1, stored);

    // Lists and Tables convert their items; Status and other kinds pass.
    const std::string list = "{\"kind\":\"CronTabList\",\"apiVersion\":\"stable.example.com/"
                             "v1beta1\",\"metadata\":{},\"items\":["
                             + stored + "," + stored + "]}";
    auto listed = m_resources->served(v1beta1, list);
    QVERIFY(listed);
    for (const json &item : json::parse(*listed)["items"])
        QCOMPARE(QString::fromStdString(item["apiVersion"].get<std::string>()),
                 QStringLiteral("stable.example.com/v1beta1"));
    const std::string table = "{\"kind\":\"Table\",\"apiVersion\":\"meta.k8s.io/v1\",\"rows\":[{"
                              "\"cells\":[],\"object\":"
                              + stored + "}]}";
    auto tabled = m_resources->served(v1beta1, table);
    QVERIFY(tabled);
    QCOMPARE(QString::fromStdString(
                 json::parse(*tabled)["rows"][0]["object"]["apiVersion"].get<std::string>()),
             QStringLiteral("stable.example.com/v1beta1"));
    const std::string status = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Success\"}";
    QCOMPARE(*m_resources->served(v1beta1, status), status);

    // The deprecated version warns in upstream's words, naming the newer served version.
    QCOMPARE(m_resources->warnings(v1beta1),
             std::vector<std::string>{
                 "stable.example.com/v1beta1 CronTab is deprecated; use stable.example.com/v1 "
                 "CronTab"});
    QVERIFY(m_resources->warnings(v1).empty());
    const json before = storedDefinition();
    json custom = before;
    custom["spec"]["versions"][0]["deprecationWarning"] = "v1beta1 goes away in 2027";
    storeDefinition(custom, &before);
    QCOMPARE(m_resources->warnings(cronTabs("v1beta1")),
             std::vector<std::string>{"v1beta1 goes away in 2027"});
}

// storedVersions keeps every version that was ever the storage version.
void TestCrdVersions::storedVersions()
{
    storeDefinition(cronTabDefinition(), nullptr);
    QCOMPARE(QString::fromStdString(storedDefinition()["status"]["storedVersions"].dump()),
             QStringLiteral("[\"v1\"]"));
    json moved = storedDefinition();
    const json previous = moved;
    moved["spec"]["versions"][1]["storage"] = false;
    moved["spec"]["versions"][2]["storage"] = true;
    moved["spec"]["versions"][2]["served"] = true;
    storeDefinition(moved, &previous);
    QCOMPARE(QString::fromStdString(storedDefinition()["status"]["storedVersions"].dump()),
             QStringLiteral("[\"v1\",\"v2alpha1\"]"));
    // Objects written from now on go to the new storage version, whatever version they came in.
    json object = cronTab("v1beta1", "c2");
    std::vector<std::string> warnings;
    QVERIFY(m_resources->admit(cronTabs("v1beta1"), "", object, nullptr, "", warnings));
    QCOMPARE(QString::fromStdString(object["apiVersion"].get<std::string>()),
             QStringLiteral("stable.example.com/v2alpha1"));
}

// Without a webhook client, a CRD with Webhook conversion serves only what needs no conversion.
void TestCrdVersions::webhookConversion()
{
    json crd = cronTabDefinition();
    crd["spec"]["conversion"] = j("{'strategy':'Webhook','webhook':{'conversionReviewVersions':"
                                  "['v1'],'clientConfig':{'url':'https://conv.example.com'}}}");
    storeDefinition(crd, nullptr);
    std::vector<std::string> warnings;
    json viaStorage = cronTab("v1", "c1");
    QVERIFY(m_resources->admit(cronTabs("v1"), "", viaStorage, nullptr, "", warnings));
    QVERIFY(m_resources->served(cronTabs("v1"), viaStorage.dump()));

    json viaBeta = cronTab("v1beta1", "c2");
    auto refused = m_resources->admit(cronTabs("v1beta1"), "", viaBeta, nullptr, "", warnings);
    QVERIFY(!refused);
    QCOMPARE(refused.error().httpStatus(), 500);
    QCOMPARE(QString::fromStdString(refused.error().message()),
             QStringLiteral("conversion webhook for stable.example.com/v1beta1, Kind=CronTab "
                            "failed: this server does not call conversion webhooks"));
    auto read = m_resources->served(cronTabs("v1beta1"), viaStorage.dump());
    QVERIFY(!read);
    QCOMPARE(read.error().httpStatus(), 500);
}

// Deleting a CRD deletes its objects as DELETE would; one with a finalizer keeps the CRD
// Terminating (and its resource served for updates, not creates) until the finalizer goes.
void TestCrdVersions::cleanupWaitsForFinalizers()
{
    storeDefinition(cronTabDefinition(), nullptr);
    const storage::GroupResource resource{"stable.example.com", "crontabs"};
    std::vector<std::string> warnings;
    for (const char *name : {"plain", "held"}) {
        json object = cronTab("v1", name);
        object["metadata"]["uid"] = std::string("uid-") + name;
        if (std::string(name) == "held")
            object["metadata"]["finalizers"] = {"example.com/hold"};
        QVERIFY(m_resources->admit(cronTabs("v1"), "", object, nullptr, "", warnings));
        QVERIFY(m_store->create({resource, "default", name}, object));
    }

    json deleting = storedDefinition();
    deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
    deleting["metadata"]["finalizers"] = {crd::kCleanupFinalizer};
    deleting["metadata"].erase("resourceVersion");
    QVERIFY(m_store->update(
        {{"apiextensions.k8s.io", "customresourcedefinitions"}, "", "crontabs.stable.example.com"},
        deleting, std::nullopt));

    const storage::Key held{resource, "default", "held"};
    QDeadlineTimer deadline(20000);
    const auto heldDeleting = [&] {
        auto got = m_store->get(held);
        return got && (*got)->object()["metadata"].contains("deletionTimestamp");
    };
    while (!(heldDeleting() && !m_store->get({resource, "default", "plain"}))
           && !deadline.hasExpired())
        QThread::msleep(20);
    QVERIFY2(heldDeleting(), "the object with a finalizer is marked for deletion");
    QVERIFY2(!m_store->get({resource, "default", "plain"}), "the plain object is gone");

    // Still there, Terminating, and served: updates pass, creates do not.
    QThread::msleep(1200); // a few cleanup polls
    json crd = storedDefinition();
    QVERIFY2(!crd.is_null(), "the CRD waits for the finalizer");
    json terminating;
    for (const json &c : crd["status"]["conditions"])
        if (c["type"] == "Terminating")
            terminating = c;
    QCOMPARE(QString::fromStdString(terminating.value("status", "")), QStringLiteral("True"));
    QCOMPARE(QString::fromStdString(terminating.value("reason", "")),
             QStringLiteral("InstanceDeletionInProgress"));
    QCOMPARE(QString::fromStdString(terminating.value("message", "")),
             QStringLiteral("CustomResource deletion is in progress"));
    QVERIFY(m_catalog->find("stable.example.com", "v1", "crontabs"));
    json fresh = cronTab("v1", "late");
    auto refused = m_resources->admit(cronTabs("v1"), "", fresh, nullptr, "", warnings);
    QVERIFY(!refused);
    QCOMPARE(refused.error().httpStatus(), 405);
    QCOMPARE(QString::fromStdString(refused.error().message()),
             QStringLiteral("create not allowed while custom resource definition is terminating"));

    // The finalizer goes (the object with it, as the update handler removes it): so does the CRD.
    QVERIFY(m_store->remove(held, {}));
    while (!storedDefinition().is_null() && !deadline.hasExpired())
        QThread::msleep(20);
    QVERIFY2(storedDefinition().is_null(), "the CRD is gone once its objects are");
    QVERIFY(!m_catalog->find("stable.example.com", "v1", "crontabs"));
}

// Beyond ten Update managers, the oldest are folded into "ancient-changes" per apiVersion, as
// upstream caps them; Apply managers are not counted.
void TestCrdVersions::updateManagersCapped()
{
    ResourceInfo resource;
    resource.group = "stable.example.com";
    resource.version = "v1";
    resource.resource = "crontabs";
    resource.kind = "CronTab";
    resource.namespaced = true;
    resource.custom = true;
    json live = cronTab("v1", "c1");
    const auto managers = [&] {
        QStringList out;
        for (const json &entry : live["metadata"]["managedFields"])
            out << QString::fromStdString(entry["manager"].get<std::string>() + "/"
                                          + entry["operation"].get<std::string>());
        return out;
    };
    for (int i = 0; i < 12; ++i) {
        json updated = live;
        const std::string n = std::to_string(i);
        updated["metadata"]["labels"]["k" + n] = "v";
        char time[32];
        std::snprintf(time, sizeof time, "2026-01-01T00:00:%02dZ", i);
        auto recorded = managedfields::recordUpdate(
            i == 0 ? managedfields::zeroObject(resource) : live, updated,
            managedfields::scopeFor(resource, "", "m" + n, time));
        QVERIFY(recorded);
        live = std::move(updated);
        if (i == 9)
            QCOMPARE(managers().size(), 10);
    }
    QCOMPARE(managers(), (QStringList{"ancient-changes/Update", "m3/Update", "m4/Update",
                                      "m5/Update", "m6/Update", "m7/Update", "m8/Update",
                                      "m9/Update", "m10/Update", "m11/Update"}));
    const json &ancient = live["metadata"]["managedFields"][0];
    QCOMPARE(QString::fromStdString(ancient["time"].get<std::string>()),
             QStringLiteral("2026-01-01T00:00:02Z"));
    QCOMPARE(QString::fromStdString(ancient["apiVersion"].get<std::string>()),
             QStringLiteral("stable.example.com/v1"));
    QCOMPARE(QString::fromStdString(ancient["fieldsV1"]["f:metadata"]["f:labels"].dump()),
             QStringLiteral("{\".\":{},\"f:k0\":{},\"f:k1\":{},\"f:k2\":{}}"));
}

QTEST_GUILESS_MAIN(TestCrdVersions)
#include "tst_crdversions.moc"
