#include <localcluster/apiserver/resourcecatalog.h>
#include <localcluster/apiserver/rest/managedfields.h>
#include <localcluster/apiserver/rest/serversideapply.h>

#include <nlohmann/json.hpp>

#include <QTest>

using kd::core::util::Error;
using nlohmann::json;
namespace api = kd::lc::apiserver;
namespace mf = api::managedfields;
namespace ssa = api::serversideapply;

namespace {

// JSON written with ' for " and ` for \" so that test tables stay readable (and moc-safe).
json J(const char *text)
{
    std::string s(text);
    std::string out;
    for (char c : s) {
        if (c == '\'')
            out += '"';
        else if (c == '`')
            out += "\\\"";
        else
            out += c;
    }
    return json::parse(out);
}

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

mf::WriteScope scope(const std::string &manager, const std::string &time = "2026-01-01T00:00:00Z")
{
    return mf::scopeFor(deployments(), "", manager, time);
}

json deployment(int replicas, const char *image)
{
    return {{"apiVersion", "apps/v1"},
            {"kind", "Deployment"},
            {"metadata", {{"name", "web"}, {"namespace", "default"}}},
            {"spec",
             {{"replicas", replicas},
              {"template", {{"spec", {{"containers", {{{"name", "web"}, {"image", image}}}}}}}}}}};
}

json entries(const json &object)
{
    return object.value("/metadata/managedFields"_json_pointer, json::array());
}

} // namespace

class TestApplyMerge final : public QObject
{
    Q_OBJECT

private slots:
    void merge_data()
    {
        QTest::addColumn<QString>("live");
        QTest::addColumn<QString>("config");
        QTest::addColumn<QString>("expected");
        QTest::newRow("maps merge, null removes")
            << "{'metadata':{'labels':{'a':'1','b':'2'}},'spec':{'paused':true}}"
            << "{'metadata':{'labels':{'b':'3','c':'4'}},'spec':{'paused':null}}"
            << "{'metadata':{'labels':{'a':'1','b':'3','c':'4'}},'spec':{}}";
        QTest::newRow("keyed list merges items, keeps live-only items in place")
            << "{'spec':{'template':{'spec':{'containers':[{'name':'a','image':'x','tty':true},"
               "{'name':'b','image':'y'}]}}}}"
            << "{'spec':{'template':{'spec':{'containers':[{'name':'c','image':'z'},"
               "{'name':'a','image':'w'}]}}}}"
            << "{'spec':{'template':{'spec':{'containers':[{'name':'c','image':'z'},"
               "{'name':'a','image':'w','tty':true},{'name':'b','image':'y'}]}}}}";
        QTest::newRow("set list unions values") << "{'metadata':{'finalizers':['a','b']}}"
                                                << "{'metadata':{'finalizers':['c','a']}}"
                                                << "{'metadata':{'finalizers':['c','a','b']}}";
        QTest::newRow("atomic list replaced")
            << "{'spec':{'template':{'spec':{'containers':[{'name':'a','args':['1','2']}]}}}}"
            << "{'spec':{'template':{'spec':{'containers':[{'name':'a','args':['3']}]}}}}"
            << "{'spec':{'template':{'spec':{'containers':[{'name':'a','args':['3']}]}}}}";
        QTest::newRow("atomic selector replaced")
            << "{'spec':{'selector':{'matchLabels':{'a':'1'}}}}"
            << "{'spec':{'selector':{'matchLabels':{'b':'2'}}}}"
            << "{'spec':{'selector':{'matchLabels':{'b':'2'}}}}";
    }
    void merge()
    {
        QFETCH(QString, live);
        QFETCH(QString, config);
        QFETCH(QString, expected);
        const json merged = ssa::merge(J(live.toUtf8().constData()), J(config.toUtf8().constData()),
                                       mf::schemaFor(deployments()));
        QVERIFY2(merged == J(expected.toUtf8().constData()), qPrintable(show(merged)));
    }

    void applyCreatesWithApplyEntry()
    {
        auto created = ssa::apply(json(), deployment(2, "nginx"), scope("kubectl"), false);
        QVERIFY(created);
        const json list = entries(*created);
        QCOMPARE(list.size(), std::size_t(1));
        QVERIFY2(list[0]
                     == J("{'manager':'kubectl','operation':'Apply','apiVersion':'apps/v1',"
                          "'time':'2026-01-01T00:00:00Z','fieldsType':'FieldsV1','fieldsV1':"
                          "{'f:spec':{'f:replicas':{},'f:template':{'f:spec':{'f:containers':"
                          "{'k:{`name`:`web`}':{'.':{},'f:image':{},'f:name':{}}}}}}}}"),
                 qPrintable(show(list[0])));
    }

    // One object written by an Update manager, then applied by others: the table says what
    // the apply changes, whether it is forced, and what comes out.
    void conflicts_data()
    {
        QTest::addColumn<int>("replicas");
        QTest::addColumn<QString>("image");
        QTest::addColumn<bool>("force");
        QTest::addColumn<QString>("error");
        QTest::addColumn<QStringList>("causeFields");
        QTest::newRow("same values share ownership")
            << 2 << "nginx" << false << "" << QStringList{};
        QTest::newRow("one conflict")
            << 3 << "nginx" << false
            << "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using apps/v1: "
               ".spec.replicas"
            << QStringList{".spec.replicas"};
        QTest::newRow("two conflicts")
            << 3 << "httpd" << false
            << "Apply failed with 2 conflicts: conflicts with \"kubectl-edit\" using apps/v1:\n"
               "- .spec.replicas\n- .spec.template.spec.containers[name=\"web\"].image"
            << QStringList{".spec.replicas", ".spec.template.spec.containers[name=\"web\"].image"};
        QTest::newRow("force takes over") << 3 << "httpd" << true << "" << QStringList{};
    }
    void conflicts()
    {
        QFETCH(int, replicas);
        QFETCH(QString, image);
        QFETCH(bool, force);
        QFETCH(QString, error);
        QFETCH(QStringList, causeFields);

        json live = deployment(2, "nginx");
        QVERIFY(mf::recordUpdate(mf::zeroObject(deployments()), live, scope("kubectl-edit")));
        auto applied = ssa::apply(live, deployment(replicas, image.toUtf8().constData()),
                                  scope("kubectl", "2026-02-02T00:00:00Z"), force);
        if (!error.isEmpty()) {
            QVERIFY(!applied);
            QCOMPARE(applied.error().code(), Error::Code::Conflict);
            QCOMPARE(QString::fromStdString(applied.error().message()), error);
            QStringList fields;
            for (const auto &cause : applied.error().causes()) {
                QCOMPARE(QString::fromStdString(cause.reason), QString("FieldManagerConflict"));
                QCOMPARE(QString::fromStdString(cause.message),
                         QString("conflict with \"kubectl-edit\" using apps/v1"));
                fields << QString::fromStdString(cause.field);
            }
            QCOMPARE(fields, causeFields);
            return;
        }
        QVERIFY2(applied, applied ? "" : applied.error().message().c_str());
        QCOMPARE(applied->value("/spec/replicas"_json_pointer, 0), replicas);
        const json list = entries(*applied);
        const json &applyEntry = list.at(0);
        QCOMPARE(applyEntry.value("operation", ""), std::string("Apply"));
        QVERIFY(applyEntry.contains("/fieldsV1/f:spec/f:replicas"_json_pointer));
        const bool editorKeepsReplicas
            = list.size() > 1 && list[1].contains("/fieldsV1/f:spec/f:replicas"_json_pointer);
        // Shared when unchanged; taken away when forced.
        QCOMPARE(editorKeepsReplicas, !force);
        // Only a change moves the applier's time.
        QCOMPARE(applyEntry.value("time", ""), std::string(force ? "2026-02-02T00:00:00Z" : ""));
    }

    void droppedFieldsAreRemoved_data()
    {
        QTest::addColumn<bool>("otherOwner");
        QTest::newRow("owned by this manager only") << false;
        QTest::newRow("also owned by another manager") << true;
    }
    void droppedFieldsAreRemoved()
    {
        QFETCH(bool, otherOwner);
        json config = deployment(2, "nginx");
        config["metadata"]["labels"] = {{"app", "web"}, {"tier", "front"}};
        auto first = ssa::apply(json(), config, scope("kubectl"), false);
        QVERIFY(first);
        json live = *first;
        if (otherOwner) {
            auto second = ssa::apply(live, config, scope("other"), false);
            QVERIFY(second);
            live = *second;
        }
        config["metadata"]["labels"].erase("tier");
        auto again = ssa::apply(live, config, scope("kubectl"), false);
        QVERIFY(again);
        QCOMPARE(again->contains("/metadata/labels/tier"_json_pointer), otherOwner);
        QVERIFY(again->contains("/metadata/labels/app"_json_pointer));
    }

    // kubectl's migration leaves the applier owning a whole map ("." in FieldsV1); applying
    // fewer keys removes only the dropped ones.
    void droppedKeysOfAnOwnedMap()
    {
        json live = J("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'m',"
                      "'managedFields':[{'manager':'kubectl','operation':'Apply',"
                      "'apiVersion':'v1','fieldsType':'FieldsV1','fieldsV1':{'f:data':"
                      "{'.':{},'f:a':{},'f:b':{}}}}]},'data':{'a':'1','b':'2'}}");
        api::ResourceInfo configmaps;
        configmaps.version = "v1";
        configmaps.resource = "configmaps";
        configmaps.kind = "ConfigMap";
        auto applied
            = ssa::apply(live,
                         J("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'m'},"
                           "'data':{'a':'3'}}"),
                         mf::scopeFor(configmaps, "", "kubectl", "2026-01-01T00:00:00Z"), false);
        QVERIFY(applied);
        QVERIFY2(applied->value("data", json()) == J("{'a':'3'}"), qPrintable(show(*applied)));
    }

    void updateMovesOwnership()
    {
        json live = deployment(2, "nginx");
        QVERIFY(mf::recordUpdate(mf::zeroObject(deployments()), live, scope("kubectl-create")));
        json updated = live;
        updated["spec"]["replicas"] = 5;
        QVERIFY(mf::recordUpdate(live, updated, scope("kubectl-scale")));
        const json list = entries(updated);
        QCOMPARE(list.size(), std::size_t(2));
        QCOMPARE(list[0].value("manager", ""), std::string("kubectl-create"));
        QVERIFY(!list[0].contains("/fieldsV1/f:spec/f:replicas"_json_pointer));
        QVERIFY(list[0].contains("/fieldsV1/f:spec/f:template"_json_pointer));
        QVERIFY2(list[1].value("fieldsV1", json()) == J("{'f:spec':{'f:replicas':{}}}"),
                 qPrintable(show(list[1])));
    }

    void clientManagedFields_data()
    {
        QTest::addColumn<QString>("sent");
        QTest::addColumn<QString>("managers"); // what is stored afterwards
        QTest::addColumn<bool>("valid");
        QTest::newRow("absent keeps live") << ""
                                           << "kubectl-create" << true;
        QTest::newRow("empty list resets") << "[]"
                                           << "" << true;
        QTest::newRow("replaced by the client")
            << "[{'manager':'kubectl','operation':'Apply','apiVersion':'apps/v1',"
               "'fieldsType':'FieldsV1','fieldsV1':{'f:spec':{'f:replicas':{}}}}]"
            << "kubectl" << true;
        QTest::newRow("undecodable falls back to live")
            << "[{'manager':'x','operation':'Apply','fieldsV1':{}}]"
            << "kubectl-create" << true;
        QTest::newRow("bad operation is invalid")
            << "[{'manager':'x','operation':'Merge','fieldsType':'FieldsV1',"
               "'fieldsV1':{'f:spec':{}}}]"
            << "" << false;
    }
    void clientManagedFields()
    {
        QFETCH(QString, sent);
        QFETCH(QString, managers);
        QFETCH(bool, valid);
        json live = deployment(2, "nginx");
        QVERIFY(mf::recordUpdate(mf::zeroObject(deployments()), live, scope("kubectl-create")));
        json updated = live;
        if (sent.isEmpty())
            updated["metadata"].erase("managedFields");
        else
            updated["metadata"]["managedFields"] = J(sent.toUtf8().constData());
        auto recorded = mf::recordUpdate(live, updated, scope("kubectl-patch"));
        QCOMPARE(bool(recorded), valid);
        if (!valid) {
            QCOMPARE(recorded.error().code(), Error::Code::Invalid);
            QCOMPARE(QString::fromStdString(recorded.error().causes().at(0).field),
                     QString("metadata.managedFields[0].operation"));
            return;
        }
        QStringList stored;
        for (const json &entry : entries(updated))
            stored << QString::fromStdString(entry.value("manager", ""));
        QCOMPARE(stored.join(","), managers);
    }

    void managerNames_data()
    {
        QTest::addColumn<QString>("fieldManager");
        QTest::addColumn<QString>("userAgent");
        QTest::addColumn<QString>("expected"); // empty: rejected
        QTest::newRow("explicit") << "kubectl-edit"
                                  << "kubectl/v1.33.0"
                                  << "kubectl-edit";
        QTest::newRow("from user agent") << ""
                                         << "kubectl.1.33/v1.33.1 (linux/amd64) kubernetes/abc"
                                         << "kubectl.1.33";
        QTest::newRow("user agent without slash") << ""
                                                  << "curl"
                                                  << "curl";
        QTest::newRow("too long") << QString(129, 'm') << ""
                                  << "";
        QTest::newRow("non-printable") << "a\tb"
                                       << ""
                                       << "";
    }
    void managerNames()
    {
        QFETCH(QString, fieldManager);
        QFETCH(QString, userAgent);
        QFETCH(QString, expected);
        auto manager
            = mf::managerFor(fieldManager.toStdString(), userAgent.toStdString(), "PatchOptions");
        QCOMPARE(bool(manager), !expected.isEmpty());
        if (manager)
            QCOMPARE(QString::fromStdString(*manager), expected);
        else
            QVERIFY(manager.error().message().rfind("PatchOptions.meta.k8s.io \"\" is invalid: ", 0)
                    == 0);
    }

    void configurationChecks_data()
    {
        QTest::addColumn<QString>("body");
        QTest::addColumn<QString>("message"); // empty: accepted
        QTest::newRow("yaml accepted")
            << "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
            << "";
        QTest::newRow("wrong version")
            << "{\"apiVersion\":\"apps/v2\",\"kind\":\"Deployment\"}"
            << "Incorrect version specified in apply patch. Specified patch version: apps/v2, "
               "expected: apps/v1";
        QTest::newRow("managedFields sent")
            << "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
               "{\"managedFields\":[]}}"
            << "metadata.managedFields must be nil";
        QTest::newRow("not yaml") << "a: ["
                                  << "error decoding YAML: ";
    }
    void configurationChecks()
    {
        QFETCH(QString, body);
        QFETCH(QString, message);
        auto parsed = ssa::parseConfiguration(body.toStdString());
        kd::core::util::Result<void> checked
            = parsed ? ssa::checkConfiguration(*parsed, "apps/v1", "Deployment")
                     : kd::core::util::Result<void>(parsed.error());
        QCOMPARE(bool(checked), message.isEmpty());
        if (!checked) {
            QCOMPARE(checked.error().code(), Error::Code::BadRequest);
            QVERIFY2(QString::fromStdString(checked.error().message()).startsWith(message),
                     checked.error().message().c_str());
        }
    }
};

QTEST_GUILESS_MAIN(TestApplyMerge)
#include "tst_applymerge.moc"
