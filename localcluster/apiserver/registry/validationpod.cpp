// Pod spec rules (upstream's ValidatePodSpec and ValidatePodUpdate): containers, ports,
// environment, volumes and their mounts, resources, restart policy, and what a pod update may
// change.

#include "validationrules.h"

#include <core/util/quantity.h>
#include <localcluster/apiserver/rest/objectrules.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <set>

namespace kd::lc::apiserver::registry::rules {

using core::util::Quantity;
using nlohmann::json;

namespace {

constexpr std::int64_t kMaxInt32 = std::numeric_limits<std::int32_t>::max();
const char *const kPortRange = "must be between 1 and 65535, inclusive";

std::string at(const std::string &path, std::size_t index)
{
    return path + "[" + std::to_string(index) + "]";
}

void dns1123Label(Causes &causes, const std::string &field, const std::string &value)
{
    for (const std::string &message : objectrules::validateDns1123Label(value))
        invalid(causes, field, goQuoted(value), message);
}

// apimachinery's IsValidPortName (IANA_SVC_NAME).
std::vector<std::string> portNameProblems(const std::string &name)
{
    std::vector<std::string> problems;
    if (name.size() > 15)
        problems.push_back("must be no more than 15 characters");
    bool charset = !name.empty();
    bool letter = false;
    for (char c : name) {
        charset = charset && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-');
        letter = letter || (c >= 'a' && c <= 'z');
    }
    if (!charset)
        problems.push_back(
            "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
    if (!letter)
        problems.push_back("must contain at least one letter (a-z)");
    if (name.find("--") != std::string::npos)
        problems.push_back("must not contain consecutive hyphens");
    if (!name.empty() && (name.front() == '-' || name.back() == '-'))
        problems.push_back("must not begin or end with a hyphen");
    return problems;
}

bool validPortNumber(const json &value)
{
    return value.is_number_integer() && value.get<std::int64_t>() >= 1
           && value.get<std::int64_t>() <= 65535;
}

void validateProtocol(Causes &causes, const json &holder, const std::string &path)
{
    const json &protocol = member(holder, "protocol");
    if (protocol.is_null())
        return; // defaulted to TCP
    if (protocol == "")
        required(causes, path + ".protocol");
    else if (protocol != "TCP" && protocol != "UDP" && protocol != "SCTP")
        notSupported(causes, path + ".protocol", printed(protocol), {"SCTP", "TCP", "UDP"});
}

void validateContainerPorts(Causes &causes, const json &ports, const std::string &path)
{
    if (!ports.is_array())
        return;
    std::set<std::string> names;
    for (std::size_t i = 0; i < ports.size(); ++i) {
        const json &port = ports[i];
        const std::string field = at(path, i);
        const std::string name = text(port, "name");
        if (!name.empty()) {
            const auto problems = portNameProblems(name);
            for (const std::string &problem : problems)
                invalid(causes, field + ".name", goQuoted(name), problem);
            if (problems.empty() && !names.insert(name).second)
                duplicate(causes, field + ".name", goQuoted(name));
        }
        const json &containerPort = member(port, "containerPort");
        if (containerPort.is_null() || containerPort == 0)
            required(causes, field + ".containerPort");
        else if (!validPortNumber(containerPort))
            invalid(causes, field + ".containerPort", printed(containerPort), kPortRange);
        const json &hostPort = member(port, "hostPort");
        if (!hostPort.is_null() && hostPort != 0 && !validPortNumber(hostPort))
            invalid(causes, field + ".hostPort", printed(hostPort), kPortRange);
        validateProtocol(causes, port, field);
    }
}

// RelaxedEnvironmentVariableValidation (on by default since 1.30): printable ASCII but '='.
void validateEnv(Causes &causes, const json &env, const std::string &path)
{
    if (!env.is_array())
        return;
    for (std::size_t i = 0; i < env.size(); ++i) {
        const std::string field = at(path, i) + ".name";
        const std::string name = text(env[i], "name");
        if (name.empty()) {
            required(causes, field);
            continue;
        }
        for (unsigned char c : name) {
            if (c < 0x20 || c > 0x7e || c == '=') {
                invalid(causes, field, goQuoted(name),
                        "a valid environment variable name must consist only of printable ASCII "
                        "characters other than '='");
                break;
            }
        }
    }
}

// Overcommit (requests below limits) is allowed for native resources but hugepages.
bool overcommitAllowed(const std::string &name)
{
    const bool native = name.find('/') == std::string::npos || name.starts_with("kubernetes.io/");
    return native && !name.starts_with("hugepages-");
}

void validateResources(Causes &causes, const json &resources, const std::string &path)
{
    const auto quantities = [&](const char *key, std::map<std::string, Quantity> &out) {
        const json &list = member(resources, key);
        if (!list.is_object())
            return;
        for (auto it = list.begin(); it != list.end(); ++it) {
            const std::string field = path + "." + key + "[" + it.key() + "]";
            const std::string spelled = it->is_string() ? it->get<std::string>() : it->dump();
            auto quantity = it->is_number() || it->is_string() ? Quantity::parse(spelled)
                                                               : Quantity::parse("");
            if (!quantity) {
                invalid(causes, field, goQuoted(spelled),
                        "quantities must match the regular expression "
                        "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
                continue;
            }
            if (quantity->sign() < 0)
                invalid(causes, field, goQuoted(quantity->toString()),
                        "must be greater than or equal to 0");
            out.emplace(it.key(), *quantity);
        }
    };
    std::map<std::string, Quantity> limits;
    std::map<std::string, Quantity> requests;
    quantities("limits", limits);
    quantities("requests", requests);
    for (const auto &[name, request] : requests) {
        auto limit = limits.find(name);
        if (limit == limits.end()) {
            if (!overcommitAllowed(name))
                required(causes, path + ".limits",
                         "Limit must be set for non overcommitable resources");
        } else if (request != limit->second && !overcommitAllowed(name)) {
            invalid(causes, path + ".requests", goQuoted(request.toString()),
                    "must be equal to " + name + " limit of " + limit->second.toString());
        } else if (request > limit->second) {
            invalid(causes, path + ".requests", goQuoted(request.toString()),
                    "must be less than or equal to " + name + " limit of "
                        + limit->second.toString());
        }
    }
}

void validateVolumeMounts(Causes &causes, const json &mounts, const std::set<std::string> &volumes,
                          const std::string &path)
{
    if (!mounts.is_array())
        return;
    std::set<std::string> mountPaths;
    for (std::size_t i = 0; i < mounts.size(); ++i) {
        const std::string field = at(path, i);
        const std::string name = text(mounts[i], "name");
        if (name.empty())
            required(causes, field + ".name");
        if (!volumes.contains(name))
            notFound(causes, field + ".name", goQuoted(name));
        const std::string mountPath = text(mounts[i], "mountPath");
        if (mountPath.empty())
            required(causes, field + ".mountPath");
        if (!mountPath.empty() && !mountPaths.insert(mountPath).second)
            invalid(causes, field + ".mountPath", goQuoted(mountPath), "must be unique");
    }
}

// Everything upstream's validateContainerCommon checks that users commonly get wrong.
void validateContainer(Causes &causes, const json &container, const std::set<std::string> &volumes,
                       const std::string &path)
{
    const std::string name = text(container, "name");
    if (name.empty())
        required(causes, path + ".name");
    else
        dns1123Label(causes, path + ".name", name);
    if (missing(container, "image"))
        required(causes, path + ".image");
    validateContainerPorts(causes, member(container, "ports"), path + ".ports");
    validateEnv(causes, member(container, "env"), path + ".env");
    validateVolumeMounts(causes, member(container, "volumeMounts"), volumes,
                         path + ".volumeMounts");
    const json &pullPolicy = member(container, "imagePullPolicy");
    if (pullPolicy == "")
        required(causes, path + ".imagePullPolicy");
    else if (!pullPolicy.is_null() && pullPolicy != "Always" && pullPolicy != "IfNotPresent"
             && pullPolicy != "Never")
        notSupported(causes, path + ".imagePullPolicy", printed(pullPolicy),
                     {"Always", "IfNotPresent", "Never"});
    validateResources(causes, member(container, "resources"), path + ".resources");
}

// The volume sources of core/v1 in the order upstream's validateVolumeSource checks them: every
// source after the first is the one reported as extra.
const std::vector<const char *> &volumeSources()
{
    static const std::vector<const char *> sources{"hostPath",
                                                   "emptyDir",
                                                   "gitRepo",
                                                   "gcePersistentDisk",
                                                   "awsElasticBlockStore",
                                                   "secret",
                                                   "nfs",
                                                   "iscsi",
                                                   "glusterfs",
                                                   "flocker",
                                                   "persistentVolumeClaim",
                                                   "rbd",
                                                   "quobyte",
                                                   "cinder",
                                                   "cephfs",
                                                   "downwardAPI",
                                                   "fc",
                                                   "azureFile",
                                                   "flexVolume",
                                                   "vsphereVolume",
                                                   "azureDisk",
                                                   "photonPersistentDisk",
                                                   "portworxVolume",
                                                   "projected",
                                                   "scaleIO",
                                                   "configMap",
                                                   "storageos",
                                                   "csi",
                                                   "ephemeral",
                                                   "image"};
    return sources;
}

// The names of the volumes without errors (what mounts may refer to).
std::set<std::string> validateVolumes(Causes &causes, const json &volumes, const std::string &path)
{
    std::set<std::string> names;
    if (!volumes.is_array())
        return names;
    for (std::size_t i = 0; i < volumes.size(); ++i) {
        const json &volume = volumes[i];
        const std::string field = at(path, i);
        Causes own;
        int sources = 0;
        for (const char *source : volumeSources()) {
            if (member(volume, source).is_null())
                continue;
            if (sources++ > 0)
                forbidden(own, field + "." + source, "may not specify more than 1 volume type");
        }
        if (sources == 0)
            required(own, field, "must specify a volume type");
        const std::string name = text(volume, "name");
        if (name.empty())
            required(own, field + ".name");
        else
            dns1123Label(own, field + ".name", name);
        if (names.contains(name))
            duplicate(own, field + ".name", goQuoted(name));
        if (own.empty())
            names.insert(name);
        causes.insert(causes.end(), own.begin(), own.end());
    }
    return names;
}

void validateOnlyAddedTolerations(Causes &causes, const json &tolerations,
                                  const json &oldTolerations)
{
    if (!oldTolerations.is_array())
        return;
    for (const json &old : oldTolerations) {
        bool found = false;
        for (const json &candidate : tolerations.is_array() ? tolerations : json::array()) {
            json clone = old;
            if (clone.is_object())
                clone["tolerationSeconds"] = member(candidate, "tolerationSeconds");
            if (semanticEqual(clone, candidate)) {
                found = true;
                break;
            }
        }
        if (!found) {
            forbidden(causes, "spec.tolerations",
                      "existing toleration can not be modified except its tolerationSeconds");
            return;
        }
    }
}

void validateOnlyDeletedSchedulingGates(Causes &causes, const json &gates, const json &oldGates)
{
    if (!gates.is_array())
        return;
    std::set<std::string> old;
    if (oldGates.is_array()) {
        for (const json &gate : oldGates)
            old.insert(text(gate, "name"));
    }
    for (const json &gate : gates) {
        if (!old.contains(text(gate, "name")))
            forbidden(causes, "spec.schedulingGates",
                      "only deletion is allowed, but found new scheduling gate '"
                          + text(gate, "name") + "'");
    }
}

} // namespace

void validateTemplateRestartPolicy(Causes &causes, const json &podSpec, const std::string &path,
                                   const std::vector<std::string> &allowed)
{
    const json &policy = member(podSpec, "restartPolicy");
    if (!policy.is_string())
        return;
    for (const std::string &value : allowed) {
        if (policy == value)
            return;
    }
    notSupported(causes, path + ".restartPolicy", printed(policy), allowed);
}

void validatePodSpec(Causes &causes, const json &spec, const std::string &path)
{
    const std::set<std::string> volumes
        = validateVolumes(causes, member(spec, "volumes"), path + ".volumes");
    const json &containers = member(spec, "containers");
    std::set<std::string> names;
    if (!containers.is_array() || containers.empty()) {
        required(causes, path + ".containers");
    } else {
        for (std::size_t i = 0; i < containers.size(); ++i) {
            const std::string field = at(path + ".containers", i);
            validateContainer(causes, containers[i], volumes, field);
            const std::string name = text(containers[i], "name");
            if (!name.empty() && !names.insert(name).second)
                duplicate(causes, field + ".name", goQuoted(name));
        }
    }
    const json &initContainers = member(spec, "initContainers");
    if (initContainers.is_array()) {
        for (std::size_t i = 0; i < initContainers.size(); ++i) {
            const std::string field = at(path + ".initContainers", i);
            validateContainer(causes, initContainers[i], volumes, field);
            const std::string name = text(initContainers[i], "name");
            if (!name.empty() && !names.insert(name).second)
                duplicate(causes, field + ".name", goQuoted(name));
        }
    }
    const json &policy = member(spec, "restartPolicy");
    if (policy == "")
        required(causes, path + ".restartPolicy");
    else if (policy.is_string() && policy != "Always" && policy != "OnFailure" && policy != "Never")
        notSupported(causes, path + ".restartPolicy", printed(policy),
                     {"Always", "OnFailure", "Never"});
    const json &deadline = member(spec, "activeDeadlineSeconds");
    if (deadline.is_number()
        && (deadline.get<double>() < 1 || deadline.get<double>() > double(kMaxInt32)))
        invalid(causes, path + ".activeDeadlineSeconds", printed(deadline),
                "must be between 1 and 2147483647, inclusive");
}

void validatePodUpdate(Causes &causes, const json &spec, const json &oldSpec)
{
    const json &deadline = member(spec, "activeDeadlineSeconds");
    const json &oldDeadline = member(oldSpec, "activeDeadlineSeconds");
    if (deadline.is_number()) {
        if (deadline.get<double>() < 0 || deadline.get<double>() > double(kMaxInt32)) {
            invalid(causes, "spec.activeDeadlineSeconds", printed(deadline),
                    "must be between 0 and 2147483647, inclusive");
            return;
        }
        if (oldDeadline.is_number() && oldDeadline.get<double>() < deadline.get<double>()) {
            invalid(causes, "spec.activeDeadlineSeconds", printed(deadline),
                    "must be less than or equal to previous value");
            return;
        }
    } else if (oldDeadline.is_number()) {
        invalid(causes, "spec.activeDeadlineSeconds", "\"null\"",
                "must not update from a positive integer to nil value");
    }
    for (const char *list : {"containers", "initContainers"}) {
        const json &now = member(spec, list);
        const json &before = member(oldSpec, list);
        const std::size_t count = now.is_array() ? now.size() : 0;
        const std::size_t oldCount = before.is_array() ? before.size() : 0;
        if (count != oldCount) {
            forbidden(causes, std::string("spec.") + list,
                      "pod updates may not add or remove containers");
            return;
        }
    }
    validateOnlyAddedTolerations(causes, member(spec, "tolerations"),
                                 member(oldSpec, "tolerations"));
    validateOnlyDeletedSchedulingGates(causes, member(spec, "schedulingGates"),
                                       member(oldSpec, "schedulingGates"));
    if (semanticEqual(spec, oldSpec) || !spec.is_object() || !oldSpec.is_object())
        return;

    // What may change is copied from the old spec; anything still different is forbidden.
    json munged = spec;
    for (const char *list : {"containers", "initContainers"}) {
        json &now = munged[list];
        const json &before = member(oldSpec, list);
        if (!now.is_array())
            continue;
        for (std::size_t i = 0; i < now.size(); ++i) {
            if (now[i].is_object())
                now[i]["image"] = member(before[i], "image");
        }
    }
    munged["activeDeadlineSeconds"] = oldDeadline;
    munged["tolerations"] = member(oldSpec, "tolerations");
    munged["schedulingGates"] = member(oldSpec, "schedulingGates");
    const json &grace = member(oldSpec, "terminationGracePeriodSeconds");
    if (grace.is_number() && grace.get<double>() < 0
        && member(spec, "terminationGracePeriodSeconds") == 1)
        munged["terminationGracePeriodSeconds"] = grace;
    if (!semanticEqual(munged, oldSpec))
        forbidden(causes, "spec",
                  "pod updates may not change fields other than `spec.containers[*].image`,"
                  "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
                  "`spec.tolerations` (only additions to existing tolerations),"
                  "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was "
                  "previously negative)\n"
                      + goDiff("core.PodSpec", oldSpec, munged));
}

} // namespace kd::lc::apiserver::registry::rules
