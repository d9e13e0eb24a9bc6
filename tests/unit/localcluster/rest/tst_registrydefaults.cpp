// Per-kind defaulting against what kube-apiserver stored for the same input
// (/work/shared/reference/kube-apiserver-1.23/objects), and the Scale view's selector strings.

#include <localcluster/apiserver/registry/defaults.h>
#include <localcluster/apiserver/resourcecatalog.h>
#include <localcluster/apiserver/rest/scale.h>

#include <nlohmann/json.hpp>

#include <QFile>
#include <QTest>

using nlohmann::json;

// nlohmann::json values compared by their serialisation (QCOMPARE cannot take json).
#define QCOMPARE_JSON(actual, expected) \
    QCOMPARE(QString::fromStdString(json(actual).dump()), \
             QString::fromStdString(json(expected).dump()))
namespace api = kd::lc::apiserver;
namespace registry = kd::lc::apiserver::registry;

namespace {

// Upstream 1.23 serialised empty template timestamps as null; they carry nothing.
void dropNullTimestamps(json &value)
{
    if (value.is_object()) {
        if (auto it = value.find("creationTimestamp"); it != value.end() && it->is_null())
            value.erase(it);
        for (auto &[key, member] : value.items())
            dropNullTimestamps(member);
    } else if (value.is_array()) {
        for (json &item : value)
            dropNullTimestamps(item);
    }
}

json reference(const QString &file)
{
    const QString path = "/work/shared/reference/kube-apiserver-1.23/objects/" + file;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return json();
    json object = json::parse(f.readAll().toStdString(), nullptr, false);
    dropNullTimestamps(object);
    return object;
}

api::ResourceInfo info(const char *group, const char *version, const char *resource)
{
    api::ResourceCatalog catalog;
    return catalog.find(group, version, resource).value();
}

} // namespace

class TestRegistryDefaults final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // What `kubectl create deployment web --image=busybox --replicas=2 -- sleep 3600` sends,
    // defaulted, equals the stored spec.
    void deploymentMatchesUpstream()
    {
        const json expected = reference("deployments.apps_web.json");
        if (expected.is_null())
            QFAIL("reference objects are not available");
        json object = json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment",
            "metadata":{"name":"web","labels":{"app":"web"}},
            "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"strategy":{},
              "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[
                {"name":"busybox","image":"busybox","command":["sleep","3600"],"resources":{}}]}}}})");
        registry::applyDefaults(info("apps", "v1", "deployments"), object);
        QCOMPARE(QString::fromStdString(object["spec"].dump()),
                 QString::fromStdString(expected["spec"].dump()));
    }

    void cronJobMatchesUpstream()
    {
        const json expected = reference("cronjobs.batch_tick.json");
        if (expected.is_null())
            QFAIL("reference objects are not available");
        json object = json::parse(R"({"apiVersion":"batch/v1","kind":"CronJob",
            "metadata":{"name":"tick"},
            "spec":{"schedule":"*/5 * * * *","jobTemplate":{"metadata":{"name":"tick"},
              "spec":{"template":{"metadata":{},"spec":{"restartPolicy":"OnFailure","containers":[
                {"name":"tick","image":"busybox","command":["echo","hi"],"resources":{}}]}}}}}})");
        registry::applyDefaults(info("batch", "v1", "cronjobs"), object);
        QCOMPARE(QString::fromStdString(object["spec"].dump()),
                 QString::fromStdString(expected["spec"].dump()));
    }

    // 1.23's stored Job plus what later versions changed: the selector and the template carry
    // the batch.kubernetes.io/ labels too, and podReplacementPolicy is defaulted (1.29+).
    void jobMatchesUpstream()
    {
        json expected = reference("jobs.batch_once.json");
        if (expected.is_null())
            QFAIL("reference objects are not available");
        const std::string uid = expected["metadata"]["uid"];
        json object = json::parse(R"({"apiVersion":"batch/v1","kind":"Job",
            "metadata":{"name":"once"},
            "spec":{"template":{"metadata":{},"spec":{"restartPolicy":"Never","containers":[
                {"name":"once","image":"busybox","command":["echo","hi"],"resources":{}}]}}}})");
        object["metadata"]["uid"] = uid;
        registry::applyDefaults(info("batch", "v1", "jobs"), object);

        json &spec = expected["spec"];
        spec["selector"] = {{"matchLabels", {{"batch.kubernetes.io/controller-uid", uid}}}};
        spec["podReplacementPolicy"] = "TerminatingOrFailed";
        json &labels = spec["template"]["metadata"]["labels"];
        labels["batch.kubernetes.io/controller-uid"] = uid;
        labels["batch.kubernetes.io/job-name"] = "once";
        QCOMPARE(QString::fromStdString(object["spec"].dump()),
                 QString::fromStdString(spec.dump()));
        QCOMPARE(QString::fromStdString(object["metadata"]["labels"].dump()),
                 QString::fromStdString(labels.dump()));
    }

    void serviceAndSecretMatchUpstream()
    {
        json expected = reference("services_web.json");
        if (expected.is_null())
            QFAIL("reference objects are not available");
        json service = json::parse(R"({"apiVersion":"v1","kind":"Service",
            "metadata":{"name":"web","labels":{"app":"web"}},
            "spec":{"ports":[{"name":"80-8080","port":80,"targetPort":8080}],
              "selector":{"app":"web"},"type":"ClusterIP"}})");
        registry::applyDefaults(info("", "v1", "services"), service);
        // The cluster IP comes from the allocator, not from defaulting.
        expected["spec"].erase("clusterIP");
        expected["spec"].erase("clusterIPs");
        QCOMPARE(QString::fromStdString(service["spec"].dump()),
                 QString::fromStdString(expected["spec"].dump()));

        json secret = json::parse(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},
            "data":{"p":"czNjcmV0"}})");
        registry::applyDefaults(info("", "v1", "secrets"), secret);
        QCOMPARE(QString::fromStdString(secret["type"].dump()), QString("\"Opaque\""));
    }

    void podDefaults()
    {
        json pod = json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
            "spec":{"containers":[{"name":"c","image":"nginx:1.25","ports":[{"containerPort":80}],
              "readinessProbe":{"httpGet":{"port":80}}}],
              "volumes":[{"name":"v","configMap":{"name":"cm"}}]}})");
        registry::applyDefaults(info("", "v1", "pods"), pod);
        const json &spec = pod["spec"];
        QCOMPARE_JSON(spec["restartPolicy"], json("Always"));
        QCOMPARE_JSON(spec["dnsPolicy"], json("ClusterFirst"));
        QCOMPARE_JSON(spec["terminationGracePeriodSeconds"], json(30));
        QCOMPARE_JSON(spec["schedulerName"], json("default-scheduler"));
        QCOMPARE_JSON(spec["securityContext"], json::object());
        QCOMPARE_JSON(spec["enableServiceLinks"], json(true));
        QCOMPARE_JSON(spec["serviceAccountName"], json("default"));
        QCOMPARE_JSON(spec["serviceAccount"], json("default"));
        QCOMPARE_JSON(spec["priority"], json(0));
        QCOMPARE_JSON(spec["preemptionPolicy"], json("PreemptLowerPriority"));
        QCOMPARE(spec["tolerations"].size(), std::size_t(2));
        QCOMPARE_JSON(spec["tolerations"][0]["tolerationSeconds"], json(300));
        const json &c = spec["containers"][0];
        QCOMPARE_JSON(c["imagePullPolicy"], json("IfNotPresent"));
        QCOMPARE_JSON(c["terminationMessagePath"], json("/dev/termination-log"));
        QCOMPARE_JSON(c["terminationMessagePolicy"], json("File"));
        QCOMPARE_JSON(c["resources"], json::object());
        QCOMPARE_JSON(c["ports"][0]["protocol"], json("TCP"));
        QCOMPARE_JSON(c["readinessProbe"]["periodSeconds"], json(10));
        QCOMPARE_JSON(c["readinessProbe"]["httpGet"]["scheme"], json("HTTP"));
        QCOMPARE_JSON(spec["volumes"][0]["configMap"]["defaultMode"], json(420));

        // Idempotent, and what the client set is kept.
        json again = pod;
        again["spec"]["restartPolicy"] = "Never";
        registry::applyDefaults(info("", "v1", "pods"), again);
        QCOMPARE_JSON(again["spec"]["restartPolicy"], json("Never"));
        QCOMPARE(again["spec"]["tolerations"].size(), std::size_t(2));
    }

    void workloadDefaults()
    {
        json sts = json::parse(R"({"spec":{"selector":{},"template":{"spec":{"containers":[]}}}})");
        registry::applyDefaults(info("apps", "v1", "statefulsets"), sts);
        QCOMPARE(
            QString::fromStdString(sts["spec"].dump()),
            QString(
                R"({"persistentVolumeClaimRetentionPolicy":{"whenDeleted":"Retain","whenScaled":"Retain"},"podManagementPolicy":"OrderedReady","replicas":1,"revisionHistoryLimit":10,"selector":{},"template":{"spec":{"containers":[],"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler","securityContext":{},"terminationGracePeriodSeconds":30}},"updateStrategy":{"rollingUpdate":{"partition":0},"type":"RollingUpdate"}})"));
        json ds = json::parse(R"({"spec":{"updateStrategy":{"type":"OnDelete"}}})");
        registry::applyDefaults(info("apps", "v1", "daemonsets"), ds);
        QCOMPARE(QString::fromStdString(ds["spec"].dump()),
                 QString(R"({"revisionHistoryLimit":10,"updateStrategy":{"type":"OnDelete"}})"));
        json rc = json::parse(
            R"({"metadata":{},"spec":{"template":{"metadata":{"labels":{"a":"b"}}}}})");
        registry::applyDefaults(info("", "v1", "replicationcontrollers"), rc);
        QCOMPARE_JSON(rc["spec"]["selector"], json({{"a", "b"}}));
        QCOMPARE_JSON(rc["metadata"]["labels"], json({{"a", "b"}}));
        QCOMPARE_JSON(rc["spec"]["replicas"], json(1));
    }

    void imagePullPolicy_data()
    {
        QTest::addColumn<QString>("image");
        QTest::addColumn<QString>("policy");
        QTest::newRow("no tag") << "busybox"
                                << "Always";
        QTest::newRow("latest") << "nginx:latest"
                                << "Always";
        QTest::newRow("tag") << "nginx:1.25"
                             << "IfNotPresent";
        QTest::newRow("registry port, no tag") << "localhost:5000/app"
                                               << "Always";
        QTest::newRow("registry port and tag") << "localhost:5000/app:v1"
                                               << "IfNotPresent";
        QTest::newRow("digest") << "nginx@sha256:abcd"
                                << "IfNotPresent";
    }
    void imagePullPolicy()
    {
        QFETCH(QString, image);
        QFETCH(QString, policy);
        QCOMPARE(QString::fromStdString(registry::defaultImagePullPolicy(image.toStdString())),
                 policy);
    }

    void scaleSelector_data()
    {
        QTest::addColumn<QString>("selector");
        QTest::addColumn<QString>("text");
        QTest::newRow("matchLabels sorted") << R"({"matchLabels":{"b":"2","a":"1"}})"
                                            << "a=1,b=2";
        QTest::newRow("expressions")
            << R"({"matchLabels":{"tier":"web"},"matchExpressions":[{"key":"env","operator":"In","values":["prod","dev"]},{"key":"x","operator":"DoesNotExist"},{"key":"gpu","operator":"Exists"},{"key":"zone","operator":"NotIn","values":["b","a"]}]})"
            << "env in (dev,prod),gpu,tier=web,!x,zone notin (a,b)";
        QTest::newRow("rc map") << R"({"app":"web"})"
                                << "app=web";
        QTest::newRow("not an object") << "[]"
                                       << "";
    }
    void scaleSelector()
    {
        QFETCH(QString, selector);
        QFETCH(QString, text);
        QCOMPARE(
            QString::fromStdString(api::scale::selectorString(json::parse(selector.toStdString()))),
            text);
    }

    void scaleFromParent()
    {
        const json parent = json::parse(R"({"metadata":{"name":"web","namespace":"d","uid":"u",
            "resourceVersion":"7","creationTimestamp":"2026-01-01T00:00:00Z","labels":{"x":"y"}},
            "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}}},
            "status":{"replicas":2}})");
        QCOMPARE(
            QString::fromStdString(api::scale::fromParent(parent).dump()),
            QString(
                R"({"apiVersion":"autoscaling/v1","kind":"Scale","metadata":{"creationTimestamp":"2026-01-01T00:00:00Z","name":"web","namespace":"d","resourceVersion":"7","uid":"u"},"spec":{"replicas":3},"status":{"replicas":2,"selector":"app=web"}})"));
    }
};

QTEST_GUILESS_MAIN(TestRegistryDefaults)
#include "tst_registrydefaults.moc"
