#include "defaults.h"

#include <localcluster/apiserver/resourcecatalog.h>

#include <localcluster/apiserver/jsonpath.h>

#include <nlohmann/json.hpp>

namespace kd::lc::apiserver::registry {

using nlohmann::json;

namespace {

// The member `key` of `parent` as an object, created when absent. Nullptr when `parent` is not an
// object or the member has another type: defaulting never overwrites what the client sent.
json *objectMember(json &parent, const char *key)
{
    if (!parent.is_object())
        return nullptr;
    json &member = parent[key];
    if (member.is_null())
        member = json::object();
    return member.is_object() ? &member : nullptr;
}

// The member `key` of `parent` when it exists and is an object, else nullptr.
json *existingObject(json &parent, const char *key)
{
    if (!parent.is_object())
        return nullptr;
    auto it = parent.find(key);
    return it != parent.end() && it->is_object() ? &*it : nullptr;
}

void setDefault(json &object, const char *key, json value)
{
    if (!object.is_object())
        return;
    auto it = object.find(key);
    if (it == object.end() || it->is_null())
        object[key] = std::move(value);
}

void probeDefaults(json &container, const char *key)
{
    json *probe = existingObject(container, key);
    if (!probe)
        return;
    setDefault(*probe, "timeoutSeconds", 1);
    setDefault(*probe, "periodSeconds", 10);
    setDefault(*probe, "successThreshold", 1);
    setDefault(*probe, "failureThreshold", 3);
    if (json *get = existingObject(*probe, "httpGet")) {
        setDefault(*get, "path", "/");
        setDefault(*get, "scheme", "HTTP");
    }
}

void containerDefaults(json &container)
{
    if (!container.is_object())
        return;
    if (auto image = container.find("image"); image != container.end() && image->is_string())
        setDefault(container, "imagePullPolicy", defaultImagePullPolicy(image->get<std::string>()));
    setDefault(container, "terminationMessagePath", "/dev/termination-log");
    setDefault(container, "terminationMessagePolicy", "File");
    setDefault(container, "resources", json::object());
    if (auto ports = container.find("ports"); ports != container.end() && ports->is_array()) {
        for (json &port : *ports)
            setDefault(port, "protocol", "TCP");
    }
    if (auto env = container.find("env"); env != container.end() && env->is_array()) {
        for (json &variable : *env) {
            if (json *from = existingObject(variable, "valueFrom")) {
                if (json *fieldRef = existingObject(*from, "fieldRef"))
                    setDefault(*fieldRef, "apiVersion", "v1");
            }
        }
    }
    for (const char *probe : {"livenessProbe", "readinessProbe", "startupProbe"})
        probeDefaults(container, probe);
}

void volumeDefaults(json &volume)
{
    for (const char *source : {"configMap", "secret"}) {
        if (json *ref = existingObject(volume, source))
            setDefault(*ref, "defaultMode", 420);
    }
    if (json *projected = existingObject(volume, "projected"))
        setDefault(*projected, "defaultMode", 420);
    if (json *downward = existingObject(volume, "downwardAPI"))
        setDefault(*downward, "defaultMode", 420);
    if (json *hostPath = existingObject(volume, "hostPath"))
        setDefault(*hostPath, "type", "");
}

void templateDefaults(json &owner)
{
    if (json *templ = existingObject(owner, "template")) {
        if (json *spec = existingObject(*templ, "spec"))
            applyPodSpecDefaults(*spec);
    }
}

void deploymentDefaults(json &spec)
{
    setDefault(spec, "replicas", 1);
    json *strategy = objectMember(spec, "strategy");
    if (strategy) {
        setDefault(*strategy, "type", "RollingUpdate");
        if (strategy->value("type", json()) == "RollingUpdate") {
            if (json *rolling = objectMember(*strategy, "rollingUpdate")) {
                setDefault(*rolling, "maxUnavailable", "25%");
                setDefault(*rolling, "maxSurge", "25%");
            }
        }
    }
    setDefault(spec, "revisionHistoryLimit", 10);
    setDefault(spec, "progressDeadlineSeconds", 600);
    templateDefaults(spec);
}

void statefulSetDefaults(json &spec)
{
    setDefault(spec, "replicas", 1);
    setDefault(spec, "podManagementPolicy", "OrderedReady");
    if (json *strategy = objectMember(spec, "updateStrategy")) {
        setDefault(*strategy, "type", "RollingUpdate");
        if (strategy->value("type", json()) == "RollingUpdate") {
            if (json *rolling = objectMember(*strategy, "rollingUpdate"))
                setDefault(*rolling, "partition", 0);
        }
    }
    setDefault(spec, "revisionHistoryLimit", 10);
    if (json *policy = objectMember(spec, "persistentVolumeClaimRetentionPolicy")) {
        setDefault(*policy, "whenDeleted", "Retain");
        setDefault(*policy, "whenScaled", "Retain");
    }
    if (auto claims = spec.find("volumeClaimTemplates");
        claims != spec.end() && claims->is_array()) {
        for (json &claim : *claims) {
            if (json *claimSpec = existingObject(claim, "spec"))
                setDefault(*claimSpec, "volumeMode", "Filesystem");
        }
    }
    templateDefaults(spec);
}

void daemonSetDefaults(json &spec)
{
    if (json *strategy = objectMember(spec, "updateStrategy")) {
        setDefault(*strategy, "type", "RollingUpdate");
        if (strategy->value("type", json()) == "RollingUpdate") {
            if (json *rolling = objectMember(*strategy, "rollingUpdate")) {
                setDefault(*rolling, "maxUnavailable", 1);
                setDefault(*rolling, "maxSurge", 0);
            }
        }
    }
    setDefault(spec, "revisionHistoryLimit", 10);
    templateDefaults(spec);
}

// The Job strategy's generated selector: the job's own uid, so that no other job's pods match.
void jobSelector(json &job, json &spec)
{
    if (spec.value("manualSelector", false))
        return;
    const json uid = valueAt(job, "/metadata/uid"_json_pointer);
    const json name = valueAt(job, "/metadata/name"_json_pointer);
    if (!uid.is_string() || !name.is_string())
        return;
    if (!spec.contains("selector") || spec["selector"].is_null())
        spec["selector"] = {{"matchLabels", {{"batch.kubernetes.io/controller-uid", uid}}}};
    if (json *templ = objectMember(spec, "template")) {
        if (json *metadata = objectMember(*templ, "metadata")) {
            if (json *labels = objectMember(*metadata, "labels")) {
                setDefault(*labels, "batch.kubernetes.io/controller-uid", uid);
                setDefault(*labels, "batch.kubernetes.io/job-name", name);
                setDefault(*labels, "controller-uid", uid);
                setDefault(*labels, "job-name", name);
            }
        }
    }
}

void jobDefaults(json &job)
{
    json *specPtr = objectMember(job, "spec");
    if (!specPtr)
        return;
    json &spec = *specPtr;
    if (!spec.contains("completions") && !spec.contains("parallelism")) {
        spec["completions"] = 1;
        spec["parallelism"] = 1;
    }
    setDefault(spec, "parallelism", 1);
    if (!spec.contains("backoffLimitPerIndex"))
        setDefault(spec, "backoffLimit", 6);
    setDefault(spec, "completionMode", "NonIndexed");
    setDefault(spec, "suspend", false);
    if (!spec.contains("podFailurePolicy"))
        setDefault(spec, "podReplacementPolicy", "TerminatingOrFailed");
    jobSelector(job, spec);
    // A job without labels carries its template's, generated ones included.
    json *metadata = objectMember(job, "metadata");
    const json labels = valueAt(spec, "/template/metadata/labels"_json_pointer);
    if (metadata && labels.is_object() && !labels.empty()) {
        const json current = metadata->value("labels", json());
        if (current.is_null() || (current.is_object() && current.empty()))
            (*metadata)["labels"] = labels;
    }
    templateDefaults(spec);
}

void cronJobDefaults(json &spec)
{
    setDefault(spec, "concurrencyPolicy", "Allow");
    setDefault(spec, "suspend", false);
    setDefault(spec, "successfulJobsHistoryLimit", 3);
    setDefault(spec, "failedJobsHistoryLimit", 1);
    if (json *jobTemplate = existingObject(spec, "jobTemplate")) {
        if (json *jobSpec = existingObject(*jobTemplate, "spec"))
            templateDefaults(*jobSpec);
    }
}

void replicationControllerDefaults(json &object, json &spec)
{
    setDefault(spec, "replicas", 1);
    // The core/v1 RC takes its selector and labels from the template when they are empty.
    const json labels = valueAt(spec, "/template/metadata/labels"_json_pointer);
    if (labels.is_object() && !labels.empty()) {
        const json selector = spec.value("selector", json());
        if (selector.is_null() || (selector.is_object() && selector.empty()))
            spec["selector"] = labels;
        if (json *metadata = objectMember(object, "metadata")) {
            const json current = metadata->value("labels", json());
            if (current.is_null() || (current.is_object() && current.empty()))
                (*metadata)["labels"] = labels;
        }
    }
    templateDefaults(spec);
}

void serviceDefaults(json &spec)
{
    setDefault(spec, "type", "ClusterIP");
    const json type = spec.value("type", json());
    if (type == "ExternalName")
        return;
    setDefault(spec, "sessionAffinity", "None");
    if (spec.value("sessionAffinity", json()) == "ClientIP") {
        if (json *config = objectMember(spec, "sessionAffinityConfig")) {
            if (json *clientIp = objectMember(*config, "clientIP"))
                setDefault(*clientIp, "timeoutSeconds", 10800);
        }
    }
    if (auto ports = spec.find("ports"); ports != spec.end() && ports->is_array()) {
        for (json &port : *ports) {
            if (!port.is_object())
                continue;
            setDefault(port, "protocol", "TCP");
            if (port.contains("port"))
                setDefault(port, "targetPort", port["port"]);
        }
    }
    setDefault(spec, "ipFamilies", json::array({"IPv4"}));
    setDefault(spec, "ipFamilyPolicy", "SingleStack");
    setDefault(spec, "internalTrafficPolicy", "Cluster");
    if (type == "NodePort" || type == "LoadBalancer")
        setDefault(spec, "externalTrafficPolicy", "Cluster");
    if (type == "LoadBalancer")
        setDefault(spec, "allocateLoadBalancerNodePorts", true);
}

bool is(const ResourceInfo &resource, const char *group, const char *name)
{
    return resource.group == group && resource.resource == name;
}

} // namespace

std::string defaultImagePullPolicy(const std::string &image)
{
    if (image.find('@') != std::string::npos)
        return "IfNotPresent";
    // The tag follows the last ':' after the last '/' (a ':' before it is a registry port).
    const std::size_t slash = image.rfind('/');
    const std::size_t colon = image.rfind(':');
    const bool tagged = colon != std::string::npos && (slash == std::string::npos || colon > slash);
    if (!tagged || image.substr(colon + 1) == "latest")
        return "Always";
    return "IfNotPresent";
}

void applyPodSpecDefaults(json &spec)
{
    if (!spec.is_object())
        return;
    setDefault(spec, "restartPolicy", "Always");
    setDefault(spec, "dnsPolicy", "ClusterFirst");
    setDefault(spec, "terminationGracePeriodSeconds", 30);
    setDefault(spec, "securityContext", json::object());
    setDefault(spec, "schedulerName", "default-scheduler");
    for (const char *list : {"containers", "initContainers"}) {
        if (auto containers = spec.find(list); containers != spec.end() && containers->is_array()) {
            for (json &container : *containers)
                containerDefaults(container);
        }
    }
    if (auto volumes = spec.find("volumes"); volumes != spec.end() && volumes->is_array()) {
        for (json &volume : *volumes)
            volumeDefaults(volume);
    }
}

void applyPodDefaults(json &pod)
{
    json *spec = existingObject(pod, "spec");
    if (!spec)
        return;
    applyPodSpecDefaults(*spec);
    setDefault(*spec, "enableServiceLinks", true);
    // ServiceAccount admission: the namespace's default account, mirrored in the legacy field.
    setDefault(*spec, "serviceAccountName", spec->value("serviceAccount", json("default")));
    setDefault(*spec, "serviceAccount", (*spec)["serviceAccountName"]);
    // Priority admission without a PriorityClass: priority 0, preempting lower priorities.
    if (!spec->contains("priorityClassName"))
        setDefault(*spec, "priority", 0);
    setDefault(*spec, "preemptionPolicy", "PreemptLowerPriority");
    // DefaultTolerationSeconds admission: five minutes on a not-ready or unreachable node.
    json &tolerations = (*spec)["tolerations"];
    if (tolerations.is_null())
        tolerations = json::array();
    if (!tolerations.is_array())
        return;
    for (const char *key : {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}) {
        bool present = false;
        for (const json &toleration : tolerations) {
            if (toleration.is_object() && toleration.value("key", json()) == key
                && (toleration.value("effect", json("")) == "NoExecute"
                    || toleration.value("effect", json("")) == ""))
                present = true;
        }
        if (!present)
            tolerations.push_back({{"key", key},
                                   {"operator", "Exists"},
                                   {"effect", "NoExecute"},
                                   {"tolerationSeconds", 300}});
    }
}

void applyDefaults(const ResourceInfo &resource, json &object)
{
    if (!object.is_object() || resource.custom)
        return;
    if (is(resource, "", "pods"))
        return applyPodDefaults(object);
    if (is(resource, "", "secrets"))
        return setDefault(object, "type", "Opaque");
    if (is(resource, "", "podtemplates"))
        return templateDefaults(object);
    if (is(resource, "batch", "jobs"))
        return jobDefaults(object);
    json *spec = existingObject(object, "spec");
    if (!spec)
        return;
    if (is(resource, "apps", "deployments"))
        deploymentDefaults(*spec);
    else if (is(resource, "apps", "replicasets")) {
        setDefault(*spec, "replicas", 1);
        templateDefaults(*spec);
    } else if (is(resource, "apps", "statefulsets"))
        statefulSetDefaults(*spec);
    else if (is(resource, "apps", "daemonsets"))
        daemonSetDefaults(*spec);
    else if (is(resource, "batch", "cronjobs"))
        cronJobDefaults(*spec);
    else if (is(resource, "", "replicationcontrollers"))
        replicationControllerDefaults(object, *spec);
    else if (is(resource, "", "services"))
        serviceDefaults(*spec);
    else if (is(resource, "", "persistentvolumeclaims"))
        setDefault(*spec, "volumeMode", "Filesystem");
}

} // namespace kd::lc::apiserver::registry
