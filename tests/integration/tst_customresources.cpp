// CustomResourceDefinitions served live, driven by the real kubectl 1.27, 1.30 and 1.33 against
// an in-process kubedesk API server: apply + wait for Established, get by plural, short name and
// kind with the CRD's printer columns, schema defaults and validation, strict unknown fields,
// scale and status subresources, watch, and deleting the CRD with its objects.

#include "kubectlrunner.h"
#include "testcluster.h"

#include <localcluster/storage/store.h>

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
