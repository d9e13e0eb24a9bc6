// What kubectl 1.27 and 1.33 users see when the bundled API server validates an object: the
// updates a running object allows, and the exact "is invalid" message for the ones it refuses
// (pod spec changes, job templates, immutable ConfigMaps, cluster IPs, roleRefs, cron schedules,
// container names). Each refused write must also leave the object as it was.

#include "kubectlrunner.h"
#include "testcluster.h"

#include <QTemporaryDir>
#include <QTest>

class TestValidation final : public QObject
{
    Q_OBJECT

private:
    TestCluster m_cluster;
    QTemporaryDir m_dir;

    Run kubectl(const QString &version, const QStringList &args)
    {
        return KubectlRunner(m_dir.path(), m_cluster.kubeconfig()).run(version, args, {}, 60000);
    }
    Run kubectlIn(const QString &version, QStringList args)
    {
        return kubectl(version, args << "-n" << ns(version));
    }
    QString writeFile(const QString &name, const QString &text)
    {
        return KubectlRunner(m_dir.path(), m_cluster.kubeconfig()).writeFile(name, text);
    }
    static QString ns(const QString &version) { return "val-" + QString(version).remove('.'); }
    static void addVersions()
    {
        QTest::addColumn<QString>("version");
        for (const char *version : {"1.27", "1.33"})
            QTest::newRow(version) << QString(version);
    }
    // A refused write: exit code 1 and exactly `message` on stderr.
    static void expectInvalid(const Run &run, const QString &message)
    {
        QVERIFY2(run.exitCode == 1,
                 qPrintable("exit " + QString::number(run.exitCode) + "\n" + run.out + run.err));
        QVERIFY2(run.err.trimmed() == message,
                 qPrintable("got:\n" + run.err + "\nwanted:\n" + message));
    }

private Q_SLOTS:
    void initTestCase()
    {
        const QString missing = KubectlRunner::missing({"1.27", "1.33"});
        if (!missing.isEmpty())
            QFAIL(qPrintable("kubectl." + missing + " is not installed"));
        QVERIFY(m_dir.isValid());
        const QString failure = m_cluster.start({});
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        for (const char *version : {"1.27", "1.33"})
            KUBECTL_OK(kubectl("1.33", {"create", "namespace", ns(version)}));
    }
    void cleanupTestCase() { m_cluster.stop(); }

    void podImageChangeIsAllowedOtherSpecChangesAreNot_data() { addVersions(); }
    void podImageChangeIsAllowedOtherSpecChangesAreNot()
    {
        QFETCH(QString, version);
        const QString pod = writeFile("pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n"
                                                  "  name: web\nspec:\n  containers:\n"
                                                  "  - name: c\n    image: busybox:1.35\n");
        KUBECTL_OK(kubectlIn(version, {"create", "-f", pod}));
        Run run = kubectlIn(version, {"set", "image", "pod/web", "c=busybox:1.36"});
        KUBECTL_OK(run);
        QCOMPARE(run.out.trimmed(), QString("pod/web image updated"));

        run = kubectlIn(version, {"patch", "pod", "web", "-p",
                                  "{\"spec\":{\"restartPolicy\":"
                                  "\"Never\"}}"});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.startsWith(
                     "The Pod \"web\" is invalid: spec: Forbidden: pod updates may not change "
                     "fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,"
                     "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
                     "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 "
                     "if it was previously negative)\n"),
                 qPrintable(run.err));
        QVERIFY2(run.err.contains("RestartPolicy"), qPrintable(run.err));

        run = kubectlIn(version, {"get", "pod", "web", "-o",
                                  "jsonpath={.spec.containers[0].image} {.spec.restartPolicy}"});
        KUBECTL_OK(run);
        QCOMPARE(run.out, QString("busybox:1.36 Always"));
    }

    void badContainerName_data() { addVersions(); }
    void badContainerName()
    {
        QFETCH(QString, version);
        const QString pod = writeFile("bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n"
                                                  "  name: bad\nspec:\n  containers:\n"
                                                  "  - name: Web_1\n    image: busybox\n");
        expectInvalid(kubectlIn(version, {"create", "-f", pod}),
                      "The Pod \"bad\" is invalid: spec.containers[0].name: Invalid value: "
                      "\"Web_1\": a lowercase RFC 1123 label must consist of lower case "
                      "alphanumeric characters or '-', and must start and end with an "
                      "alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
                      "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
        const Run run = kubectlIn(version, {"get", "pod", "bad"});
        QCOMPARE(run.exitCode, 1);
    }

    void jobTemplateIsImmutable_data() { addVersions(); }
    void jobTemplateIsImmutable()
    {
        QFETCH(QString, version);
        KUBECTL_OK(kubectlIn(version, {"create", "job", "once", "--image=busybox:1.35"}));
        expectInvalid(kubectlIn(version, {"patch", "job", "once", "-p",
                                          "{\"spec\":{\"template\":{\"spec\":{\"containers\":"
                                          "[{\"name\":\"once\",\"image\":\"busybox:1.36\"}]}}}}"}),
                      "The Job \"once\" is invalid: spec.template: Invalid value: "
                      "core.PodTemplateSpec{…}: field is immutable");
        const Run run = kubectlIn(version, {"get", "job", "once", "-o",
                                            "jsonpath={.spec.template.spec.containers[0].image}"});
        KUBECTL_OK(run);
        QCOMPARE(run.out, QString("busybox:1.35"));
    }

    void immutableConfigMap_data() { addVersions(); }
    void immutableConfigMap()
    {
        QFETCH(QString, version);
        const QString cm = writeFile("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                                "  name: frozen\nimmutable: true\ndata:\n"
                                                "  a: \"1\"\n");
        KUBECTL_OK(kubectlIn(version, {"create", "-f", cm}));
        expectInvalid(
            kubectlIn(version, {"patch", "cm", "frozen", "-p", "{\"data\":{\"a\":\"2\"}}"}),
            "The ConfigMap \"frozen\" is invalid: data: Forbidden: field is immutable "
            "when `immutable` is set");
        // Labels are metadata, which immutability does not cover.
        KUBECTL_OK(kubectlIn(version, {"label", "cm", "frozen", "tier=config"}));
        const Run run = kubectlIn(version, {"get", "cm", "frozen", "-o", "jsonpath={.data.a}"});
        KUBECTL_OK(run);
        QCOMPARE(run.out, QString("1"));
    }

    void serviceClusterIpIsImmutable_data() { addVersions(); }
    void serviceClusterIpIsImmutable()
    {
        QFETCH(QString, version);
        KUBECTL_OK(kubectlIn(version, {"create", "service", "clusterip", "api", "--tcp=80:8080"}));
        Run run = kubectlIn(version, {"get", "svc", "api", "-o", "jsonpath={.spec.clusterIP}"});
        KUBECTL_OK(run);
        const QString ip = run.out;
        QVERIFY2(ip.startsWith("10."), qPrintable(ip));
        const QString other = ip.endsWith(".77") ? "10.96.0.78" : "10.96.0.77";
        expectInvalid(kubectlIn(version, {"patch", "svc", "api", "-p",
                                          "{\"spec\":{\"clusterIP\":\"" + other
                                              + "\",\"clusterIPs\":[\"" + other + "\"]}}"}),
                      "The Service \"api\" is invalid: spec.clusterIPs[0]: Invalid value: "
                      "[]string{\""
                          + other + "\"}: may not change once set");
        run = kubectlIn(version, {"get", "svc", "api", "-o", "jsonpath={.spec.clusterIP}"});
        KUBECTL_OK(run);
        QCOMPARE(run.out, ip);
    }

    void roleRefIsImmutable_data() { addVersions(); }
    void roleRefIsImmutable()
    {
        QFETCH(QString, version);
        KUBECTL_OK(kubectlIn(
            version, {"create", "rolebinding", "readers", "--clusterrole=view", "--user=alice"}));
        expectInvalid(kubectlIn(version, {"patch", "rolebinding", "readers", "--type=merge", "-p",
                                          "{\"roleRef\":{\"name\":\"edit\"}}"}),
                      "The RoleBinding \"readers\" is invalid: roleRef: Invalid value: "
                      "rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"ClusterRole\", "
                      "Name:\"edit\"}: cannot change roleRef");
        // Subjects may change.
        KUBECTL_OK(kubectlIn(version, {"patch", "rolebinding", "readers", "--type=merge", "-p",
                                       "{\"subjects\":[{\"kind\":\"User\",\"name\":\"bob\","
                                       "\"apiGroup\":\"rbac.authorization.k8s.io\"}]}"}));
    }

    void badCronSchedule_data() { addVersions(); }
    void badCronSchedule()
    {
        QFETCH(QString, version);
        const auto cronJob = [&](const QString &schedule) {
            return writeFile("cron.yaml",
                             "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: nightly\n"
                             "spec:\n  schedule: \""
                                 + schedule
                                 + "\"\n  jobTemplate:\n    spec:\n      template:\n        spec:\n"
                                   "          restartPolicy: OnFailure\n          containers:\n"
                                   "          - name: c\n            image: busybox\n");
        };
        expectInvalid(kubectlIn(version, {"create", "-f", cronJob("61 2 * * *")}),
                      "The CronJob \"nightly\" is invalid: spec.schedule: Invalid value: \"61 2 * "
                      "* *\": end of range (61) above maximum (59): 61");
        expectInvalid(kubectlIn(version, {"create", "-f", cronJob("every night")}),
                      "The CronJob \"nightly\" is invalid: spec.schedule: Invalid value: \"every "
                      "night\": expected exactly 5 fields, found 2: [every night]");
        const Run run = kubectlIn(version, {"get", "cronjob", "nightly"});
        QCOMPARE(run.exitCode, 1);
        KUBECTL_OK(kubectlIn(version, {"create", "-f", cronJob("@daily")}));
    }
};

QTEST_GUILESS_MAIN(TestValidation)
#include "tst_validation.moc"
