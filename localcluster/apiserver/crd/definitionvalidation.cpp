#include "definitionvalidation.h"

#include "structuralschema.h"

#include <localcluster/apiserver/rest/objectrules.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <set>

namespace kd::lc::apiserver::crd {

using core::util::Error;
using nlohmann::json;

namespace {

using Causes = std::vector<Error::Cause>;

const json kNull;

const json &at(const json &object, std::initializer_list<const char *> path)
{
    const json *cur = &object;
    for (const char *key : path) {
        if (!cur->is_object())
            return kNull;
        auto it = cur->find(key);
        if (it == cur->end())
            return kNull;
        cur = &*it;
    }
    return *cur;
}

std::string text(const json &object, std::initializer_list<const char *> path)
{
    const json &v = at(object, path);
    return v.is_string() ? v.get<std::string>() : std::string();
}

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string joined(const std::vector<std::string> &parts)
{
    std::string out;
    for (const auto &p : parts)
        out += (out.empty() ? "" : ",") + p;
    return out;
}

void checkLabel(const std::string &value, const std::string &field, bool required, Causes &causes)
{
    if (value.empty()) {
        if (required)
            causes.push_back({"FieldValueRequired", "Required value", field});
        return;
    }
    const auto problems = objectrules::validateDns1035Label(value);
    if (!problems.empty())
        causes.push_back({"FieldValueInvalid",
                          "Invalid value: " + json(value).dump() + ": " + joined(problems), field});
}

void checkNames(const json &names, Causes &causes)
{
    const std::string base = "spec.names";
    checkLabel(text(names, {"plural"}), base + ".plural", true, causes);
    checkLabel(text(names, {"singular"}), base + ".singular", false, causes);
    const json &shortNames = at(names, {"shortNames"});
    if (shortNames.is_array()) {
        for (std::size_t i = 0; i < shortNames.size(); ++i)
            checkLabel(shortNames[i].is_string() ? shortNames[i].get<std::string>() : "",
                       base + ".shortNames[" + std::to_string(i) + "]", true, causes);
    }
    const std::string kind = text(names, {"kind"});
    if (kind.empty())
        causes.push_back({"FieldValueRequired", "Required value", base + ".kind"});
    else if (const auto problems = objectrules::validateDns1035Label(lower(kind));
             !problems.empty())
        causes.push_back({"FieldValueInvalid",
                          "Invalid value: " + json(kind).dump() + ": " + joined(problems),
                          base + ".kind"});
    const std::string listKind = text(names, {"listKind"});
    if (!listKind.empty() && listKind == kind)
        causes.push_back(
            {"FieldValueInvalid",
             "Invalid value: " + json(listKind).dump() + ": kind and listKind may not be the same",
             base + ".listKind"});
}

bool underPath(const std::string &path, const std::string &prefix)
{
    return path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0;
}

void checkVersion(const json &version, const std::string &field, Causes &causes)
{
    const std::string name = text(version, {"name"});
    checkLabel(name, field + ".name", true, causes);
    const json &schema = at(version, {"schema", "openAPIV3Schema"});
    if (!schema.is_object()) {
        causes.push_back({"FieldValueRequired", "Required value: schemas are required",
                          field + ".schema.openAPIV3Schema"});
    } else {
        for (auto &cause : validateStructure(schema, field + ".schema.openAPIV3Schema"))
            causes.push_back(std::move(cause));
    }
    const json &columns = at(version, {"additionalPrinterColumns"});
    if (columns.is_array()) {
        for (std::size_t i = 0; i < columns.size(); ++i) {
            const std::string path = field + ".additionalPrinterColumns[" + std::to_string(i) + "]";
            const json &column = columns[i];
            if (text(column, {"name"}).empty())
                causes.push_back({"FieldValueRequired", "Required value", path + ".name"});
            const std::string type = text(column, {"type"});
            static const std::set<std::string> types{"boolean", "date", "integer", "number",
                                                     "string"};
            if (type.empty())
                causes.push_back({"FieldValueRequired", "Required value", path + ".type"});
            else if (!types.contains(type))
                causes.push_back({"FieldValueNotSupported",
                                  "Unsupported value: " + json(type).dump()
                                      + ": supported values: \"boolean\", \"date\", \"integer\", "
                                        "\"number\", \"string\"",
                                  path + ".type"});
            const std::string jsonPath = text(column, {"jsonPath"});
            if (jsonPath.empty())
                causes.push_back({"FieldValueRequired", "Required value", path + ".jsonPath"});
            else if (jsonPath.front() != '.')
                causes.push_back({"FieldValueInvalid",
                                  "Invalid value: " + json(jsonPath).dump()
                                      + ": must be a simple json path starting with .",
                                  path + ".jsonPath"});
        }
    }
    const json &scale = at(version, {"subresources", "scale"});
    if (scale.is_object()) {
        const std::string path = field + ".subresources.scale";
        const std::string spec = text(scale, {"specReplicasPath"});
        if (spec.empty())
            causes.push_back({"FieldValueRequired", "Required value", path + ".specReplicasPath"});
        else if (!underPath(spec, ".spec."))
            causes.push_back(
                {"FieldValueInvalid",
                 "Invalid value: " + json(spec).dump() + ": should be a json path under .spec",
                 path + ".specReplicasPath"});
        const std::string status = text(scale, {"statusReplicasPath"});
        if (status.empty())
            causes.push_back(
                {"FieldValueRequired", "Required value", path + ".statusReplicasPath"});
        else if (!underPath(status, ".status."))
            causes.push_back(
                {"FieldValueInvalid",
                 "Invalid value: " + json(status).dump() + ": should be a json path under .status",
                 path + ".statusReplicasPath"});
        const std::string selector = text(scale, {"labelSelectorPath"});
        if (!selector.empty() && !underPath(selector, ".spec.") && !underPath(selector, ".status."))
            causes.push_back({"FieldValueInvalid",
                              "Invalid value: " + json(selector).dump()
                                  + ": should be a json path under either .spec or .status",
                              path + ".labelSelectorPath"});
    }
}

bool protectedGroup(const std::string &group)
{
    const auto endsWith = [&](const std::string &suffix) {
        return group == suffix.substr(1)
               || (group.size() > suffix.size()
                   && group.compare(group.size() - suffix.size(), suffix.size(), suffix) == 0);
    };
    return endsWith(".k8s.io") || endsWith(".kubernetes.io");
}

} // namespace

void applyDefinitionDefaults(json &crd)
{
    if (!crd.is_object())
        return;
    json &spec = crd["spec"];
    if (!spec.is_object())
        return;
    json &names = spec["names"];
    if (names.is_object()) {
        const std::string kind = text(names, {"kind"});
        if (!kind.empty() && text(names, {"singular"}).empty())
            names["singular"] = lower(kind);
        if (!kind.empty() && text(names, {"listKind"}).empty())
            names["listKind"] = kind + "List";
    }
    if (!spec.contains("conversion") || !spec["conversion"].is_object())
        spec["conversion"] = {{"strategy", "None"}};
}

std::vector<Error::Cause> validateDefinition(const json &crd, const json *previous)
{
    Causes causes;
    const json &spec = at(crd, {"spec"});
    const std::string name = text(crd, {"metadata", "name"});
    const std::string group = text(spec, {"group"});
    const std::string plural = text(spec, {"names", "plural"});
    if (name != plural + "." + group)
        causes.push_back(
            {"FieldValueInvalid",
             "Invalid value: " + json(name).dump() + ": must be spec.names.plural+\".\"+spec.group",
             "metadata.name"});
    if (group.empty()) {
        causes.push_back({"FieldValueRequired", "Required value", "spec.group"});
    } else if (group.find('.') == std::string::npos) {
        causes.push_back(
            {"FieldValueInvalid",
             "Invalid value: " + json(group).dump() + ": should be a domain with at least one dot",
             "spec.group"});
    } else if (const auto problems = objectrules::validateDns1123Subdomain(group);
               !problems.empty()) {
        causes.push_back({"FieldValueInvalid",
                          "Invalid value: " + json(group).dump() + ": " + joined(problems),
                          "spec.group"});
    }
    if (protectedGroup(group)
        && !at(crd, {"metadata", "annotations"}).contains("api-approved.kubernetes.io"))
        causes.push_back({"FieldValueRequired",
                          "Required value: protected groups must have approval annotation "
                          "\"api-approved.kubernetes.io\", see "
                          "https://github.com/kubernetes/enhancements/pull/1111",
                          "metadata.annotations[api-approved.kubernetes.io]"});
    const std::string scope = text(spec, {"scope"});
    if (scope.empty())
        causes.push_back({"FieldValueRequired", "Required value", "spec.scope"});
    else if (scope != "Namespaced" && scope != "Cluster")
        causes.push_back({"FieldValueNotSupported",
                          "Unsupported value: " + json(scope).dump()
                              + ": supported values: \"Cluster\", \"Namespaced\"",
                          "spec.scope"});
    const json &names = at(spec, {"names"});
    if (!names.is_object())
        causes.push_back({"FieldValueRequired", "Required value", "spec.names"});
    else
        checkNames(names, causes);

    const json &versions = at(spec, {"versions"});
    int storage = 0;
    std::set<std::string> seen;
    bool unique = true;
    if (versions.is_array()) {
        for (std::size_t i = 0; i < versions.size(); ++i) {
            const json &v = versions[i];
            if (at(v, {"storage"}) == json(true))
                ++storage;
            if (!seen.insert(text(v, {"name"})).second)
                unique = false;
            checkVersion(v, "spec.versions[" + std::to_string(i) + "]", causes);
        }
    }
    const std::string versionsValue = versions.is_array() && !versions.empty()
                                          ? "[]apiextensions.CustomResourceDefinitionVersion{...}"
                                          : "[]apiextensions.CustomResourceDefinitionVersion(nil)";
    if (!unique)
        causes.push_back({"FieldValueInvalid",
                          "Invalid value: " + versionsValue + ": must contain unique version names",
                          "spec.versions"});
    if (storage != 1)
        causes.push_back({"FieldValueInvalid",
                          "Invalid value: " + versionsValue
                              + ": must have exactly one version marked as storage version",
                          "spec.versions"});
    if (!versions.is_array() || versions.empty())
        causes.push_back({"FieldValueInvalid",
                          "Invalid value: []string(nil): must have at least one stored version",
                          "status.storedVersions"});
    // A version objects may still be stored in cannot leave spec.versions.
    if (const json &stored = at(crd, {"status", "storedVersions"});
        stored.is_array() && versions.is_array() && !versions.empty()) {
        for (std::size_t i = 0; i < stored.size(); ++i)
            if (stored[i].is_string() && !seen.contains(stored[i].get<std::string>()))
                causes.push_back(
                    {"FieldValueInvalid",
                     "Invalid value: " + stored[i].dump() + ": must appear in spec.versions",
                     "status.storedVersions[" + std::to_string(i) + "]"});
    }
    const json &conversion = at(spec, {"conversion"});
    const std::string strategy = text(conversion, {"strategy"});
    if (conversion.is_object() && strategy != "None" && strategy != "Webhook")
        causes.push_back({"FieldValueNotSupported",
                          "Unsupported value: " + json(strategy).dump()
                              + ": supported values: \"None\", \"Webhook\"",
                          "spec.conversion.strategy"});
    if (strategy == "Webhook" && !at(conversion, {"webhook", "clientConfig"}).is_object())
        causes.push_back({"FieldValueRequired",
                          "Required value: required when strategy is set to Webhook",
                          "spec.conversion.webhookClientConfig"});

    if (previous) {
        const std::string oldGroup = text(*previous, {"spec", "group"});
        if (!oldGroup.empty() && oldGroup != group)
            causes.push_back({"FieldValueInvalid",
                              "Invalid value: " + json(group).dump() + ": field is immutable",
                              "spec.group"});
    }
    return causes;
}

} // namespace kd::lc::apiserver::crd
