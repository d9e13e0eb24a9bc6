// Drives the real kubectl 1.27, 1.30 and 1.33 against an in-process kubedesk API server (Store +
// ResourceCatalog + ApiServer behind the HTTPS Server, admin client certificate) and checks what
// a user sees: stdout, stderr and exit codes.

#include "kubectlrunner.h"
#include "testcluster.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

class TestKubectl final : public QObject
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
        return runner().run(version, args, stdinData, 60000);
    }
    QString writeFile(const QString &name, const QString &text)
    {
        return runner().writeFile(name, text);
    }

    static QString ns(const QString &version) { return "it-" + QString(version).remove('.'); }

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
            const QString yaml
                = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + ns(version) + "\n";
            const Run run = kubectl("1.33", {"create", "-f", writeFile("ns.yaml", yaml)});
            KUBECTL_OK(run);
        }
    }

    void cleanupTestCase() { m_cluster.stop(); }

    void getNamespacesShowsTableColumns_data() { addVersions(); }
    void getNamespacesShowsTableColumns()
    {
        QFETCH(QString, version);
        const Run run = kubectl(version, {"get", "ns"});
        KUBECTL_OK(run);
        QVERIFY2(QRegularExpression("^NAME\\s+STATUS\\s+AGE\\n").match(run.out).hasMatch(),
                 qPrintable(run.out));
        for (const char *name : {"default", "kube-system", "kube-public", "kube-node-lease"})
            QVERIFY2(QRegularExpression(QString("\\n%1\\s+Active\\s+\\d+s").arg(name))
                         .match(run.out)
                         .hasMatch(),
                     qPrintable(run.out));
    }

    void createGetAndMissing_data() { addVersions(); }
    void createGetAndMissing()
    {
        QFETCH(QString, version);
        const QString n = ns(version);
        const QString cm = writeFile("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                                "  name: cfg\ndata:\n  a: \"1\"\n");
        Run run = kubectl(version, {"create", "-n", n, "-f", cm});
        KUBECTL_OK(run);
        QCOMPARE(run.out.trimmed(), QString("configmap/cfg created"));

        run = kubectl(version, {"get", "cm", "cfg", "-n", n, "-o", "yaml"});
        KUBECTL_OK(run);
        QVERIFY2(run.out.contains("kind: ConfigMap") && run.out.contains("a: \"1\"")
                     && run.out.contains("namespace: " + n)
                     && QRegularExpression("uid: [0-9a-f-]{36}").match(run.out).hasMatch()
                     && QRegularExpression("resourceVersion: \"\\d+\"").match(run.out).hasMatch(),
                 qPrintable(run.out));

        run = kubectl(version, {"create", "-n", n, "-f", cm});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("Error from server (AlreadyExists): error when creating \"" + cm
                                  + "\": configmaps \"cfg\" already exists"),
                 qPrintable(run.err));

        run = kubectl(version, {"get", "cm", "nope", "-n", n});
        QCOMPARE(run.exitCode, 1);
        QCOMPARE(run.err.trimmed(),
                 QString("Error from server (NotFound): configmaps \"nope\" not found"));

        const QString bad = writeFile("bad.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                                  "  name: Bad_Name\n");
        run = kubectl(version, {"create", "-n", n, "-f", bad});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid "
                                  "value: \"Bad_Name\": a lowercase RFC 1123 subdomain"),
                 qPrintable(run.err));
    }

    void deploymentTableAndPatches_data() { addVersions(); }
    void deploymentTableAndPatches()
    {
        QFETCH(QString, version);
        const QString n = ns(version);
        const QString deploy = writeFile(
            "deploy.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n"
            "    app: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web\n"
            "  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n"
            "      containers:\n      - name: c\n        image: nginx:1.25\n");
        Run run = kubectl(version, {"create", "-n", n, "-f", deploy});
        KUBECTL_OK(run);
        QCOMPARE(run.out.trimmed(), QString("deployment.apps/web created"));

        run = kubectl(version, {"get", "deploy", "-n", n, "-o", "wide"});
        KUBECTL_OK(run);
        QVERIFY2(QRegularExpression("^NAME\\s+READY\\s+UP-TO-DATE\\s+AVAILABLE\\s+AGE\\s+"
                                    "CONTAINERS\\s+IMAGES\\s+SELECTOR\\n")
                     .match(run.out)
                     .hasMatch(),
                 qPrintable(run.out));
        QVERIFY2(QRegularExpression("\\nweb\\s+0/2\\s+0\\s+0\\s+\\S+\\s+c\\s+nginx:1.25\\s+app=web")
                     .match(run.out)
                     .hasMatch(),
                 qPrintable(run.out));

        run = kubectl(
            version,
            {"patch", "deploy", "web", "-n", n, "--type", "strategic", "-p",
             R"({"spec":{"template":{"spec":{"containers":[{"name":"c","image":"nginx:1.26"}]}}}})"});
        KUBECTL_OK(run);
        QCOMPARE(run.out.trimmed(), QString("deployment.apps/web patched"));
        run = kubectl(version, {"patch", "deploy", "web", "-n", n, "--type", "merge", "-p",
                                R"({"spec":{"replicas":3}})"});
        KUBECTL_OK(run);
        run = kubectl(version,
                      {"patch", "deploy", "web", "-n", n, "--type", "json", "-p",
                       R"([{"op":"add","path":"/metadata/labels/tier","value":"front"}])"});
        KUBECTL_OK(run);
        run = kubectl(version,
                      {"get", "deploy", "web", "-n", n, "-o",
                       "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image} "
                       "{.metadata.labels.tier} {.metadata.generation}"});
        KUBECTL_OK(run);
        // Two spec changes after create: generation 3. The label patch is metadata only.
        QCOMPARE(run.out, QString("3 nginx:1.26 front 3"));

        run = kubectl(version, {"patch", "deploy", "web", "-n", n, "--type", "json", "-p",
                                R"([{"op":"test","path":"/spec/replicas","value":7}])"});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("The request is invalid")
                     && run.err.contains("testing value /spec/replicas failed: test failed"),
                 qPrintable(run.err));
    }

    void applyLabelAnnotateDelete_data() { addVersions(); }
    void applyLabelAnnotateDelete()
    {
        QFETCH(QString, version);
        const QString n = ns(version);
        const QString v1 = writeFile("app1.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                                  "  name: app\ndata:\n  k: one\n");
        Run run = kubectl(version, {"apply", "-n", n, "-f", v1});
        KUBECTL_OK(run);
        QCOMPARE(run.out.trimmed(), QString("configmap/app created"));
        const QString v2 = writeFile("app2.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                                  "  name: app\ndata:\n  k: two\n  x: new\n");
        run = kubectl(version, {"apply", "-n", n, "-f", v2});
        KUBECTL_OK(run);
        QCOMPARE(run.out.trimmed(), QString("configmap/app configured"));
        run = kubectl(version, {"apply", "-n", n, "-f", v2});
        KUBECTL_OK(run);
        QCOMPARE(run.out.trimmed(), QString("configmap/app unchanged"));
        run = kubectl(version, {"get", "cm", "app", "-n", n, "-o", "jsonpath={.data.k},{.data.x}"});
        QCOMPARE(run.out, QString("two,new"));

        run = kubectl(version, {"label", "cm", "app", "-n", n, "tier=web"});
        KUBECTL_OK(run);
        QCOMPARE(run.out.trimmed(), QString("configmap/app labeled"));
        run = kubectl(version, {"annotate", "cm", "app", "-n", n, "note=hello"});
        KUBECTL_OK(run);
        // kubectl 1.27 itself prints "annotate" here; newer versions "annotated".
        QVERIFY2(
            QRegularExpression("^configmap/app annotated?$").match(run.out.trimmed()).hasMatch(),
            qPrintable(run.out));
        run = kubectl(version, {"get", "cm", "-n", n, "-l", "tier=web", "-o", "name"});
        KUBECTL_OK(run);
        QCOMPARE(run.out.trimmed(), QString("configmap/app"));
        run = kubectl(version, {"get", "cm", "-n", n, "-l", "tier=db"});
        KUBECTL_OK(run);
        QCOMPARE(run.err.trimmed(), QString("No resources found in %1 namespace.").arg(n));
        run = kubectl(version, {"get", "cm", "-n", n, "--field-selector", "spec.foo=x"});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("field label not supported: spec.foo"), qPrintable(run.err));

        run = kubectl(version, {"delete", "cm", "app", "-n", n});
        KUBECTL_OK(run);
        QCOMPARE(run.out.trimmed(), QString("configmap \"app\" deleted"));
        run = kubectl(version, {"get", "cm", "app", "-n", n});
        QCOMPARE(run.exitCode, 1);
        QCOMPARE(run.err.trimmed(),
                 QString("Error from server (NotFound): configmaps \"app\" not found"));
    }

    void dryRunServerPersistsNothing_data() { addVersions(); }
    void dryRunServerPersistsNothing()
    {
        QFETCH(QString, version);
        const QString n = ns(version);
        const QString cm = writeFile("dry.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                                 "  name: dry\ndata:\n  a: b\n");
        Run run = kubectl(version, {"create", "-n", n, "-f", cm, "--dry-run=server"});
        KUBECTL_OK(run);
        QCOMPARE(run.out.trimmed(), QString("configmap/dry created (server dry run)"));
        run = kubectl(version, {"get", "cm", "dry", "-n", n});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("configmaps \"dry\" not found"), qPrintable(run.err));
    }

    void paginationReturnsEverything_data() { addVersions(); }
    void paginationReturnsEverything()
    {
        QFETCH(QString, version);
        const QString n = ns(version);
        QString docs;
        for (int i = 0; i < 7; ++i)
            docs += QString("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: page-%1\n"
                            "  labels:\n    group: paged\n")
                        .arg(i);
        Run run = kubectl(version, {"create", "-n", n, "-f", writeFile("pages.yaml", docs)});
        KUBECTL_OK(run);
        run = kubectl(version,
                      {"get", "cm", "-n", n, "-l", "group=paged", "--chunk-size=2", "-v=6"});
        KUBECTL_OK(run);
        QStringList names;
        for (const QString &line : run.out.split('\n', Qt::SkipEmptyParts)) {
            if (line.startsWith("page-"))
                names << line.section(' ', 0, 0);
        }
        QCOMPARE(names, (QStringList{"page-0", "page-1", "page-2", "page-3", "page-4", "page-5",
                                     "page-6"}));
        // The pages really were fetched with continue tokens.
        QVERIFY2(run.err.count("continue=") >= 3, qPrintable(run.err));
        QCOMPARE(run.out.count("NAME"), 1);
    }

    void watchSeesNewObject_data() { addVersions(); }
    void watchSeesNewObject()
    {
        QFETCH(QString, version);
        const QString n = ns(version);
        QProcess watch;
        watch.start(kubectlPath(version), baseArgs() + QStringList{"get", "cm", "-n", n, "-w"});
        QVERIFY(watch.waitForStarted(10000));
        QByteArray seen;
        QDeadlineTimer deadline(30000);
        while (!seen.contains("NAME") && !deadline.hasExpired()) {
            watch.waitForReadyRead(500);
            seen += watch.readAllStandardOutput();
        }
        QVERIFY2(seen.contains("NAME"), seen.constData());
        const QString cm = writeFile("watched.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
                                                     "  name: watched\ndata:\n  a: b\n");
        const Run run = kubectl(version, {"create", "-n", n, "-f", cm});
        KUBECTL_OK(run);
        // Rows can arrive in pieces: wait for the whole line.
        const QRegularExpression row("\\nwatched\\s+1\\s+\\d+s\\n");
        while (!row.match(QString::fromUtf8(seen)).hasMatch() && !deadline.hasExpired()) {
            watch.waitForReadyRead(500);
            seen += watch.readAllStandardOutput();
        }
        watch.kill();
        watch.waitForFinished();
        QVERIFY2(row.match(QString::fromUtf8(seen)).hasMatch(), seen.constData());
    }

    void scaleAndDefaults_data() { addVersions(); }
    void scaleAndDefaults()
    {
        QFETCH(QString, version);
        const QString n = ns(version);
        Run run = kubectl(version, {"create", "deployment", "scaled", "-n", n, "--image=busybox"});
        KUBECTL_OK(run);
        // Server-side defaults as upstream stores them.
        run = kubectl(version, {"get", "deploy", "scaled", "-n", n, "-o",
                                "jsonpath={.spec.replicas} {.spec.strategy.type} "
                                "{.spec.strategy.rollingUpdate.maxSurge} "
                                "{.spec.revisionHistoryLimit} {.spec.progressDeadlineSeconds} "
                                "{.spec.template.spec.restartPolicy} "
                                "{.spec.template.spec.containers[0].imagePullPolicy} "
                                "{.spec.template.spec.containers[0].terminationMessagePath}"});
        KUBECTL_OK(run);
        QCOMPARE(run.out, QString("1 RollingUpdate 25% 10 600 Always Always /dev/termination-log"));

        run = kubectl(version, {"scale", "deploy", "scaled", "-n", n, "--replicas=3"});
        KUBECTL_OK(run);
        QCOMPARE(run.out.trimmed(), QString("deployment.apps/scaled scaled"));
        run = kubectl(version, {"get", "deploy", "scaled", "-n", n, "-o",
                                "jsonpath={.spec.replicas} {.metadata.generation}"});
        KUBECTL_OK(run);
        QCOMPARE(run.out, QString("3 2"));

        // --current-replicas is checked against the Scale kubectl reads first.
        run = kubectl(version, {"scale", "deploy", "scaled", "-n", n, "--current-replicas=2",
                                "--replicas=1"});
        QVERIFY2(run.exitCode != 0 && run.err.contains("was 3"), qPrintable(run.err));

        const QString sts = writeFile(
            "sts.yaml",
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n"
            "  serviceName: db\n  selector:\n    matchLabels:\n      app: db\n  template:\n"
            "    metadata:\n      labels:\n        app: db\n    spec:\n      containers:\n"
            "      - name: c\n        image: postgres:16\n");
        KUBECTL_OK(kubectl(version, {"create", "-n", n, "-f", sts}));
        run = kubectl(version, {"scale", "statefulset", "db", "-n", n, "--replicas=0"});
        KUBECTL_OK(run);
        QCOMPARE(run.out.trimmed(), QString("statefulset.apps/db scaled"));
        run = kubectl(version, {"get", "sts", "db", "-n", n, "-o",
                                "jsonpath={.spec.replicas} {.spec.podManagementPolicy} "
                                "{.spec.updateStrategy.rollingUpdate.partition} "
                                "{.spec.template.spec.containers[0].imagePullPolicy}"});
        KUBECTL_OK(run);
        QCOMPARE(run.out, QString("0 OrderedReady 0 IfNotPresent"));

        run = kubectl(version, {"scale", "deploy", "missing", "-n", n, "--replicas=2"});
        // kubectl before 1.31 drops the NotFound and reports that nothing matched.
        QVERIFY2(run.exitCode != 0
                     && (run.err.contains("deployments.apps \"missing\" not found")
                         || run.err.contains("no objects passed to scale")),
                 qPrintable(run.err));
    }

    void serviceAllocation_data() { addVersions(); }
    void serviceAllocation()
    {
        QFETCH(QString, version);
        const QString n = ns(version);
        Run run
            = kubectl(version, {"create", "service", "nodeport", "np", "-n", n, "--tcp=80:8080"});
        KUBECTL_OK(run);
        run = kubectl(version, {"get", "svc", "np", "-n", n, "-o",
                                "jsonpath={.spec.clusterIP} {.spec.ports[0].nodePort}"});
        KUBECTL_OK(run);
        const QStringList parts = run.out.split(' ');
        QCOMPARE(parts.size(), 2);
        QVERIFY2(parts[0].startsWith("10."), qPrintable(run.out));
        QVERIFY2(parts[1].toInt() >= 30000 && parts[1].toInt() <= 32767, qPrintable(run.out));

        // The table shows the allocated address and the port mapping.
        run = kubectl(version, {"get", "svc", "np", "-n", n});
        KUBECTL_OK(run);
        QVERIFY2(run.out.contains(parts[0]) && run.out.contains("80:" + parts[1] + "/TCP"),
                 qPrintable(run.out));

        // Asking for the same node port again is refused with upstream's words.
        const QString clash = writeFile(
            "clash.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: clash\nspec:\n"
                          "  type: NodePort\n  ports:\n  - port: 80\n    nodePort: "
                              + parts[1] + "\n");
        run = kubectl(version, {"create", "-n", n, "-f", clash});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("The Service \"clash\" is invalid: spec.ports[0].nodePort: "
                                  "Invalid value: "
                                  + parts[1] + ": provided port is already allocated"),
                 qPrintable(run.err));
        KUBECTL_OK(kubectl(version, {"delete", "svc", "np", "-n", n}));
        KUBECTL_OK(kubectl(version, {"create", "-n", n, "-f", clash}));
    }

    // A client certificate for CN=jane, O=dev signed by the cluster CA: authenticated, but
    // with no RBAC binding of its own.
    QString janeArgsError()
    {
        const QString key = m_dir.path() + "/jane.key";
        const QString crt = m_dir.path() + "/jane.crt";
        if (QFile::exists(crt))
            return {};
        const QString csr = m_dir.path() + "/jane.csr";
        const QString ext = writeFile("jane.ext", "extendedKeyUsage=clientAuth\n");
        const QString pki = m_cluster.dir() + "/pki";
        const QList<QStringList> steps{
            {"ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key},
            {"req", "-new", "-key", key, "-subj", "/O=dev/CN=jane", "-out", csr},
            {"x509", "-req", "-in", csr, "-CA", pki + "/ca.crt", "-CAkey", pki + "/ca.key",
             "-CAcreateserial", "-days", "1", "-extfile", ext, "-out", crt}};
        for (const QStringList &step : steps) {
            QProcess openssl;
            openssl.start("openssl", step);
            if (!openssl.waitForFinished(30000) || openssl.exitCode() != 0)
                return "openssl " + step.join(' ') + ": " + openssl.readAllStandardError();
        }
        return {};
    }
    QStringList asJane()
    {
        const QString config = writeFile(
            "jane.kubeconfig",
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: "
                + m_cluster.baseUrl() + "\n    certificate-authority: " + m_cluster.caFile()
                + "\nusers:\n- name: jane\n  user:\n    client-certificate: " + m_dir.path()
                + "/jane.crt\n    client-key: " + m_dir.path()
                + "/jane.key\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: "
                  "jane\ncurrent-context: c\n");
        return {"--kubeconfig", config};
    }

    void authorization_data() { addVersions(); }
    void authorization()
    {
        QFETCH(QString, version);
        const QString n = ns(version);
        Run run = kubectl(version, {"auth", "can-i", "create", "deployments", "-n", n});
        KUBECTL_OK(run);
        QCOMPARE(run.out.trimmed(), QString("yes"));
        if (version != "1.27") { // auth whoami exists from 1.28
            run = kubectl(version, {"auth", "whoami", "-o", "json"});
            KUBECTL_OK(run);
            QVERIFY2(run.out.contains("\"username\": \"kubedesk-admin\""), qPrintable(run.out));
            QVERIFY2(QRegularExpression("\"groups\": \\[\\s*\"system:masters\",\\s*"
                                        "\"system:authenticated\"\\s*\\]")
                         .match(run.out)
                         .hasMatch(),
                     qPrintable(run.out));
        }

        const QString failure = janeArgsError();
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        run = kubectl(version, asJane() + QStringList{"get", "pods", "-n", n});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("Error from server (Forbidden): pods is forbidden: User \"jane\" "
                                  "cannot list resource \"pods\" in API group \"\" in the "
                                  "namespace \""
                                  + n + "\""),
                 qPrintable(run.err));
        run = kubectl(version, asJane() + QStringList{"auth", "can-i", "list", "pods", "-n", n});
        QCOMPARE(run.exitCode, 1);
        QCOMPARE(run.out.trimmed(), QString("no"));

        KUBECTL_OK(kubectl(version, {"create", "rolebinding", "jane-view", "--clusterrole=view",
                                     "--user=jane", "-n", n}));
        run = kubectl(version, asJane() + QStringList{"get", "pods", "-n", n});
        KUBECTL_OK(run);
        run = kubectl(version, asJane() + QStringList{"auth", "can-i", "list", "pods", "-n", n});
        KUBECTL_OK(run);
        QCOMPARE(run.out.trimmed(), QString("yes"));
        // view reads, but neither writes nor reads secrets, and only in that namespace.
        run = kubectl(version,
                      asJane() + QStringList{"auth", "can-i", "create", "deployments", "-n", n});
        QCOMPARE(run.out.trimmed(), QString("no"));
        run = kubectl(version, asJane() + QStringList{"get", "secrets", "-n", n});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("secrets is forbidden"), qPrintable(run.err));
        run = kubectl(version, asJane() + QStringList{"get", "pods", "-n", "default"});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("in the namespace \"default\""), qPrintable(run.err));
    }

    void serviceAccountToken_data() { addVersions(); }
    void serviceAccountToken()
    {
        QFETCH(QString, version);
        const QString n = ns(version);
        KUBECTL_OK(kubectl(version, {"create", "serviceaccount", "robot", "-n", n}));
        Run run = kubectl(version, {"create", "token", "robot", "-n", n, "--duration=20m"});
        KUBECTL_OK(run);
        const QString token = run.out.trimmed();
        QCOMPARE(token.count('.'), 2);

        // The token alone (no client certificate) authenticates as the service account.
        const QString config = writeFile(
            "token-" + version + ".kubeconfig",
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: "
                + m_cluster.baseUrl() + "\n    certificate-authority: " + m_cluster.caFile()
                + "\nusers:\n- name: robot\n  user:\n    token: " + token
                + "\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: robot\n"
                  "current-context: c\n");
        if (version != "1.27") {
            run = kubectl(version, {"--kubeconfig", config, "auth", "whoami", "-o",
                                    "jsonpath={.status.userInfo.username} "
                                    "{.status.userInfo.groups}"});
            KUBECTL_OK(run);
            QCOMPARE(run.out, "system:serviceaccount:" + n
                                  + R"(:robot ["system:serviceaccounts","system:serviceaccounts:)"
                                  + n + R"(","system:authenticated"])");
        }
        run = kubectl(version, {"--kubeconfig", config, "get", "pods", "-n", n});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("pods is forbidden: User \"system:serviceaccount:" + n
                                  + ":robot\" cannot list resource \"pods\""),
                 qPrintable(run.err));

        run = kubectl(version, {"create", "token", "missing", "-n", n});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("serviceaccounts \"missing\" not found"), qPrintable(run.err));
        run = kubectl(version, {"create", "token", "robot", "-n", n, "--duration=1m"});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("may not specify a duration less than 10 minutes"),
                 qPrintable(run.err));
    }
};

QTEST_GUILESS_MAIN(TestKubectl)
#include "tst_kubectl.moc"
