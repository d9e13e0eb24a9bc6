#include "schema.h"

#include <algorithm>
#include <map>

// Field numbers and JSON names are protocol facts from the Kubernetes generated.proto files
// (k8s.io/api and k8s.io/apimachinery); the tables below restate them in this project's terms.
// Fields a client never sends on create (most of status) are left out and skipped when seen.

namespace kd::lc::apiserver::protobuf {

namespace {

using K = FieldKind;

FieldSchema str(std::uint32_t n, const char *name, std::uint8_t flags = NoFlags)
{
    return {n, name, K::String, flags, nullptr};
}
FieldSchema strs(std::uint32_t n, const char *name)
{
    return {n, name, K::String, Repeated, nullptr};
}
FieldSchema boolean(std::uint32_t n, const char *name, std::uint8_t flags = NoFlags)
{
    return {n, name, K::Bool, flags, nullptr};
}
FieldSchema i32(std::uint32_t n, const char *name, std::uint8_t flags = NoFlags)
{
    return {n, name, K::Int32, flags, nullptr};
}
FieldSchema i64(std::uint32_t n, const char *name, std::uint8_t flags = NoFlags)
{
    return {n, name, K::Int64, flags, nullptr};
}
FieldSchema msg(std::uint32_t n, const char *name, const char *message)
{
    return {n, name, K::Message, NoFlags, message};
}
FieldSchema msgs(std::uint32_t n, const char *name, const char *message)
{
    return {n, name, K::Message, Repeated, message};
}
FieldSchema inlined(std::uint32_t n, const char *message)
{
    return {n, "", K::Message, Inline, message};
}
FieldSchema typed(std::uint32_t n, const char *name, FieldKind kind)
{
    return {n, name, kind, NoFlags, nullptr};
}

constexpr std::uint8_t P = Always;

std::vector<MessageSchema> buildMessages()
{
    return {
        // meta/v1
        {"meta.v1.ObjectMeta",
         {str(1, "name"), str(2, "generateName"), str(3, "namespace"), str(4, "selfLink"),
          str(5, "uid"), str(6, "resourceVersion"), i64(7, "generation"),
          typed(8, "creationTimestamp", K::Time), typed(9, "deletionTimestamp", K::Time),
          i64(10, "deletionGracePeriodSeconds", P), typed(11, "labels", K::StringMap),
          typed(12, "annotations", K::StringMap),
          msgs(13, "ownerReferences", "meta.v1.OwnerReference"), strs(14, "finalizers")}},
        {"meta.v1.OwnerReference",
         {str(1, "kind"), str(3, "name"), str(4, "uid"), str(5, "apiVersion"),
          boolean(6, "controller", P), boolean(7, "blockOwnerDeletion", P)}},
        {"meta.v1.LabelSelector",
         {typed(1, "matchLabels", K::StringMap),
          msgs(2, "matchExpressions", "meta.v1.LabelSelectorRequirement")}},
        {"meta.v1.LabelSelectorRequirement",
         {str(1, "key"), str(2, "operator"), strs(3, "values")}},
        {"meta.v1.DeleteOptions",
         {i64(1, "gracePeriodSeconds", P), msg(2, "preconditions", "meta.v1.Preconditions"),
          boolean(3, "orphanDependents", P), str(4, "propagationPolicy", P), strs(5, "dryRun"),
          boolean(6, "ignoreStoreReadErrorWithClusterBreakingPotential", P)}},
        {"meta.v1.Preconditions", {str(1, "uid", P), str(2, "resourceVersion", P)}},

        // core/v1: the kinds
        {"core.v1.Namespace",
         {msg(1, "metadata", "meta.v1.ObjectMeta"), msg(2, "spec", "core.v1.NamespaceSpec"),
          msg(3, "status", "core.v1.NamespaceStatus")}},
        {"core.v1.NamespaceSpec", {strs(1, "finalizers")}},
        {"core.v1.NamespaceStatus", {str(1, "phase")}},
        {"core.v1.ConfigMap",
         {msg(1, "metadata", "meta.v1.ObjectMeta"), typed(2, "data", K::StringMap),
          typed(3, "binaryData", K::BytesMap), boolean(4, "immutable", P)}},
        {"core.v1.Secret",
         {msg(1, "metadata", "meta.v1.ObjectMeta"), typed(2, "data", K::BytesMap), str(3, "type"),
          typed(4, "stringData", K::StringMap), boolean(5, "immutable", P)}},
        {"core.v1.ServiceAccount",
         {msg(1, "metadata", "meta.v1.ObjectMeta"), msgs(2, "secrets", "core.v1.ObjectReference"),
          msgs(3, "imagePullSecrets", "core.v1.LocalObjectReference"),
          boolean(4, "automountServiceAccountToken", P)}},
        {"core.v1.ObjectReference",
         {str(1, "kind"), str(2, "namespace"), str(3, "name"), str(4, "uid"), str(5, "apiVersion"),
          str(6, "resourceVersion"), str(7, "fieldPath")}},
        {"core.v1.LocalObjectReference", {str(1, "name")}},
        {"core.v1.Service",
         {msg(1, "metadata", "meta.v1.ObjectMeta"), msg(2, "spec", "core.v1.ServiceSpec"),
          msg(3, "status", "core.v1.ServiceStatus")}},
        {"core.v1.ServiceSpec",
         {msgs(1, "ports", "core.v1.ServicePort"),
          typed(2, "selector", K::StringMap),
          str(3, "clusterIP"),
          str(4, "type"),
          strs(5, "externalIPs"),
          str(7, "sessionAffinity"),
          str(8, "loadBalancerIP"),
          strs(9, "loadBalancerSourceRanges"),
          str(10, "externalName"),
          str(11, "externalTrafficPolicy"),
          i32(12, "healthCheckNodePort"),
          boolean(13, "publishNotReadyAddresses"),
          msg(14, "sessionAffinityConfig", "core.v1.SessionAffinityConfig"),
          str(17, "ipFamilyPolicy", P),
          strs(18, "clusterIPs"),
          strs(19, "ipFamilies"),
          boolean(20, "allocateLoadBalancerNodePorts", P),
          str(21, "loadBalancerClass", P),
          str(22, "internalTrafficPolicy", P),
          str(23, "trafficDistribution", P)}},
        {"core.v1.ServicePort",
         {str(1, "name"), str(2, "protocol"), i32(3, "port", P),
          typed(4, "targetPort", K::IntOrString), i32(5, "nodePort"), str(6, "appProtocol", P)}},
        {"core.v1.SessionAffinityConfig", {msg(1, "clientIP", "core.v1.ClientIPConfig")}},
        {"core.v1.ClientIPConfig", {i32(1, "timeoutSeconds", P)}},
        {"core.v1.ServiceStatus", {msg(1, "loadBalancer", "core.v1.LoadBalancerStatus")}},
        {"core.v1.LoadBalancerStatus", {}},
        {"core.v1.ResourceQuota",
         {msg(1, "metadata", "meta.v1.ObjectMeta"), msg(2, "spec", "core.v1.ResourceQuotaSpec"),
          msg(3, "status", "core.v1.ResourceQuotaStatus")}},
        {"core.v1.ResourceQuotaSpec",
         {typed(1, "hard", K::QuantityMap), strs(2, "scopes"),
          msg(3, "scopeSelector", "core.v1.ScopeSelector")}},
        {"core.v1.ScopeSelector",
         {msgs(1, "matchExpressions", "core.v1.ScopedResourceSelectorRequirement")}},
        {"core.v1.ScopedResourceSelectorRequirement",
         {str(1, "scopeName"), str(2, "operator"), strs(3, "values")}},
        {"core.v1.ResourceQuotaStatus",
         {typed(1, "hard", K::QuantityMap), typed(2, "used", K::QuantityMap)}},
        {"core.v1.Pod",
         {msg(1, "metadata", "meta.v1.ObjectMeta"), msg(2, "spec", "core.v1.PodSpec"),
          msg(3, "status", "core.v1.PodStatus")}},
        {"core.v1.PodStatus", {str(1, "phase"), str(3, "message"), str(4, "reason")}},

        // core/v1: pod templates
        {"core.v1.PodTemplateSpec",
         {msg(1, "metadata", "meta.v1.ObjectMeta"), msg(2, "spec", "core.v1.PodSpec")}},
        {"core.v1.PodSpec",
         {msgs(1, "volumes", "core.v1.Volume"),
          msgs(2, "containers", "core.v1.Container"),
          str(3, "restartPolicy"),
          i64(4, "terminationGracePeriodSeconds", P),
          i64(5, "activeDeadlineSeconds", P),
          str(6, "dnsPolicy"),
          typed(7, "nodeSelector", K::StringMap),
          str(8, "serviceAccountName"),
          str(9, "serviceAccount"),
          str(10, "nodeName"),
          boolean(11, "hostNetwork"),
          boolean(12, "hostPID"),
          boolean(13, "hostIPC"),
          msg(14, "securityContext", "core.v1.PodSecurityContext"),
          msgs(15, "imagePullSecrets", "core.v1.LocalObjectReference"),
          str(16, "hostname"),
          str(17, "subdomain"),
          msg(18, "affinity", "core.v1.Affinity"),
          str(19, "schedulerName"),
          msgs(20, "initContainers", "core.v1.Container"),
          boolean(21, "automountServiceAccountToken", P),
          msgs(22, "tolerations", "core.v1.Toleration"),
          str(24, "priorityClassName"),
          i32(25, "priority", P),
          boolean(27, "shareProcessNamespace", P),
          str(29, "runtimeClassName", P),
          boolean(30, "enableServiceLinks", P),
          str(31, "preemptionPolicy", P),
          typed(32, "overhead", K::QuantityMap),
          boolean(35, "setHostnameAsFQDN", P),
          boolean(37, "hostUsers", P)}},
        {"core.v1.Container",
         {str(1, "name"),
          str(2, "image"),
          strs(3, "command"),
          strs(4, "args"),
          str(5, "workingDir"),
          msgs(6, "ports", "core.v1.ContainerPort"),
          msgs(7, "env", "core.v1.EnvVar"),
          msg(8, "resources", "core.v1.ResourceRequirements"),
          msgs(9, "volumeMounts", "core.v1.VolumeMount"),
          msg(10, "livenessProbe", "core.v1.Probe"),
          msg(11, "readinessProbe", "core.v1.Probe"),
          msg(12, "lifecycle", "core.v1.Lifecycle"),
          str(13, "terminationMessagePath"),
          str(14, "imagePullPolicy"),
          msg(15, "securityContext", "core.v1.SecurityContext"),
          boolean(16, "stdin"),
          boolean(17, "stdinOnce"),
          boolean(18, "tty"),
          msgs(19, "envFrom", "core.v1.EnvFromSource"),
          str(20, "terminationMessagePolicy"),
          msg(22, "startupProbe", "core.v1.Probe"),
          str(24, "restartPolicy", P)}},
        {"core.v1.ContainerPort",
         {str(1, "name"), i32(2, "hostPort"), i32(3, "containerPort", P), str(4, "protocol"),
          str(5, "hostIP")}},
        {"core.v1.EnvVar",
         {str(1, "name"), str(2, "value"), msg(3, "valueFrom", "core.v1.EnvVarSource")}},
        {"core.v1.EnvVarSource",
         {msg(1, "fieldRef", "core.v1.ObjectFieldSelector"),
          msg(2, "resourceFieldRef", "core.v1.ResourceFieldSelector"),
          msg(3, "configMapKeyRef", "core.v1.ConfigMapKeySelector"),
          msg(4, "secretKeyRef", "core.v1.SecretKeySelector")}},
        {"core.v1.ObjectFieldSelector", {str(1, "apiVersion"), str(2, "fieldPath")}},
        {"core.v1.ResourceFieldSelector",
         {str(1, "containerName"), str(2, "resource"), typed(3, "divisor", K::Quantity)}},
        {"core.v1.ConfigMapKeySelector",
         {inlined(1, "core.v1.LocalObjectReference"), str(2, "key"), boolean(3, "optional", P)}},
        {"core.v1.SecretKeySelector",
         {inlined(1, "core.v1.LocalObjectReference"), str(2, "key"), boolean(3, "optional", P)}},
        {"core.v1.EnvFromSource",
         {str(1, "prefix"), msg(2, "configMapRef", "core.v1.ConfigMapEnvSource"),
          msg(3, "secretRef", "core.v1.SecretEnvSource")}},
        {"core.v1.ConfigMapEnvSource",
         {inlined(1, "core.v1.LocalObjectReference"), boolean(2, "optional", P)}},
        {"core.v1.SecretEnvSource",
         {inlined(1, "core.v1.LocalObjectReference"), boolean(2, "optional", P)}},
        {"core.v1.ResourceRequirements",
         {typed(1, "limits", K::QuantityMap), typed(2, "requests", K::QuantityMap)}},
        {"core.v1.VolumeMount",
         {str(1, "name"), boolean(2, "readOnly"), str(3, "mountPath"), str(4, "subPath"),
          str(5, "mountPropagation", P), str(6, "subPathExpr")}},
        {"core.v1.Probe",
         {inlined(1, "core.v1.ProbeHandler"), i32(2, "initialDelaySeconds"),
          i32(3, "timeoutSeconds"), i32(4, "periodSeconds"), i32(5, "successThreshold"),
          i32(6, "failureThreshold"), i64(7, "terminationGracePeriodSeconds", P)}},
        {"core.v1.ProbeHandler",
         {msg(1, "exec", "core.v1.ExecAction"), msg(2, "httpGet", "core.v1.HTTPGetAction"),
          msg(3, "tcpSocket", "core.v1.TCPSocketAction"), msg(4, "grpc", "core.v1.GRPCAction")}},
        {"core.v1.ExecAction", {strs(1, "command")}},
        {"core.v1.HTTPGetAction",
         {str(1, "path"), typed(2, "port", K::IntOrString), str(3, "host"), str(4, "scheme"),
          msgs(5, "httpHeaders", "core.v1.HTTPHeader")}},
        {"core.v1.HTTPHeader", {str(1, "name"), str(2, "value", P)}},
        {"core.v1.TCPSocketAction", {typed(1, "port", K::IntOrString), str(2, "host")}},
        {"core.v1.GRPCAction", {i32(1, "port", P), str(2, "service", P)}},
        {"core.v1.Lifecycle",
         {msg(1, "postStart", "core.v1.LifecycleHandler"),
          msg(2, "preStop", "core.v1.LifecycleHandler")}},
        {"core.v1.LifecycleHandler",
         {msg(1, "exec", "core.v1.ExecAction"), msg(2, "httpGet", "core.v1.HTTPGetAction"),
          msg(3, "tcpSocket", "core.v1.TCPSocketAction"), msg(4, "sleep", "core.v1.SleepAction")}},
        {"core.v1.SleepAction", {i64(1, "seconds", P)}},
        {"core.v1.SecurityContext",
         {msg(1, "capabilities", "core.v1.Capabilities"), boolean(2, "privileged", P),
          i64(4, "runAsUser", P), boolean(5, "runAsNonRoot", P),
          boolean(6, "readOnlyRootFilesystem", P), boolean(7, "allowPrivilegeEscalation", P),
          i64(8, "runAsGroup", P), str(9, "procMount", P),
          msg(11, "seccompProfile", "core.v1.SeccompProfile")}},
        {"core.v1.Capabilities", {strs(1, "add"), strs(2, "drop")}},
        {"core.v1.SeccompProfile", {str(1, "type"), str(2, "localhostProfile", P)}},
        {"core.v1.PodSecurityContext",
         {i64(2, "runAsUser", P),
          boolean(3, "runAsNonRoot", P),
          {4, "supplementalGroups", K::Int64, Repeated, nullptr},
          i64(5, "fsGroup", P),
          i64(6, "runAsGroup", P),
          msgs(7, "sysctls", "core.v1.Sysctl"),
          str(9, "fsGroupChangePolicy", P),
          msg(10, "seccompProfile", "core.v1.SeccompProfile")}},
        {"core.v1.Sysctl", {str(1, "name", P), str(2, "value", P)}},
        {"core.v1.Toleration",
         {str(1, "key"), str(2, "operator"), str(3, "value"), str(4, "effect"),
          i64(5, "tolerationSeconds", P)}},
        {"core.v1.Affinity", {msg(1, "nodeAffinity", "core.v1.NodeAffinity")}},
        {"core.v1.NodeAffinity",
         {msg(1, "requiredDuringSchedulingIgnoredDuringExecution", "core.v1.NodeSelector")}},
        {"core.v1.NodeSelector", {msgs(1, "nodeSelectorTerms", "core.v1.NodeSelectorTerm")}},
        {"core.v1.NodeSelectorTerm",
         {msgs(1, "matchExpressions", "core.v1.NodeSelectorRequirement"),
          msgs(2, "matchFields", "core.v1.NodeSelectorRequirement")}},
        {"core.v1.NodeSelectorRequirement", {str(1, "key"), str(2, "operator"), strs(3, "values")}},
        {"core.v1.Volume", {str(1, "name"), inlined(2, "core.v1.VolumeSource")}},
        {"core.v1.VolumeSource",
         {msg(1, "hostPath", "core.v1.HostPathVolumeSource"),
          msg(2, "emptyDir", "core.v1.EmptyDirVolumeSource"),
          msg(6, "secret", "core.v1.SecretVolumeSource"),
          msg(10, "persistentVolumeClaim", "core.v1.PersistentVolumeClaimVolumeSource"),
          msg(19, "configMap", "core.v1.ConfigMapVolumeSource")}},
        {"core.v1.HostPathVolumeSource", {str(1, "path"), str(2, "type", P)}},
        {"core.v1.EmptyDirVolumeSource", {str(1, "medium"), typed(2, "sizeLimit", K::Quantity)}},
        {"core.v1.SecretVolumeSource",
         {str(1, "secretName"), msgs(2, "items", "core.v1.KeyToPath"), i32(3, "defaultMode", P),
          boolean(4, "optional", P)}},
        {"core.v1.PersistentVolumeClaimVolumeSource",
         {str(1, "claimName"), boolean(2, "readOnly")}},
        {"core.v1.ConfigMapVolumeSource",
         {inlined(1, "core.v1.LocalObjectReference"), msgs(2, "items", "core.v1.KeyToPath"),
          i32(3, "defaultMode", P), boolean(4, "optional", P)}},
        {"core.v1.KeyToPath", {str(1, "key"), str(2, "path"), i32(3, "mode", P)}},

        // apps/v1
        {"apps.v1.Deployment",
         {msg(1, "metadata", "meta.v1.ObjectMeta"), msg(2, "spec", "apps.v1.DeploymentSpec"),
          msg(3, "status", "apps.v1.DeploymentStatus")}},
        {"apps.v1.DeploymentSpec",
         {i32(1, "replicas", P), msg(2, "selector", "meta.v1.LabelSelector"),
          msg(3, "template", "core.v1.PodTemplateSpec"),
          msg(4, "strategy", "apps.v1.DeploymentStrategy"), i32(5, "minReadySeconds"),
          i32(6, "revisionHistoryLimit", P), boolean(7, "paused"),
          i32(9, "progressDeadlineSeconds", P)}},
        {"apps.v1.DeploymentStrategy",
         {str(1, "type"), msg(2, "rollingUpdate", "apps.v1.RollingUpdateDeployment")}},
        {"apps.v1.RollingUpdateDeployment",
         {typed(1, "maxUnavailable", K::IntOrString), typed(2, "maxSurge", K::IntOrString)}},
        {"apps.v1.DeploymentStatus",
         {i64(1, "observedGeneration"), i32(2, "replicas"), i32(3, "updatedReplicas"),
          i32(4, "availableReplicas"), i32(5, "unavailableReplicas"), i32(7, "readyReplicas"),
          i32(8, "collisionCount", P), i32(9, "terminatingReplicas", P)}},

        // batch/v1
        {"batch.v1.Job",
         {msg(1, "metadata", "meta.v1.ObjectMeta"), msg(2, "spec", "batch.v1.JobSpec"),
          msg(3, "status", "batch.v1.JobStatus")}},
        {"batch.v1.JobSpec",
         {i32(1, "parallelism", P), i32(2, "completions", P), i64(3, "activeDeadlineSeconds", P),
          msg(4, "selector", "meta.v1.LabelSelector"), boolean(5, "manualSelector", P),
          msg(6, "template", "core.v1.PodTemplateSpec"), i32(7, "backoffLimit", P),
          i32(8, "ttlSecondsAfterFinished", P), str(9, "completionMode", P),
          boolean(10, "suspend", P), i32(12, "backoffLimitPerIndex", P),
          i32(13, "maxFailedIndexes", P), str(14, "podReplacementPolicy", P),
          str(15, "managedBy", P)}},
        {"batch.v1.JobStatus",
         {typed(2, "startTime", K::Time), typed(3, "completionTime", K::Time), i32(4, "active"),
          i32(5, "succeeded"), i32(6, "failed"), str(7, "completedIndexes"), i32(9, "ready", P),
          str(10, "failedIndexes", P), i32(11, "terminating", P)}},
        {"batch.v1.CronJob",
         {msg(1, "metadata", "meta.v1.ObjectMeta"), msg(2, "spec", "batch.v1.CronJobSpec"),
          msg(3, "status", "batch.v1.CronJobStatus")}},
        {"batch.v1.CronJobSpec",
         {str(1, "schedule"), i64(2, "startingDeadlineSeconds", P), str(3, "concurrencyPolicy"),
          boolean(4, "suspend", P), msg(5, "jobTemplate", "batch.v1.JobTemplateSpec"),
          i32(6, "successfulJobsHistoryLimit", P), i32(7, "failedJobsHistoryLimit", P),
          str(8, "timeZone", P)}},
        {"batch.v1.JobTemplateSpec",
         {msg(1, "metadata", "meta.v1.ObjectMeta"), msg(2, "spec", "batch.v1.JobSpec")}},
        {"batch.v1.CronJobStatus",
         {msgs(1, "active", "core.v1.ObjectReference"), typed(4, "lastScheduleTime", K::Time),
          typed(5, "lastSuccessfulTime", K::Time)}},

        // rbac.authorization.k8s.io/v1
        {"rbac.v1.Role",
         {msg(1, "metadata", "meta.v1.ObjectMeta"), msgs(2, "rules", "rbac.v1.PolicyRule")}},
        {"rbac.v1.ClusterRole",
         {msg(1, "metadata", "meta.v1.ObjectMeta"), msgs(2, "rules", "rbac.v1.PolicyRule"),
          msg(3, "aggregationRule", "rbac.v1.AggregationRule")}},
        {"rbac.v1.PolicyRule",
         {strs(1, "verbs"), strs(2, "apiGroups"), strs(3, "resources"), strs(4, "resourceNames"),
          strs(5, "nonResourceURLs")}},
        {"rbac.v1.AggregationRule", {msgs(1, "clusterRoleSelectors", "meta.v1.LabelSelector")}},
        {"rbac.v1.RoleBinding",
         {msg(1, "metadata", "meta.v1.ObjectMeta"), msgs(2, "subjects", "rbac.v1.Subject"),
          msg(3, "roleRef", "rbac.v1.RoleRef")}},
        {"rbac.v1.Subject",
         {str(1, "kind"), str(2, "apiGroup"), str(3, "name"), str(4, "namespace")}},
        {"rbac.v1.RoleRef", {str(1, "apiGroup"), str(2, "kind"), str(3, "name")}},

        // networking.k8s.io/v1
        {"networking.v1.Ingress",
         {msg(1, "metadata", "meta.v1.ObjectMeta"), msg(2, "spec", "networking.v1.IngressSpec"),
          msg(3, "status", "networking.v1.IngressStatus")}},
        {"networking.v1.IngressSpec",
         {msg(1, "defaultBackend", "networking.v1.IngressBackend"),
          msgs(2, "tls", "networking.v1.IngressTLS"), msgs(3, "rules", "networking.v1.IngressRule"),
          str(4, "ingressClassName", P)}},
        {"networking.v1.IngressTLS", {strs(1, "hosts"), str(2, "secretName")}},
        {"networking.v1.IngressRule",
         {str(1, "host"), inlined(2, "networking.v1.IngressRuleValue")}},
        {"networking.v1.IngressRuleValue", {msg(1, "http", "networking.v1.HTTPIngressRuleValue")}},
        {"networking.v1.HTTPIngressRuleValue", {msgs(1, "paths", "networking.v1.HTTPIngressPath")}},
        {"networking.v1.HTTPIngressPath",
         {str(1, "path"), msg(2, "backend", "networking.v1.IngressBackend"),
          str(3, "pathType", P)}},
        {"networking.v1.IngressBackend",
         {msg(3, "resource", "core.v1.TypedLocalObjectReference"),
          msg(4, "service", "networking.v1.IngressServiceBackend")}},
        {"core.v1.TypedLocalObjectReference",
         {str(1, "apiGroup", P), str(2, "kind"), str(3, "name")}},
        {"networking.v1.IngressServiceBackend",
         {str(1, "name"), msg(2, "port", "networking.v1.ServiceBackendPort")}},
        {"networking.v1.ServiceBackendPort", {str(1, "name"), i32(2, "number")}},
        {"networking.v1.IngressStatus",
         {msg(1, "loadBalancer", "networking.v1.IngressLoadBalancerStatus")}},
        {"networking.v1.IngressLoadBalancerStatus", {}},

        // policy/v1
        {"policy.v1.PodDisruptionBudget",
         {msg(1, "metadata", "meta.v1.ObjectMeta"),
          msg(2, "spec", "policy.v1.PodDisruptionBudgetSpec"),
          msg(3, "status", "policy.v1.PodDisruptionBudgetStatus")}},
        {"policy.v1.PodDisruptionBudgetSpec",
         {typed(1, "minAvailable", K::IntOrString), msg(2, "selector", "meta.v1.LabelSelector"),
          typed(3, "maxUnavailable", K::IntOrString), str(4, "unhealthyPodEvictionPolicy", P)}},
        {"policy.v1.PodDisruptionBudgetStatus",
         {i64(1, "observedGeneration"), i32(3, "disruptionsAllowed", P),
          i32(4, "currentHealthy", P), i32(5, "desiredHealthy", P), i32(6, "expectedPods", P)}},
        {"policy.v1.Eviction",
         {msg(1, "metadata", "meta.v1.ObjectMeta"),
          msg(2, "deleteOptions", "meta.v1.DeleteOptions")}},

        // scheduling.k8s.io/v1
        {"scheduling.v1.PriorityClass",
         {msg(1, "metadata", "meta.v1.ObjectMeta"), i32(2, "value", P), boolean(3, "globalDefault"),
          str(4, "description"), str(5, "preemptionPolicy", P)}},

        // autoscaling/v1 and v2
        {"autoscaling.v1.HorizontalPodAutoscaler",
         {msg(1, "metadata", "meta.v1.ObjectMeta"),
          msg(2, "spec", "autoscaling.v1.HorizontalPodAutoscalerSpec"),
          msg(3, "status", "autoscaling.v1.HorizontalPodAutoscalerStatus")}},
        {"autoscaling.v1.HorizontalPodAutoscalerSpec",
         {msg(1, "scaleTargetRef", "autoscaling.CrossVersionObjectReference"),
          i32(2, "minReplicas", P), i32(3, "maxReplicas", P),
          i32(4, "targetCPUUtilizationPercentage", P)}},
        {"autoscaling.v1.HorizontalPodAutoscalerStatus",
         {i64(1, "observedGeneration", P), typed(2, "lastScaleTime", K::Time),
          i32(3, "currentReplicas", P), i32(4, "desiredReplicas", P),
          i32(5, "currentCPUUtilizationPercentage", P)}},
        {"autoscaling.CrossVersionObjectReference",
         {str(1, "kind"), str(2, "name"), str(3, "apiVersion")}},
        {"autoscaling.v2.HorizontalPodAutoscaler",
         {msg(1, "metadata", "meta.v1.ObjectMeta"),
          msg(2, "spec", "autoscaling.v2.HorizontalPodAutoscalerSpec"),
          msg(3, "status", "autoscaling.v2.HorizontalPodAutoscalerStatus")}},
        {"autoscaling.v2.HorizontalPodAutoscalerSpec",
         {msg(1, "scaleTargetRef", "autoscaling.CrossVersionObjectReference"),
          i32(2, "minReplicas", P), i32(3, "maxReplicas", P),
          msgs(4, "metrics", "autoscaling.v2.MetricSpec"),
          msg(5, "behavior", "autoscaling.v2.HorizontalPodAutoscalerBehavior")}},
        {"autoscaling.v2.MetricSpec",
         {str(1, "type"), msg(2, "object", "autoscaling.v2.ObjectMetricSource"),
          msg(3, "pods", "autoscaling.v2.PodsMetricSource"),
          msg(4, "resource", "autoscaling.v2.ResourceMetricSource"),
          msg(5, "external", "autoscaling.v2.ExternalMetricSource"),
          msg(7, "containerResource", "autoscaling.v2.ContainerResourceMetricSource")}},
        {"autoscaling.v2.ResourceMetricSource",
         {str(1, "name"), msg(2, "target", "autoscaling.v2.MetricTarget")}},
        {"autoscaling.v2.ContainerResourceMetricSource",
         {str(1, "name"), msg(2, "target", "autoscaling.v2.MetricTarget"), str(3, "container")}},
        {"autoscaling.v2.ObjectMetricSource",
         {msg(1, "describedObject", "autoscaling.CrossVersionObjectReference"),
          msg(2, "target", "autoscaling.v2.MetricTarget"),
          msg(3, "metric", "autoscaling.v2.MetricIdentifier")}},
        {"autoscaling.v2.PodsMetricSource",
         {msg(1, "metric", "autoscaling.v2.MetricIdentifier"),
          msg(2, "target", "autoscaling.v2.MetricTarget")}},
        {"autoscaling.v2.ExternalMetricSource",
         {msg(1, "metric", "autoscaling.v2.MetricIdentifier"),
          msg(2, "target", "autoscaling.v2.MetricTarget")}},
        {"autoscaling.v2.MetricIdentifier",
         {str(1, "name"), msg(2, "selector", "meta.v1.LabelSelector")}},
        {"autoscaling.v2.MetricTarget",
         {str(1, "type"), typed(2, "value", K::Quantity), typed(3, "averageValue", K::Quantity),
          i32(4, "averageUtilization", P)}},
        {"autoscaling.v2.HorizontalPodAutoscalerBehavior",
         {msg(1, "scaleUp", "autoscaling.v2.HPAScalingRules"),
          msg(2, "scaleDown", "autoscaling.v2.HPAScalingRules")}},
        {"autoscaling.v2.HPAScalingRules",
         {str(1, "selectPolicy", P), msgs(2, "policies", "autoscaling.v2.HPAScalingPolicy"),
          i32(3, "stabilizationWindowSeconds", P), typed(4, "tolerance", K::Quantity)}},
        {"autoscaling.v2.HPAScalingPolicy",
         {str(1, "type"), i32(2, "value", P), i32(3, "periodSeconds", P)}},
        {"autoscaling.v2.HorizontalPodAutoscalerStatus",
         {i64(1, "observedGeneration", P), typed(2, "lastScaleTime", K::Time),
          i32(3, "currentReplicas"), i32(4, "desiredReplicas", P)}},

        // authorization.k8s.io/v1
        {"authorization.v1.SelfSubjectAccessReview",
         {msg(1, "metadata", "meta.v1.ObjectMeta"),
          msg(2, "spec", "authorization.v1.SelfSubjectAccessReviewSpec"),
          msg(3, "status", "authorization.v1.SubjectAccessReviewStatus")}},
        {"authorization.v1.SelfSubjectAccessReviewSpec",
         {msg(1, "resourceAttributes", "authorization.v1.ResourceAttributes"),
          msg(2, "nonResourceAttributes", "authorization.v1.NonResourceAttributes")}},
        {"authorization.v1.ResourceAttributes",
         {str(1, "namespace"), str(2, "verb"), str(3, "group"), str(4, "version"),
          str(5, "resource"), str(6, "subresource"), str(7, "name")}},
        {"authorization.v1.NonResourceAttributes", {str(1, "path"), str(2, "verb")}},
        {"authorization.v1.SubjectAccessReviewStatus",
         {boolean(1, "allowed", P), str(2, "reason"), str(3, "evaluationError"),
          boolean(4, "denied")}},
        {"authorization.v1.SelfSubjectRulesReview",
         {msg(1, "metadata", "meta.v1.ObjectMeta"),
          msg(2, "spec", "authorization.v1.SelfSubjectRulesReviewSpec"),
          msg(3, "status", "authorization.v1.SubjectRulesReviewStatus")}},
        {"authorization.v1.SelfSubjectRulesReviewSpec", {str(1, "namespace")}},
        {"authorization.v1.SubjectRulesReviewStatus",
         {boolean(3, "incomplete", P), str(4, "evaluationError")}},

        // authentication.k8s.io/v1
        {"authentication.v1.SelfSubjectReview",
         {msg(1, "metadata", "meta.v1.ObjectMeta"),
          msg(2, "status", "authentication.v1.SelfSubjectReviewStatus")}},
        {"authentication.v1.SelfSubjectReviewStatus",
         {msg(1, "userInfo", "authentication.v1.UserInfo")}},
        {"authentication.v1.UserInfo", {str(1, "username"), str(2, "uid"), strs(3, "groups")}},
        {"authentication.v1.TokenRequest",
         {msg(1, "metadata", "meta.v1.ObjectMeta"),
          msg(2, "spec", "authentication.v1.TokenRequestSpec"),
          msg(3, "status", "authentication.v1.TokenRequestStatus")}},
        {"authentication.v1.TokenRequestSpec",
         {strs(1, "audiences"), msg(3, "boundObjectRef", "authentication.v1.BoundObjectReference"),
          i64(4, "expirationSeconds", P)}},
        {"authentication.v1.BoundObjectReference",
         {str(1, "kind"), str(2, "apiVersion"), str(3, "name"), str(4, "uid")}},
        {"authentication.v1.TokenRequestStatus",
         {str(1, "token", P), typed(2, "expirationTimestamp", K::Time)}},
    };
}

struct KindEntry
{
    const char *apiVersion;
    const char *kind;
    const char *message;
};

constexpr KindEntry kKinds[] = {
    {"v1", "Namespace", "core.v1.Namespace"},
    {"v1", "ConfigMap", "core.v1.ConfigMap"},
    {"v1", "Secret", "core.v1.Secret"},
    {"v1", "Service", "core.v1.Service"},
    {"v1", "ServiceAccount", "core.v1.ServiceAccount"},
    {"v1", "ResourceQuota", "core.v1.ResourceQuota"},
    {"v1", "Pod", "core.v1.Pod"},
    {"v1", "DeleteOptions", "meta.v1.DeleteOptions"},
    {"meta.k8s.io/v1", "DeleteOptions", "meta.v1.DeleteOptions"},
    {"apps/v1", "Deployment", "apps.v1.Deployment"},
    {"batch/v1", "Job", "batch.v1.Job"},
    {"batch/v1", "CronJob", "batch.v1.CronJob"},
    {"rbac.authorization.k8s.io/v1", "Role", "rbac.v1.Role"},
    {"rbac.authorization.k8s.io/v1", "ClusterRole", "rbac.v1.ClusterRole"},
    {"rbac.authorization.k8s.io/v1", "RoleBinding", "rbac.v1.RoleBinding"},
    {"rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "rbac.v1.RoleBinding"},
    {"networking.k8s.io/v1", "Ingress", "networking.v1.Ingress"},
    {"policy/v1", "PodDisruptionBudget", "policy.v1.PodDisruptionBudget"},
    {"policy/v1", "Eviction", "policy.v1.Eviction"},
    {"scheduling.k8s.io/v1", "PriorityClass", "scheduling.v1.PriorityClass"},
    {"autoscaling/v1", "HorizontalPodAutoscaler", "autoscaling.v1.HorizontalPodAutoscaler"},
    {"autoscaling/v2", "HorizontalPodAutoscaler", "autoscaling.v2.HorizontalPodAutoscaler"},
    {"authorization.k8s.io/v1", "SelfSubjectAccessReview",
     "authorization.v1.SelfSubjectAccessReview"},
    {"authorization.k8s.io/v1", "SelfSubjectRulesReview",
     "authorization.v1.SelfSubjectRulesReview"},
    {"authentication.k8s.io/v1", "SelfSubjectReview", "authentication.v1.SelfSubjectReview"},
    {"authentication.k8s.io/v1", "TokenRequest", "authentication.v1.TokenRequest"},
};

const std::map<std::string_view, MessageSchema> &messages()
{
    static const std::map<std::string_view, MessageSchema> table = [] {
        std::map<std::string_view, MessageSchema> byName;
        for (MessageSchema &message : buildMessages()) {
            std::sort(
                message.fields.begin(), message.fields.end(),
                [](const FieldSchema &a, const FieldSchema &b) { return a.number < b.number; });
            const std::string_view name = message.name;
            byName.emplace(name, std::move(message));
        }
        return byName;
    }();
    return table;
}

} // namespace

const FieldSchema *MessageSchema::field(std::uint32_t number) const
{
    const auto it
        = std::lower_bound(fields.begin(), fields.end(), number,
                           [](const FieldSchema &f, std::uint32_t n) { return f.number < n; });
    return it != fields.end() && it->number == number ? &*it : nullptr;
}

const MessageSchema *findMessage(std::string_view name)
{
    const auto &table = messages();
    const auto it = table.find(name);
    return it == table.end() ? nullptr : &it->second;
}

const MessageSchema *findKind(std::string_view apiVersion, std::string_view kind)
{
    for (const KindEntry &entry : kKinds) {
        if (apiVersion == entry.apiVersion && kind == entry.kind)
            return findMessage(entry.message);
    }
    return nullptr;
}

std::vector<std::pair<std::string, std::string>> coveredKinds()
{
    std::vector<std::pair<std::string, std::string>> kinds;
    for (const KindEntry &entry : kKinds)
        kinds.emplace_back(entry.apiVersion, entry.kind);
    return kinds;
}

std::vector<std::string> unresolvedMessageReferences()
{
    std::vector<std::string> missing;
    for (const auto &[name, message] : messages()) {
        for (const FieldSchema &field : message.fields) {
            if (field.kind == FieldKind::Message
                && (field.message == nullptr || findMessage(field.message) == nullptr))
                missing.push_back(std::string(name) + "." + std::to_string(field.number));
        }
    }
    for (const KindEntry &entry : kKinds) {
        if (findMessage(entry.message) == nullptr)
            missing.push_back(entry.message);
    }
    return missing;
}

} // namespace kd::lc::apiserver::protobuf
