// The bundled API server seen by a second client written by others: the official Kubernetes
// Python client (Debian's python3-kubernetes under /usr/bin/python3). Each script in python/
// drives one scenario and prints the facts it observed as JSON; this test compares them with
// what a real kube-apiserver answers.

#include "testcluster.h"

#include <nlohmann/json.hpp>

#include <QFile>
#include <QProcess>
#include <QTest>

using nlohmann::json;

namespace {

const QString kPython = QStringLiteral("/usr/bin/python3");

json pair(const char *type, const char *name)
{
    return json::array({type, name});
}

// A Status body as upstream's apiserver writes it for a failure.
json failure(int code, const std::string &reason, const std::string &message, const json &details)
{
    return {{"http", code},
            {"body",
             {{"kind", "Status"},
              {"apiVersion", "v1"},
              {"metadata", json::object()},
              {"status", "Failure"},
              {"message", message},
              {"reason", reason},
              {"details", details},
              {"code", code}}}};
}

std::string conflictMessage(const std::string &name)
{
    return "Operation cannot be fulfilled on configmaps \"" + name
           + "\": the object has been modified; please apply your changes to the latest version "
             "and try again";
}

} // namespace

class TestPythonClient final : public QObject
{
    Q_OBJECT

private:
    TestCluster m_cluster;

    // Runs python/<script> against the cluster; returns its facts, or fails the test.
    json run(const QString &script, const QString &ns)
    {
        const QString path = QStringLiteral(KD_SOURCE_DIR "/tests/integration/python/") + script;
        QProcess python;
        python.start(kPython, {path, m_cluster.kubeconfig(), ns});
        if (!python.waitForStarted(10000)) {
            QTest::qFail(qPrintable("cannot start " + kPython + ": " + python.errorString()),
                         __FILE__, __LINE__);
            return {};
        }
        if (!python.waitForFinished(120000)) {
            python.kill();
            python.waitForFinished(5000);
            QTest::qFail(qPrintable(script + " did not finish within 120 s"), __FILE__, __LINE__);
            return {};
        }
        const QByteArray out = python.readAllStandardOutput();
        const QByteArray err = python.readAllStandardError();
        if (python.exitStatus() != QProcess::NormalExit || python.exitCode() != 0) {
            QTest::qFail(qPrintable(script + " failed (exit " + QString::number(python.exitCode())
                                    + "):\n" + QString::fromUtf8(err) + QString::fromUtf8(out)),
                         __FILE__, __LINE__);
            return {};
        }
        const QList<QByteArray> lines = out.trimmed().split('\n');
        json facts = json::parse(lines.last().toStdString(), nullptr, false);
        if (!facts.is_object()) {
            QTest::qFail(qPrintable(script + " printed no facts:\n" + QString::fromUtf8(out)
                                    + QString::fromUtf8(err)),
                         __FILE__, __LINE__);
            return {};
        }
        return facts;
    }

    // Every key of expected must be in facts with an equal value.
    static void compareFacts(const json &facts, const json &expected)
    {
        if (!facts.is_object())
            return; // run() has already failed the test
        for (const auto &[key, value] : expected.items()) {
            const json actual = facts.value(key, json("<missing>"));
            QVERIFY2(actual == value, qPrintable(QString::fromStdString(
                                          "fact \"" + key + "\":\n  actual:   " + actual.dump()
                                          + "\n  expected: " + value.dump())));
        }
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(kPython), "/usr/bin/python3 is missing (Debian package python3)");
        QProcess probe;
        probe.start(kPython, {"-c", "import kubernetes"});
        QVERIFY(probe.waitForFinished(30000));
        QVERIFY2(probe.exitCode() == 0,
                 qPrintable("the Kubernetes Python client is missing (Debian package "
                            "python3-kubernetes): "
                            + QString::fromUtf8(probe.readAllStandardError())));

        TestCluster::Options options;
        options.eventRingCapacity = 40; // small, so that a watch from an old version gets 410
        // No controllers: their writes (kube-root-ca.crt in every namespace) would race with
        // the exact lists and watch events the scripts observe.
        options.controllers = false;
        const QString failure = m_cluster.start(options);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
    }

    void cleanupTestCase() { m_cluster.stop(); }

    void createReadListPatchDelete()
    {
        const json facts = run("crud.py", "py-crud");
        compareFacts(facts,
                     {{"created_name", "cm"},
                      {"created_namespace", "py-crud"},
                      {"created_has_uid", true},
                      {"read_data", {{"k", "v"}}},
                      {"read_same_version", true},
                      {"list_names", json::array({"cm"})},
                      {"list_has_version", true},
                      {"patched_data", {{"k", "v"}, {"k2", "v2"}}},
                      {"patch_bumped_version", true},
                      {"replaced_data", {{"k", "replaced"}, {"k2", "v2"}}},
                      {"deployment_replicas", 3},
                      {"deployment_generation", 2},
                      {"deployment_defaulted_strategy", "RollingUpdate"},
                      {"scale_replicas", 3},
                      {"deployments", json::array({"web"})},
                      {"delete_status", "Success"},
                      {"get_after_delete", failure(404, "NotFound", "configmaps \"cm\" not found",
                                                   {{"name", "cm"}, {"kind", "configmaps"}})},
                      {"deployments_after_delete", json::array()},
                      {"config_maps_after_delete", json::array({"other"})}});
    }

    void watchFromListVersion()
    {
        const json facts = run("watch_from_version.py", "py-watch");
        compareFacts(facts, {{"events", json::array({pair("ADDED", "a"), pair("MODIFIED", "a"),
                                                     pair("ADDED", "b"), pair("DELETED", "a")})},
                             {"typed_objects", true},
                             {"versions_increase", true},
                             {"versions_after_list", true},
                             {"modified_data", json::array({json{{"k", "changed"}}})},
                             {"resumed", json::array({pair("ADDED", "b"), pair("DELETED", "a")})}});
    }

    void watchFromExpiredVersion()
    {
        const json facts = run("watch_expired.py", "py-expired");
        if (!facts.is_object())
            return;
        const std::string prefix = "Expired: too old resource version: "
                                   + facts.value("old_version", std::string()) + " (";
        for (const char *variant : {"with_timeout", "with_retry"}) {
            const json result = facts.value(variant, json::object());
            QVERIFY2(result.value("http", 0) == 410,
                     qPrintable(QString::fromStdString(variant + (": " + result.dump()))));
            QVERIFY2(result.value("reason", std::string()).rfind(prefix, 0) == 0,
                     qPrintable(QString::fromStdString(variant + (": " + result.dump())
                                                       + ", expected a reason starting with "
                                                       + prefix)));
        }
        compareFacts(facts, {{"after_relist", json::array({pair("ADDED", "after")})}});
    }

    void conflictsAndStatusBodies()
    {
        const json facts = run("errors.py", "py-errors");
        const std::string invalid
            = "Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower "
              "case alphanumeric characters, '-' or '.', and must start and end with an "
              "alphanumeric character (e.g. 'example.com', regex used for validation is "
              "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
        compareFacts(
            facts,
            {{"stale_replace", failure(409, "Conflict", conflictMessage("c"),
                                       {{"name", "c"}, {"kind", "configmaps"}})},
             {"stale_patch", failure(409, "Conflict", conflictMessage("c"),
                                     {{"name", "c"}, {"kind", "configmaps"}})},
             {"data_after_conflicts", {{"k", "first"}}},
             {"already_exists", failure(409, "AlreadyExists", "configmaps \"c\" already exists",
                                        {{"name", "c"}, {"kind", "configmaps"}})},
             {"missing_namespace",
              failure(404, "NotFound", "namespaces \"nope-py-errors\" not found",
                      {{"name", "nope-py-errors"}, {"kind", "namespaces"}})},
             {"missing_object",
              failure(404, "NotFound", "deployments.apps \"ghost\" not found",
                      {{"name", "ghost"}, {"group", "apps"}, {"kind", "deployments"}})},
             {"invalid_name",
              failure(422, "Invalid",
                      "ConfigMap \"Bad_Name\" is invalid: metadata.name: " + invalid,
                      {{"name", "Bad_Name"},
                       {"kind", "ConfigMap"},
                       {"causes", json::array({json{{"reason", "FieldValueInvalid"},
                                                    {"message", invalid},
                                                    {"field", "metadata.name"}}})}})},
             {"config_maps", json::array({"c"})}});
    }
};

QTEST_GUILESS_MAIN(TestPythonClient)
#include "tst_pythonclient.moc"
