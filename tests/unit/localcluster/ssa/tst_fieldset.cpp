#include <localcluster/apiserver/resourcecatalog.h>
#include <localcluster/apiserver/rest/fieldset.h>
#include <localcluster/apiserver/rest/managedfields.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <memory>

#include <QTest>

using nlohmann::json;
namespace api = kd::lc::apiserver;
using api::FieldSet;

namespace {

QString show(const json &value)
{
    return QString::fromStdString(value.dump());
}

api::ResourceInfo deployments()
{
    api::ResourceInfo info;
    info.group = "apps";
    info.version = "v1";
    info.resource = "deployments";
    info.kind = "Deployment";
    info.namespaced = true;
    return info;
}

FieldSet parse(const char *text)
{
    auto set = FieldSet::fromFieldsV1(json::parse(text));
    if (!set)
        qFatal("bad FieldsV1 in test: %s", text);
    return *set;
}

// JSON written with ' for " so that the object tables stay readable (and moc-safe).
json J(const char *text)
{
    std::string s(text);
    for (char &c : s) {
        if (c == '\'')
            c = '"';
    }
    return json::parse(s);
}

// Elements spelt by building the key as a JSON object and printing it.
std::string referenceKeyElement(const json &item, const std::vector<std::string> &keys)
{
    if (!item.is_object() || keys.empty())
        return {};
    json key = json::object();
    for (const std::string &field : keys) {
        if (auto it = item.find(field); it != item.end() && !it->is_null())
            key[field] = *it;
        else if (field == "protocol")
            key[field] = "TCP";
    }
    if (key.empty())
        return {};
    return "k:" + key.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string referenceValueElement(const json &value)
{
    return "v:" + value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The straightforward comparison the fast one must agree with: every path built as a whole and
// inserted from the root, list shapes asked for every list.
struct ReferenceComparer
{
    const api::FieldSchema &schema;
    api::FieldComparison &out;
    FieldSet::Path elements;
    std::vector<std::string> names;

    void push(const std::string &element, const std::string *name)
    {
        elements.push_back(element);
        if (name)
            names.push_back(*name);
    }
    void pop(bool named)
    {
        elements.pop_back();
        if (named)
            names.pop_back();
    }
    api::FieldSchema::ListShape shape() const { return schema.shapeOf(names); }
    std::string elementOf(const json &item, const api::FieldSchema::ListShape &s) const
    {
        return s.type == api::FieldSchema::ListShape::Type::Set ? referenceValueElement(item)
                                                                : referenceKeyElement(item, s.keys);
    }

    void all(const json &v, FieldSet &into)
    {
        into.insert(elements);
        if (v.is_object() && !schema.isAtomicMap(names)) {
            fields(v, into);
        } else if (v.is_array()) {
            const auto s = shape();
            if (s.type == api::FieldSchema::ListShape::Type::Atomic)
                return;
            for (const json &item : v) {
                const std::string element = elementOf(item, s);
                if (element.empty())
                    continue;
                push(element, nullptr);
                into.insert(elements);
                if (s.type == api::FieldSchema::ListShape::Type::Map && item.is_object())
                    fields(item, into);
                pop(false);
            }
        }
    }
    void fields(const json &v, FieldSet &into)
    {
        for (auto it = v.begin(); it != v.end(); ++it) {
            push(FieldSet::fieldElement(it.key()), &it.key());
            all(*it, into);
            pop(true);
        }
    }
    void both(const json &a, const json &b)
    {
        const bool aNull = a.is_null(), bNull = b.is_null();
        if (((a.is_object() && (b.is_object() || bNull)) || (aNull && b.is_object()))
            && !schema.isAtomicMap(names)) {
            maps(aNull ? json::object() : a, bNull ? json::object() : b);
            return;
        }
        if (a.is_array() || b.is_array()) {
            const auto s = shape();
            if (s.type != api::FieldSchema::ListShape::Type::Atomic && (a.is_array() || aNull)
                && (b.is_array() || bNull)) {
                lists(aNull ? json::array() : a, bNull ? json::array() : b, s);
                return;
            }
        }
        if (a != b)
            out.modified.insert(elements);
    }
    void maps(const json &a, const json &b)
    {
        for (auto it = a.begin(); it != a.end(); ++it) {
            push(FieldSet::fieldElement(it.key()), &it.key());
            if (b.contains(it.key()))
                both(*it, b[it.key()]);
            else
                all(*it, out.removed);
            pop(true);
        }
        for (auto it = b.begin(); it != b.end(); ++it) {
            if (a.contains(it.key()))
                continue;
            push(FieldSet::fieldElement(it.key()), &it.key());
            all(*it, out.added);
            pop(true);
        }
    }
    void lists(const json &a, const json &b, const api::FieldSchema::ListShape &s)
    {
        const bool isSet = s.type == api::FieldSchema::ListShape::Type::Set;
        std::map<std::string, const json *> before, after;
        for (const json &item : a)
            before.emplace(elementOf(item, s), &item);
        for (const json &item : b)
            after.emplace(elementOf(item, s), &item);
        const auto side = [&](const auto &mine, const auto &theirs, FieldSet &into) {
            for (const auto &[element, item] : mine) {
                if (element.empty() || theirs.contains(element))
                    continue;
                push(element, nullptr);
                into.insert(elements);
                if (!isSet && item->is_object())
                    fields(*item, into);
                pop(false);
            }
        };
        side(before, after, out.removed);
        side(after, before, out.added);
        if (isSet)
            return;
        for (const auto &[element, item] : before) {
            auto other = after.find(element);
            if (element.empty() || other == after.end())
                continue;
            push(element, nullptr);
            if (item->is_object() && other->second->is_object())
                maps(*item, *other->second);
            else if (*item != *other->second)
                out.modified.insert(elements);
            pop(false);
        }
    }
};

api::FieldComparison referenceCompare(const json &before, const json &after,
                                      const api::FieldSchema &schema)
{
    api::FieldComparison out;
    ReferenceComparer comparer{schema, out, {}, {}};
    comparer.both(before.is_object() ? before : json::object(),
                  after.is_object() ? after : json::object());
    return out;
}

// Set operations spelt out over members.
FieldSet fromMembers(const std::vector<FieldSet::Path> &paths)
{
    FieldSet out;
    for (const FieldSet::Path &path : paths)
        out.insert(path);
    return out;
}

FieldSet referenceUnion(const FieldSet &a, const FieldSet &b)
{
    FieldSet out = fromMembers(a.members());
    for (const FieldSet::Path &path : b.members())
        out.insert(path);
    return out;
}

FieldSet referenceDifference(const FieldSet &a, const FieldSet &b)
{
    FieldSet out;
    for (const FieldSet::Path &path : a.members()) {
        if (!b.contains(path))
            out.insert(path);
    }
    return out;
}

FieldSet referenceWithout(const FieldSet &a, const FieldSet::Path &prefix)
{
    FieldSet out;
    for (const FieldSet::Path &path : a.members()) {
        if (path.size() < prefix.size() || !std::equal(prefix.begin(), prefix.end(), path.begin()))
            out.insert(path);
    }
    return out;
}

api::ResourceInfo builtin(const char *group, const char *resource)
{
    api::ResourceCatalog catalog;
    return *catalog.find(group, "v1", resource);
}

// A custom resource whose schema has map lists (one and two keys), sets, a map of sets and an
// atomic map.
api::ResourceInfo widgets()
{
    api::ResourceInfo info;
    info.group = "example.com";
    info.version = "v1";
    info.resource = "widgets";
    info.kind = "Widget";
    info.namespaced = true;
    info.custom = true;
    info.openApiSchema = std::make_shared<const json>(
        J("{'type':'object','properties':{'spec':{'type':'object','properties':{"
          "'ports':{'type':'array','x-kubernetes-list-type':'map','x-kubernetes-list-map-keys':"
          "['name'],'items':{'type':'object','properties':{'name':{'type':'string'},"
          "'port':{'type':'integer'},'hosts':{'type':'array','x-kubernetes-list-type':'set',"
          "'items':{'type':'string'}}}}},"
          "'pairs':{'type':'array','x-kubernetes-list-type':'map','x-kubernetes-list-map-keys':"
          "['a','b'],'items':{'type':'object','properties':{'a':{'type':'string'},"
          "'b':{'type':'integer'}}}},"
          "'tags':{'type':'array','x-kubernetes-list-type':'set','items':{'type':'string'}},"
          "'args':{'type':'array','items':{'type':'string'}},"
          "'routes':{'type':'object','additionalProperties':{'type':'array',"
          "'x-kubernetes-list-type':'set','items':{'type':'integer'}}},"
          "'selector':{'type':'object','x-kubernetes-map-type':'atomic',"
          "'additionalProperties':{'type':'string'}}}}}}"));
    return info;
}

const char *kPod
    = "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'web-0','namespace':'default',"
      "'labels':{'app':'web','pod-template-hash':'7d9c4b0','tier':'frontend'},"
      "'finalizers':['a','b']},"
      "'spec':{'containers':[{'name':'web','image':'registry.local/web:1.4.2',"
      "'ports':[{'containerPort':8080,'protocol':'TCP'},{'containerPort':9090}],"
      "'env':[{'name':'A','value':'1'},{'name':'B','valueFrom':{'fieldRef':{'fieldPath':"
      "'metadata.name'}}}],"
      "'resources':{'requests':{'cpu':'100m','memory':'128Mi'}},"
      "'volumeMounts':[{'name':'data','mountPath':'/data'}],"
      "'terminationMessagePath':'/dev/termination-log','imagePullPolicy':'IfNotPresent'},"
      "{'name':'side','image':'busybox','args':['sleep','1']}],"
      "'volumes':[{'name':'data','emptyDir':{}}],"
      "'tolerations':[{'key':'node.kubernetes.io/not-ready','operator':'Exists',"
      "'effect':'NoExecute','tolerationSeconds':300}],"
      "'nodeSelector':{'disk':'ssd'},'restartPolicy':'Always','dnsPolicy':'ClusterFirst',"
      "'securityContext':{},'schedulerName':'default-scheduler','priority':0},"
      "'status':{'phase':'Running','conditions':[{'type':'Ready','status':'True'}]}}";

const char *kPodChanged
    = "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'web-0','namespace':'default',"
      "'labels':{'app':'web','pod-template-hash':'7d9c4b0','tier':'backend','new':'x'},"
      "'finalizers':['b','c']},"
      "'spec':{'containers':[{'name':'web','image':'registry.local/web:1.5.0',"
      "'ports':[{'containerPort':8080,'protocol':'TCP'},{'containerPort':9091}],"
      "'env':[{'name':'B','value':'2'}],"
      "'resources':{'requests':{'cpu':'200m'}},'volumeMounts':null,"
      "'terminationMessagePath':'/dev/termination-log','imagePullPolicy':'IfNotPresent'},"
      "{'name':'extra','image':'busybox'}],"
      "'volumes':[],'nodeSelector':{'disk':'hdd'},'restartPolicy':'Always',"
      "'dnsPolicy':'ClusterFirst','securityContext':{'runAsUser':1},"
      "'schedulerName':'default-scheduler','priority':'0'},"
      "'status':null}";

const char *kDeployment
    = "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},"
      "'spec':{'replicas':2,'selector':{'matchLabels':{'app':'web'}},'strategy':{"
      "'type':'RollingUpdate','rollingUpdate':{'maxSurge':'25%'}},"
      "'template':{'metadata':{'labels':{'app':'web'}},'spec':{'containers':[{'name':'web',"
      "'image':'nginx','ports':[{'containerPort':80}]}]}}}}";

const char *kDeploymentChanged
    = "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},"
      "'spec':{'replicas':3,'selector':{'matchLabels':{'app':'web','v':'2'}},'strategy':{"
      "'type':'Recreate'},"
      "'template':{'metadata':{'labels':{'app':'web'}},'spec':{'containers':[{'name':'web',"
      "'image':'nginx:2','ports':[{'containerPort':80},{'containerPort':443}]},"
      "{'name':'log','image':'fluent'}]}}}}";

const char *kService = "{'apiVersion':'v1','kind':'Service','metadata':{'name':'web'},"
                       "'spec':{'selector':{'app':'web'},'ports':[{'port':80,'targetPort':8080},"
                       "{'port':53,'protocol':'UDP','name':'dns'}],'type':'ClusterIP'}}";

const char *kServiceChanged
    = "{'apiVersion':'v1','kind':'Service','metadata':{'name':'web'},"
      "'spec':{'selector':{'app':'api'},'ports':[{'port':80,'protocol':'TCP','targetPort':9090},"
      "{'port':53,'protocol':'TCP'}],'type':'NodePort'}}";

const char *kWidget = "{'apiVersion':'example.com/v1','kind':'Widget','metadata':{'name':'w'},"
                      "'spec':{'ports':[{'name':'http','port':80,'hosts':['a','b']},{'port':1}],"
                      "'pairs':[{'a':'x','b':1},{'a':'y'}],'tags':['t1','t2'],'args':['1'],"
                      "'routes':{'r1':[1,2],'r2':[3]},'selector':{'k':'v'}}}";

const char *kWidgetChanged
    = "{'apiVersion':'example.com/v1','kind':'Widget','metadata':{'name':'w'},"
      "'spec':{'ports':[{'name':'http','port':81,'hosts':['b','c']},{'name':'grpc'}],"
      "'pairs':[{'a':'x','b':1,'c':true},{'a':'y','b':2}],'tags':'none','args':['1','2'],"
      "'routes':{'r1':[2,1],'r3':[]},'selector':{'k':'w'}}}";

} // namespace

class TestFieldSet final : public QObject
{
    Q_OBJECT

private slots:
    void fieldsV1RoundTrip_data()
    {
        QTest::addColumn<QString>("fields");
        QTest::newRow("leaves") << "{\"f:spec\":{\"f:replicas\":{}}}";
        QTest::newRow("member with children")
            << "{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:app\":{}}}}";
        QTest::newRow("keyed item") << "{\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":"
                                       "\\\"web\\\"}\":{\".\":{},\"f:image\":{}}}}}";
        QTest::newRow("set item") << "{\"f:metadata\":{\"f:finalizers\":{\"v:\\\"a\\\"\":{}}}}";
    }
    void fieldsV1RoundTrip()
    {
        QFETCH(QString, fields);
        const json input = json::parse(fields.toStdString());
        auto set = FieldSet::fromFieldsV1(input);
        QVERIFY2(set, fields.toUtf8());
        QVERIFY2(set->toFieldsV1() == input, qPrintable(show(set->toFieldsV1())));
    }

    void fieldsV1Rejected_data()
    {
        QTest::addColumn<QString>("fields");
        QTest::newRow("not an object") << "[1]";
        QTest::newRow("unknown element kind") << "{\"x:spec\":{}}";
        QTest::newRow("key not json") << "{\"k:{name\":{}}";
        QTest::newRow("key not an object") << "{\"k:3\":{}}";
        QTest::newRow("child not an object") << "{\"f:spec\":1}";
    }
    void fieldsV1Rejected()
    {
        QFETCH(QString, fields);
        auto set = FieldSet::fromFieldsV1(json::parse(fields.toStdString()));
        QVERIFY(!set);
        QCOMPARE(set.error().code(), kd::core::util::Error::Code::Decode);
    }

    void pathString_data()
    {
        QTest::addColumn<QStringList>("path");
        QTest::addColumn<QString>("expected");
        QTest::newRow("field") << QStringList{"f:spec", "f:replicas"} << ".spec.replicas";
        QTest::newRow("keyed") << QStringList{"f:spec", "f:containers", "k:{\"name\":\"web\"}",
                                              "f:image"}
                               << ".spec.containers[name=\"web\"].image";
        QTest::newRow("two keys") << QStringList{"f:ports",
                                                 "k:{\"containerPort\":80,\"protocol\":\"TCP\"}"}
                                  << ".ports[containerPort=80,protocol=\"TCP\"]";
        QTest::newRow("set value") << QStringList{"f:metadata", "f:finalizers", "v:\"a\""}
                                   << ".metadata.finalizers[=\"a\"]";
        QTest::newRow("index") << QStringList{"f:items", "i:3"} << ".items[3]";
    }
    void pathString()
    {
        QFETCH(QStringList, path);
        QFETCH(QString, expected);
        FieldSet::Path p;
        for (const QString &element : path)
            p.push_back(element.toStdString());
        QCOMPARE(QString::fromStdString(FieldSet::pathString(p)), expected);
    }

    void setOperations_data()
    {
        QTest::addColumn<QString>("a");
        QTest::addColumn<QString>("b");
        QTest::addColumn<QString>("op");
        QTest::addColumn<QString>("expected");
        const char *a = "{\"f:spec\":{\"f:replicas\":{},\"f:paused\":{}}}";
        const char *b = "{\"f:spec\":{\"f:replicas\":{},\"f:template\":{\"f:x\":{}}}}";
        QTest::newRow("union")
            << a << b << "union"
            << "{\"f:spec\":{\"f:paused\":{},\"f:replicas\":{},\"f:template\":{\"f:x\":{}}}}";
        QTest::newRow("difference") << a << b << "difference"
                                    << "{\"f:spec\":{\"f:paused\":{}}}";
        QTest::newRow("intersection") << a << b << "intersection"
                                      << "{\"f:spec\":{\"f:replicas\":{}}}";
        QTest::newRow("difference keeps children of a removed member")
            << "{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:app\":{}}}}"
            << "{\"f:metadata\":{\"f:labels\":{}}}"
            << "difference"
            << "{\"f:metadata\":{\"f:labels\":{\"f:app\":{}}}}";
        QTest::newRow("difference to empty") << a << a << "difference"
                                             << "{}";
    }
    void setOperations()
    {
        QFETCH(QString, a);
        QFETCH(QString, b);
        QFETCH(QString, op);
        QFETCH(QString, expected);
        const FieldSet x = parse(a.toUtf8().constData());
        const FieldSet y = parse(b.toUtf8().constData());
        const FieldSet result = op == "union"        ? x.united(y)
                                : op == "difference" ? x.difference(y)
                                                     : x.intersection(y);
        QVERIFY2(result.toFieldsV1() == json::parse(expected.toStdString()),
                 qPrintable(show(result.toFieldsV1())));
        QCOMPARE(result.empty(), expected == "{}");
    }

    void fromObject()
    {
        const json deployment = json::parse(
            "{"
            "\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\","
            "\"metadata\": {\"name\": \"web\", \"labels\": {\"app\": \"web\"}, \"finalizers\": "
            "[\"a\"]},"
            "\"spec\": {\"replicas\": 2, \"selector\": {\"matchLabels\": {\"app\": \"web\"}},"
            "\"template\": {\"spec\": {\"containers\": ["
            "{\"name\": \"web\", \"image\": \"nginx\", \"args\": [\"a\", \"b\"],"
            "\"ports\": [{\"containerPort\": 80}]}]}}}}");
        const FieldSet set
            = FieldSet::fromObject(deployment, api::managedfields::schemaFor(deployments()));
        const json expected = json::parse(
            "{"
            "\"f:apiVersion\": {}, \"f:kind\": {},"
            "\"f:metadata\": {\"f:name\": {}, \"f:labels\": {\"f:app\": {}},"
            "\"f:finalizers\": {\"v:\\\"a\\\"\": {}}},"
            "\"f:spec\": {\"f:replicas\": {}, \"f:selector\": {},"
            "\"f:template\": {\"f:spec\": {\"f:containers\": {\"k:{\\\"name\\\":\\\"web\\\"}\": {"
            "\".\": {}, \"f:name\": {}, \"f:image\": {}, \"f:args\": {},"
            "\"f:ports\": {\"k:{\\\"containerPort\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\": {"
            "\".\": {}, \"f:containerPort\": {}}}}}}}}}");
        QVERIFY2(set.toFieldsV1() == expected, qPrintable(show(set.toFieldsV1())));
    }

    void compareMarksAddedMaps()
    {
        const json before = json::parse("{\"metadata\":{},\"spec\":{\"replicas\":1}}");
        const json after = json::parse("{\"metadata\":{\"labels\":{\"app\":\"x\"}},\"spec\":{"
                                       "\"replicas\":2,\"strategy\":{}}}");
        const auto diff
            = api::compareObjects(before, after, api::managedfields::schemaFor(deployments()));
        QVERIFY2(diff.added.toFieldsV1()
                     == json::parse("{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:app\":{}}},\"f:"
                                    "spec\":{\"f:strategy\":{}}}"),
                 qPrintable(show(diff.added.toFieldsV1())));
        QVERIFY2(diff.modified.toFieldsV1() == json::parse("{\"f:spec\":{\"f:replicas\":{}}}"),
                 qPrintable(show(diff.modified.toFieldsV1())));
        QVERIFY(diff.removed.empty());
        const auto back
            = api::compareObjects(after, before, api::managedfields::schemaFor(deployments()));
        QVERIFY2(back.removed.toFieldsV1() == diff.added.toFieldsV1(),
                 qPrintable(show(back.removed.toFieldsV1())));
    }

    // The comparison builds its sets through cursors and combines them in place; these cases
    // hold it to the straightforward algorithm on realistic objects, both directions, including
    // creates from the kind's zero object.
    void compareMatchesReference_data()
    {
        QTest::addColumn<QString>("group");
        QTest::addColumn<QString>("resource");
        QTest::addColumn<QString>("before");
        QTest::addColumn<QString>("after");
        QTest::newRow("pod create") << ""
                                    << "pods"
                                    << "zero" << kPod;
        QTest::newRow("pod update") << ""
                                    << "pods" << kPod << kPodChanged;
        QTest::newRow("deployment create") << "apps"
                                           << "deployments"
                                           << "zero" << kDeployment;
        QTest::newRow("deployment update") << "apps"
                                           << "deployments" << kDeployment << kDeploymentChanged;
        QTest::newRow("service update") << ""
                                        << "services" << kService << kServiceChanged;
        QTest::newRow("custom resource create") << "example.com"
                                                << "widgets"
                                                << "zero" << kWidget;
        QTest::newRow("custom resource update") << "example.com"
                                                << "widgets" << kWidget << kWidgetChanged;
        QTest::newRow("kind change") << ""
                                     << "pods" << kPod << kDeployment;
    }
    void compareMatchesReference()
    {
        QFETCH(QString, group);
        QFETCH(QString, resource);
        QFETCH(QString, before);
        QFETCH(QString, after);
        const api::ResourceInfo info
            = group == "example.com"
                  ? widgets()
                  : builtin(group.toUtf8().constData(), resource.toUtf8().constData());
        const api::FieldSchema schema = api::managedfields::schemaFor(info);
        const json a = before == "zero" ? api::managedfields::zeroObject(info)
                                        : J(before.toUtf8().constData());
        const json b = J(after.toUtf8().constData());
        for (const bool reversed : {false, true}) {
            const json &x = reversed ? b : a;
            const json &y = reversed ? a : b;
            const auto fast = api::compareObjects(x, y, schema);
            const auto slow = referenceCompare(x, y, schema);
            QVERIFY2(!slow.added.empty() || !slow.removed.empty(), "a case without changes");
            QVERIFY2(fast.added == slow.added, qPrintable(show(fast.added.toFieldsV1())));
            QVERIFY2(fast.modified == slow.modified, qPrintable(show(fast.modified.toFieldsV1())));
            QVERIFY2(fast.removed == slow.removed, qPrintable(show(fast.removed.toFieldsV1())));
            QVERIFY(fast.added.members() == slow.added.members());

            // Skipped members count as absent: a subtree skipped on both sides is a diff with
            // that prefix erased; the managedFields of `before` as if it were not there.
            std::vector<const json *> statuses;
            for (const json *side : {&x, &y}) {
                if (side->contains("status"))
                    statuses.push_back(&(*side)["status"]);
            }
            const auto withoutStatus = api::compareObjects(x, y, schema, statuses);
            for (const auto &[got, all] : {std::pair{&withoutStatus.added, &fast.added},
                                           std::pair{&withoutStatus.modified, &fast.modified},
                                           std::pair{&withoutStatus.removed, &fast.removed}}) {
                QVERIFY2(*got == referenceWithout(*all, {"f:status"}),
                         qPrintable(show(got->toFieldsV1())));
            }
            // (A `before` without metadata would change shape by getting one.)
            if (!x.contains("metadata"))
                continue;
            json withEntries = x;
            withEntries["metadata"]["managedFields"]
                = J("[{'manager':'m','operation':'Update','fieldsType':'FieldsV1',"
                    "'fieldsV1':{'f:spec':{}}}]");
            const auto skipped = api::compareObjects(withEntries, y, schema,
                                                     {&withEntries["metadata"]["managedFields"]});
            QVERIFY(skipped.added == fast.added);
            QVERIFY(skipped.modified == fast.modified);
            QVERIFY(skipped.removed == fast.removed);
            const auto unskipped = api::compareObjects(withEntries, y, schema);
            QVERIFY2(unskipped.removed.containsPrefix({"f:metadata", "f:managedFields"}),
                     "the test's managedFields must otherwise count as removed");
        }

        // Set operations, copying and in place, against their definition over members.
        const auto diff = api::compareObjects(a, b, schema);
        const FieldSet whole = FieldSet::fromObject(b, schema);
        const std::vector<std::pair<FieldSet, FieldSet>> pairs
            = {{whole, diff.added},        {diff.added, whole},
               {whole, diff.modified},     {diff.removed, whole},
               {diff.added, diff.removed}, {whole, FieldSet()},
               {FieldSet(), whole},        {whole, whole}};
        for (const auto &[x, y] : pairs) {
            const FieldSet united = referenceUnion(x, y);
            const FieldSet difference = referenceDifference(x, y);
            QVERIFY2(x.united(y) == united, qPrintable(show(x.united(y).toFieldsV1())));
            QVERIFY2(x.difference(y) == difference, qPrintable(show(x.difference(y).toFieldsV1())));
            FieldSet inPlace = x;
            inPlace.uniteWith(y);
            QVERIFY(inPlace == united);
            FieldSet moved = x;
            FieldSet source = y;
            moved.uniteWith(std::move(source));
            QVERIFY(moved == united);
            FieldSet subtracted = x;
            subtracted.subtract(y);
            QVERIFY(subtracted == difference);
            QCOMPARE(subtracted.empty(), difference.members().empty());
            QVERIFY(subtracted.toFieldsV1() == difference.toFieldsV1());
        }
        // A set combined with itself.
        FieldSet self = whole;
        self.uniteWith(std::move(self));
        QVERIFY(self == whole);
        self.uniteWith(self);
        QVERIFY(self == whole);
        self.subtract(self);
        QVERIFY(self.empty());
        for (const FieldSet::Path &prefix :
             std::vector<FieldSet::Path>{{"f:spec"},
                                         {"f:metadata", "f:labels"},
                                         {"f:metadata", "f:name"},
                                         {"f:spec", "f:nothing", "f:here"}}) {
            FieldSet erased = whole;
            erased.erasePrefix(prefix);
            QVERIFY2(erased == referenceWithout(whole, prefix),
                     qPrintable(show(erased.toFieldsV1())));
        }
        // FieldsV1 round trip of a realistic set.
        auto back = FieldSet::fromFieldsV1(whole.toFieldsV1());
        QVERIFY(back);
        QVERIFY(*back == whole);
    }

    void elementsMatchReference()
    {
        const std::vector<std::vector<std::string>> keySets = {{"name"},
                                                               {"containerPort", "protocol"},
                                                               {"port", "protocol"},
                                                               {"b", "a"},
                                                               {"a", "a"},
                                                               {"missing"},
                                                               {"protocol"},
                                                               {"x y", "q\"uote"}};
        const json items
            = J("[{'name':'web'},{'name':'caf\u00e9 \\\\ \\\"q\\\" \\n\\t'},{'name':null},"
                "{'containerPort':8080},{'containerPort':53,'protocol':'UDP'},{'port':1.5},"
                "{'a':1,'b':true},{'a':{'z':[1,'x'],'a':null}},{'b':-3},{'x y':'1','q\\\"uote':2},"
                "{},{'other':1},[1],'text',7]");
        int keyed = 0;
        for (const json &item : items) {
            for (const auto &keys : keySets) {
                const std::string fast = FieldSet::keyElement(item, keys);
                QCOMPARE(QString::fromStdString(fast),
                         QString::fromStdString(referenceKeyElement(item, keys)));
                keyed += fast.empty() ? 0 : 1;
            }
            QCOMPARE(QString::fromStdString(FieldSet::valueElement(item)),
                     QString::fromStdString(referenceValueElement(item)));
        }
        QVERIFY(keyed > 10);
        // Invalid UTF-8 is replaced the same way.
        const json broken = std::string("a\xff");
        QCOMPARE(QString::fromStdString(FieldSet::valueElement(broken)),
                 QString::fromStdString(referenceValueElement(broken)));
    }

    void fieldsV1ElementBodies_data()
    {
        QTest::addColumn<QString>("fields");
        QTest::addColumn<bool>("valid");
        QTest::newRow("key object") << "{\"k:{\\\"a\\\":1}\":{}}" << true;
        QTest::newRow("key object with spaces") << "{\"k: {\\\"a\\\":1} \":{}}" << true;
        QTest::newRow("key array") << "{\"k:[1]\":{}}" << false;
        QTest::newRow("key string") << "{\"k:\\\"a\\\"\":{}}" << false;
        QTest::newRow("key trailing garbage") << "{\"k:{\\\"a\\\":1}x\":{}}" << false;
        QTest::newRow("key empty") << "{\"k:\":{}}" << false;
        QTest::newRow("value string") << "{\"v:\\\"a\\\"\":{}}" << true;
        QTest::newRow("value number") << "{\"v:3\":{}}" << true;
        QTest::newRow("value object") << "{\"v:{}\":{}}" << true;
        QTest::newRow("value not json") << "{\"v:abc\":{}}" << false;
        QTest::newRow("value empty") << "{\"v:\":{}}" << false;
    }
    void fieldsV1ElementBodies()
    {
        QFETCH(QString, fields);
        QFETCH(bool, valid);
        const auto set = FieldSet::fromFieldsV1(json::parse(fields.toStdString()));
        QCOMPARE(bool(set), valid);
    }
};

QTEST_GUILESS_MAIN(TestFieldSet)
#include "tst_fieldset.moc"
