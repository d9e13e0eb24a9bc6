#include <nlohmann/json.hpp>

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using nlohmann::json;

// Real kubectl 1.33 against the real kubedesk-cluster: its typed creates send protobuf bodies
// only, so each of these commands fails unless the server transcodes them.
class TestProtobufCluster final : public QObject
{
    Q_OBJECT

private:
    QProcess m_cluster;
    QTemporaryDir m_dataDir;
    QTemporaryDir m_cacheDir;
    QString m_kubectl = QStringLiteral("/usr/lib/google-cloud-sdk/bin/kubectl.1.33");

    struct Run
    {
        int exitCode = -1;
        QByteArray out;
        QByteArray err;
    };

    Run kubectl(const QStringList &arguments)
    {
        QProcess process;
        process.start(m_kubectl, QStringList{"--kubeconfig", m_dataDir.path() + "/kubeconfig",
                                             "--cache-dir", m_cacheDir.path()}
                                     + arguments);
        Run run;
        if (!process.waitForFinished(60000)) {
            process.kill();
            process.waitForFinished(5000);
            run.err = "timed out";
            return run;
        }
        run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
        run.out = process.readAllStandardOutput();
        run.err = process.readAllStandardError();
        return run;
    }

    json getJson(const QStringList &arguments)
    {
        const Run run = kubectl(QStringList{"get"} + arguments + QStringList{"-o", "json"});
        if (run.exitCode != 0)
            return json();
        return json::parse(run.out.toStdString(), nullptr, false);
    }

private Q_SLOTS:
    void initTestCase()
    {
        if (!QFile::exists(m_kubectl))
            QFAIL("kubectl 1.33 is not installed");
        QVERIFY(m_dataDir.isValid() && m_cacheDir.isValid());
        m_cluster.start(QStringLiteral(KD_CLUSTER_BINARY),
                        {"serve", "--data-dir", m_dataDir.path(), "--listen", "127.0.0.1:0",
                         "--runtime", "none"});
        QVERIFY(m_cluster.waitForStarted(10000));
        QByteArray log;
        const bool ready = QTest::qWaitFor(
            [&] {
                log += m_cluster.readAllStandardError();
                return log.contains("kubeconfig written")
                       || m_cluster.state() == QProcess::NotRunning;
            },
            60000);
        QVERIFY2(ready && log.contains("kubeconfig written"), log.constData());
    }

    void cleanupTestCase()
    {
        if (m_cluster.state() == QProcess::NotRunning)
            return;
        m_cluster.terminate();
        if (!m_cluster.waitForFinished(20000))
            m_cluster.kill();
    }

    void typedCreatesSucceed_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::newRow("namespace") << QStringList{"create", "namespace", "pb"};
        QTest::newRow("configmap")
            << QStringList{"create", "configmap", "c", "--from-literal=a=b", "-n", "pb"};
        QTest::newRow("secret") << QStringList{
            "create", "secret", "generic", "s", "--from-literal=k=v", "-n", "pb"};
        QTest::newRow("deployment")
            << QStringList{"create", "deployment", "d", "--image=busybox", "-n", "pb"};
        QTest::newRow("job") << QStringList{"create", "job", "j", "--image=busybox", "-n", "pb"};
        QTest::newRow("service") << QStringList{"create",        "service", "clusterip", "svc",
                                                "--tcp=80:8080", "-n",      "pb"};
        QTest::newRow("serviceaccount")
            << QStringList{"create", "serviceaccount", "sa", "-n", "pb"};
        QTest::newRow("role") << QStringList{"create",          "role", "r", "--verb=get",
                                             "--resource=pods", "-n",   "pb"};
        QTest::newRow("priorityclass") << QStringList{"create", "priorityclass", "p", "--value=10"};
        QTest::newRow("deployment with zero replicas") << QStringList{
            "create", "deployment", "z", "--image=busybox", "--replicas=0", "-n", "pb"};
        QTest::newRow("cronjob") << QStringList{
            "create", "cronjob", "cj", "--image=busybox", "--schedule=*/5 * * * *", "-n", "pb"};
        QTest::newRow("clusterrole")
            << QStringList{"create", "clusterrole", "cr", "--verb=get", "--resource=nodes"};
        QTest::newRow("clusterrolebinding") << QStringList{"create", "clusterrolebinding", "crb",
                                                           "--clusterrole=cr", "--user=alice"};
        QTest::newRow("rolebinding") << QStringList{
            "create", "rolebinding", "rb", "--role=r", "--serviceaccount=pb:sa", "-n", "pb"};
        QTest::newRow("quota") << QStringList{
            "create", "quota", "q", "--hard=cpu=1,memory=1G,pods=2", "-n", "pb"};
        QTest::newRow("pdb") << QStringList{
            "create", "pdb", "pdb", "--selector=app=d", "--max-unavailable=0", "-n", "pb"};
        QTest::newRow("ingress") << QStringList{
            "create", "ingress", "ing", "--rule=example.com/path=svc:80", "-n", "pb"};
        QTest::newRow("autoscale") << QStringList{"autoscale", "deployment",       "d",  "--min=1",
                                                  "--max=5",   "--cpu-percent=70", "-n", "pb"};
    }

    void typedCreatesSucceed()
    {
        QFETCH(QStringList, arguments);
        const Run run = kubectl(arguments);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.out.contains("created") || run.out.contains("autoscaled"),
                 run.out.constData());
    }

    void storedObjectsCarryTheRequestedFields()
    {
        const json ns = getJson({"namespace", "pb"});
        QCOMPARE(ns.value("/metadata/name"_json_pointer, ""), std::string("pb"));

        const json configMap = getJson({"configmap", "c", "-n", "pb"});
        QCOMPARE(configMap.value("/data/a"_json_pointer, ""), std::string("b"));

        const json secret = getJson({"secret", "s", "-n", "pb"});
        QCOMPARE(secret.value("/data/k"_json_pointer, ""), std::string("dg=="));
        QCOMPARE(secret.value("/type"_json_pointer, ""), std::string("Opaque"));

        const json deployment = getJson({"deployment", "d", "-n", "pb"});
        QCOMPARE(deployment.value("/spec/replicas"_json_pointer, -1), 1);
        QCOMPARE(deployment.value("/spec/selector/matchLabels/app"_json_pointer, ""),
                 std::string("d"));
        QCOMPARE(deployment.value("/spec/template/spec/containers/0/image"_json_pointer, ""),
                 std::string("busybox"));

        const json job = getJson({"job", "j", "-n", "pb"});
        QCOMPARE(job.value("/spec/template/spec/containers/0/image"_json_pointer, ""),
                 std::string("busybox"));
        QCOMPARE(job.value("/spec/template/spec/restartPolicy"_json_pointer, ""),
                 std::string("Never"));

        const json service = getJson({"service", "svc", "-n", "pb"});
        QCOMPARE(service.value("/spec/ports/0/port"_json_pointer, 0), 80);
        QCOMPARE(service.value("/spec/ports/0/targetPort"_json_pointer, 0), 8080);
        QCOMPARE(service.value("/spec/ports/0/name"_json_pointer, ""), std::string("80-8080"));
        QCOMPARE(service.value("/spec/type"_json_pointer, ""), std::string("ClusterIP"));

        const json account = getJson({"serviceaccount", "sa", "-n", "pb"});
        QCOMPARE(account.value("/metadata/namespace"_json_pointer, ""), std::string("pb"));

        const json role = getJson({"role", "r", "-n", "pb"});
        QCOMPARE(role.value("/rules/0/verbs/0"_json_pointer, ""), std::string("get"));
        QCOMPARE(role.value("/rules/0/resources/0"_json_pointer, ""), std::string("pods"));
        QCOMPARE(role.value("/rules/0/apiGroups/0"_json_pointer, "?"), std::string(""));

        const json priority = getJson({"priorityclass", "p"});
        QCOMPARE(priority.value("/value"_json_pointer, 0), 10);

        // Zeros that mean something survive the trip: pointer fields present on the wire.
        const json zero = getJson({"deployment", "z", "-n", "pb"});
        QCOMPARE(zero.value("/spec/replicas"_json_pointer, -1), 0);
        const json pdb = getJson({"pdb", "pdb", "-n", "pb"});
        QCOMPARE(pdb.value("/spec/maxUnavailable"_json_pointer, -1), 0);
        QCOMPARE(pdb.value("/spec/selector/matchLabels/app"_json_pointer, ""), std::string("d"));

        const json cronJob = getJson({"cronjob", "cj", "-n", "pb"});
        QCOMPARE(cronJob.value("/spec/schedule"_json_pointer, ""), std::string("*/5 * * * *"));
        QCOMPARE(cronJob.value(
                     "/spec/jobTemplate/spec/template/spec/containers/0/image"_json_pointer, ""),
                 std::string("busybox"));

        const json binding = getJson({"clusterrolebinding", "crb"});
        QCOMPARE(binding.value("/roleRef/name"_json_pointer, ""), std::string("cr"));
        QCOMPARE(binding.value("/subjects/0/name"_json_pointer, ""), std::string("alice"));
        const json roleBinding = getJson({"rolebinding", "rb", "-n", "pb"});
        QCOMPARE(roleBinding.value("/subjects/0/kind"_json_pointer, ""),
                 std::string("ServiceAccount"));
        QCOMPARE(roleBinding.value("/subjects/0/namespace"_json_pointer, ""), std::string("pb"));

        const json quota = getJson({"quota", "q", "-n", "pb"});
        QCOMPARE(quota.value("/spec/hard/memory"_json_pointer, ""), std::string("1G"));
        QCOMPARE(quota.value("/spec/hard/pods"_json_pointer, ""), std::string("2"));

        const json ingress = getJson({"ingress", "ing", "-n", "pb"});
        QCOMPARE(ingress.value("/spec/rules/0/host"_json_pointer, ""), std::string("example.com"));
        QCOMPARE(
            ingress.value("/spec/rules/0/http/paths/0/backend/service/port/number"_json_pointer, 0),
            80);

        const json hpa = getJson({"hpa", "d", "-n", "pb"});
        QCOMPARE(hpa.value("/spec/maxReplicas"_json_pointer, 0), 5);
        QCOMPARE(hpa.value("/spec/scaleTargetRef/name"_json_pointer, ""), std::string("d"));
    }
};

QTEST_GUILESS_MAIN(TestProtobufCluster)
#include "tst_protobufcluster.moc"
