// The OpenAPI documents built from the type model, as the real kubectl 1.27, 1.30 and 1.33 use
// them: explain prints the structure, strict and warn field validation report unknown nested
// fields with upstream's wording, and strategic merge patches merge lists by their keys.

#include "kubectlrunner.h"
#include "testcluster.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

namespace {

// A Deployment with two containers; `extra` is spliced into the first container's fields.
QString deploymentYaml(const QString &name, const QString &extra = {},
                       const QString &image = "nginx:1")
{
    return "apiVersion: apps/v1\n"
           "kind: Deployment\n"
           "metadata:\n"
           "  name: "
           + name
           + "\n"
             "spec:\n"
             "  replicas: 1\n"
             "  selector:\n"
             "    matchLabels:\n"
             "      app: "
           + name
           + "\n"
             "  template:\n"
             "    metadata:\n"
             "      labels:\n"
             "        app: "
           + name
           + "\n"
             "    spec:\n"
             "      containers:\n"
             "      - name: web\n"
             "        image: "
           + image + "\n" + extra
           + "        ports:\n"
             "        - containerPort: 80\n"
             "      - name: sidecar\n"
             "        image: busybox\n";
}

} // namespace

class TestOpenApi final : public QObject
{
    Q_OBJECT

private:
    TestCluster m_cluster;
    QTemporaryDir m_dir;
    QStringList m_namespaces;

    KubectlRunner runner() const { return {m_dir.path(), m_cluster.kubeconfig()}; }
    Run kubectl(const QString &version, const QStringList &args)
    {
        return runner().run(version, args, {}, 60000);
    }
    QString writeFile(const QString &name, const QString &text)
    {
        return runner().writeFile(name, text);
    }

    // The namespace of one kubectl version's objects, created on first use.
    QString ns(const QString &version)
    {
        const QString name = "oa-" + QString(version).remove('.');
        if (!m_namespaces.contains(name)) {
            const Run run = kubectl("1.33", {"create", "namespace", name});
            if (run.exitCode == 0)
                m_namespaces << name;
        }
        return name;
    }

    static void addVersions()
    {
        QTest::addColumn<QString>("version");
        for (const char *version : {"1.27", "1.30", "1.33"})
            QTest::newRow(version) << QString(version);
    }

    static QString describe(const Run &run)
    {
        return "exit " + QString::number(run.exitCode) + "\nstdout:\n" + run.out + "\nstderr:\n"
               + run.err;
    }

private Q_SLOTS:
    void initTestCase()
    {
        for (const char *version : {"1.27", "1.30", "1.33"}) {
            if (!QFile::exists(KubectlRunner::path(version)))
                QFAIL(qPrintable("kubectl." + QString(version) + " is not installed"));
        }
        QVERIFY(m_dir.isValid());
        // No controllers: these tests only read schemas and write Deployments' specs.
        TestCluster::Options options;
        options.controllers = false;
        const QString failure = m_cluster.start(options);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
    }

    void cleanupTestCase() { m_cluster.stop(); }

    void explainContainers_data() { addVersions(); }
    void explainContainers()
    {
        QFETCH(QString, version);
        const Run run = kubectl(version, {"explain", "deployment.spec.template.spec.containers"});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        for (const char *expected :
             {"GROUP:      apps\n", "KIND:       Deployment\n", "VERSION:    v1\n",
              "FIELD: containers <[]Container>\n", "  name\t<string> -required-\n",
              "  image\t<string>\n", "  ports\t<[]ContainerPort>\n", "  env\t<[]EnvVar>\n",
              "  resources\t<ResourceRequirements>\n", "  livenessProbe\t<Probe>\n",
              "  command\t<[]string>\n", "  tty\t<boolean>\n"}) {
            QVERIFY2(run.out.contains(QString::fromUtf8(expected)),
                     qPrintable(QString("missing \"") + expected + "\"\n" + run.out));
        }
    }

    void explainPodsRecursive_data() { addVersions(); }
    void explainPodsRecursive()
    {
        QFETCH(QString, version);
        const Run run = kubectl(version, {"explain", "pods", "--recursive"});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        for (const char *expected :
             {"KIND:       Pod\n", "  metadata\t<ObjectMeta>\n",
              "    creationTimestamp\t<string>\n", "    labels\t<map[string]string>\n",
              "  spec\t<PodSpec>\n", "    containers\t<[]Container> -required-\n",
              "      env\t<[]EnvVar>\n", "        valueFrom\t<EnvVarSource>\n",
              "          secretKeyRef\t<SecretKeySelector>\n",
              "        limits\t<map[string]Quantity>\n", "        port\t<IntOrString> -required-\n",
              "    volumes\t<[]Volume>\n", "  status\t<PodStatus>\n"}) {
            QVERIFY2(run.out.contains(QString::fromUtf8(expected)),
                     qPrintable(QString("missing \"") + expected + "\"\n" + run.out.left(3000)));
        }
    }

    // Default validation is Strict: the server rejects the unknown nested field, in upstream's
    // words, for create and for apply of a new object.
    void strictRejectsUnknownNestedField_data() { addVersions(); }
    void strictRejectsUnknownNestedField()
    {
        QFETCH(QString, version);
        const QString file
            = writeFile("strict.yaml", deploymentYaml("strict", "        foo: bar\n"));
        for (const char *verb : {"create", "apply"}) {
            const Run run = kubectl(version, {verb, "-n", ns(version), "-f", file});
            QVERIFY2(run.exitCode != 0, qPrintable(describe(run)));
            const QString expected
                = "Error from server (BadRequest): error when creating \"" + file
                  + "\": Deployment in version \"v1\" cannot be handled as a Deployment: strict "
                    "decoding error: unknown field \"spec.template.spec.containers[0].foo\"";
            QVERIFY2(run.err.contains(expected), qPrintable(describe(run)));
        }
        const Run get = kubectl(version, {"get", "deployment", "strict", "-n", ns(version)});
        QVERIFY2(get.exitCode != 0, qPrintable(describe(get)));
    }

    void warnReportsUnknownNestedField_data() { addVersions(); }
    void warnReportsUnknownNestedField()
    {
        QFETCH(QString, version);
        const QString file = writeFile(
            "warn.yaml", deploymentYaml("warned", "        resources:\n          limitz: {}\n"));
        const Run run
            = kubectl(version, {"apply", "--validate=warn", "-n", ns(version), "-f", file});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        QVERIFY2(
            run.err.contains(
                "Warning: unknown field \"spec.template.spec.containers[0].resources.limitz\""),
            qPrintable(describe(run)));
        const Run del = kubectl(version, {"delete", "deployment", "warned", "-n", ns(version)});
        QVERIFY2(del.exitCode == 0, qPrintable(describe(del)));
    }

    // A strategic merge patch names one container; the other stays and the named one merges.
    void strategicPatchMergesContainersByName_data() { addVersions(); }
    void strategicPatchMergesContainersByName()
    {
        QFETCH(QString, version);
        const QString file = writeFile("patched.yaml", deploymentYaml("patched"));
        Run run = kubectl(version, {"create", "-n", ns(version), "-f", file});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        run = kubectl(version, {"patch", "deployment", "patched", "-n", ns(version),
                                "--type=strategic", "-p",
                                "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":"
                                "\"web\",\"image\":\"nginx:2\"}]}}}}"});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        run = kubectl(version,
                      {"get", "deployment", "patched", "-n", ns(version), "-o",
                       "jsonpath={range .spec.template.spec.containers[*]}{.name}={.image}:"
                       "{.ports[0].containerPort} {end}"});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        QCOMPARE(run.out.trimmed(), QString("web=nginx:2:80 sidecar=busybox:"));
    }

    // apply of a changed manifest computes its patch from the served schemas (1.30+ read them
    // from /openapi/v3) without falling back, and keeps the other container.
    void applyUpdateUsesServedSchemas_data() { addVersions(); }
    void applyUpdateUsesServedSchemas()
    {
        QFETCH(QString, version);
        Run run = kubectl(version, {"apply", "-n", ns(version), "-f",
                                    writeFile("applied.yaml", deploymentYaml("applied"))});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        run = kubectl(version,
                      {"apply", "-n", ns(version), "-f",
                       writeFile("applied2.yaml", deploymentYaml("applied", {}, "nginx:3"))});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        QVERIFY2(!run.err.contains("openapi"), qPrintable(describe(run)));
        run = kubectl(version,
                      {"get", "deployment", "applied", "-n", ns(version), "-o",
                       "jsonpath={range .spec.template.spec.containers[*]}{.name}={.image} {end}"});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        QCOMPARE(run.out.trimmed(), QString("web=nginx:3 sidecar=busybox"));
    }
};

QTEST_GUILESS_MAIN(TestOpenApi)
#include "tst_openapi.moc"
