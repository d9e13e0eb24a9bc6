#include <localcluster/apiserver/resourcecatalog.h>
#include <localcluster/apiserver/rest/fieldset.h>
#include <localcluster/apiserver/rest/managedfields.h>

#include <nlohmann/json.hpp>

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
};

QTEST_GUILESS_MAIN(TestFieldSet)
#include "tst_fieldset.moc"
