#include <core/api/fieldselector.h>
#include <core/api/labelselector.h>

#include <nlohmann/json.hpp>

#include <QTest>

using kd::core::api::FieldSelector;
using kd::core::api::Labels;
using kd::core::api::LabelSelector;
using kd::core::util::Error;

Q_DECLARE_METATYPE(Labels)

namespace {

Labels labels(std::initializer_list<std::pair<const std::string, std::string>> init)
{
    return Labels(init);
}

} // namespace

class TestSelectors final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void labelSelectorMatches_data()
    {
        QTest::addColumn<QString>("selector");
        QTest::addColumn<Labels>("labels");
        QTest::addColumn<bool>("matches");

        const Labels web = labels({{"app", "web"}, {"tier", "frontend"}, {"replicas", "3"}});
        QTest::newRow("empty matches all") << "" << web << true;
        QTest::newRow("equals") << "app=web" << web << true;
        QTest::newRow("double equals") << "app==web" << web << true;
        QTest::newRow("equals other") << "app=db" << web << false;
        QTest::newRow("not equals") << "app!=db" << web << true;
        QTest::newRow("not equals absent key matches") << "missing!=x" << web << true;
        QTest::newRow("and") << "app=web,tier=frontend" << web << true;
        QTest::newRow("and one fails") << "app=web,tier=backend" << web << false;
        QTest::newRow("in") << "tier in (frontend, backend)" << web << true;
        QTest::newRow("in fails") << "tier in (backend,cache)" << web << false;
        QTest::newRow("notin") << "tier notin (backend)" << web << true;
        QTest::newRow("notin absent key matches") << "zone notin (a)" << web << true;
        QTest::newRow("exists") << "app" << web << true;
        QTest::newRow("exists fails") << "zone" << web << false;
        QTest::newRow("does not exist") << "!zone" << web << true;
        QTest::newRow("does not exist fails") << "!app" << web << false;
        QTest::newRow("greater") << "replicas>2" << web << true;
        QTest::newRow("less") << "replicas<2" << web << false;
        QTest::newRow("greater non-numeric label") << "app>2" << web << false;
        QTest::newRow("empty value selects empty label")
            << "flag=" << labels({{"flag", ""}}) << true;
        QTest::newRow("empty value does not select absent") << "flag=" << Labels() << false;
        QTest::newRow("prefixed key")
            << "app.kubernetes.io/name=web" << labels({{"app.kubernetes.io/name", "web"}}) << true;
        QTest::newRow("whitespace") << "  app = web ,  !zone " << web << true;
    }

    void labelSelectorMatches()
    {
        QFETCH(QString, selector);
        QFETCH(Labels, labels);
        QFETCH(bool, matches);
        const auto parsed = LabelSelector::parse(selector.toStdString());
        QVERIFY2(parsed.ok(), parsed.ok() ? "" : parsed.error().message().c_str());
        QCOMPARE(parsed->matches(labels), matches);
        // The canonical text means the same selector.
        const auto reparsed = LabelSelector::parse(parsed->toString());
        QVERIFY(reparsed.ok());
        QVERIFY(*reparsed == *parsed);
    }

    void labelSelectorRejects_data()
    {
        QTest::addColumn<QString>("selector");
        QTest::newRow("operator without key") << "=web";
        QTest::newRow("in without parenthesis") << "tier in frontend";
        QTest::newRow("unclosed set") << "tier in (a,b";
        QTest::newRow("double comma") << "a=b,,c=d";
        QTest::newRow("trailing comma") << "a=b,";
        QTest::newRow("bad key characters") << "a$b=c";
        QTest::newRow("key too long") << QString(64, QLatin1Char('k')) + "=v";
        QTest::newRow("bad value") << "a=-bad-";
        QTest::newRow("value too long") << "a=" + QString(64, QLatin1Char('v'));
        QTest::newRow("uppercase prefix") << "Example.COM/a=b";
        QTest::newRow("greater non-integer") << "a>b";
        QTest::newRow("two values") << "a=b c";
        QTest::newRow("not with operator") << "!a=b";
    }

    void labelSelectorRejects()
    {
        QFETCH(QString, selector);
        const auto parsed = LabelSelector::parse(selector.toStdString());
        QVERIFY(!parsed.ok());
        QCOMPARE(parsed.error().code(), Error::Code::BadRequest);
        QVERIFY2(parsed.error().message().find("unable to parse label selector")
                     != std::string::npos,
                 parsed.error().message().c_str());
    }

    void canonicalTextIsSortedByKey()
    {
        const auto parsed = LabelSelector::parse("z=1,a in (c,b,c),!m");
        QVERIFY(parsed.ok());
        QCOMPARE(QString::fromStdString(parsed->toString()), QStringLiteral("a in (b,c),!m,z=1"));
    }

    void labelSelectorFromJson()
    {
        const auto json = nlohmann::json::parse(R"({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["frontend", "edge"]},
                {"key": "canary", "operator": "DoesNotExist"}
            ]})");
        const auto selector = LabelSelector::fromJson(json);
        QVERIFY(selector.ok());
        QVERIFY(selector->matches(labels({{"app", "web"}, {"tier", "edge"}})));
        QVERIFY(!selector->matches(labels({{"app", "web"}, {"tier", "edge"}, {"canary", "1"}})));
        QVERIFY(!selector->matches(labels({{"app", "web"}})));
        QCOMPARE(QString::fromStdString(selector->toString()),
                 QStringLiteral("app=web,!canary,tier in (edge,frontend)"));

        QVERIFY(LabelSelector::fromJson(nlohmann::json::object())->empty());
        const auto noValues = LabelSelector::fromJson(nlohmann::json::parse(
            R"({"matchExpressions":[{"key":"a","operator":"In","values":[]}]})"));
        QVERIFY(!noValues.ok());
        QCOMPARE(noValues.error().code(), Error::Code::Invalid);
        const auto badOperator = LabelSelector::fromJson(nlohmann::json::parse(
            R"({"matchExpressions":[{"key":"a","operator":"Like","values":["x"]}]})"));
        QVERIFY(!badOperator.ok());
        const auto valuesWithExists = LabelSelector::fromJson(nlohmann::json::parse(
            R"({"matchExpressions":[{"key":"a","operator":"Exists","values":["x"]}]})"));
        QVERIFY(!valuesWithExists.ok());
        QVERIFY(!LabelSelector::fromJson(nlohmann::json::parse(R"({"matchLabels":{"a":1}})")).ok());
    }

    void matchesJsonLabels()
    {
        const auto selector = LabelSelector::parse("app=web");
        QVERIFY(selector.ok());
        QVERIFY(selector->matchesJsonLabels(nlohmann::json::parse(R"({"app":"web"})")));
        QVERIFY(!selector->matchesJsonLabels(nlohmann::json()));
        QVERIFY(LabelSelector().matchesJsonLabels(nlohmann::json()));
    }

    void fieldSelectorMatches_data()
    {
        QTest::addColumn<QString>("selector");
        QTest::addColumn<bool>("matches");
        QTest::newRow("empty") << "" << true;
        QTest::newRow("equals") << "metadata.name=web-1" << true;
        QTest::newRow("double equals") << "metadata.name==web-1" << true;
        QTest::newRow("not equals") << "status.phase!=Running" << false;
        QTest::newRow("and") << "metadata.name=web-1,spec.nodeName=node1" << true;
        QTest::newRow("and fails") << "metadata.name=web-1,spec.nodeName=node2" << false;
        QTest::newRow("missing field is empty") << "spec.schedulerName=" << true;
        QTest::newRow("escaped comma") << R"(metadata.annotation=a\,b)" << true;
        QTest::newRow("empty terms skipped") << "metadata.name=web-1," << true;
    }

    void fieldSelectorMatches()
    {
        QFETCH(QString, selector);
        QFETCH(bool, matches);
        const std::map<std::string, std::string> fields{{"metadata.name", "web-1"},
                                                        {"spec.nodeName", "node1"},
                                                        {"status.phase", "Running"},
                                                        {"metadata.annotation", "a,b"}};
        const auto parsed = FieldSelector::parse(selector.toStdString());
        QVERIFY2(parsed.ok(), parsed.ok() ? "" : parsed.error().message().c_str());
        QCOMPARE(parsed->matches(fields), matches);
        const auto reparsed = FieldSelector::parse(parsed->toString());
        QVERIFY(reparsed.ok());
        QVERIFY(*reparsed == *parsed);
    }

    void fieldSelectorRejects_data()
    {
        QTest::addColumn<QString>("selector");
        QTest::newRow("no operator") << "metadata.name";
        QTest::newRow("bang alone") << "metadata.name!web";
        QTest::newRow("empty field") << "=web";
        QTest::newRow("bad escape") << R"(metadata.name=a\b)";
        QTest::newRow("dangling escape") << "metadata.name=a\\";
    }

    void fieldSelectorRejects()
    {
        QFETCH(QString, selector);
        const auto parsed = FieldSelector::parse(selector.toStdString());
        QVERIFY(!parsed.ok());
        QCOMPARE(parsed.error().code(), Error::Code::BadRequest);
    }

    void fieldSelectorRequiredValue()
    {
        const auto parsed = FieldSelector::parse("spec.nodeName=node1,status.phase!=Failed");
        QVERIFY(parsed.ok());
        QVERIFY(parsed->requiredValue("spec.nodeName"));
        QCOMPARE(*parsed->requiredValue("spec.nodeName"), std::string("node1"));
        QVERIFY(!parsed->requiredValue("status.phase"));
    }
};

QTEST_GUILESS_MAIN(TestSelectors)
#include "tst_selectors.moc"
