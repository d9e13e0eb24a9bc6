// The bundled cluster's controllers seen through the real kubectl: namespace deletion empties and
// removes the namespace, the garbage collector honours ownerReferences and the three propagation
// policies, every namespace gets its `default` ServiceAccount and `kube-root-ca.crt` ConfigMap.

#include "kubectlrunner.h"
#include "testcluster.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <functional>

class TestControllers final : public QObject
{
    Q_OBJECT

private:
    TestCluster m_cluster;
    QTemporaryDir m_dir;
    int m_files = 0;

    static QString kubectlPath(const QString &version) { return KubectlRunner::path(version); }
    KubectlRunner runner() const { return {m_dir.path(), m_cluster.kubeconfig()}; }
    Run kubectl(const QStringList &args, const QString &version = "1.33")
    {
        return runner().run(version, args, {}, 120000);
    }
    QString writeFile(const QString &text)
    {
        return runner().writeFile("object-" + QString::number(++m_files) + ".yaml", text);
    }

    Run create(const QString &yaml, const QString &version = "1.33")
    {
        return kubectl({"create", "-f", writeFile(yaml)}, version);
    }

    // The controllers work asynchronously: wait (generously) until the condition holds.
    static bool eventually(const std::function<bool()> &condition, int seconds = 60)
    {
        QDeadlineTimer deadline(seconds * 1000);
        while (!deadline.hasExpired()) {
            if (condition())
                return true;
            QThread::msleep(200);
        }
        return condition();
    }

    bool isGone(const QStringList &what)
    {
        const Run run = kubectl(QStringList{"get"} + what);
        return run.exitCode == 1 && run.err.contains("NotFound");
    }

    QString jsonPath(const QStringList &what, const QString &path)
    {
        const Run run = kubectl(QStringList{"get"} + what + QStringList{"-o", "jsonpath=" + path});
        return run.exitCode == 0 ? run.out : QString();
    }

    static QString configMap(const QString &ns, const QString &name, const QString &ownerName = {},
                             const QString &ownerUid = {}, bool block = false)
    {
        QString yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name
                       + "\n  namespace: " + ns + "\n";
        if (!ownerUid.isEmpty())
            yaml += "  ownerReferences:\n  - apiVersion: v1\n    kind: ConfigMap\n    name: "
                    + ownerName + "\n    uid: " + ownerUid + "\n"
                    + (block ? "    blockOwnerDeletion: true\n" : "");
        return yaml + "data:\n  key: value\n";
    }

    // An owner ConfigMap and one dependent referencing it by uid; returns the owner's uid.
    QString ownerAndDependent(const QString &ns, bool block)
    {
        if (create(configMap(ns, "owner")).exitCode != 0)
            return {};
        const QString uid = jsonPath({"configmap", "owner", "-n", ns}, "{.metadata.uid}");
        if (uid.isEmpty() || create(configMap(ns, "dep", "owner", uid, block)).exitCode != 0)
            return {};
        return uid;
    }

private Q_SLOTS:
    void initTestCase()
    {
        for (const char *version : {"1.27", "1.33"}) {
            if (!QFile::exists(kubectlPath(version)))
                QFAIL(qPrintable("kubectl." + QString(version) + " is not installed"));
        }
        QVERIFY(m_dir.isValid());
        const QString failure = m_cluster.start({});
        QVERIFY2(failure.isEmpty(), qPrintable(failure));

        const QString crd = "apiVersion: apiextensions.k8s.io/v1\n"
                            "kind: CustomResourceDefinition\n"
                            "metadata:\n  name: widgets.example.com\n"
                            "spec:\n  group: example.com\n  scope: Namespaced\n"
                            "  names:\n    plural: widgets\n    singular: widget\n"
                            "    kind: Widget\n"
                            "  versions:\n  - name: v1\n    served: true\n    storage: true\n"
                            "    schema:\n      openAPIV3Schema:\n        type: object\n"
                            "        x-kubernetes-preserve-unknown-fields: true\n";
        KUBECTL_OK(create(crd));
        QVERIFY2(eventually([this] {
                     return kubectl({"get", "widgets", "-A"}).exitCode == 0;
                 }),
                 "the Widget kind is not served");
    }

    void cleanupTestCase() { m_cluster.stop(); }

    void namespaceDeletionRemovesContent_data()
    {
        QTest::addColumn<QString>("version");
        QTest::newRow("1.33") << "1.33";
        QTest::newRow("1.27") << "1.27";
    }
    void namespaceDeletionRemovesContent()
    {
        QFETCH(QString, version);
        const QString ns = "doomed-" + QString(version).remove('.');
        KUBECTL_OK(kubectl({"create", "namespace", ns}, version));
        KUBECTL_OK(create(configMap(ns, "settings"), version));
        KUBECTL_OK(kubectl(
            {"create", "secret", "generic", "token", "-n", ns, "--from-literal=password=hunter2"},
            version));
        KUBECTL_OK(create("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\n"
                          "  namespace: "
                              + ns + "\nspec:\n  size: 3\n",
                          version));

        // kubectl waits until the namespace is gone.
        const Run deleted = kubectl({"delete", "namespace", ns, "--timeout=90s"}, version);
        KUBECTL_OK(deleted);
        QVERIFY2(deleted.out.contains("namespace \"" + ns + "\" deleted"), qPrintable(deleted.out));
        const Run get = kubectl({"get", "namespace", ns}, version);
        QCOMPARE(get.exitCode, 1);
        QVERIFY2(get.err.contains("namespaces \"" + ns + "\" not found"), qPrintable(get.err));

        // Re-creating the name gives an empty namespace.
        KUBECTL_OK(kubectl({"create", "namespace", ns}, version));
        const Run widgets = kubectl({"get", "widgets,configmaps,secrets", "-n", ns}, version);
        KUBECTL_OK(widgets);
        QVERIFY2(!widgets.out.contains("w1") && !widgets.out.contains("settings")
                     && !widgets.out.contains("token"),
                 qPrintable(widgets.out));
    }

    void terminatingNamespaceWaitsForFinalizers()
    {
        const QString ns = "held";
        KUBECTL_OK(kubectl({"create", "namespace", ns}));
        KUBECTL_OK(create("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pinned\n"
                          "  namespace: held\n  finalizers:\n  - example.com/hold\n"));
        KUBECTL_OK(create(configMap(ns, "loose")));
        KUBECTL_OK(kubectl({"delete", "namespace", ns, "--wait=false"}));

        // Everything without a finalizer goes; the namespace reports what holds it.
        QVERIFY2(eventually([&] {
                     return isGone({"configmap", "loose", "-n", ns});
                 }),
                 "unfinalized content was not deleted");
        QVERIFY(eventually([&] {
            return jsonPath({"namespace", ns},
                            "{.status.conditions[?(@.type==\"NamespaceFinalizersRemaining\")]."
                            "status}")
                   == "True";
        }));
        const QString message
            = jsonPath({"namespace", ns},
                       "{.status.conditions[?(@.type==\"NamespaceContentRemaining\")].message}");
        QVERIFY2(message.contains("configmaps.") && message.contains("1 resource instances"),
                 qPrintable(message));
        QCOMPARE(jsonPath({"namespace", ns}, "{.status.phase}"), QString("Terminating"));

        const Run refused = create(configMap(ns, "late"));
        QCOMPARE(refused.exitCode, 1);
        QVERIFY2(refused.err.contains("unable to create new content in namespace held because it "
                                      "is being terminated"),
                 qPrintable(refused.err));

        KUBECTL_OK(kubectl({"patch", "configmap", "pinned", "-n", ns, "--type=merge", "-p",
                            "{\"metadata\":{\"finalizers\":null}}"}));
        QVERIFY2(eventually([&] {
                     return isGone({"namespace", ns});
                 }),
                 "the namespace stayed after its content was gone");
    }

    void newNamespaceGetsDefaultServiceAccount()
    {
        const QString ns = "team-a";
        KUBECTL_OK(kubectl({"create", "namespace", ns}));
        QVERIFY2(eventually([&] {
                     return kubectl({"get", "serviceaccount", "default", "-n", ns}).exitCode == 0;
                 }),
                 "no default ServiceAccount");
        const QString firstUid
            = jsonPath({"serviceaccount", "default", "-n", ns}, "{.metadata.uid}");
        QVERIFY(!firstUid.isEmpty());

        // Deleted by a user, it comes back as a new object.
        KUBECTL_OK(kubectl({"delete", "serviceaccount", "default", "-n", ns}));
        QVERIFY2(eventually([&] {
                     const QString uid
                         = jsonPath({"serviceaccount", "default", "-n", ns}, "{.metadata.uid}");
                     return !uid.isEmpty() && uid != firstUid;
                 }),
                 "the default ServiceAccount was not re-created");
    }

    void namespacesGetRootCaConfigMap()
    {
        QFile caFile(m_cluster.caFile());
        QVERIFY(caFile.open(QIODevice::ReadOnly));
        const QString ca = QString::fromUtf8(caFile.readAll());
        for (const char *ns : {"default", "kube-system", "team-a"}) {
            QVERIFY2(eventually([&] {
                         return jsonPath({"configmap", "kube-root-ca.crt", "-n", ns},
                                         "{.data.ca\\.crt}")
                                == ca;
                     }),
                     ns);
        }
        // A changed copy is put back.
        KUBECTL_OK(kubectl({"patch", "configmap", "kube-root-ca.crt", "-n", "team-a",
                            "--type=merge", "-p", "{\"data\":{\"ca.crt\":\"tampered\"}}"}));
        QVERIFY(eventually([&] {
            return jsonPath({"configmap", "kube-root-ca.crt", "-n", "team-a"}, "{.data.ca\\.crt}")
                   == ca;
        }));
    }

    void backgroundDeletionRemovesDependents()
    {
        KUBECTL_OK(kubectl({"create", "namespace", "gc-background"}));
        QVERIFY(!ownerAndDependent("gc-background", false).isEmpty());
        KUBECTL_OK(kubectl({"delete", "configmap", "owner", "-n", "gc-background"}));
        QVERIFY2(eventually([&] {
                     return isGone({"configmap", "dep", "-n", "gc-background"});
                 }),
                 "the dependent of a deleted owner stayed");
    }

    void dependentOfMissingOwnerIsCollected()
    {
        KUBECTL_OK(kubectl({"create", "namespace", "gc-dangling"}));
        KUBECTL_OK(create(
            configMap("gc-dangling", "stray", "ghost", "00000000-0000-0000-0000-000000000001")));
        KUBECTL_OK(create(configMap("gc-dangling", "keeper")));
        QVERIFY2(eventually([&] {
                     return isGone({"configmap", "stray", "-n", "gc-dangling"});
                 }),
                 "a dependent whose owner never existed stayed");
        KUBECTL_OK(kubectl({"get", "configmap", "keeper", "-n", "gc-dangling"}));
    }

    void foregroundDeletionWaitsForDependents()
    {
        KUBECTL_OK(kubectl({"create", "namespace", "gc-foreground"}));
        QVERIFY(!ownerAndDependent("gc-foreground", true).isEmpty());
        // kubectl returns once the owner is gone, which the blocking dependent delays.
        const Run deleted = kubectl(
            {"delete", "configmap", "owner", "-n", "gc-foreground", "--cascade=foreground"});
        KUBECTL_OK(deleted);
        QVERIFY(isGone({"configmap", "owner", "-n", "gc-foreground"}));
        QVERIFY2(isGone({"configmap", "dep", "-n", "gc-foreground"}),
                 "the owner went before its blocking dependent");
    }

    void orphanDeletionKeepsDependents()
    {
        KUBECTL_OK(kubectl({"create", "namespace", "gc-orphan"}));
        const QString uid = ownerAndDependent("gc-orphan", true);
        QVERIFY(!uid.isEmpty());
        KUBECTL_OK(
            kubectl({"delete", "configmap", "owner", "-n", "gc-orphan", "--cascade=orphan"}));
        QVERIFY(eventually([&] { return isGone({"configmap", "owner", "-n", "gc-orphan"}); }));
        const Run dep = kubectl({"get", "configmap", "dep", "-n", "gc-orphan", "-o", "json"});
        KUBECTL_OK(dep);
        QVERIFY2(!dep.out.contains("ownerReferences") && !dep.out.contains(uid),
                 qPrintable(dep.out));
        // And it stays: nothing collects an object without owners.
        KUBECTL_OK(kubectl({"get", "configmap", "dep", "-n", "gc-orphan"}));
    }
};

QTEST_GUILESS_MAIN(TestControllers)
#include "tst_controllers.moc"
