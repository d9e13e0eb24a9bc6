// CompactJson, the informer cache's object representation: what goes in comes out unchanged,
// navigation never throws, and bad text is a Decode error.

// moc cannot parse some C++20 library headers; it only needs the Q_OBJECT class.
#ifndef Q_MOC_RUN
#include <core/api/compactjson.h>

#include <nlohmann/json.hpp>

#include <limits>
#endif

#include <QTest>

using kd::core::api::CompactJson;
using kd::core::api::JsonView;
using kd::core::util::Error;

namespace {

std::string repeated(char c, std::size_t n)
{
    return std::string(n, c);
}

} // namespace

class TestCompactJson final : public QObject
{
    Q_OBJECT

private slots:
    void roundTripsEveryJsonValue_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("pod") << QString::fromStdString(
            nlohmann::json{{"apiVersion", "v1"},
                           {"kind", "Pod"},
                           {"metadata",
                            {{"name", "web-1"},
                             {"namespace", "default"},
                             {"labels", {{"app", "web"}, {"custom.example.com/x", "y"}}},
                             {"ownerReferences",
                              {{{"kind", "ReplicaSet"}, {"uid", "u1"}, {"controller", true}}}}}},
                           {"spec", {{"containers", {{{"name", "c"}, {"image", "nginx"}}}}}}}
                .dump());
        QTest::newRow("scalars") << QString::fromStdString(nlohmann::json{
            {"null", nullptr},
            {"t", true},
            {"f", false},
            {"negative", -42},
            {"zero", 0},
            {"huge", 18446744073709551615ULL},
            {"min", std::numeric_limits<std::int64_t>::min()},
            {"float", 2.5},
            {"tiny", 1e-300}}.dump());
        QTest::newRow("empty containers") << QString::fromStdString(
            nlohmann::json{{"o", nlohmann::json::object()}, {"a", nlohmann::json::array()}}.dump());
        QTest::newRow("escapes and unicode") << QString::fromStdString(nlohmann::json{
            {"s", "quote \" backslash \\ newline \n tab \t nul-free \xc3\xa9 \xe2\x82\xac"},
            {"k\xc3\xa9y", "v"}}.dump());
        QTest::newRow("long strings") << QString::fromStdString(nlohmann::json{
            {"long", repeated('x', 70000)},
            {"array", {repeated('y', 300), ""}}}.dump());
        QTest::newRow("nested arrays") << QStringLiteral("[[1,[2,[3,[]]]],{\"a\":[{}]}]");
        QTest::newRow("top-level scalar") << QStringLiteral("\"just a string\"");
    }

    void roundTripsEveryJsonValue()
    {
        QFETCH(QString, text);
        const nlohmann::json expected = nlohmann::json::parse(text.toStdString());
        auto parsed = CompactJson::parse(text.toStdString());
        QVERIFY2(parsed.ok(), parsed.ok() ? "" : parsed.error().message().c_str());
        QVERIFY2((*parsed)->toJson() == expected, (*parsed)->dump().c_str());
        // The nlohmann route builds the same document.
        const auto converted = CompactJson::fromJson(expected);
        QVERIFY(converted);
        QVERIFY(*converted == **parsed);
        QVERIFY(converted->toJson() == expected);
    }

    void navigationReadsValuesAndNeverThrows()
    {
        const auto pod
            = CompactJson::fromJson({{"metadata",
                                      {{"name", "web-1"},
                                       {"labels", {{"app", "web"}, {"pod-template-hash", "abc"}}},
                                       {"generation", 3},
                                       {"ownerReferences", {{{"uid", "u1"}}, {{"uid", "u2"}}}}}},
                                     {"status", {{"ready", true}, {"ratio", 0.5}}}});
        QCOMPARE(pod->root()["metadata"]["name"].toString(), std::string("web-1"));
        QCOMPARE((*pod)["metadata"]["labels"]["pod-template-hash"].string(),
                 std::string_view("abc"));
        QCOMPARE((*pod)["metadata"]["generation"].integer(), std::int64_t(3));
        QCOMPARE((*pod)["status"]["ratio"].number(), 0.5);
        QVERIFY((*pod)["status"]["ready"].boolean());
        QCOMPARE((*pod)["metadata"]["ownerReferences"].size(), std::size_t(2));
        QCOMPARE((*pod)["metadata"]["ownerReferences"][1]["uid"].toString(), std::string("u2"));

        // Missing members, wrong types and out-of-range indexes give empty views and fallbacks.
        QVERIFY(!(*pod)["spec"].exists());
        QVERIFY(!(*pod)["spec"]["nodeName"]["deeper"].exists());
        QCOMPARE((*pod)["spec"]["nodeName"].string("none"), std::string_view("none"));
        QCOMPARE((*pod)["metadata"]["name"].integer(7), std::int64_t(7));
        QVERIFY(!(*pod)["metadata"]["name"][0].exists());
        QVERIFY(!(*pod)["metadata"]["ownerReferences"][2].exists());
        QVERIFY(!(*pod)["metadata"]["ownerReferences"]["uid"].exists());
        QCOMPARE((*pod)["metadata"]["labels"].size(), std::size_t(2));
        QVERIFY((*pod)["metadata"].contains("labels"));
        QVERIFY(!(*pod)["metadata"].contains("annotations"));
        QCOMPARE((*pod)["metadata"].keyAt(99), std::string_view());
        QVERIFY(!(*pod)["metadata"].valueAt(99).exists());
        QVERIFY(JsonView().toJson().is_null());

        // Members in document order.
        const JsonView labels = (*pod)["metadata"]["labels"];
        QCOMPARE(labels.keyAt(0), std::string_view("app"));
        QCOMPARE(labels.valueAt(1).string(), std::string_view("abc"));
    }

    void equalityIgnoresMemberOrder()
    {
        auto a = CompactJson::parse("{\"a\":1,\"b\":[true,null],\"c\":{\"x\":\"y\"}}");
        auto b = CompactJson::parse("{\"c\":{\"x\":\"y\"},\"b\":[true,null],\"a\":1.0}");
        auto c = CompactJson::parse("{\"a\":1,\"b\":[true,null],\"c\":{\"x\":\"z\"}}");
        QVERIFY(a.ok() && b.ok() && c.ok());
        QVERIFY(**a == **b);
        QVERIFY(!(**a == **c));
    }

    void badTextIsADecodeError_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("empty") << QString();
        QTest::newRow("truncated") << QStringLiteral("{\"a\":[1,2");
        QTest::newRow("trailing garbage") << QStringLiteral("{} x");
        QTest::newRow("bare word") << QStringLiteral("nope");
        QTest::newRow("bad escape") << QStringLiteral("{\"a\":\"\\q\"}");
    }

    void badTextIsADecodeError()
    {
        QFETCH(QString, text);
        auto parsed = CompactJson::parse(text.toStdString());
        QVERIFY(!parsed.ok());
        QCOMPARE(parsed.error().code(), Error::Code::Decode);
    }

    void storesPodMetadataInAboutItsTextSize()
    {
        // The point of the representation: no per-member allocations, common names not stored.
        const nlohmann::json pod = {{"metadata",
                                     {{"name", "web-7d9c4b-x2x7q"},
                                      {"namespace", "production"},
                                      {"uid", "3f1c2b6e-0000-4000-8000-100000000001"},
                                      {"resourceVersion", "12345"},
                                      {"creationTimestamp", "2026-11-29T04:47:54Z"},
                                      {"labels", {{"app", "web"}, {"pod-template-hash", "7d9c4b"}}},
                                      {"ownerReferences",
                                       {{{"apiVersion", "apps/v1"},
                                         {"kind", "ReplicaSet"},
                                         {"name", "web-7d9c4b"},
                                         {"uid", "9a8b7c6d-0000-4000-8000-000000000001"},
                                         {"controller", true},
                                         {"blockOwnerDeletion", true}}}}}}};
        // About the size of its JSON text (416 bytes here), where the nlohmann tree takes ~2.5 KB:
        // what keeps a metadata informer under 2 KB per object.
        const auto compact = CompactJson::fromJson(pod);
        QVERIFY2(compact->storageBytes() <= 512, std::to_string(compact->storageBytes()).c_str());
    }
};

QTEST_GUILESS_MAIN(TestCompactJson)
#include "tst_compactjson.moc"
