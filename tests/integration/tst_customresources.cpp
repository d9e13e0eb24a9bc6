// CustomResourceDefinitions served live, driven by the real kubectl 1.27, 1.30 and 1.33 against
// an in-process kubedesk API server: apply + wait for Established, get by plural, short name and
// kind with the CRD's printer columns, schema defaults and validation, strict unknown fields,
// scale and status subresources, watch, and deleting the CRD with its objects; a CRD with several
// versions (stored in one, served in each, deprecation warning, unserved version), server-side
// apply on a map list by two managers, and a CRD deletion that waits for an object's finalizer.

#include "kubectlrunner.h"
#include "testcluster.h"

#include <localcluster/storage/store.h>

#include <nlohmann/json.hpp>

#include <QDeadlineTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

namespace {

// A namespaced CRD with a short name, four printer columns (one only in -o wide), status and
// scale subresources, schema defaults and validation.
const char *kCrdYaml = "apiVersion: apiextensions.k8s.io/v1\n"
                       "kind: CustomResourceDefinition\n"
                       "metadata:\n"
                       "  name: widgets.example.com\n"
                       "spec:\n"
                       "  group: example.com\n"
                       "  scope: Namespaced\n"
                       "  names:\n"
                       "    plural: widgets\n"
                       "    singular: widget\n"
                       "    kind: Widget\n"
                       "    shortNames: [wd]\n"
                       "  versions:\n"
                       "  - name: v1\n"
                       "    served: true\n"
                       "    storage: true\n"
                       "    subresources:\n"
                       "      status: {}\n"
                       "      scale:\n"
                       "        specReplicasPath: .spec.replicas\n"
                       "        statusReplicasPath: .status.replicas\n"
                       "        labelSelectorPath: .status.selector\n"
                       "    additionalPrinterColumns:\n"
                       "    - name: Replicas\n"
                       "      type: integer\n"
                       "      jsonPath: .spec.replicas\n"
                       "    - name: Color\n"
                       "      type: string\n"
                       "      jsonPath: .spec.color\n"
                       "    - name: Ready\n"
                       "      type: integer\n"
                       "      priority: 1\n"
                       "      jsonPath: .status.readyReplicas\n"
                       "    - name: Age\n"
                       "      type: date\n"
                       "      jsonPath: .metadata.creationTimestamp\n"
                       "    schema:\n"
                       "      openAPIV3Schema:\n"
                       "        type: object\n"
                       "        properties:\n"
                       "          spec:\n"
                       "            type: object\n"
                       "            properties:\n"
                       "              replicas:\n"
                       "                type: integer\n"
                       "                minimum: 0\n"
                       "                default: 1\n"
                       "              color:\n"
                       "                type: string\n"
                       "                enum: [red, blue]\n"
                       "                default: red\n"
                       "          status:\n"
                       "            type: object\n"
                       "            properties:\n"
                       "              replicas:\n"
                       "                type: integer\n"
                       "              readyReplicas:\n"
                       "                type: integer\n"
                       "              selector:\n"
                       "                type: string\n";

// CronTabs in three versions: v1beta1 served but deprecated, v1 served and stored, v2 not served.
QByteArray cronTabCrd()
{
    QByteArray yaml = "apiVersion: apiextensions.k8s.io/v1\n"
                      "kind: CustomResourceDefinition\n"
                      "metadata:\n"
                      "  name: crontabs.stable.example.com\n"
                      "spec:\n"
                      "  group: stable.example.com\n"
                      "  scope: Namespaced\n"
                      "  names:\n"
                      "    plural: crontabs\n"
                      "    kind: CronTab\n"
                      "  versions:\n";
    for (const char *version : {"v1beta1", "v1", "v2"}) {
        const QByteArray v(version);
        yaml += "  - name: " + v + "\n    served: " + (v == "v2" ? "false" : "true")
                + "\n    storage: " + (v == "v1" ? "true" : "false") + "\n";
        if (v == "v1beta1")
            yaml += "    deprecated: true\n";
        yaml += "    schema:\n"
                "      openAPIV3Schema:\n"
                "        type: object\n"
                "        properties:\n"
                "          spec:\n"
                "            type: object\n"
                "            properties:\n"
                "              cronSpec:\n"
                "                type: string\n";
    }
    return yaml;
}

// Gateways whose spec.listeners is a map list keyed by name and spec.hosts a set.
const char *kGatewayCrd = "apiVersion: apiextensions.k8s.io/v1\n"
                          "kind: CustomResourceDefinition\n"
                          "metadata:\n"
                          "  name: gateways.net.example.com\n"
                          "spec:\n"
                          "  group: net.example.com\n"
                          "  scope: Namespaced\n"
                          "  names:\n"
                          "    plural: gateways\n"
                          "    kind: Gateway\n"
                          "  versions:\n"
                          "  - name: v1\n"
                          "    served: true\n"
                          "    storage: true\n"
                          "    schema:\n"
                          "      openAPIV3Schema:\n"
                          "        type: object\n"
                          "        properties:\n"
                          "          spec:\n"
                          "            type: object\n"
                          "            properties:\n"
                          "              hosts:\n"
                          "                type: array\n"
                          "                x-kubernetes-list-type: set\n"
                          "                items:\n"
                          "                  type: string\n"
                          "              listeners:\n"
                          "                type: array\n"
                          "                x-kubernetes-list-type: map\n"
                          "                x-kubernetes-list-map-keys: [name]\n"
                          "                items:\n"
                          "                  type: object\n"
                          "                  required: [name]\n"
                          "                  properties:\n"
                          "                    name:\n"
                          "                      type: string\n"
                          "                    port:\n"
                          "                      type: integer\n";

QByteArray gateway(const QString &name, const QString &spec)
{
    return ("apiVersion: net.example.com/v1\nkind: Gateway\nmetadata:\n  name: " + name
            + "\nspec:\n" + spec)
        .toUtf8();
}

QByteArray widget(const QString &name, const QString &spec)
{
    return ("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: " + name + "\nspec:\n"
            + spec)
        .toUtf8();
}

} // namespace

class TestCustomResources final : public QObject
{
    Q_OBJECT

private:
    TestCluster m_cluster;
    QTemporaryDir m_dir;
    QString m_kubeconfig;

    KubectlRunner runner() const { return {m_dir.path(), m_kubeconfig}; }
    static QString kubectlPath(const QString &version) { return KubectlRunner::path(version); }
    QStringList baseArgs() const { return runner().baseArgs(); }
    Run kubectl(const QString &version, const QStringList &args, const QByteArray &stdinData = {})
    {
        return runner().run(version, args, stdinData, 90000);
    }

    static QString ns(const QString &version) { return "cr-" + QString(version).remove('.'); }

    std::size_t storedWidgets()
    {
        kd::lc::storage::ListRequest request;
        request.resource = {"example.com", "widgets"};
        auto listed = m_cluster.store().list(request);
        return listed ? listed->items.size() : 999;
    }

    static void addVersions()
    {
        QTest::addColumn<QString>("version");
        for (const char *version : {"1.27", "1.30", "1.33"})
            QTest::newRow(version) << QString(version);
    }

    // The whole output must match `pattern` (a table with ages replaced by \d+s).
    static bool tableMatches(const QString &output, const QString &pattern)
    {
        return QRegularExpression("\\A" + pattern + "\\z").match(output).hasMatch();
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

    void lifecycle_data() { addVersions(); }
    void lifecycle()
    {
        QFETCH(QString, version);
        const QString n = ns(version);
        // A row that failed half-way must not leave its CRD to the next one.
        Run run = kubectl(version, {"delete", "crd", "widgets.example.com", "--ignore-not-found"});
        KUBECTL_OK(run);

        run = kubectl(version, {"apply", "-f", "-"}, kCrdYaml);
        KUBECTL_OK(run);
        QCOMPARE(run.out.trimmed(),
                 QString("customresourcedefinition.apiextensions.k8s.io/widgets.example.com "
                         "created"));
        run = kubectl(version, {"wait", "--for", "condition=established", "--timeout=30s",
                                "crd/widgets.example.com"});
        KUBECTL_OK(run);
        QCOMPARE(run.out.trimmed(),
                 QString("customresourcedefinition.apiextensions.k8s.io/widgets.example.com "
                         "condition met"));

        // Created right after the CRD; the default color comes from the schema.
        run = kubectl(version, {"apply", "-n", n, "-f", "-"}, widget("w1", "  replicas: 2\n"));
        KUBECTL_OK(run);
        QCOMPARE(run.out.trimmed(), QString("widget.example.com/w1 created"));
        run = kubectl(version, {"create", "-n", n, "-f", "-"}, widget("w2", "  color: blue\n"));
        KUBECTL_OK(run);

        for (const char *name : {"widgets", "wd", "Widget", "widget.example.com"}) {
            run = kubectl(version, {"get", name, "-n", n});
            KUBECTL_OK(run);
            QVERIFY2(tableMatches(run.out, "NAME   REPLICAS   COLOR   AGE\n"
                                           "w1     2          red     \\d+s\n"
                                           "w2     1          blue    \\d+s\n"),
                     qPrintable(name + QString(":\n") + run.out));
        }
        run = kubectl(version, {"get", "wd", "w1", "-n", n, "-o", "wide"});
        KUBECTL_OK(run);
        QVERIFY2(tableMatches(run.out, "NAME   REPLICAS   COLOR   READY   AGE\n"
                                       "w1     2          red             \\d+s\n"),
                 qPrintable(run.out));

        // Schema validation, as kubectl prints the 422.
        run = kubectl(version, {"create", "-n", n, "-f", "-"},
                      widget("bad", "  replicas: two\n  color: pink\n"));
        QCOMPARE(run.exitCode, 1);
        QCOMPARE(run.err.trimmed(),
                 QString("The Widget \"bad\" is invalid: \n"
                         "* spec.color: Unsupported value: \"pink\": supported values: \"red\", "
                         "\"blue\"\n"
                         "* spec.replicas: Invalid value: \"string\": spec.replicas in body "
                         "must be of type integer: \"string\""));
        // kubectl validates strictly by default; the server names the unknown field.
        run = kubectl(version, {"create", "-n", n, "-f", "-"},
                      widget("odd", "  replicas: 1\n  foo: bar\n"));
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("Widget in version \"v1\" cannot be handled as a Widget: "
                                  "strict decoding error: unknown field \"spec.foo\""),
                 qPrintable(run.err));
        QCOMPARE(kubectl(version, {"get", "wd", "odd", "-n", n}).exitCode, 1);

        // A watch sees the scale and the status changes.
        QProcess watch;
        watch.start(kubectlPath(version), baseArgs() + QStringList{"get", "wd", "-n", n, "-w"});
        QVERIFY(watch.waitForStarted(10000));
        QByteArray seen;
        QDeadlineTimer deadline(30000);
        while (!seen.contains("w2") && !deadline.hasExpired()) {
            watch.waitForReadyRead(500);
            seen += watch.readAllStandardOutput();
        }

        run = kubectl(version, {"scale", "-n", n, "widget/w1", "--replicas=5"});
        KUBECTL_OK(run);
        QCOMPARE(run.out.trimmed(), QString("widget.example.com/w1 scaled"));
        run = kubectl(version,
                      {"patch", "-n", n, "widget", "w1", "--subresource=status", "--type=merge",
                       "-p", R"({"status":{"replicas":5,"readyReplicas":3,"selector":"app=w"}})"});
        KUBECTL_OK(run);
        QCOMPARE(run.out.trimmed(), QString("widget.example.com/w1 patched"));
        // The main resource ignores status.
        run = kubectl(version, {"patch", "-n", n, "widget", "w1", "--type=merge", "-p",
                                R"({"status":{"readyReplicas":9}})"});
        KUBECTL_OK(run);
        QCOMPARE(run.out.trimmed(), QString("widget.example.com/w1 patched (no change)"));
        run = kubectl(version, {"get", "wd", "w1", "-n", n, "-o", "wide"});
        KUBECTL_OK(run);
        QVERIFY2(tableMatches(run.out, "NAME   REPLICAS   COLOR   READY   AGE\n"
                                       "w1     5          red     3       \\d+s\n"),
                 qPrintable(run.out));
        run = kubectl(version, {"get", "--raw",
                                "/apis/example.com/v1/namespaces/" + n + "/widgets/w1/scale"});
        KUBECTL_OK(run);
        QVERIFY2(
            run.out.contains(R"("spec":{"replicas":5},"status":{"replicas":5,"selector":"app=w"})"),
            qPrintable(run.out));

        const QRegularExpression row("\\nw1\\s+5\\s+red\\s+\\d+s\\n");
        while (!row.match(QString::fromUtf8(seen)).hasMatch() && !deadline.hasExpired()) {
            watch.waitForReadyRead(500);
            seen += watch.readAllStandardOutput();
        }
        watch.kill();
        watch.waitForFinished();
        QVERIFY2(row.match(QString::fromUtf8(seen)).hasMatch(), seen.constData());

        // Deleting the CRD deletes its objects and takes the resource out of discovery.
        QCOMPARE(storedWidgets(), std::size_t(2));
        run = kubectl(version, {"delete", "crd", "widgets.example.com"});
        KUBECTL_OK(run);
        QCOMPARE(run.out.trimmed(),
                 QString("customresourcedefinition.apiextensions.k8s.io \"widgets.example.com\" "
                         "deleted"));
        QCOMPARE(storedWidgets(), std::size_t(0));
        run = kubectl(version, {"get", "widgets", "-n", n});
        QCOMPARE(run.exitCode, 1);
        QCOMPARE(run.err.trimmed(),
                 QString("error: the server doesn't have a resource type \"widgets\""));
    }

    // Objects are stored in the storage version and served in the version asked for; only
    // apiVersion differs. storedVersions lists the storage version, the deprecated version
    // warns through kubectl, and the unserved version is neither discovered nor served.
    void versions_data() { addVersions(); }
    void versions()
    {
        QFETCH(QString, version);
        const QString n = ns(version);
        Run run = kubectl(version,
                          {"delete", "crd", "crontabs.stable.example.com", "--ignore-not-found"});
        KUBECTL_OK(run);
        run = kubectl(version, {"apply", "-f", "-"}, cronTabCrd());
        KUBECTL_OK(run);
        run = kubectl(version, {"wait", "--for", "condition=established", "--timeout=30s",
                                "crd/crontabs.stable.example.com"});
        KUBECTL_OK(run);

        const QString warning = "Warning: stable.example.com/v1beta1 CronTab is deprecated; use "
                                "stable.example.com/v1 CronTab";
        run = kubectl(version, {"create", "-n", n, "-f", "-"},
                      "apiVersion: stable.example.com/v1beta1\nkind: CronTab\nmetadata:\n  "
                      "name: c1\nspec:\n  cronSpec: '* * * * */5'\n");
        KUBECTL_OK(run);
        QCOMPARE(run.out.trimmed(), QString("crontab.stable.example.com/c1 created"));
        QVERIFY2(run.err.contains(warning), qPrintable(run.err));

        // Stored as v1, whatever version it was written in.
        auto stored
            = m_cluster.store().get({{"stable.example.com", "crontabs"}, n.toStdString(), "c1"});
        QVERIFY(stored);
        QCOMPARE(QString::fromStdString((*stored)->object().value("apiVersion", "")),
                 QString("stable.example.com/v1"));

        const QString jsonPath = "jsonpath={.apiVersion} {.spec.cronSpec}";
        run = kubectl(version,
                      {"get", "crontabs.v1.stable.example.com", "c1", "-n", n, "-o", jsonPath});
        KUBECTL_OK(run);
        QCOMPARE(run.out, QString("stable.example.com/v1 * * * * */5"));
        QVERIFY2(!run.err.contains("Warning"), qPrintable(run.err));
        run = kubectl(
            version, {"get", "crontabs.v1beta1.stable.example.com", "c1", "-n", n, "-o", jsonPath});
        KUBECTL_OK(run);
        QCOMPARE(run.out, QString("stable.example.com/v1beta1 * * * * */5"));
        QVERIFY2(run.err.contains(warning), qPrintable(run.err));
        // Lists too, and a write through v1beta1 answers in v1beta1.
        run = kubectl(version, {"get", "--raw",
                                "/apis/stable.example.com/v1beta1/namespaces/" + n + "/crontabs"});
        KUBECTL_OK(run);
        QVERIFY2(run.out.contains("\"apiVersion\":\"stable.example.com/v1beta1\",\"kind\":"
                                  "\"CronTab\""),
                 qPrintable(run.out));
        QVERIFY2(!run.out.contains("stable.example.com/v1\""), qPrintable(run.out));
        run = kubectl(version, {"patch", "crontabs.v1beta1.stable.example.com", "c1", "-n", n,
                                "--type=merge", "-p", "{\"spec\":{\"cronSpec\":\"0 * * * *\"}}",
                                "-o", jsonPath});
        KUBECTL_OK(run);
        QCOMPARE(run.out, QString("stable.example.com/v1beta1 0 * * * *"));

        run = kubectl(version, {"get", "crd", "crontabs.stable.example.com", "-o",
                                "jsonpath={.status.storedVersions}"});
        KUBECTL_OK(run);
        QCOMPARE(run.out, QString("[\"v1\"]"));

        run = kubectl(version, {"api-versions"});
        KUBECTL_OK(run);
        QVERIFY2(run.out.contains("stable.example.com/v1\n")
                     && run.out.contains("stable.example.com/v1beta1\n")
                     && !run.out.contains("stable.example.com/v2"),
                 qPrintable(run.out));
        run = kubectl(
            version, {"get", "--raw", "/apis/stable.example.com/v2/namespaces/" + n + "/crontabs"});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("NotFound"), qPrintable(run.err));

        run = kubectl(version, {"delete", "crd", "crontabs.stable.example.com"});
        KUBECTL_OK(run);
    }

    // Two managers own different entries of a map list; conflicts name the entry; an entry its
    // only manager drops goes; duplicates in a map list are refused.
    void applyMapList_data() { addVersions(); }
    void applyMapList()
    {
        QFETCH(QString, version);
        const QString n = ns(version);
        Run run
            = kubectl(version, {"delete", "crd", "gateways.net.example.com", "--ignore-not-found"});
        KUBECTL_OK(run);
        run = kubectl(version, {"apply", "-f", "-"}, kGatewayCrd);
        KUBECTL_OK(run);
        run = kubectl(version, {"wait", "--for", "condition=established", "--timeout=30s",
                                "crd/gateways.net.example.com"});
        KUBECTL_OK(run);

        const auto apply
            = [&](const QString &manager, const QString &spec, const QStringList &extra = {}) {
                  return kubectl(version,
                                 QStringList{"apply", "--server-side", "--field-manager=" + manager,
                                             "-n", n, "-f", "-"}
                                     + extra,
                                 gateway("g1", spec));
              };
        const auto listeners = [&] {
            const Run got = kubectl(version, {"get", "gateway", "g1", "-n", n, "-o",
                                              "jsonpath={range .spec.listeners[*]}{.name}={.port} "
                                              "{end}|{.spec.hosts}"});
            return got.exitCode == 0 ? got.out.trimmed() : "exit " + got.err;
        };

        run = apply("a", "  hosts: [a.example.com]\n  listeners:\n  - name: http\n    port: 80\n");
        KUBECTL_OK(run);
        run = apply("b",
                    "  hosts: [b.example.com]\n  listeners:\n  - name: https\n    port: 443\n");
        KUBECTL_OK(run);
        QCOMPARE(listeners(), QString("http=80 https=443 |[\"a.example.com\",\"b.example.com\"]"));

        // b changing a's entry conflicts on that entry's field only.
        run = apply("b", "  listeners:\n  - name: http\n    port: 8080\n");
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("Apply failed with 1 conflict: conflict with \"a\": "
                                  ".spec.listeners[name=\"http\"].port"),
                 qPrintable(run.err));
        QCOMPARE(listeners(), QString("http=80 https=443 |[\"a.example.com\",\"b.example.com\"]"));

        // Forced, b takes the port; what b alone owned and no longer applies (https, its host)
        // goes.
        run = apply("b", "  listeners:\n  - name: http\n    port: 8080\n", {"--force-conflicts"});
        KUBECTL_OK(run);
        QCOMPARE(listeners(), QString("http=8080 |[\"a.example.com\"]"));
        // a dropping http leaves it to b, who still applies it.
        run = apply("a", "  hosts: [a.example.com]\n");
        KUBECTL_OK(run);
        QCOMPARE(listeners(), QString("http=8080 |[\"a.example.com\"]"));

        run = kubectl(version, {"create", "-n", n, "-f", "-"},
                      gateway("dup", "  listeners:\n  - name: x\n  - name: x\n  hosts: [h, h]\n"));
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("spec.listeners[1]: Duplicate value: map[string]interface "
                                  "{}{\"name\":\"x\"}")
                     && run.err.contains("spec.hosts[1]: Duplicate value: \"h\""),
                 qPrintable(run.err));

        run = kubectl(version, {"delete", "crd", "gateways.net.example.com"});
        KUBECTL_OK(run);
    }

    // Deleting a CRD deletes its objects as DELETE does; one with a finalizer holds the CRD
    // Terminating (creates refused, updates allowed) until the finalizer is patched away.
    void deletionWaitsForFinalizers()
    {
        const QString version = "1.33";
        const QString n = ns(version);
        Run run
            = kubectl(version, {"delete", "crd", "gateways.net.example.com", "--ignore-not-found"});
        KUBECTL_OK(run);
        run = kubectl(version, {"apply", "-f", "-"}, kGatewayCrd);
        KUBECTL_OK(run);
        run = kubectl(version, {"wait", "--for", "condition=established", "--timeout=30s",
                                "crd/gateways.net.example.com"});
        KUBECTL_OK(run);
        run = kubectl(version, {"create", "-n", n, "-f", "-"},
                      "apiVersion: net.example.com/v1\nkind: Gateway\nmetadata:\n  name: held\n"
                      "  finalizers: [example.com/hold]\nspec: {}\n");
        KUBECTL_OK(run);
        run = kubectl(version, {"create", "-n", n, "-f", "-"}, gateway("plain", "  hosts: [p]\n"));
        KUBECTL_OK(run);

        run = kubectl(version, {"delete", "crd", "gateways.net.example.com", "--wait=false"});
        KUBECTL_OK(run);
        const QString terminating
            = "jsonpath={.status.conditions[?(@.type==\"Terminating\")].status} "
              "{.status.conditions[?(@.type==\"Terminating\")].reason}";
        QDeadlineTimer deadline(30000);
        QString seen;
        while (!deadline.hasExpired()) {
            run = kubectl(version, {"get", "crd", "gateways.net.example.com", "-o", terminating});
            seen = run.out;
            if (seen == "True InstanceDeletionInProgress"
                && kubectl(version, {"get", "gateway", "plain", "-n", n}).exitCode == 1)
                break;
            QTest::qWait(200);
        }
        QCOMPARE(seen, QString("True InstanceDeletionInProgress"));
        run = kubectl(version, {"get", "gateways", "-n", n, "-o",
                                "jsonpath={range .items[*]}{.metadata.name} "
                                "{.metadata.deletionTimestamp}{end}"});
        KUBECTL_OK(run);
        QVERIFY2(
            QRegularExpression("\\Aheld \\d{4}-\\d\\d-\\d\\dT\\S+Z\\z").match(run.out).hasMatch(),
            qPrintable(run.out));

        run = kubectl(version, {"create", "-n", n, "-f", "-"}, gateway("late", "  hosts: [l]\n"));
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("create not allowed while custom resource definition is "
                                  "terminating"),
                 qPrintable(run.err));
        run = kubectl(version, {"get", "crd", "gateways.net.example.com"});
        KUBECTL_OK(run);

        run = kubectl(version, {"patch", "gateway", "held", "-n", n, "--type=merge", "-p",
                                "{\"metadata\":{\"finalizers\":null}}"});
        KUBECTL_OK(run);
        run = kubectl(version,
                      {"wait", "--for=delete", "crd/gateways.net.example.com", "--timeout=30s"});
        KUBECTL_OK(run);
        run = kubectl(version, {"get", "gateways", "-n", n});
        QCOMPARE(run.exitCode, 1);
        QCOMPARE(run.err.trimmed(),
                 QString("error: the server doesn't have a resource type \"gateways\""));
    }

    // A CRD with the common mistakes is refused with upstream's causes and nothing is served.
    void invalidDefinition()
    {
        const QByteArray yaml = "apiVersion: apiextensions.k8s.io/v1\n"
                                "kind: CustomResourceDefinition\n"
                                "metadata:\n"
                                "  name: gadgets\n"
                                "spec:\n"
                                "  group: example.com\n"
                                "  scope: Namespaced\n"
                                "  names:\n"
                                "    plural: gadgets\n"
                                "    kind: Gadget\n"
                                "  versions:\n"
                                "  - name: v1\n"
                                "    served: true\n"
                                "    storage: false\n"
                                "    schema:\n"
                                "      openAPIV3Schema:\n"
                                "        type: object\n"
                                "        properties:\n"
                                "          spec:\n"
                                "            properties: {}\n";
        Run run = kubectl("1.33", {"create", "-f", "-"}, yaml);
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.startsWith(
                     "The CustomResourceDefinition \"gadgets\" is invalid: \n"
                     "* metadata.name: Invalid value: \"gadgets\": must be "
                     "spec.names.plural+\".\"+spec.group\n"
                     "* spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required "
                     "value: must not be empty for specified object fields\n"
                     "* spec.versions: Invalid value:"),
                 qPrintable(run.err));
        QVERIFY2(run.err.contains("must have exactly one version marked as storage version"),
                 qPrintable(run.err));
        run = kubectl("1.33", {"get", "crd"});
        KUBECTL_OK(run);
        QVERIFY2(!run.out.contains("gadgets"), qPrintable(run.out));
    }
};

QTEST_GUILESS_MAIN(TestCustomResources)
#include "tst_customresources.moc"
