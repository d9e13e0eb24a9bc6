// moc cannot parse some C++20 library headers; it only needs the Q_OBJECT class.
#ifndef Q_MOC_RUN
#include <core/engine/relations.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <string>
#include <vector>
#endif

#include <QStringList>
#include <QTest>

using namespace kd::core::engine;
using nlohmann::json;

namespace {

using Labels = std::map<std::string, std::string>;

json meta(const std::string &ns, const std::string &name, const std::string &uid,
          const Labels &labels = {})
{
    json m = {{"name", name}, {"uid", uid}};
    if (!ns.empty())
        m["namespace"] = ns;
    if (!labels.empty())
        m["labels"] = labels;
    return m;
}

json ownerRef(const std::string &apiVersion, const std::string &kind, const std::string &name,
              const std::string &uid)
{
    return {{"apiVersion", apiVersion},
            {"kind", kind},
            {"name", name},
            {"uid", uid},
            {"controller", true},
            {"blockOwnerDeletion", true}};
}

std::shared_ptr<const json> ptr(json object)
{
    return std::make_shared<const json>(std::move(object));
}

json podObject(const std::string &ns, const std::string &name, const Labels &labels = {},
               json spec = json::object())
{
    if (!spec.contains("containers"))
        spec["containers"] = json::array({{{"name", "main"}, {"image", "nginx:1.25"}}});
    return {{"metadata", meta(ns, name, "uid-pod-" + ns + "-" + name, labels)}, {"spec", spec}};
}

json serviceObject(const std::string &ns, const std::string &name, const Labels &selector)
{
    json spec = {{"ports", json::array({{{"port", 80}}})}};
    if (!selector.empty())
        spec["selector"] = selector;
    return {{"metadata", meta(ns, name, "uid-svc-" + ns + "-" + name)}, {"spec", spec}};
}

NodeId pod(const std::string &ns, const std::string &name)
{
    return {"", "Pod", ns, name};
}

NodeId service(const std::string &ns, const std::string &name)
{
    return {"", "Service", ns, name};
}

const char *typeName(RelationType type)
{
    switch (type) {
    case RelationType::Owns:
        return "Owns";
    case RelationType::Selects:
        return "Selects";
    case RelationType::RunsOn:
        return "RunsOn";
    case RelationType::Uses:
        return "Uses";
    case RelationType::Routes:
        return "Routes";
    }
    return "?";
}

// "Uses Secret ns/name (missing)", sorted, so failures print readably.
QStringList describe(const std::vector<Relation> &relations, bool withVia = false)
{
    QStringList out;
    for (const Relation &r : relations) {
        std::string text = std::string(typeName(r.type)) + ' ' + r.node.kind + ' '
                           + (r.node.namespace_.empty() ? "" : r.node.namespace_ + '/')
                           + r.node.name;
        if (!r.node.group.empty())
            text += " [" + r.node.group + ']';
        if (r.missing)
            text += " (missing)";
        if (withVia)
            text += " via " + r.via.kind + ' ' + r.via.name;
        out << QString::fromStdString(text);
    }
    out.sort();
    return out;
}

} // namespace

class TestRelationGraph final : public QObject
{
    Q_OBJECT

private slots:
    void deploymentChainInEitherArrivalOrder_data()
    {
        QTest::addColumn<bool>("ownersFirst");
        QTest::newRow("owners first") << true;
        QTest::newRow("dependents first") << false;
    }

    void deploymentChainInEitherArrivalOrder()
    {
        QFETCH(bool, ownersFirst);
        RelationGraph graph;
        const auto deployment
            = ptr({{"metadata", meta("shop", "web", "uid-deploy")}, {"spec", {{"replicas", 1}}}});
        json rsJson = {{"metadata", meta("shop", "web-5d4f", "uid-rs")}, {"spec", json::object()}};
        rsJson["metadata"]["ownerReferences"]
            = json::array({ownerRef("apps/v1", "Deployment", "web", "uid-deploy")});
        json podJson = podObject("shop", "web-5d4f-abcde");
        podJson["metadata"]["ownerReferences"]
            = json::array({ownerRef("apps/v1", "ReplicaSet", "web-5d4f", "uid-rs")});

        const NodeId deployId{"apps", "Deployment", "shop", "web"};
        const NodeId rsId{"apps", "ReplicaSet", "shop", "web-5d4f"};
        const NodeId podId = pod("shop", "web-5d4f-abcde");

        if (ownersFirst) {
            QVERIFY(graph.upsert("apps", "Deployment", deployment).ok());
            QVERIFY(graph.upsert("apps", "ReplicaSet", ptr(rsJson)).ok());
            QVERIFY(graph.upsert("", "Pod", ptr(podJson)).ok());
        } else {
            QVERIFY(graph.upsert("", "Pod", ptr(podJson)).ok());
            // Before its owner arrives the pod still shows who owns it, as a dangling reference.
            QCOMPARE(describe(graph.owners(podId)),
                     QStringList{"Owns ReplicaSet shop/web-5d4f [apps] (missing)"});
            QVERIFY(graph.upsert("apps", "ReplicaSet", ptr(rsJson)).ok());
            QVERIFY(graph.upsert("apps", "Deployment", deployment).ok());
        }

        QCOMPARE(describe(graph.owners(podId)),
                 QStringList{"Owns ReplicaSet shop/web-5d4f [apps]"});
        QCOMPARE(describe(graph.owners(rsId)), QStringList{"Owns Deployment shop/web [apps]"});
        QCOMPARE(describe(graph.dependents(deployId)),
                 QStringList{"Owns ReplicaSet shop/web-5d4f [apps]"});
        QCOMPARE(describe(graph.dependents(deployId, true), true),
                 (QStringList{"Owns Pod shop/web-5d4f-abcde via ReplicaSet web-5d4f",
                              "Owns ReplicaSet shop/web-5d4f [apps] via Deployment web"}));
        QVERIFY(graph.owners(deployId).empty());
    }

    void deletingTheReplicaSetBreaksTheChain()
    {
        RelationGraph graph;
        json rsJson = {{"metadata", meta("shop", "web-5d4f", "uid-rs")}};
        rsJson["metadata"]["ownerReferences"]
            = json::array({ownerRef("apps/v1", "Deployment", "web", "uid-deploy")});
        json podJson = podObject("shop", "web-5d4f-abcde");
        podJson["metadata"]["ownerReferences"]
            = json::array({ownerRef("apps/v1", "ReplicaSet", "web-5d4f", "uid-rs")});
        QVERIFY(graph
                    .upsert("apps", "Deployment",
                            ptr({{"metadata", meta("shop", "web", "uid-deploy")}}))
                    .ok());
        QVERIFY(graph.upsert("apps", "ReplicaSet", ptr(rsJson)).ok());
        QVERIFY(graph.upsert("", "Pod", ptr(podJson)).ok());
        const NodeId deployId{"apps", "Deployment", "shop", "web"};
        const NodeId rsId{"apps", "ReplicaSet", "shop", "web-5d4f"};
        QCOMPARE(graph.dependents(deployId, true).size(), size_t(2));

        graph.remove(rsId);
        QVERIFY(!graph.contains(rsId));
        QVERIFY(graph.dependents(deployId, true).empty());
        QCOMPARE(describe(graph.owners(pod("shop", "web-5d4f-abcde"))),
                 QStringList{"Owns ReplicaSet shop/web-5d4f [apps] (missing)"});

        // A new ReplicaSet with the same name but a new uid does not adopt the old pod.
        json replacement = rsJson;
        replacement["metadata"]["uid"] = "uid-rs-2";
        QVERIFY(graph.upsert("apps", "ReplicaSet", ptr(replacement)).ok());
        QCOMPARE(describe(graph.dependents(deployId, true)),
                 QStringList{"Owns ReplicaSet shop/web-5d4f [apps]"});
        QVERIFY(graph.owners(pod("shop", "web-5d4f-abcde")).front().missing);
    }

    void cronJobOwnsJobOwnsPod()
    {
        RelationGraph graph;
        QVERIFY(graph
                    .upsert("batch", "CronJob",
                            ptr({{"metadata", meta("ops", "backup", "uid-cj")},
                                 {"spec", {{"schedule", "0 * * * *"}}}}))
                    .ok());
        json job = {{"metadata", meta("ops", "backup-2899000", "uid-job")}};
        job["metadata"]["ownerReferences"]
            = json::array({ownerRef("batch/v1", "CronJob", "backup", "uid-cj")});
        QVERIFY(graph.upsert("batch", "Job", ptr(job)).ok());
        json podJson = podObject("ops", "backup-2899000-x7k2p");
        podJson["metadata"]["ownerReferences"]
            = json::array({ownerRef("batch/v1", "Job", "backup-2899000", "uid-job")});
        QVERIFY(graph.upsert("", "Pod", ptr(podJson)).ok());

        QCOMPARE(describe(graph.dependents({"batch", "CronJob", "ops", "backup"}, true), true),
                 (QStringList{"Owns Job ops/backup-2899000 [batch] via CronJob backup",
                              "Owns Pod ops/backup-2899000-x7k2p via Job backup-2899000"}));
        QCOMPARE(describe(graph.owners(pod("ops", "backup-2899000-x7k2p"))),
                 QStringList{"Owns Job ops/backup-2899000 [batch]"});
    }

    void statefulSetAndDaemonSetOwnPods()
    {
        RelationGraph graph;
        QVERIFY(
            graph.upsert("apps", "StatefulSet", ptr({{"metadata", meta("db", "pg", "uid-sts")}}))
                .ok());
        QVERIFY(
            graph.upsert("apps", "DaemonSet", ptr({{"metadata", meta("db", "agent", "uid-ds")}}))
                .ok());
        json pg0 = podObject("db", "pg-0");
        pg0["metadata"]["ownerReferences"]
            = json::array({ownerRef("apps/v1", "StatefulSet", "pg", "uid-sts")});
        json agent = podObject("db", "agent-q9z");
        agent["metadata"]["ownerReferences"]
            = json::array({ownerRef("apps/v1", "DaemonSet", "agent", "uid-ds")});
        QVERIFY(graph.upsert("", "Pod", ptr(pg0)).ok());
        QVERIFY(graph.upsert("", "Pod", ptr(agent)).ok());
        QCOMPARE(describe(graph.dependents({"apps", "StatefulSet", "db", "pg"})),
                 QStringList{"Owns Pod db/pg-0"});
        QCOMPARE(describe(graph.dependents({"apps", "DaemonSet", "db", "agent"})),
                 QStringList{"Owns Pod db/agent-q9z"});
    }

    void serviceSelectsPodsAndFollowsLabelChanges()
    {
        RelationGraph graph;
        QVERIFY(graph.upsert("", "Pod", ptr(podObject("shop", "web-1", {{"app", "web"}}))).ok());
        QVERIFY(graph.upsert("", "Pod", ptr(podObject("shop", "db-1", {{"app", "db"}}))).ok());
        QVERIFY(
            graph.upsert("", "Service", ptr(serviceObject("shop", "web", {{"app", "web"}}))).ok());
        // A pod created after the Service is picked up too.
        QVERIFY(graph
                    .upsert("", "Pod",
                            ptr(podObject("shop", "web-2", {{"app", "web"}, {"tier", "front"}})))
                    .ok());
        QCOMPARE(describe(graph.selects(service("shop", "web"))),
                 (QStringList{"Selects Pod shop/web-1", "Selects Pod shop/web-2"}));
        QCOMPARE(describe(graph.selectedBy(pod("shop", "web-1"))),
                 QStringList{"Selects Service shop/web"});
        QVERIFY(graph.selectedBy(pod("shop", "db-1")).empty());

        // Relabelling moves pods out of and into the Service.
        QVERIFY(graph.upsert("", "Pod", ptr(podObject("shop", "web-1", {{"app", "debug"}}))).ok());
        QVERIFY(graph.upsert("", "Pod", ptr(podObject("shop", "db-1", {{"app", "web"}}))).ok());
        QCOMPARE(describe(graph.selects(service("shop", "web"))),
                 (QStringList{"Selects Pod shop/db-1", "Selects Pod shop/web-2"}));
        QVERIFY(graph.selectedBy(pod("shop", "web-1")).empty());

        // Changing the selector re-evaluates; deleting a pod drops it.
        QVERIFY(graph
                    .upsert("", "Service",
                            ptr(serviceObject("shop", "web", {{"app", "web"}, {"tier", "front"}})))
                    .ok());
        QCOMPARE(describe(graph.selects(service("shop", "web"))),
                 QStringList{"Selects Pod shop/web-2"});
        graph.remove(pod("shop", "web-2"));
        QVERIFY(graph.selects(service("shop", "web")).empty());

        // A Service without a selector selects nothing, not everything.
        QVERIFY(graph.upsert("", "Service", ptr(serviceObject("shop", "external", {}))).ok());
        QVERIFY(graph.selects(service("shop", "external")).empty());

        // Deleting the Service leaves no stale membership on the pods.
        graph.remove(service("shop", "web"));
        QVERIFY(graph
                    .upsert("", "Pod",
                            ptr(podObject("shop", "web-3", {{"app", "web"}, {"tier", "front"}})))
                    .ok());
        QVERIFY(graph.selectedBy(pod("shop", "web-3")).empty());
    }

    void namespacesIsolateSelection()
    {
        RelationGraph graph;
        QVERIFY(graph.upsert("", "Pod", ptr(podObject("a", "web-1", {{"app", "web"}}))).ok());
        QVERIFY(graph.upsert("", "Pod", ptr(podObject("b", "web-1", {{"app", "web"}}))).ok());
        QVERIFY(graph.upsert("", "Service", ptr(serviceObject("a", "web", {{"app", "web"}}))).ok());
        QCOMPARE(describe(graph.selects(service("a", "web"))), QStringList{"Selects Pod a/web-1"});
        QVERIFY(graph.selectedBy(pod("b", "web-1")).empty());
        // The same in the other direction: a pod arriving in b is not picked by a's Service.
        QVERIFY(graph.upsert("", "Pod", ptr(podObject("b", "web-2", {{"app", "web"}}))).ok());
        QCOMPARE(describe(graph.selects(service("a", "web"))), QStringList{"Selects Pod a/web-1"});
    }

    void serviceSelectsItsEndpointSlices()
    {
        RelationGraph graph;
        const json slice = {{"metadata", meta("shop", "web-8xk2q", "uid-eps",
                                              {{"kubernetes.io/service-name", "web"},
                                               {"endpointslice.kubernetes.io/managed-by",
                                                "endpointslice-controller.k8s.io"}})},
                            {"addressType", "IPv4"},
                            {"endpoints", json::array()}};
        QVERIFY(graph.upsert("discovery.k8s.io", "EndpointSlice", ptr(slice)).ok());
        const NodeId sliceId{"discovery.k8s.io", "EndpointSlice", "shop", "web-8xk2q"};
        QCOMPARE(describe(graph.selectedBy(sliceId)),
                 QStringList{"Selects Service shop/web (missing)"});
        QVERIFY(
            graph.upsert("", "Service", ptr(serviceObject("shop", "web", {{"app", "web"}}))).ok());
        QCOMPARE(describe(graph.selectedBy(sliceId)), QStringList{"Selects Service shop/web"});
        QCOMPARE(describe(graph.selects(service("shop", "web"))),
                 QStringList{"Selects EndpointSlice shop/web-8xk2q [discovery.k8s.io]"});
    }

    void podUsesConfigMapsAndSecrets_data()
    {
        QTest::addColumn<QString>("specJson");
        QTest::addColumn<QString>("expected");

        auto row = [](const char *name, const json &spec, const char *expected) {
            QTest::newRow(name) << QString::fromStdString(spec.dump()) << QString(expected);
        };
        row("configMap volume",
            {{"volumes",
              json::array({{{"name", "cfg"}, {"configMap", {{"name", "app-config"}}}}})}},
            "Uses ConfigMap shop/app-config (missing)");
        row("secret volume",
            {{"volumes",
              json::array({{{"name", "tls"}, {"secret", {{"secretName", "web-tls"}}}}})}},
            "Uses Secret shop/web-tls (missing)");
        row("projected configMap",
            {{"volumes",
              json::array(
                  {{{"name", "all"},
                    {"projected",
                     {{"sources", json::array({{{"configMap", {{"name", "proj-cm"}}}}})}}}}})}},
            "Uses ConfigMap shop/proj-cm (missing)");
        row("projected secret",
            {{"volumes",
              json::array(
                  {{{"name", "all"},
                    {"projected",
                     {{"sources", json::array({{{"secret", {{"name", "proj-secret"}}}}})}}}}})}},
            "Uses Secret shop/proj-secret (missing)");
        row("imagePullSecrets", {{"imagePullSecrets", json::array({{{"name", "registry-creds"}}})}},
            "Uses Secret shop/registry-creds (missing)");
        row("envFrom configMapRef",
            {{"containers",
              json::array(
                  {{{"name", "main"},
                    {"envFrom", json::array({{{"configMapRef", {{"name", "env-cm"}}}}})}}})}},
            "Uses ConfigMap shop/env-cm (missing)");
        row("envFrom secretRef in an init container",
            {{"initContainers",
              json::array(
                  {{{"name", "init"},
                    {"envFrom", json::array({{{"secretRef", {{"name", "env-secret"}}}}})}}})}},
            "Uses Secret shop/env-secret (missing)");
        row("env valueFrom configMapKeyRef",
            {{"containers",
              json::array({{{"name", "main"},
                            {"env", json::array({{{"name", "LEVEL"},
                                                  {"valueFrom",
                                                   {{"configMapKeyRef",
                                                     {{"name", "levels"}, {"key", "log"}}}}}},
                                                 {{"name", "PLAIN"}, {"value", "x"}}})}}})}},
            "Uses ConfigMap shop/levels (missing)");
        row("env valueFrom secretKeyRef",
            {{"containers",
              json::array(
                  {{{"name", "main"},
                    {"env", json::array({{{"name", "PASSWORD"},
                                          {"valueFrom",
                                           {{"secretKeyRef",
                                             {{"name", "db-pass"}, {"key", "pw"}}}}}}})}}})}},
            "Uses Secret shop/db-pass (missing)");
        row("persistentVolumeClaim volume",
            {{"volumes", json::array({{{"name", "data"},
                                       {"persistentVolumeClaim", {{"claimName", "data"}}}}})}},
            "Uses PersistentVolumeClaim shop/data (missing)");
    }

    void podUsesConfigMapsAndSecrets()
    {
        QFETCH(QString, specJson);
        QFETCH(QString, expected);
        RelationGraph graph;
        QVERIFY(
            graph
                .upsert("", "Pod",
                        ptr(podObject("shop", "web-1", {}, json::parse(specJson.toStdString()))))
                .ok());
        const QStringList uses = describe(graph.uses(pod("shop", "web-1")));
        // Every pod also uses its ServiceAccount; the row's reference is the other one.
        QCOMPARE(uses, (QStringList{expected, "Uses ServiceAccount shop/default (missing)"}));

        // The referenced object sees the pod among its users, before and after it exists.
        const Relation target = [&] {
            for (const Relation &r : graph.uses(pod("shop", "web-1"))) {
                if (r.node.kind != "ServiceAccount")
                    return r;
            }
            return Relation{};
        }();
        QCOMPARE(describe(graph.usedBy(target.node)), QStringList{"Uses Pod shop/web-1"});
        QVERIFY(graph
                    .upsert("", target.node.kind,
                            ptr({{"metadata", meta("shop", target.node.name, "uid-target")}}))
                    .ok());
        QCOMPARE(describe(graph.usedBy(target.node)), QStringList{"Uses Pod shop/web-1"});
        const std::vector<Relation> after = graph.uses(pod("shop", "web-1"));
        QVERIFY(std::none_of(after.begin(), after.end(), [&](const Relation &r) {
            return r.node == target.node && r.missing;
        }));
    }

    void danglingReferenceResolvesAndReturns()
    {
        RelationGraph graph;
        json spec = {
            {"volumes", json::array({{{"name", "tls"}, {"secret", {{"secretName", "web-tls"}}}}})},
            {"serviceAccountName", "web"}};
        QVERIFY(graph.upsert("", "Pod", ptr(podObject("shop", "web-1", {}, spec))).ok());
        QCOMPARE(describe(graph.uses(pod("shop", "web-1"))),
                 (QStringList{"Uses Secret shop/web-tls (missing)",
                              "Uses ServiceAccount shop/web (missing)"}));
        QVERIFY(
            graph.upsert("", "Secret", ptr({{"metadata", meta("shop", "web-tls", "uid-s")}})).ok());
        QVERIFY(
            graph.upsert("", "ServiceAccount", ptr({{"metadata", meta("shop", "web", "uid-sa")}}))
                .ok());
        QCOMPARE(describe(graph.uses(pod("shop", "web-1"))),
                 (QStringList{"Uses Secret shop/web-tls", "Uses ServiceAccount shop/web"}));
        graph.remove({"", "Secret", "shop", "web-tls"});
        QCOMPARE(
            describe(graph.uses(pod("shop", "web-1"))),
            (QStringList{"Uses Secret shop/web-tls (missing)", "Uses ServiceAccount shop/web"}));
        // A pod that no longer references it drops out of usedBy.
        QVERIFY(graph.upsert("", "Pod", ptr(podObject("shop", "web-1"))).ok());
        QVERIFY(graph.usedBy({"", "Secret", "shop", "web-tls"}).empty());
    }

    void storageChain()
    {
        RelationGraph graph;
        QVERIFY(graph
                    .upsert("", "Pod",
                            ptr(podObject(
                                "shop", "db-0", {},
                                {{"volumes", json::array({{{"name", "data"},
                                                           {"persistentVolumeClaim",
                                                            {{"claimName", "data-db-0"}}}}})}})))
                    .ok());
        QVERIFY(graph
                    .upsert("", "PersistentVolumeClaim",
                            ptr({{"metadata", meta("shop", "data-db-0", "uid-pvc")},
                                 {"spec",
                                  {{"volumeName", "pvc-1234"},
                                   {"storageClassName", "local-path"},
                                   {"accessModes", json::array({"ReadWriteOnce"})}}}}))
                    .ok());
        QVERIFY(graph
                    .upsert("", "PersistentVolume",
                            ptr({{"metadata", meta("", "pvc-1234", "uid-pv")},
                                 {"spec", {{"storageClassName", "local-path"}}}}))
                    .ok());
        const NodeId pvc{"", "PersistentVolumeClaim", "shop", "data-db-0"};
        const NodeId pv{"", "PersistentVolume", "", "pvc-1234"};
        const NodeId sc{"storage.k8s.io", "StorageClass", "", "local-path"};

        QCOMPARE(describe(graph.usedBy(pvc)), QStringList{"Uses Pod shop/db-0"});
        QCOMPARE(describe(graph.uses(pvc)),
                 (QStringList{"Uses PersistentVolume pvc-1234",
                              "Uses StorageClass local-path [storage.k8s.io] (missing)"}));
        QCOMPARE(describe(graph.uses(pv)),
                 QStringList{"Uses StorageClass local-path [storage.k8s.io] (missing)"});
        QVERIFY(graph
                    .upsert("storage.k8s.io", "StorageClass",
                            ptr({{"metadata", meta("", "local-path", "uid-sc")},
                                 {"provisioner", "rancher.io/local-path"}}))
                    .ok());
        QCOMPARE(describe(graph.usedBy(sc)),
                 (QStringList{"Uses PersistentVolume pvc-1234",
                              "Uses PersistentVolumeClaim shop/data-db-0"}));
    }

    void ingressRoutesToServices()
    {
        RelationGraph graph;
        const json backend = {{"service", {{"name", "api"}, {"port", {{"number", 8080}}}}}};
        const json ingress = {
            {"metadata", meta("shop", "public", "uid-ing")},
            {"spec",
             {{"defaultBackend", {{"service", {{"name", "frontend"}, {"port", {{"number", 80}}}}}}},
              {"rules", json::array({{{"host", "shop.example"},
                                      {"http",
                                       {{"paths", json::array({{{"path", "/api"},
                                                                {"pathType", "Prefix"},
                                                                {"backend", backend}}})}}}}})}}}};
        QVERIFY(graph.upsert("networking.k8s.io", "Ingress", ptr(ingress)).ok());
        QVERIFY(
            graph.upsert("", "Service", ptr(serviceObject("shop", "api", {{"app", "api"}}))).ok());
        const NodeId ingressId{"networking.k8s.io", "Ingress", "shop", "public"};
        QCOMPARE(
            describe(graph.outgoing(ingressId, RelationType::Routes)),
            (QStringList{"Routes Service shop/api", "Routes Service shop/frontend (missing)"}));
        QCOMPARE(describe(graph.incoming(service("shop", "api"), RelationType::Routes)),
                 QStringList{"Routes Ingress shop/public [networking.k8s.io]"});
    }

    void podRunsOnNodeAndUsesDefaultServiceAccount()
    {
        RelationGraph graph;
        QVERIFY(
            graph.upsert("", "Pod", ptr(podObject("shop", "web-1", {}, {{"nodeName", "kd-node"}})))
                .ok());
        QVERIFY(
            graph.upsert("", "Node", ptr({{"metadata", meta("", "kd-node", "uid-node")}})).ok());
        QVERIFY(graph
                    .upsert("", "ServiceAccount",
                            ptr({{"metadata", meta("shop", "default", "uid-sa")}}))
                    .ok());
        QCOMPARE(describe(graph.outgoing(pod("shop", "web-1"))),
                 (QStringList{"RunsOn Node kd-node", "Uses ServiceAccount shop/default"}));
        QCOMPARE(describe(graph.incoming({"", "Node", "", "kd-node"})),
                 QStringList{"RunsOn Pod shop/web-1"});
        QCOMPARE(describe(graph.usedBy({"", "ServiceAccount", "shop", "default"})),
                 QStringList{"Uses Pod shop/web-1"});
        // An unscheduled pod runs nowhere yet.
        QVERIFY(graph.upsert("", "Pod", ptr(podObject("shop", "pending"))).ok());
        QVERIFY(graph.outgoing(pod("shop", "pending"), RelationType::RunsOn).empty());
    }

    void versionAndCallbackFollowChanges()
    {
        RelationGraph graph;
        std::vector<std::uint64_t> seen;
        graph.setChangeCallback([&](std::uint64_t version) {
            // The callback may read the graph: it runs outside the lock.
            QVERIFY(graph.size() <= 1);
            seen.push_back(version);
        });
        QCOMPARE(graph.version(), std::uint64_t(0));
        const auto first = ptr(podObject("shop", "web-1", {{"app", "web"}}));
        QVERIFY(graph.upsert("", "Pod", first).ok());
        QCOMPARE(graph.version(), std::uint64_t(1));
        // A resync delivering the same content is not a change.
        QVERIFY(graph.upsert("", "Pod", ptr(podObject("shop", "web-1", {{"app", "web"}}))).ok());
        QCOMPARE(graph.version(), std::uint64_t(1));
        QVERIFY(graph.upsert("", "Pod", ptr(podObject("shop", "web-1", {{"app", "api"}}))).ok());
        QCOMPARE(graph.version(), std::uint64_t(2));
        graph.remove(pod("shop", "web-1"));
        graph.remove(pod("shop", "web-1"));
        QCOMPARE(graph.version(), std::uint64_t(3));
        QCOMPARE(seen, (std::vector<std::uint64_t>{1, 2, 3}));
    }

    void malformedObjectsAreRejectedAndChangeNothing()
    {
        RelationGraph graph;
        QVERIFY(graph.upsert("", "Pod", ptr(podObject("shop", "web-1", {{"app", "web"}}))).ok());
        const std::uint64_t before = graph.version();

        json badLabels = podObject("shop", "web-1");
        badLabels["metadata"]["labels"] = {{"app", 3}};
        json badVolumes = podObject("shop", "web-1");
        badVolumes["spec"]["volumes"] = "not-a-list";
        json noName = podObject("shop", "");
        for (const json &bad : {badLabels, badVolumes, noName, json::array()}) {
            const auto result = graph.upsert("", "Pod", ptr(bad));
            QVERIFY(!result.ok());
            QCOMPARE(result.error().code(), kd::core::util::Error::Code::Invalid);
        }
        QVERIFY(!graph.upsert("", "Pod", nullptr).ok());
        QCOMPARE(graph.version(), before);
        QCOMPARE(graph.size(), size_t(1));
        QVERIFY((*graph.object(pod("shop", "web-1")))["metadata"]["labels"]["app"] == json("web"));
    }

    void kindFromTheObjectItself()
    {
        RelationGraph graph;
        json deployment = {{"apiVersion", "apps/v1"},
                           {"kind", "Deployment"},
                           {"metadata", meta("shop", "web", "uid-deploy")}};
        QVERIFY(graph.upsert(ptr(deployment)).ok());
        QVERIFY(graph.contains({"apps", "Deployment", "shop", "web"}));
        QVERIFY(!graph.upsert(ptr(podObject("shop", "no-kind"))).ok());
        QCOMPARE(graph.size(), size_t(1));
    }
};

QTEST_GUILESS_MAIN(TestRelationGraph)
#include "tst_relationgraph.moc"
