#include "objectrules.h"

#include <localcluster/apiserver/resourcecatalog.h>

#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <random>

namespace kd::lc::apiserver::objectrules {

using core::util::Error;
using nlohmann::json;

namespace {

constexpr std::size_t kSubdomainMax = 253;
constexpr std::size_t kLabelMax = 63;
constexpr std::size_t kGenerateNameBaseMax = 58;
constexpr std::string_view kNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

bool isLowerAlnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool isLabel(std::string_view s)
{
    if (s.empty() || !isLowerAlnum(s.front()) || !isLowerAlnum(s.back()))
        return false;
    for (char c : s) {
        if (!isLowerAlnum(c) && c != '-')
            return false;
    }
    return true;
}

std::mt19937_64 &randomEngine()
{
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return engine;
}

std::string text(const json &object, std::initializer_list<const char *> path)
{
    const json *current = &object;
    for (const char *step : path) {
        if (!current->is_object())
            return {};
        auto it = current->find(step);
        if (it == current->end())
            return {};
        current = &*it;
    }
    if (current->is_string())
        return current->get<std::string>();
    if (current->is_boolean())
        return current->get<bool>() ? "true" : "false";
    if (current->is_number())
        return current->dump();
    return {};
}

} // namespace

std::vector<std::string> validateDns1123Subdomain(std::string_view name)
{
    std::vector<std::string> errors;
    if (name.size() > kSubdomainMax)
        errors.push_back("must be no more than 253 characters");
    bool valid = !name.empty();
    std::size_t start = 0;
    while (valid) {
        const std::size_t dot = name.find('.', start);
        valid = isLabel(name.substr(start, dot == std::string_view::npos ? dot : dot - start));
        if (dot == std::string_view::npos)
            break;
        start = dot + 1;
    }
    if (!valid)
        errors.push_back(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
            "'-' or '.', and must start and end with an alphanumeric character (e.g. "
            "'example.com', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
    return errors;
}

std::vector<std::string> validateDns1123Label(std::string_view name)
{
    std::vector<std::string> errors;
    if (name.size() > kLabelMax)
        errors.push_back("must be no more than 63 characters");
    if (!isLabel(name))
        errors.push_back("a lowercase RFC 1123 label must consist of lower case alphanumeric "
                         "characters or '-', and must start and end with an alphanumeric "
                         "character (e.g. 'my-name',  or '123-abc', regex used for validation is "
                         "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
    return errors;
}

std::vector<std::string> validateDns1035Label(std::string_view name)
{
    std::vector<std::string> errors;
    if (name.size() > kLabelMax)
        errors.push_back("must be no more than 63 characters");
    if (!isLabel(name) || !(name.front() >= 'a' && name.front() <= 'z'))
        errors.push_back("a DNS-1035 label must consist of lower case alphanumeric characters or "
                         "'-', start with an alphabetic character, and end with an alphanumeric "
                         "character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
                         "'[a-z]([-a-z0-9]*[a-z0-9])?')");
    return errors;
}

Error invalid(const ResourceInfo &resource, const std::string &name,
              const std::vector<Error::Cause> &causes)
{
    const std::string kind
        = resource.group.empty() ? resource.kind : resource.kind + "." + resource.group;
    std::string message = kind + " \"" + name + "\" is invalid: ";
    if (causes.size() == 1) {
        message += causes[0].field + ": " + causes[0].message;
    } else {
        message += "[";
        for (std::size_t i = 0; i < causes.size(); ++i) {
            if (i > 0)
                message += ", ";
            message += causes[i].field + ": " + causes[i].message;
        }
        message += "]";
    }
    Error error(Error::Code::Invalid, std::move(message));
    for (const auto &cause : causes)
        error.addCause(cause);
    return error;
}

std::optional<Error> validateName(const ResourceInfo &resource, const std::string &name)
{
    std::vector<std::string> problems;
    if (name == "." || name == "..")
        problems.push_back("may not be '" + name + "'");
    for (std::string_view forbidden : {"/", "%"}) {
        if (name.find(forbidden) != std::string::npos)
            problems.push_back("may not contain '" + std::string(forbidden) + "'");
    }
    if (problems.empty()) {
        if (resource.group.empty() && resource.resource == "services")
            problems = validateDns1035Label(name);
        else if (resource.group.empty() && resource.resource == "namespaces")
            problems = validateDns1123Label(name);
        else if (!(resource.group == "rbac.authorization.k8s.io"))
            problems = validateDns1123Subdomain(name); // RBAC names are path segments only
    }
    if (problems.empty())
        return std::nullopt;
    std::vector<Error::Cause> causes;
    for (const std::string &problem : problems) {
        json quoted = name;
        causes.push_back({"FieldValueInvalid", "Invalid value: " + quoted.dump() + ": " + problem,
                          "metadata.name"});
    }
    return invalid(resource, name, causes);
}

std::string generateName(std::string_view prefix)
{
    std::string name(prefix.substr(0, kGenerateNameBaseMax));
    std::uniform_int_distribution<std::size_t> pick(0, kNameAlphabet.size() - 1);
    for (int i = 0; i < 5; ++i)
        name += kNameAlphabet[pick(randomEngine())];
    return name;
}

std::vector<std::string> fieldLabels(const ResourceInfo &resource)
{
    std::vector<std::string> labels{"metadata.name", "metadata.namespace"};
    auto add = [&](std::initializer_list<const char *> more) {
        labels.insert(labels.end(), more.begin(), more.end());
    };
    const std::string &g = resource.group;
    const std::string &r = resource.resource;
    if (g.empty() && r == "pods")
        add({"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
             "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs",
             "status.nominatedNodeName"});
    else if (r == "events" && (g.empty() || g == "events.k8s.io"))
        add({"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
             "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
             "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"});
    else if (g.empty() && r == "secrets")
        add({"type"});
    else if (g.empty() && r == "nodes")
        add({"spec.unschedulable"});
    else if (g.empty() && r == "namespaces")
        add({"status.phase"});
    else if (g == "apps" && r == "replicasets")
        add({"status.replicas"});
    else if (g == "batch" && r == "jobs")
        add({"status.successful"});
    else if (g.empty() && r == "services")
        add({"spec.clusterIP", "spec.type"});
    return labels;
}

std::map<std::string, std::string> fieldSet(const ResourceInfo &resource, const json &object)
{
    std::map<std::string, std::string> fields;
    for (const std::string &label : fieldLabels(resource)) {
        if (label == "source") {
            fields[label] = text(object, {"source", "component"});
            continue;
        }
        if (label == "status.podIPs") {
            // Matches any of the pod's IPs upstream; the first one is what selectors use.
            const json &ips = object.value("/status/podIPs"_json_pointer, json::array());
            fields[label] = ips.is_array() && !ips.empty() && ips[0].is_object()
                                ? ips[0].value("ip", std::string())
                                : std::string();
            continue;
        }
        std::vector<std::string> steps;
        std::size_t start = 0;
        while (true) {
            const std::size_t dot = label.find('.', start);
            steps.push_back(label.substr(start, dot == std::string::npos ? dot : dot - start));
            if (dot == std::string::npos)
                break;
            start = dot + 1;
        }
        const json *current = &object;
        for (const std::string &step : steps) {
            if (!current || !current->is_object() || !current->contains(step)) {
                current = nullptr;
                break;
            }
            current = &(*current)[step];
        }
        std::string value;
        if (current && current->is_string())
            value = current->get<std::string>();
        else if (current && current->is_boolean())
            value = current->get<bool>() ? "true" : "false";
        else if (current && current->is_number())
            value = current->dump();
        else if (!current && (label == "spec.unschedulable" || label == "spec.hostNetwork"))
            value = "false";
        else if (!current && (label == "status.replicas" || label == "status.successful"))
            value = "0";
        fields[label] = value;
    }
    return fields;
}

bool tracksGeneration(const ResourceInfo &resource)
{
    if (resource.custom)
        return true;
    static const std::array<std::pair<std::string_view, std::string_view>, 14> kinds{{
        {"apps", "deployments"},
        {"apps", "replicasets"},
        {"apps", "statefulsets"},
        {"apps", "daemonsets"},
        {"batch", "jobs"},
        {"batch", "cronjobs"},
        {"", "services"},
        {"", "replicationcontrollers"},
        {"autoscaling", "horizontalpodautoscalers"},
        {"policy", "poddisruptionbudgets"},
        {"networking.k8s.io", "ingresses"},
        {"networking.k8s.io", "networkpolicies"},
        {"apiextensions.k8s.io", "customresourcedefinitions"},
        {"storage.k8s.io", "volumeattachments"},
    }};
    for (const auto &[group, name] : kinds) {
        if (resource.group == group && resource.resource == name)
            return true;
    }
    return false;
}

bool hasStatusSubresource(const ResourceInfo &resource)
{
    return resource.subresource("status") != nullptr;
}

void applyCreateDefaults(const ResourceInfo &resource, json &object)
{
    if (!resource.group.empty())
        return;
    if (resource.resource == "namespaces") {
        json &spec = object["spec"];
        if (!spec.is_object())
            spec = json::object();
        if (!spec.contains("finalizers"))
            spec["finalizers"] = json::array({"kubernetes"});
        object["status"] = {{"phase", "Active"}};
        // Upstream labels every namespace with its own name so that selectors can pick it.
        object["metadata"]["labels"]["kubernetes.io/metadata.name"] = object["metadata"]["name"];
    } else if (resource.resource == "pods") {
        json &status = object["status"];
        if (!status.is_object())
            status = json::object();
        if (!status.contains("phase"))
            status["phase"] = "Pending";
    } else if (resource.resource == "services") {
        json &spec = object["spec"];
        if (!spec.is_object())
            spec = json::object();
        if (!spec.contains("type"))
            spec["type"] = "ClusterIP";
        if (!spec.contains("sessionAffinity"))
            spec["sessionAffinity"] = "None";
        if (spec.contains("ports") && spec["ports"].is_array()) {
            for (json &port : spec["ports"]) {
                if (!port.is_object())
                    continue;
                if (!port.contains("protocol"))
                    port["protocol"] = "TCP";
                if (!port.contains("targetPort") && port.contains("port"))
                    port["targetPort"] = port["port"];
            }
        }
        object["status"] = {{"loadBalancer", json::object()}};
    }
}

std::string newUid()
{
    std::uniform_int_distribution<unsigned> byte(0, 255);
    std::array<unsigned char, 16> b{};
    for (auto &value : b)
        value = static_cast<unsigned char>(byte(randomEngine()));
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40); // version 4
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80); // RFC 4122 variant
    char text[37];
    std::snprintf(text, sizeof text,
                  "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                  b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
                  b[14], b[15]);
    return text;
}

} // namespace kd::lc::apiserver::objectrules
