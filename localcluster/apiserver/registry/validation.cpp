#include "validation.h"

#include "validationrules.h"

#include <localcluster/apiserver/resourcecatalog.h>

#include <localcluster/apiserver/jsonpath.h>

#include <nlohmann/json.hpp>

#include <algorithm>

namespace kd::lc::apiserver::registry {

using core::util::Error;
using nlohmann::json;

namespace {

using rules::Causes;
using rules::goQuoted;
using rules::member;

// Go's %#v of a metav1.LabelSelector with only matchLabels (what kubectl users write).
std::string goLabelSelector(const json &selector)
{
    const json labels = selector.is_object() ? selector.value("matchLabels", json()) : json();
    const json expressions
        = selector.is_object() ? selector.value("matchExpressions", json()) : json();
    return "v1.LabelSelector{MatchLabels:" + goStringMap(labels) + ", MatchExpressions:"
           + (expressions.is_array() && !expressions.empty()
                  ? std::string("[]v1.LabelSelectorRequirement{…}")
                  : std::string("[]v1.LabelSelectorRequirement(nil)"))
           + "}";
}

// Workloads whose selector must select their own template (apps/v1 and batch/v1).
void validateSelectorAndTemplate(Causes &causes, const json &spec, bool selectorRequired)
{
    const json selector = spec.is_object() ? spec.value("selector", json()) : json();
    const json labels = valueAt(spec, "/template/metadata/labels"_json_pointer);
    if (selector.is_null() && selectorRequired)
        rules::required(causes, "spec.selector");
    if (selector.is_object() && !selectorMatches(selector, labels))
        causes.push_back({"FieldValueInvalid",
                          "Invalid value: " + goStringMap(labels)
                              + ": `selector` does not match template `labels`",
                          "spec.template.metadata.labels"});
    else if (selector.is_null() && selectorRequired)
        causes.push_back({"FieldValueInvalid",
                          "Invalid value: " + goStringMap(labels)
                              + ": `selector` does not match template `labels`",
                          "spec.template.metadata.labels"});
    rules::validatePodSpec(causes, valueAt(spec, "/template/spec"_json_pointer),
                           "spec.template.spec");
}

void validateSelectorImmutable(Causes &causes, const json &spec, const json &previous)
{
    const json before = valueAt(previous, "/spec/selector"_json_pointer);
    const json &after = member(spec, "selector");
    if (!before.is_null() && before != after)
        causes.push_back({"FieldValueInvalid",
                          "Invalid value: " + goLabelSelector(after) + ": field is immutable",
                          "spec.selector"});
}

bool validConfigKey(const std::string &key)
{
    if (key.empty() || key.size() > 253 || key == "." || key == "..")
        return false;
    return std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
               || c == '-' || c == '_' || c == '.';
    });
}

void validateConfigKeys(Causes &causes, const json &object, const char *field)
{
    const json data = object.value(field, json());
    if (!data.is_object())
        return;
    for (auto it = data.begin(); it != data.end(); ++it) {
        if (validConfigKey(it.key()))
            continue;
        causes.push_back(
            {"FieldValueInvalid",
             "Invalid value: " + goQuoted(it.key())
                 + ": a valid config key must consist of alphanumeric characters, '-', '_' or "
                   "'.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for "
                   "validation is '[-._a-zA-Z0-9]+')",
             std::string(field) + "[" + it.key() + "]"});
    }
}

bool is(const ResourceInfo &resource, const char *group, const char *name)
{
    return resource.group == group && resource.resource == name;
}

} // namespace

std::string goStringMap(const json &map)
{
    if (!map.is_object())
        return "map[string]string(nil)";
    std::string text = "map[string]string{";
    bool first = true;
    for (auto it = map.begin(); it != map.end(); ++it) { // nlohmann keeps keys sorted, as Go prints
        text += (first ? "" : ", ") + goQuoted(it.key()) + ":"
                + (it->is_string() ? goQuoted(it->get<std::string>()) : goQuoted(it->dump()));
        first = false;
    }
    return text + "}";
}

bool selectorMatches(const json &selector, const json &labels)
{
    if (!selector.is_object())
        return false;
    const auto label = [&](const std::string &key) -> const json * {
        if (!labels.is_object())
            return nullptr;
        auto it = labels.find(key);
        return it == labels.end() ? nullptr : &*it;
    };
    const json matchLabels = selector.value("matchLabels", json::object());
    if (matchLabels.is_object()) {
        for (auto it = matchLabels.begin(); it != matchLabels.end(); ++it) {
            const json *value = label(it.key());
            if (!value || *value != *it)
                return false;
        }
    }
    const json expressions = selector.value("matchExpressions", json::array());
    if (expressions.is_array()) {
        for (const json &expression : expressions) {
            if (!expression.is_object())
                return false;
            const json *value = label(expression.value("key", std::string()));
            const std::string op = expression.value("operator", std::string());
            const json values = expression.value("values", json::array());
            const bool listed = value && values.is_array()
                                && std::find(values.begin(), values.end(), *value) != values.end();
            if ((op == "In" && !listed) || (op == "NotIn" && listed) || (op == "Exists" && !value)
                || (op == "DoesNotExist" && value))
                return false;
        }
    }
    return true;
}

Causes validate(const ResourceInfo &resource, const json &object, const json *previous)
{
    Causes causes;
    if (!object.is_object() || resource.custom)
        return causes;
    // A spec of the wrong type validates as an empty one: its required fields are reported.
    // Read in place: copying the spec was most of validation's cost on a create.
    static const json kEmptySpec = json::object();
    static const json kNoSpec;
    const json &givenSpec = member(object, "spec");
    const json &spec = givenSpec.is_object() ? givenSpec : kEmptySpec;
    const json &oldSpec = previous ? member(*previous, "spec") : kNoSpec;
    const json &metadata = member(object, "metadata");
    rules::validateLabels(causes, member(metadata, "labels"), "metadata.labels");
    rules::validateAnnotations(causes, member(metadata, "annotations"), "metadata.annotations");
    if (is(resource, "", "pods")) {
        rules::validatePodSpec(causes, spec, "spec");
        if (previous)
            rules::validatePodUpdate(causes, spec, oldSpec);
    } else if (is(resource, "apps", "deployments") || is(resource, "apps", "replicasets")
               || is(resource, "apps", "statefulsets") || is(resource, "apps", "daemonsets")) {
        validateSelectorAndTemplate(causes, spec, true);
        rules::validateTemplateRestartPolicy(causes, valueAt(spec, "/template/spec"_json_pointer),
                                             "spec.template.spec", {"Always"});
        const json replicas = spec.value("replicas", json());
        if (replicas.is_number_integer() && replicas.get<std::int64_t>() < 0)
            causes.push_back(
                {"FieldValueInvalid",
                 "Invalid value: " + replicas.dump() + ": must be greater than or equal to 0",
                 "spec.replicas"});
        if (is(resource, "apps", "deployments"))
            rules::validateDeploymentStrategy(causes, spec);
        // apps/v1 selectors never change (the controllers would orphan their pods).
        if (previous)
            validateSelectorImmutable(causes, spec, *previous);
        if (previous && is(resource, "apps", "statefulsets"))
            rules::validateStatefulSetUpdate(causes, spec, oldSpec);
    } else if (is(resource, "batch", "jobs")) {
        validateSelectorAndTemplate(causes, spec, false);
        rules::validateTemplateRestartPolicy(causes, valueAt(spec, "/template/spec"_json_pointer),
                                             "spec.template.spec", {"OnFailure", "Never"});
        rules::validateJobSpec(causes, spec);
        if (previous) {
            validateSelectorImmutable(causes, spec, *previous);
            rules::validateJobUpdate(causes, object, *previous);
        }
    } else if (is(resource, "batch", "cronjobs")) {
        const std::string name = rules::text(member(object, "metadata"), "name");
        if (!previous && name.size() > 52)
            rules::invalid(causes, "metadata.name", goQuoted(name),
                           "must be no more than 52 characters");
        rules::validateCronJob(causes, object);
    } else if (is(resource, "", "services")) {
        rules::validateServiceSpec(causes, spec);
        if (previous)
            rules::validateServiceUpdate(causes, spec, oldSpec);
    } else if (is(resource, "", "configmaps") || is(resource, "", "secrets")) {
        const bool secret = is(resource, "", "secrets");
        validateConfigKeys(causes, object, "data");
        validateConfigKeys(causes, object, secret ? "stringData" : "binaryData");
        if (previous)
            rules::validateConfigUpdate(causes, object, *previous, secret);
    } else if (is(resource, "", "persistentvolumeclaims")) {
        if (previous)
            rules::validatePersistentVolumeClaimUpdate(causes, object, *previous);
    } else if (is(resource, "storage.k8s.io", "storageclasses")) {
        if (previous)
            rules::validateStorageClassUpdate(causes, object, *previous);
    } else if (is(resource, "rbac.authorization.k8s.io", "rolebindings")
               || is(resource, "rbac.authorization.k8s.io", "clusterrolebindings")) {
        if (previous)
            rules::validateRoleBindingUpdate(causes, object, *previous);
    }
    return causes;
}

} // namespace kd::lc::apiserver::registry
