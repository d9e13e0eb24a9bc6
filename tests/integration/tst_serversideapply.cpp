// Server-side apply and managedFields through the real kubectl 1.27, 1.30 and 1.33 against the
// in-process kubedesk API server: what `apply --server-side` prints, its conflicts and
// --force-conflicts, pruning of dropped fields, the managedFields `get --show-managed-fields`
// shows, and the client-side to server-side apply migration.

#include "kubectlrunner.h"
#include "testcluster.h"

#include <nlohmann/json.hpp>

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using nlohmann::json;

namespace {

QString deploymentYaml(const QString &ns, int replicas, const QString &image,
                       const QStringList &extraLabels = {})
{
    QString labels = "    app: web\n";
    for (const QString &label : extraLabels)
        labels += "    " + label + "\n";
    return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: " + ns
           + "\n  labels:\n" + labels + "spec:\n  replicas: " + QString::number(replicas)
           + "\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n"
             "      labels:\n        app: web\n    spec:\n      containers:\n      - name: web\n"
             "        image: "
           + image + "\n";
}

QString configMapYaml(const QString &name, const QString &ns, const QStringList &data)
{
    QString text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name
                   + "\n  namespace: " + ns + "\ndata:\n";
    for (const QString &entry : data)
        text += "  " + entry + "\n";
    return text;
}

// The entries of managedFields by manager name.
std::map<std::string, json> byManager(const json &object)
{
    std::map<std::string, json> out;
    for (const json &entry : object.value("/metadata/managedFields"_json_pointer, json::array()))
        out[entry.value("manager", "")] = entry;
    return out;
}

QString show(const json &value)
{
    return QString::fromStdString(value.dump());
}

} // namespace

class TestServerSideApply final : public QObject
{
    Q_OBJECT

private:
    TestCluster m_cluster;
    QTemporaryDir m_dir;
    QString m_kubeconfig;

    KubectlRunner runner() const { return {m_dir.path(), m_kubeconfig}; }
    static QString kubectlPath(const QString &version) { return KubectlRunner::path(version); }
    QStringList baseArgs() const { return runner().baseArgs(); }
    Run kubectl(const QString &version, const QStringList &args)
    {
        return runner().run(version, args, {}, 60000);
    }
    QString writeFile(const QString &name, const QString &text)
    {
        return runner().writeFile(name, text);
    }

    json getJson(const QString &version, const QStringList &args)
    {
        const Run run = kubectl(version, QStringList{"get"} + args
                                             + QStringList{"-o", "json", "--show-managed-fields"});
        if (run.exitCode != 0)
            return json();
        return json::parse(run.out.toStdString(), nullptr, false);
    }

    static QString ns(const QString &version) { return "ssa-" + QString(version).remove('.'); }

    static void addVersions()
    {
        QTest::addColumn<QString>("version");
        for (const char *version : {"1.27", "1.30", "1.33"})
            QTest::newRow(version) << QString(version);
    }

private Q_SLOTS:
    void initTestCase()
    {
        for (const char *version : {"1.27", "1.30", "1.33"}) {
            if (!QFile::exists(kubectlPath(version)))
                QFAIL(qPrintable("kubectl." + QString(version) + " is not installed"));
        }
        QVERIFY(m_dir.isValid());
        const QString failure = m_cluster.start({});
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        m_kubeconfig = m_cluster.kubeconfig();
        for (const char *version : {"1.27", "1.30", "1.33"}) {
            const Run run = kubectl("1.33", {"create", "namespace", ns(version)});
            KUBECTL_OK(run);
        }
    }

    void cleanupTestCase() { m_cluster.stop(); }

    void applyCreateUpdateUnchanged_data() { addVersions(); }
    void applyCreateUpdateUnchanged()
    {
        QFETCH(QString, version);
        const QString n = ns(version);
        const QString file = writeFile("d.yaml", deploymentYaml(n, 2, "nginx:1.25"));
        Run run = kubectl(version, {"apply", "--server-side", "-f", file});
        KUBECTL_OK(run);
        QCOMPARE(run.out, QString("deployment.apps/web serverside-applied\n"));

        json object = getJson(version, {"deployment", "web", "-n", n});
        auto managers = byManager(object);
        QVERIFY2(managers.size() == 1 && managers.contains("kubectl"), qPrintable(show(object)));
        const json &entry = managers["kubectl"];
        QCOMPARE(QString::fromStdString(entry.value("operation", "")), QString("Apply"));
        QCOMPARE(QString::fromStdString(entry.value("apiVersion", "")), QString("apps/v1"));
        QCOMPARE(QString::fromStdString(entry.value("fieldsType", "")), QString("FieldsV1"));
        QVERIFY(entry.value("time", json()).is_string());
        const json expected = json::parse(
            "{\"f:metadata\":{\"f:labels\":{\"f:app\":{}}},\"f:spec\":{\"f:replicas\":{},"
            "\"f:selector\":{},\"f:template\":{\"f:metadata\":{\"f:labels\":{\"f:app\":{}}},"
            "\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"web\\\"}\":{\".\":{},"
            "\"f:image\":{},\"f:name\":{}}}}}}}");
        QVERIFY2(entry.value("fieldsV1", json()) == expected, qPrintable(show(entry)));
        // Defaults the server filled in are owned by no one but are there.
        QCOMPARE(object.value("/spec/strategy/type"_json_pointer, std::string()),
                 std::string("RollingUpdate"));
        const std::string revision = object.value("/metadata/resourceVersion"_json_pointer, "");

        // Unchanged: the same configuration writes nothing.
        run = kubectl(version, {"apply", "--server-side", "-f", file});
        KUBECTL_OK(run);
        QCOMPARE(run.out, QString("deployment.apps/web serverside-applied\n"));
        object = getJson(version, {"deployment", "web", "-n", n});
        QCOMPARE(object.value("/metadata/resourceVersion"_json_pointer, ""), revision);

        // Update: a new image.
        writeFile("d.yaml", deploymentYaml(n, 2, "nginx:1.27"));
        run = kubectl(version, {"apply", "--server-side", "-f", file});
        KUBECTL_OK(run);
        object = getJson(version, {"deployment", "web", "-n", n});
        QCOMPARE(object.value("/spec/template/spec/containers/0/image"_json_pointer, ""),
                 std::string("nginx:1.27"));
        QCOMPARE(object.value("/metadata/generation"_json_pointer, 0), 2);
    }

    void conflictsAndForce_data() { addVersions(); }
    void conflictsAndForce()
    {
        QFETCH(QString, version);
        const QString n = ns(version);
        Run run = kubectl(
            version, {"patch", "deployment", "web", "-n", n, "-p", "{\"spec\":{\"replicas\":5}}"});
        KUBECTL_OK(run);
        json object = getJson(version, {"deployment", "web", "-n", n});
        auto managers = byManager(object);
        QVERIFY2(managers.contains("kubectl-patch"), qPrintable(show(object)));
        QVERIFY2(managers["kubectl-patch"].value("fieldsV1", json())
                     == json::parse("{\"f:spec\":{\"f:replicas\":{}}}"),
                 qPrintable(show(managers["kubectl-patch"])));
        QVERIFY(!managers["kubectl"].contains("/fieldsV1/f:spec/f:replicas"_json_pointer));

        const QString file = writeFile("d.yaml", deploymentYaml(n, 3, "nginx:1.27"));
        run = kubectl(version, {"apply", "--server-side", "-f", file});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.startsWith("error: Apply failed with 1 conflict: conflict with "
                                    "\"kubectl-patch\" using apps/v1: .spec.replicas\n"
                                    "Please review the fields above--they currently have other "
                                    "managers."),
                 qPrintable(run.err));
        object = getJson(version, {"deployment", "web", "-n", n});
        QCOMPARE(object.value("/spec/replicas"_json_pointer, 0), 5);

        run = kubectl(version, {"apply", "--server-side", "--force-conflicts", "-f", file});
        KUBECTL_OK(run);
        object = getJson(version, {"deployment", "web", "-n", n});
        QCOMPARE(object.value("/spec/replicas"_json_pointer, 0), 3);
        managers = byManager(object);
        QVERIFY2(!managers.contains("kubectl-patch"), qPrintable(show(object)));
        QVERIFY(managers["kubectl"].contains("/fieldsV1/f:spec/f:replicas"_json_pointer));
    }

    void droppedFieldsArePruned_data() { addVersions(); }
    void droppedFieldsArePruned()
    {
        QFETCH(QString, version);
        const QString n = ns(version);
        const QString file
            = writeFile("d.yaml", deploymentYaml(n, 3, "nginx:1.27", {"tier: front"}));
        Run run = kubectl(version, {"apply", "--server-side", "-f", file});
        KUBECTL_OK(run);
        json object = getJson(version, {"deployment", "web", "-n", n});
        QCOMPARE(object.value("/metadata/labels/tier"_json_pointer, ""), std::string("front"));

        writeFile("d.yaml", deploymentYaml(n, 3, "nginx:1.27"));
        run = kubectl(version, {"apply", "--server-side", "-f", file});
        KUBECTL_OK(run);
        object = getJson(version, {"deployment", "web", "-n", n});
        QVERIFY2(!object.contains("/metadata/labels/tier"_json_pointer), qPrintable(show(object)));
        QCOMPARE(object.value("/metadata/labels/app"_json_pointer, ""), std::string("web"));
    }

    void updateManagersAreRecorded_data() { addVersions(); }
    void updateManagersAreRecorded()
    {
        QFETCH(QString, version);
        const QString n = ns(version);
        Run run
            = kubectl(version, {"create", "configmap", "created", "-n", n, "--from-literal=a=1"});
        KUBECTL_OK(run);
        run = kubectl(version, {"label", "configmap", "created", "-n", n, "team=blue"});
        KUBECTL_OK(run);
        const json object = getJson(version, {"configmap", "created", "-n", n});
        auto managers = byManager(object);
        QVERIFY2(managers.size() == 2, qPrintable(show(object)));
        const json &create = managers["kubectl-create"];
        QCOMPARE(QString::fromStdString(create.value("operation", "")), QString("Update"));
        QCOMPARE(QString::fromStdString(create.value("apiVersion", "")), QString("v1"));
        QVERIFY2(create.value("fieldsV1", json())
                     == json::parse("{\"f:data\":{\".\":{},\"f:a\":{}}}"),
                 qPrintable(show(create)));
        QVERIFY2(managers["kubectl-label"].value("fieldsV1", json())
                     == json::parse("{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:team\":{}}}}"),
                 qPrintable(show(managers["kubectl-label"])));
        // Without --show-managed-fields kubectl hides them.
        run = kubectl(version, {"get", "configmap", "created", "-n", n, "-o", "yaml"});
        KUBECTL_OK(run);
        QVERIFY2(!run.out.contains("managedFields"), qPrintable(run.out));
    }

    void clientSideThenServerSide_data() { addVersions(); }
    void clientSideThenServerSide()
    {
        QFETCH(QString, version);
        const QString n = ns(version);
        const QString file
            = writeFile("cm.yaml", configMapYaml("migrated", n, {"a: \"1\"", "b: \"2\""}));
        Run run = kubectl(version, {"apply", "-f", file});
        KUBECTL_OK(run);
        json object = getJson(version, {"configmap", "migrated", "-n", n});
        auto managers = byManager(object);
        QVERIFY2(managers.contains("kubectl-client-side-apply"), qPrintable(show(object)));
        QVERIFY(
            managers["kubectl-client-side-apply"].contains("/fieldsV1/f:data/f:b"_json_pointer));

        // The server-side apply takes over what the client-side apply managed, so that a key
        // dropped from the file goes away.
        writeFile("cm.yaml", configMapYaml("migrated", n, {"a: \"3\""}));
        run = kubectl(version, {"apply", "--server-side", "-f", file});
        KUBECTL_OK(run);
        object = getJson(version, {"configmap", "migrated", "-n", n});
        QVERIFY2(object.value("data", json()) == json::parse("{\"a\":\"3\"}"),
                 qPrintable(show(object)));
        managers = byManager(object);
        QVERIFY2(!managers.contains("kubectl-client-side-apply"), qPrintable(show(object)));
        QCOMPARE(QString::fromStdString(managers["kubectl"].value("operation", "")),
                 QString("Apply"));
    }
};

QTEST_GUILESS_MAIN(TestServerSideApply)
#include "tst_serversideapply.moc"
