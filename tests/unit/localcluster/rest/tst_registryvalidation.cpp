// Field validation of the common kinds: the 422 causes kube-apiserver gives for the same input.

#include <localcluster/apiserver/registry/validation.h>
#include <localcluster/apiserver/resourcecatalog.h>

#include <nlohmann/json.hpp>

#include <QTest>

using nlohmann::json;
namespace api = kd::lc::apiserver;
namespace registry = kd::lc::apiserver::registry;

class TestRegistryValidation final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void causes_data()
    {
        QTest::addColumn<QString>("group");
        QTest::addColumn<QString>("resource");
        QTest::addColumn<QString>("object");
        QTest::addColumn<QString>("previous"); // empty: a create
        QTest::addColumn<QString>("expected"); // "field: message" joined by " | "

        QTest::newRow("pod ok") << ""
                                << "pods"
                                << R"({"spec":{"containers":[{"name":"c","image":"i"}]}})"
                                << ""
                                << "";
        QTest::newRow("pod without containers") << ""
                                                << "pods"
                                                << R"({"spec":{}})"
                                                << ""
                                                << "spec.containers: Required value";
        QTest::newRow("container without name and image")
            << ""
            << "pods"
            << R"({"spec":{"containers":[{"name":"a","image":"i"},{}]}})"
            << ""
            << "spec.containers[1].name: Required value | spec.containers[1].image: Required value";
        QTest::newRow("deployment without selector")
            << "apps"
            << "deployments"
            << R"({"spec":{"template":{"metadata":{"labels":{"app":"web","tier":"f"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}})"
            << ""
            << "spec.selector: Required value | spec.template.metadata.labels: Invalid value: "
               "map[string]string{\"app\":\"web\", \"tier\":\"f\"}: `selector` does not match "
               "template `labels`";
        QTest::newRow("deployment selector mismatch")
            << "apps"
            << "deployments"
            << R"({"spec":{"selector":{"matchLabels":{"app":"x"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}})"
            << ""
            << "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: "
               "`selector` does not match template `labels`";
        QTest::newRow("deployment expressions match")
            << "apps"
            << "deployments"
            << R"({"spec":{"selector":{"matchExpressions":[{"key":"app","operator":"In","values":["a","web"]},{"key":"x","operator":"DoesNotExist"}]},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}})"
            << ""
            << "";
        QTest::newRow("deployment selector immutable")
            << "apps"
            << "deployments"
            << R"({"spec":{"selector":{"matchLabels":{"app":"web","v":"2"}},"template":{"metadata":{"labels":{"app":"web","v":"2"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}})"
            << R"({"spec":{"selector":{"matchLabels":{"app":"web"}}}})"
            << "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"
               "\"app\":\"web\", \"v\":\"2\"}, "
               "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: "
               "field is immutable";
        QTest::newRow("job restartPolicy Always")
            << "batch"
            << "jobs"
            << R"({"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"restartPolicy":"Always","containers":[{"name":"c","image":"i"}]}}}})"
            << ""
            << "spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: "
               "\"OnFailure\", \"Never\"";
        QTest::newRow("service without ports") << ""
                                               << "services"
                                               << R"({"spec":{"type":"ClusterIP"}})"
                                               << ""
                                               << "spec.ports: Required value";
        QTest::newRow("headless service without ports") << ""
                                                        << "services"
                                                        << R"({"spec":{"clusterIP":"None"}})"
                                                        << ""
                                                        << "";
        QTest::newRow("external name without ports")
            << ""
            << "services"
            << R"({"spec":{"type":"ExternalName","externalName":"example.com"}})"
            << ""
            << "";
        QTest::newRow("configmap bad key")
            << ""
            << "configmaps"
            << R"({"data":{"ok.key_1-x":"1","bad key":"2"}})"
            << ""
            << "data[bad key]: Invalid value: \"bad key\": a valid config key must consist of "
               "alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or "
               "'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

        // Pod spec field rules.
        const QString forbiddenPodUpdate
            = "spec: Forbidden: pod updates may not change fields other than "
              "`spec.containers[*].image`,`spec.initContainers[*].image`,"
              "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing "
              "tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it "
              "was previously negative)\n  core.PodSpec{\n";
        QTest::newRow("container name not a DNS label")
            << ""
            << "pods"
            << R"({"spec":{"containers":[{"name":"Web_1","image":"i"}]}})"
            << ""
            << "spec.containers[0].name: Invalid value: \"Web_1\": a lowercase RFC 1123 label "
               "must consist of lower case alphanumeric characters or '-', and must start and end "
               "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
               "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
        QTest::newRow("init container reuses a container name")
            << ""
            << "pods"
            << R"({"spec":{"containers":[{"name":"a","image":"i"}],"initContainers":[{"name":"a","image":"i"}]}})"
            << ""
            << "spec.initContainers[0].name: Duplicate value: \"a\"";
        QTest::newRow("container ports")
            << ""
            << "pods"
            << R"({"spec":{"containers":[{"name":"c","image":"i","ports":[{"name":"HTTP","containerPort":70000,"protocol":"TCPX"},{"name":"web"}]}]}})"
            << ""
            << "spec.containers[0].ports[0].name: Invalid value: \"HTTP\": must contain only "
               "alpha-numeric characters (a-z, 0-9), and hyphens (-) | "
               "spec.containers[0].ports[0].name: Invalid value: \"HTTP\": must contain at least "
               "one letter (a-z) | spec.containers[0].ports[0].containerPort: Invalid value: "
               "70000: must be between 1 and 65535, inclusive | "
               "spec.containers[0].ports[0].protocol: Unsupported value: \"TCPX\": supported "
               "values: \"SCTP\", \"TCP\", \"UDP\" | "
               "spec.containers[0].ports[1].containerPort: Required value";
        QTest::newRow("env name with =")
            << ""
            << "pods"
            << R"({"spec":{"containers":[{"name":"c","image":"i","env":[{"name":"A=B"},{"value":"x"}]}]}})"
            << ""
            << "spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment "
               "variable name must consist only of printable ASCII characters other than '=' | "
               "spec.containers[0].env[1].name: Required value";
        QTest::newRow("volumes and mounts")
            << ""
            << "pods"
            << R"({"spec":{"volumes":[{"name":"v","emptyDir":{},"configMap":{"name":"x"}},{"name":"w"},{"name":"ok","emptyDir":{}},{"name":"ok","emptyDir":{}}],"containers":[{"name":"c","image":"i","volumeMounts":[{"name":"nope","mountPath":"/a"},{"name":"ok","mountPath":"/a"}]}]}})"
            << ""
            << "spec.volumes[0].configMap: Forbidden: may not specify more than 1 volume type | "
               "spec.volumes[1]: Required value: must specify a volume type | "
               "spec.volumes[3].name: Duplicate value: \"ok\" | "
               "spec.containers[0].volumeMounts[0].name: Not found: \"nope\" | "
               "spec.containers[0].volumeMounts[1].mountPath: Invalid value: \"/a\": must be "
               "unique";
        QTest::newRow("requests above limits")
            << ""
            << "pods"
            << R"({"spec":{"containers":[{"name":"c","image":"i","resources":{"limits":{"cpu":"1","memory":"1Gi"},"requests":{"cpu":"1500m","memory":"512Mi"}}}]}})"
            << ""
            << "spec.containers[0].resources.requests: Invalid value: \"1500m\": must be less "
               "than or equal to cpu limit of 1";
        QTest::newRow("bad quantity")
            << ""
            << "pods"
            << R"({"spec":{"containers":[{"name":"c","image":"i","resources":{"limits":{"memory":"lots"}}}]}})"
            << ""
            << "spec.containers[0].resources.limits[memory]: Invalid value: \"lots\": quantities "
               "must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
        QTest::newRow("restartPolicy value")
            << ""
            << "pods"
            << R"({"spec":{"restartPolicy":"Sometimes","containers":[{"name":"c","image":"i"}]}})"
            << ""
            << "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: "
               "\"Always\", \"OnFailure\", \"Never\"";

        // Pod updates.
        QTest::newRow("pod image change")
            << ""
            << "pods"
            << R"({"spec":{"containers":[{"name":"c","image":"j"}],"tolerations":[{"key":"a","operator":"Exists"},{"key":"b","operator":"Exists"}]}})"
            << R"({"spec":{"containers":[{"name":"c","image":"i"}],"tolerations":[{"key":"a","operator":"Exists"}]}})"
            << "";
        QTest::newRow("pod restartPolicy change")
            << ""
            << "pods"
            << R"({"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"i"}]}})"
            << R"({"spec":{"restartPolicy":"Always","containers":[{"name":"c","image":"i"}]}})"
            << forbiddenPodUpdate
                   + "- \tRestartPolicy: \"Always\",\n+ \tRestartPolicy: "
                     "\"Never\",\n  }\n";
        QTest::newRow("pod nodeName change")
            << ""
            << "pods"
            << R"({"spec":{"nodeName":"b","containers":[{"name":"c","image":"i"}]}})"
            << R"({"spec":{"nodeName":"a","containers":[{"name":"c","image":"i"}]}})"
            << forbiddenPodUpdate + "- \tNodeName: \"a\",\n+ \tNodeName: \"b\",\n  }\n";
        QTest::newRow("pod container added")
            << ""
            << "pods"
            << R"({"spec":{"containers":[{"name":"c","image":"i"},{"name":"d","image":"i"}]}})"
            << R"({"spec":{"containers":[{"name":"c","image":"i"}]}})"
            << "spec.containers: Forbidden: pod updates may not add or remove containers";
        QTest::newRow("pod deadline raised")
            << ""
            << "pods"
            << R"({"spec":{"activeDeadlineSeconds":20,"containers":[{"name":"c","image":"i"}]}})"
            << R"({"spec":{"activeDeadlineSeconds":10,"containers":[{"name":"c","image":"i"}]}})"
            << "spec.activeDeadlineSeconds: Invalid value: 20: must be less than or equal to "
               "previous value";
        QTest::newRow("pod deadline lowered")
            << ""
            << "pods"
            << R"({"spec":{"activeDeadlineSeconds":5,"containers":[{"name":"c","image":"i"}]}})"
            << R"({"spec":{"activeDeadlineSeconds":10,"containers":[{"name":"c","image":"i"}]}})"
            << "";
        QTest::newRow("pod toleration removed")
            << ""
            << "pods"
            << R"({"spec":{"containers":[{"name":"c","image":"i"}]}})"
            << R"({"spec":{"containers":[{"name":"c","image":"i"}],"tolerations":[{"key":"a","operator":"Exists"}]}})"
            << "spec.tolerations: Forbidden: existing toleration can not be modified except its "
               "tolerationSeconds";
        QTest::newRow("pod negative grace period set to 1")
            << ""
            << "pods"
            << R"({"spec":{"terminationGracePeriodSeconds":1,"containers":[{"name":"c","image":"i"}]}})"
            << R"({"spec":{"terminationGracePeriodSeconds":-1,"containers":[{"name":"c","image":"i"}]}})"
            << "";

        // Workloads.
        const QString jobSpec
            = R"("selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":)";
        QTest::newRow("job template change")
            << "batch"
            << "jobs"
            << "{\"spec\":{" + jobSpec + "\"j\"}]}}}}"
            << "{\"spec\":{" + jobSpec + "\"i\"}]}}}}"
            << "spec.template: Invalid value: core.PodTemplateSpec{…}: field is immutable";
        QTest::newRow("suspended job nodeSelector change")
            << "batch"
            << "jobs"
            << R"({"spec":{"suspend":true,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"nodeSelector":{"disk":"ssd"},"restartPolicy":"Never","containers":[{"name":"c","image":"i"}]}}}})"
            << R"({"spec":{"suspend":true,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"i"}]}}}})"
            << "";
        QTest::newRow("job completions change")
            << "batch"
            << "jobs"
            << "{\"spec\":{\"completions\":3," + jobSpec + "\"i\"}]}}}}"
            << "{\"spec\":{\"completions\":2," + jobSpec + "\"i\"}]}}}}"
            << "spec.completions: Invalid value: 3: field is immutable";
        QTest::newRow("job negative counts")
            << "batch"
            << "jobs"
            << "{\"spec\":{\"parallelism\":-1,\"backoffLimit\":-2," + jobSpec + "\"i\"}]}}}}"
            << ""
            << "spec.parallelism: Invalid value: -1: must be greater than or equal to 0 | "
               "spec.backoffLimit: Invalid value: -2: must be greater than or equal to 0";
        QTest::newRow("statefulset serviceName change")
            << "apps"
            << "statefulsets"
            << R"({"spec":{"replicas":3,"serviceName":"b","selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}})"
            << R"({"spec":{"replicas":1,"serviceName":"a","selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}})"
            << "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', "
               "'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', "
               "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";
        QTest::newRow("statefulset scale and new image")
            << "apps"
            << "statefulsets"
            << R"({"spec":{"replicas":3,"serviceName":"a","selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"j"}]}}}})"
            << R"({"spec":{"replicas":1,"serviceName":"a","selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}})"
            << "";
        const QString deployment
            = R"("selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}})";
        QTest::newRow("deployment maxSurge and maxUnavailable 0")
            << "apps"
            << "deployments"
            << "{\"spec\":{\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{"
               "\"maxSurge\":0,\"maxUnavailable\":\"0%\"}},"
                   + deployment + "}}"
            << ""
            << "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "
               "intstr.IntOrString{Type:1, IntVal:0, StrVal:\"0%\"}: may not be 0 when `maxSurge` "
               "is 0";
        QTest::newRow("deployment strategy type")
            << "apps"
            << "deployments"
            << "{\"spec\":{\"strategy\":{\"type\":\"Canary\"}," + deployment + "}}"
            << ""
            << "spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:\"Canary\", "
               "RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "
               "\"Recreate\", \"RollingUpdate\"";
        QTest::newRow("deployment template restartPolicy")
            << "apps"
            << "deployments"
            << R"({"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"i"}]}}}})"
            << ""
            << "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported "
               "values: \"Always\"";

        // CronJob schedules and time zones.
        const QString cronTemplate
            = R"("jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"OnFailure","containers":[{"name":"c","image":"i"}]}}}})";
        const auto cron = [&](const QString &schedule, const QString &extra = {}) {
            return "{\"spec\":{\"schedule\":\"" + schedule + "\"," + extra + cronTemplate + "}}";
        };
        QTest::newRow("cron ok") << "batch"
                                 << "cronjobs" << cron("*/5 1-3 * JAN,feb mon-fri") << ""
                                 << "";
        QTest::newRow("cron descriptor ok") << "batch"
                                            << "cronjobs" << cron("@hourly") << ""
                                            << "";
        QTest::newRow("cron every ok") << "batch"
                                       << "cronjobs" << cron("@every 1h30m") << ""
                                       << "";
        QTest::newRow("cron one field")
            << "batch"
            << "cronjobs" << cron("x") << ""
            << "spec.schedule: Invalid value: \"x\": expected exactly 5 fields, found 1: [x]";
        QTest::newRow("cron minute out of range")
            << "batch"
            << "cronjobs" << cron("61 * * * *") << ""
            << "spec.schedule: Invalid value: \"61 * * * *\": end of range (61) above maximum "
               "(59): 61";
        QTest::newRow("cron word")
            << "batch"
            << "cronjobs" << cron("* * * * often") << ""
            << "spec.schedule: Invalid value: \"* * * * often\": failed to parse int from often: "
               "strconv.Atoi: parsing \"often\": invalid syntax";
        QTest::newRow("cron bad descriptor")
            << "batch"
            << "cronjobs" << cron("@often") << ""
            << "spec.schedule: Invalid value: \"@often\": unrecognized descriptor: @often";
        QTest::newRow("cron TZ in schedule")
            << "batch"
            << "cronjobs" << cron("TZ=UTC 0 * * * *") << ""
            << "spec.schedule: Invalid value: \"TZ=UTC 0 * * * *\": cannot use TZ or CRON_TZ in "
               "schedule, use timeZone field instead";
        QTest::newRow("cron known time zone")
            << "batch"
            << "cronjobs" << cron("0 * * * *", "\"timeZone\":\"Europe/Berlin\",") << ""
            << "";
        QTest::newRow("cron unknown time zone")
            << "batch"
            << "cronjobs" << cron("0 * * * *", "\"timeZone\":\"Mars/Base\",") << ""
            << "spec.timeZone: Invalid value: \"Mars/Base\": unknown time zone Mars/Base";
        QTest::newRow("cron job template restartPolicy")
            << "batch"
            << "cronjobs"
            << R"({"spec":{"schedule":"0 * * * *","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"Always","containers":[{"name":"c","image":"i"}]}}}}}})"
            << ""
            << "spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "
               "\"Always\": supported values: \"OnFailure\", \"Never\"";

        // Services.
        QTest::newRow("service ports")
            << ""
            << "services"
            << R"({"spec":{"ports":[{"port":80},{"name":"b","port":70000,"targetPort":"HTTP"}]}})"
            << ""
            << "spec.ports[0].name: Required value | spec.ports[1].port: Invalid value: 70000: "
               "must be between 1 and 65535, inclusive | spec.ports[1].targetPort: Invalid "
               "value: \"HTTP\": must contain only alpha-numeric characters (a-z, 0-9), and "
               "hyphens (-) | spec.ports[1].targetPort: Invalid value: \"HTTP\": must contain "
               "at least one letter (a-z)";
        QTest::newRow("service duplicate port names")
            << ""
            << "services"
            << R"({"spec":{"ports":[{"name":"web","port":80},{"name":"web","port":81}]}})"
            << ""
            << "spec.ports[1].name: Duplicate value: \"web\"";
        QTest::newRow("service type")
            << ""
            << "services"
            << R"({"spec":{"type":"Cluster","ports":[{"port":80}]}})"
            << ""
            << "spec.type: Unsupported value: \"Cluster\": supported values: \"ClusterIP\", "
               "\"ExternalName\", \"LoadBalancer\", \"NodePort\"";
        QTest::newRow("service ipFamilies change")
            << ""
            << "services"
            << R"({"spec":{"ipFamilies":["IPv6"],"ports":[{"port":80}]}})"
            << R"({"spec":{"ipFamilies":["IPv4"],"ports":[{"port":80}]}})"
            << "spec.ipFamilies[0]: Invalid value: []core.IPFamily{\"IPv6\"}: may not change "
               "once set";

        // Immutable configuration.
        QTest::newRow("immutable configmap data")
            << ""
            << "configmaps"
            << R"({"immutable":true,"data":{"a":"2"}})"
            << R"({"immutable":true,"data":{"a":"1"}})"
            << "data: Forbidden: field is immutable when `immutable` is set";
        QTest::newRow("immutable configmap flag cleared")
            << ""
            << "configmaps"
            << R"({"immutable":false,"data":{"a":"1"}})"
            << R"({"immutable":true,"data":{"a":"1"}})"
            << "immutable: Forbidden: field is immutable when `immutable` is set";
        QTest::newRow("mutable configmap") << ""
                                           << "configmaps"
                                           << R"({"data":{"a":"2"}})"
                                           << R"({"data":{"a":"1"}})"
                                           << "";
        QTest::newRow("immutable secret same stringData")
            << ""
            << "secrets"
            << R"({"immutable":true,"type":"Opaque","stringData":{"a":"1"}})"
            << R"({"immutable":true,"type":"Opaque","data":{"a":"MQ=="}})"
            << "";
        QTest::newRow("immutable secret new stringData")
            << ""
            << "secrets"
            << R"({"immutable":true,"type":"Opaque","stringData":{"a":"2"}})"
            << R"({"immutable":true,"type":"Opaque","data":{"a":"MQ=="}})"
            << "data: Forbidden: field is immutable when `immutable` is set";
        QTest::newRow("secret type change")
            << ""
            << "secrets"
            << R"({"type":"kubernetes.io/tls"})"
            << R"({"type":"Opaque"})"
            << "type: Invalid value: \"kubernetes.io/tls\": field is immutable";

        // Storage and RBAC.
        QTest::newRow("storageclass changes")
            << "storage.k8s.io"
            << "storageclasses"
            << R"({"provisioner":"b","parameters":{"x":"1"},"volumeBindingMode":"WaitForFirstConsumer"})"
            << R"({"provisioner":"a","reclaimPolicy":"Delete"})"
            << "parameters: Forbidden: updates to parameters are forbidden. | provisioner: "
               "Forbidden: updates to provisioner are forbidden. | volumeBindingMode: Invalid "
               "value: \"WaitForFirstConsumer\": field is immutable";
        QTest::newRow("pvc grows while bound")
            << ""
            << "persistentvolumeclaims"
            << R"({"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"2Gi"}}},"status":{"phase":"Bound","capacity":{"storage":"1Gi"}}})"
            << R"({"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}},"status":{"phase":"Bound","capacity":{"storage":"1Gi"}}})"
            << "";
        QTest::newRow("pvc access modes change")
            << ""
            << "persistentvolumeclaims"
            << R"({"spec":{"accessModes":["ReadWriteMany"],"resources":{"requests":{"storage":"1Gi"}}}})"
            << R"({"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}})"
            << "spec: Forbidden: spec is immutable after creation except resources.requests for "
               "bound claims\n  core.PersistentVolumeClaimSpec{\n- \tAccessModes: "
               "[\"ReadWriteOnce\"],\n+ \tAccessModes: [\"ReadWriteMany\"],\n  }\n";
        QTest::newRow("pvc shrinks to capacity")
            << ""
            << "persistentvolumeclaims"
            << R"({"spec":{"resources":{"requests":{"storage":"1Gi"}}},"status":{"phase":"Bound","capacity":{"storage":"1Gi"}}})"
            << R"({"spec":{"resources":{"requests":{"storage":"2Gi"}}},"status":{"phase":"Bound","capacity":{"storage":"1Gi"}}})"
            << "spec.resources.requests.storage: Forbidden: field can not be less than "
               "status.capacity";
        QTest::newRow("rolebinding roleRef change")
            << "rbac.authorization.k8s.io"
            << "rolebindings"
            << R"({"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"edit"}})"
            << R"({"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"}})"
            << "roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", "
               "Kind:\"ClusterRole\", Name:\"edit\"}: cannot change roleRef";

        // Metadata labels and annotations.
        QTest::newRow("label value and key")
            << ""
            << "configmaps"
            << R"({"metadata":{"labels":{"app":"web server","a/b/c":"v","ok.io/x":""}}})"
            << ""
            << "metadata.labels: Invalid value: \"a/b/c\": a qualified name must consist of "
               "alphanumeric characters, '-', '_' or '.', and must start and end with an "
               "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "
               "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional "
               "DNS subdomain prefix and '/' (e.g. 'example.com/MyName') | metadata.labels: "
               "Invalid value: \"web server\": a valid label must be an empty string or consist "
               "of alphanumeric characters, '-', '_' or '.', and must start and end with an "
               "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used "
               "for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
        QTest::newRow("annotation key prefix")
            << ""
            << "configmaps"
            << R"({"metadata":{"annotations":{"Example.com/Note":"1","-x/y":"2"}}})"
            << ""
            << "metadata.annotations: Invalid value: \"-x/y\": prefix part a lowercase RFC 1123 "
               "subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
               "must start and end with an alphanumeric character (e.g. 'example.com', regex "
               "used for validation is "
               "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    }
    void causes()
    {
        QFETCH(QString, group);
        QFETCH(QString, resource);
        QFETCH(QString, object);
        QFETCH(QString, previous);
        QFETCH(QString, expected);
        api::ResourceCatalog catalog;
        const auto info = catalog.find(group.toStdString(), "v1", resource.toStdString());
        QVERIFY(info);
        const json before = previous.isEmpty() ? json() : json::parse(previous.toStdString());
        const auto causes = registry::validate(*info, json::parse(object.toStdString()),
                                               previous.isEmpty() ? nullptr : &before);
        QStringList got;
        for (const auto &cause : causes)
            got << QString::fromStdString(cause.field + ": " + cause.message);
        QCOMPARE(got.join(" | "), expected);
    }
};

QTEST_GUILESS_MAIN(TestRegistryValidation)
#include "tst_registryvalidation.moc"
