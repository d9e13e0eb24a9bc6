#include "validation.h"

#include <localcluster/apiserver/resourcecatalog.h>

#include <localcluster/apiserver/jsonpath.h>

#include <nlohmann/json.hpp>

#include <algorithm>

namespace kd::lc::apiserver::registry {

using core::util::Error;
using nlohmann::json;

namespace {

using Causes = std::vector<Error::Cause>;

void required(Causes &causes, const std::string &field)
{
    causes.push_back({"FieldValueRequired", "Required value", field});
}

bool missing(const json &object, const char *key)
{
    if (!object.is_object())
        return true;
    auto it = object.find(key);
    return it == object.end() || it->is_null()
           || (it->is_string() && it->get<std::string>().empty())
           || (it->is_array() && it->empty());
}

std::string quoted(const std::string &text)
{
    return json(text).dump();
}

void validateContainers(Causes &causes, const json &spec, const std::string &path)
{
    const json containers = spec.is_object() ? spec.value("containers", json()) : json();
    if (!containers.is_array() || containers.empty()) {
        required(causes, path + ".containers");
        return;
    }
    for (std::size_t i = 0; i < containers.size(); ++i) {
        const std::string at = path + ".containers[" + std::to_string(i) + "]";
        if (missing(containers[i], "name"))
            required(causes, at + ".name");
        if (missing(containers[i], "image"))
            required(causes, at + ".image");
    }
}

// Workloads whose selector must select their own template (apps/v1 and batch/v1).
void validateSelectorAndTemplate(Causes &causes, const json &spec, bool selectorRequired)
{
    const json selector = spec.is_object() ? spec.value("selector", json()) : json();
    const json labels = valueAt(spec, "/template/metadata/labels"_json_pointer);
    if (selector.is_null() && selectorRequired)
        required(causes, "spec.selector");
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
    validateContainers(causes, valueAt(spec, "/template/spec"_json_pointer), "spec.template.spec");
}

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
             "Invalid value: " + quoted(it.key())
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
        text += (first ? "" : ", ") + quoted(it.key()) + ":"
                + (it->is_string() ? quoted(it->get<std::string>()) : quoted(it->dump()));
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
    json spec = object.value("spec", json::object());
    if (!spec.is_object())
        spec = json::object();
    if (is(resource, "", "pods")) {
        validateContainers(causes, spec, "spec");
    } else if (is(resource, "apps", "deployments") || is(resource, "apps", "replicasets")
               || is(resource, "apps", "statefulsets") || is(resource, "apps", "daemonsets")) {
        validateSelectorAndTemplate(causes, spec, true);
        const json replicas = spec.is_object() ? spec.value("replicas", json()) : json();
        if (replicas.is_number_integer() && replicas.get<std::int64_t>() < 0)
            causes.push_back(
                {"FieldValueInvalid",
                 "Invalid value: " + replicas.dump() + ": must be greater than or equal to 0",
                 "spec.replicas"});
        // apps/v1 selectors never change (the controllers would orphan their pods).
        if (previous) {
            const json before = valueAt(*previous, "/spec/selector"_json_pointer);
            const json after = spec.is_object() ? spec.value("selector", json()) : json();
            if (!before.is_null() && before != after)
                causes.push_back(
                    {"FieldValueInvalid",
                     "Invalid value: " + goLabelSelector(after) + ": field is immutable",
                     "spec.selector"});
        }
    } else if (is(resource, "batch", "jobs")) {
        validateSelectorAndTemplate(causes, spec, false);
        const json policy = valueAt(spec, "/template/spec/restartPolicy"_json_pointer);
        if (policy.is_string() && policy != "OnFailure" && policy != "Never")
            causes.push_back({"FieldValueNotSupported",
                              "Unsupported value: " + policy.dump()
                                  + ": supported values: \"OnFailure\", \"Never\"",
                              "spec.template.spec.restartPolicy"});
        if (previous) {
            const json before = valueAt(*previous, "/spec/selector"_json_pointer);
            const json after = spec.is_object() ? spec.value("selector", json()) : json();
            if (!before.is_null() && before != after)
                causes.push_back(
                    {"FieldValueInvalid",
                     "Invalid value: " + goLabelSelector(after) + ": field is immutable",
                     "spec.selector"});
        }
    } else if (is(resource, "", "services")) {
        const std::string type = spec.is_object() ? spec.value("type", std::string()) : "";
        const bool headless = spec.is_object() && spec.value("clusterIP", json()) == "None";
        if (type != "ExternalName" && !headless && missing(spec, "ports"))
            required(causes, "spec.ports");
        if (type == "ExternalName" && missing(spec, "externalName"))
            required(causes, "spec.externalName");
    } else if (is(resource, "", "configmaps") || is(resource, "", "secrets")) {
        validateConfigKeys(causes, object, "data");
        validateConfigKeys(causes, object,
                           is(resource, "", "secrets") ? "stringData" : "binaryData");
    }
    return causes;
}

} // namespace kd::lc::apiserver::registry
