#include "structuralschema.h"

#include <core/util/time.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <regex>
#include <set>
#include <utility>

namespace kd::lc::apiserver::crd {

using core::util::Error;
using nlohmann::json;

namespace {

using Causes = std::vector<Error::Cause>;

const json kNull;

const json &member(const json &object, const char *key)
{
    if (!object.is_object())
        return kNull;
    auto it = object.find(key);
    return it == object.end() ? kNull : *it;
}

bool flag(const json &schema, const char *key)
{
    const json &v = member(schema, key);
    return v.is_boolean() && v.get<bool>();
}

std::string childPath(const std::string &path, const std::string &key)
{
    return path.empty() ? key : path + "." + key;
}

std::string indexPath(const std::string &path, std::size_t index)
{
    return path + "[" + std::to_string(index) + "]";
}

// The schema of a member of an object node: its property schema, else additionalProperties
// when that is a schema. nullptr when the member is undeclared.
const json *memberSchema(const json &schema, const std::string &key)
{
    const json &properties = member(schema, "properties");
    if (properties.is_object()) {
        auto it = properties.find(key);
        if (it != properties.end() && it->is_object())
            return &*it;
    }
    const json &additional = member(schema, "additionalProperties");
    if (additional.is_object())
        return &additional;
    return nullptr;
}

bool keepsUnknown(const json &schema)
{
    const json &additional = member(schema, "additionalProperties");
    return flag(schema, "x-kubernetes-preserve-unknown-fields")
           || (additional.is_boolean() && additional.get<bool>());
}

bool typeMetaField(const std::string &key)
{
    return key == "apiVersion" || key == "kind" || key == "metadata";
}

void pruneNode(const json &schema, json &value, const std::string &path, bool resourceRoot,
               std::vector<std::string> &removed)
{
    if (!schema.is_object())
        return;
    if (value.is_object()) {
        const bool embedded = resourceRoot || flag(schema, "x-kubernetes-embedded-resource");
        const bool keep = keepsUnknown(schema);
        for (auto it = value.begin(); it != value.end();) {
            const std::string key = it.key();
            if (embedded && typeMetaField(key)) {
                ++it;
                continue;
            }
            if (const json *sub = memberSchema(schema, key)) {
                pruneNode(*sub, *it, childPath(path, key), false, removed);
                ++it;
            } else if (keep) {
                ++it;
            } else {
                removed.push_back(childPath(path, key));
                it = value.erase(it);
            }
        }
    } else if (value.is_array()) {
        const json &items = member(schema, "items");
        for (std::size_t i = 0; i < value.size(); ++i)
            pruneNode(items, value[i], indexPath(path, i), false, removed);
    }
}

void defaultNode(const json &schema, json &value, bool resourceRoot)
{
    if (!schema.is_object())
        return;
    if (value.is_object()) {
        const json &properties = member(schema, "properties");
        if (properties.is_object()) {
            for (auto it = properties.begin(); it != properties.end(); ++it) {
                if (resourceRoot && typeMetaField(it.key()))
                    continue;
                if (!it->is_object() || !it->contains("default"))
                    continue;
                auto field = value.find(it.key());
                if (field == value.end() || (field->is_null() && !flag(*it, "nullable")))
                    value[it.key()] = (*it)["default"];
            }
        }
        for (auto it = value.begin(); it != value.end();) {
            if (resourceRoot && typeMetaField(it.key())) {
                ++it;
                continue;
            }
            const json *sub = memberSchema(schema, it.key());
            // A null nobody may hold and nothing defaults is dropped, as upstream prunes it.
            if (sub && it->is_null() && !flag(*sub, "nullable")) {
                it = value.erase(it);
                continue;
            }
            if (sub)
                defaultNode(*sub, *it, false);
            ++it;
        }
    } else if (value.is_array()) {
        const json &items = member(schema, "items");
        for (json &element : value) {
            if (element.is_null() && items.is_object() && items.contains("default"))
                element = items["default"];
            defaultNode(items, element, false);
        }
    }
}

std::string jsonType(const json &value)
{
    switch (value.type()) {
    case json::value_t::null:
        return "null";
    case json::value_t::boolean:
        return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
        return "integer";
    case json::value_t::number_float:
        return "number";
    case json::value_t::string:
        return "string";
    case json::value_t::array:
        return "array";
    default:
        return "object";
    }
}

bool isInteger(const json &value)
{
    if (value.is_number_integer())
        return true;
    if (!value.is_number_float())
        return false;
    const double d = value.get<double>();
    return std::isfinite(d) && std::floor(d) == d;
}

bool hasType(const json &value, const std::string &type)
{
    if (type == "object")
        return value.is_object();
    if (type == "array")
        return value.is_array();
    if (type == "string")
        return value.is_string();
    if (type == "boolean")
        return value.is_boolean();
    if (type == "integer")
        return isInteger(value);
    if (type == "number")
        return value.is_number();
    return true;
}

// Go's %v of a float64 for the limits in messages: whole numbers without a fraction.
std::string number(const json &value)
{
    if (value.is_number_integer())
        return value.dump();
    if (value.is_number_float()) {
        const double d = value.get<double>();
        if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 1e21)
            return std::to_string(static_cast<long long>(d));
        return value.dump();
    }
    return value.dump();
}

// The value the way field.Error prints it: strings quoted, numbers and booleans bare,
// everything else as Go's %#v.
std::string fieldValue(const json &value)
{
    if (value.is_string())
        return value.dump();
    if (value.is_number())
        return number(value);
    if (value.is_boolean())
        return value.get<bool>() ? "true" : "false";
    return goValue(value);
}

Error::Cause invalid(const std::string &path, const std::string &value, const std::string &what)
{
    return {"FieldValueInvalid", "Invalid value: " + value + ": " + what, path};
}

std::string inBody(const std::string &path)
{
    return path.empty() ? std::string("in body") : path + " in body";
}

double asDouble(const json &value)
{
    return value.is_number() ? value.get<double>() : 0.0;
}

std::size_t runeCount(const std::string &text)
{
    std::size_t count = 0;
    for (unsigned char c : text)
        if ((c & 0xC0) != 0x80)
            ++count;
    return count;
}

bool validDate(const std::string &text)
{
    static const std::regex pattern("^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$");
    return std::regex_match(text, pattern);
}

void validateNode(const json &schema, const json &value, const std::string &path, bool resourceRoot,
                  Causes &causes);

void validateFormat(const json &schema, const json &value, const std::string &path, Causes &causes)
{
    const json &format = member(schema, "format");
    if (!format.is_string())
        return;
    const std::string f = format.get<std::string>();
    bool ok = true;
    if (value.is_string()) {
        const std::string &text = value.get_ref<const std::string &>();
        if (f == "date-time")
            ok = static_cast<bool>(core::util::parseRfc3339(text));
        else if (f == "date")
            ok = validDate(text);
    } else if (isInteger(value) && f == "int32") {
        const double d = value.get<double>();
        ok = d >= -2147483648.0 && d <= 2147483647.0;
    }
    if (!ok)
        causes.push_back({"FieldValueTypeInvalid",
                          "Invalid value: " + fieldValue(value) + ": " + inBody(path)
                              + " must be of type " + f + ": " + value.dump(),
                          path});
}

void validateNumber(const json &schema, const json &value, const std::string &path, Causes &causes)
{
    const double v = asDouble(value);
    if (const json &min = member(schema, "minimum"); min.is_number()) {
        const bool exclusive = flag(schema, "exclusiveMinimum");
        if (exclusive ? v <= asDouble(min) : v < asDouble(min))
            causes.push_back(invalid(path, fieldValue(value),
                                     inBody(path) + " should be greater than "
                                         + (exclusive ? "" : "or equal to ") + number(min)));
    }
    if (const json &max = member(schema, "maximum"); max.is_number()) {
        const bool exclusive = flag(schema, "exclusiveMaximum");
        if (exclusive ? v >= asDouble(max) : v > asDouble(max))
            causes.push_back(invalid(path, fieldValue(value),
                                     inBody(path) + " should be less than "
                                         + (exclusive ? "" : "or equal to ") + number(max)));
    }
    if (const json &factor = member(schema, "multipleOf");
        factor.is_number() && asDouble(factor) > 0) {
        const double q = v / asDouble(factor);
        if (std::fabs(q - std::round(q)) > 1e-9)
            causes.push_back(invalid(path, fieldValue(value),
                                     inBody(path) + " should be a multiple of " + number(factor)));
    }
}

void validateString(const json &schema, const json &value, const std::string &path, Causes &causes)
{
    const std::string &text = value.get_ref<const std::string &>();
    const std::size_t length = runeCount(text);
    if (const json &max = member(schema, "maxLength");
        max.is_number_integer() && static_cast<std::int64_t>(length) > max.get<std::int64_t>()) {
        const std::int64_t limit = max.get<std::int64_t>();
        causes.push_back({"FieldValueTooLong",
                          "Too long: may not be more than " + std::to_string(limit)
                              + (limit == 1 ? " byte" : " bytes"),
                          path});
    }
    if (const json &min = member(schema, "minLength");
        min.is_number_integer() && static_cast<std::int64_t>(length) < min.get<std::int64_t>())
        causes.push_back(
            invalid(path, fieldValue(value),
                    inBody(path) + " should be at least " + min.dump() + " chars long"));
    if (const json &pattern = member(schema, "pattern"); pattern.is_string()) {
        try {
            const std::regex re(pattern.get<std::string>(), std::regex::ECMAScript);
            if (!std::regex_search(text, re))
                causes.push_back(
                    invalid(path, fieldValue(value),
                            inBody(path) + " should match '" + pattern.get<std::string>() + "'"));
        } catch (const std::regex_error &) {
            // The CRD's validation rejects patterns that do not compile; nothing to apply here.
        }
    }
}

void validateArray(const json &schema, const json &value, const std::string &path, Causes &causes)
{
    const auto size = static_cast<std::int64_t>(value.size());
    if (const json &max = member(schema, "maxItems");
        max.is_number_integer() && size > max.get<std::int64_t>())
        causes.push_back({"FieldValueTooMany",
                          "Too many: " + std::to_string(size) + ": must have at most " + max.dump()
                              + (max.get<std::int64_t>() == 1 ? " item" : " items"),
                          path});
    if (const json &min = member(schema, "minItems");
        min.is_number_integer() && size < min.get<std::int64_t>())
        causes.push_back(invalid(path, std::to_string(size),
                                 inBody(path) + " should have at least " + min.dump() + " items"));
    if (flag(schema, "uniqueItems")) {
        for (std::size_t i = 1; i < value.size(); ++i) {
            bool duplicate = false;
            for (std::size_t j = 0; j < i && !duplicate; ++j)
                duplicate = value[i] == value[j];
            if (duplicate) {
                causes.push_back({"FieldValueDuplicate", "Duplicate value: " + fieldValue(value[i]),
                                  indexPath(path, i)});
                break;
            }
        }
    }
    const json &items = member(schema, "items");
    for (std::size_t i = 0; i < value.size(); ++i)
        validateNode(items, value[i], indexPath(path, i), false, causes);
}

void validateObject(const json &schema, const json &value, const std::string &path,
                    bool resourceRoot, Causes &causes)
{
    const auto size = static_cast<std::int64_t>(value.size());
    if (const json &max = member(schema, "maxProperties");
        max.is_number_integer() && size > max.get<std::int64_t>())
        causes.push_back({"FieldValueTooMany",
                          "Too many: " + std::to_string(size) + ": must have at most " + max.dump()
                              + (max.get<std::int64_t>() == 1 ? " item" : " items"),
                          path});
    if (const json &min = member(schema, "minProperties");
        min.is_number_integer() && size < min.get<std::int64_t>())
        causes.push_back(
            invalid(path, std::to_string(size),
                    inBody(path) + " should have at least " + min.dump() + " properties"));
    if (const json &required = member(schema, "required"); required.is_array()) {
        for (const json &name : required) {
            if (!name.is_string())
                continue;
            const std::string key = name.get<std::string>();
            if (!value.contains(key))
                causes.push_back({"FieldValueRequired", "Required value", childPath(path, key)});
        }
    }
    const bool embedded = resourceRoot || flag(schema, "x-kubernetes-embedded-resource");
    if (embedded && !resourceRoot) {
        for (const char *key : {"apiVersion", "kind"})
            if (!value.contains(key))
                causes.push_back({"FieldValueRequired", "Required value: must not be empty",
                                  childPath(path, key)});
    }
    for (auto it = value.begin(); it != value.end(); ++it) {
        if (resourceRoot && typeMetaField(it.key()))
            continue;
        if (const json *sub = memberSchema(schema, it.key()))
            validateNode(*sub, *it, childPath(path, it.key()), false, causes);
    }
}

void validateNode(const json &schema, const json &value, const std::string &path, bool resourceRoot,
                  Causes &causes)
{
    if (!schema.is_object())
        return;
    if (value.is_null() && flag(schema, "nullable"))
        return;
    if (flag(schema, "x-kubernetes-int-or-string")) {
        if (!isInteger(value) && !value.is_string()) {
            causes.push_back({"FieldValueTypeInvalid",
                              "Invalid value: \"" + jsonType(value) + "\": " + inBody(path)
                                  + " must be of type integer,string: \"" + jsonType(value) + "\"",
                              path});
            return;
        }
    } else if (const json &type = member(schema, "type"); type.is_string()) {
        const std::string t = type.get<std::string>();
        if (!hasType(value, t)) {
            causes.push_back({"FieldValueTypeInvalid",
                              "Invalid value: \"" + jsonType(value) + "\": " + inBody(path)
                                  + " must be of type " + t + ": \"" + jsonType(value) + "\"",
                              path});
            return;
        }
    }
    if (const json &values = member(schema, "enum"); values.is_array() && !values.empty()) {
        if (std::find(values.begin(), values.end(), value) == values.end()) {
            std::string supported;
            for (const json &v : values)
                supported += (supported.empty() ? "" : ", ") + v.dump();
            causes.push_back(
                {"FieldValueNotSupported",
                 "Unsupported value: " + fieldValue(value) + ": supported values: " + supported,
                 path});
        }
    }
    if (value.is_number())
        validateNumber(schema, value, path, causes);
    else if (value.is_string())
        validateString(schema, value, path, causes);
    else if (value.is_array())
        validateArray(schema, value, path, causes);
    else if (value.is_object())
        validateObject(schema, value, path, resourceRoot, causes);
    validateFormat(schema, value, path, causes);
}

// --- structural checks of a CRD's schema

const std::set<std::string> &allowedTypes()
{
    static const std::set<std::string> types{"array",  "boolean", "integer",
                                             "number", "object",  "string"};
    return types;
}

// The x-kubernetes-list-type / list-map-keys / map-type markers, as upstream checks them.
void checkListType(const json &schema, const std::string &path, Causes &causes)
{
    const json &listType = member(schema, "x-kubernetes-list-type");
    const json &keys = member(schema, "x-kubernetes-list-map-keys");
    const json &items = member(schema, "items");
    if (listType.is_string() && listType != "atomic" && listType != "set" && listType != "map")
        causes.push_back({"FieldValueNotSupported",
                          "Unsupported value: " + listType.dump()
                              + ": supported values: \"atomic\", \"set\", \"map\"",
                          path + ".x-kubernetes-list-type"});
    const bool hasKeys = keys.is_array() && !keys.empty();
    if (hasKeys && listType.is_null())
        causes.push_back({"FieldValueRequired",
                          "Required value: must be map if x-kubernetes-list-map-keys is non-empty",
                          path + ".x-kubernetes-list-type"});
    else if (hasKeys && listType != "map")
        causes.push_back({"FieldValueInvalid",
                          "Invalid value: " + fieldValue(listType)
                              + ": must be map if x-kubernetes-list-map-keys is non-empty",
                          path + ".x-kubernetes-list-type"});
    if (const json &mapType = member(schema, "x-kubernetes-map-type");
        mapType.is_string() && mapType != "granular" && mapType != "atomic")
        causes.push_back({"FieldValueNotSupported",
                          "Unsupported value: " + mapType.dump()
                              + ": supported values: \"granular\", \"atomic\"",
                          path + ".x-kubernetes-map-type"});
    if (listType != "map")
        return;
    if (!hasKeys)
        causes.push_back({"FieldValueRequired",
                          "Required value: must not be empty if x-kubernetes-list-type is map",
                          path + ".x-kubernetes-list-map-keys"});
    if (!items.is_object())
        return; // "items: Required value" comes from the array check
    const json &itemType = member(items, "type");
    if (itemType != "object") {
        causes.push_back({"FieldValueInvalid",
                          "Invalid value: " + fieldValue(itemType.is_null() ? json("") : itemType)
                              + ": must be object if parent array's x-kubernetes-list-type is map",
                          path + ".items.type"});
        return;
    }
    std::string listed = "[]string{";
    for (std::size_t i = 0; hasKeys && i < keys.size(); ++i)
        listed += (i ? ", " : "") + keys[i].dump();
    listed += "}";
    const json &properties = member(items, "properties");
    const json &required = member(items, "required");
    std::set<std::string> seen;
    for (const json &k : hasKeys ? keys : json::array()) {
        const std::string key = k.is_string() ? k.get<std::string>() : k.dump();
        const json &property = member(properties, key.c_str());
        if (property.is_object()) {
            const json &keyType = member(property, "type");
            if (keyType == "array" || keyType == "object")
                causes.push_back({"FieldValueInvalid",
                                  "Invalid value: \"object\": must be a scalar type if parent "
                                  "array's x-kubernetes-list-type is map",
                                  path + ".items.properties[" + key + "].type"});
            const bool isRequired
                = required.is_array()
                  && std::find(required.begin(), required.end(), k) != required.end();
            if (!isRequired && !property.contains("default"))
                causes.push_back({"FieldValueRequired",
                                  "Required value: this property is in "
                                  "x-kubernetes-list-map-keys, so it must have a default or be a "
                                  "required property",
                                  path + ".items.properties[" + key + "].default"});
        } else {
            causes.push_back(
                {"FieldValueInvalid",
                 "Invalid value: " + listed + ": entries must all be names of item properties",
                 path + ".x-kubernetes-list-map-keys"});
        }
        if (!seen.insert(key).second)
            causes.push_back({"FieldValueInvalid",
                              "Invalid value: " + listed + ": must not contain duplicate entries",
                              path + ".x-kubernetes-list-map-keys"});
    }
}

void checkNode(const json &schema, const std::string &path, const char *emptyTypeWhere, bool root,
               Causes &causes)
{
    if (!schema.is_object()) {
        causes.push_back({"FieldValueInvalid",
                          "Invalid value: " + goValue(schema) + ": must be an object", path});
        return;
    }
    const json &type = member(schema, "type");
    const bool intOrString = flag(schema, "x-kubernetes-int-or-string");
    const bool preserve = flag(schema, "x-kubernetes-preserve-unknown-fields");
    if (!type.is_null() && !type.is_string()) {
        causes.push_back({"FieldValueInvalid",
                          "Invalid value: " + goValue(type) + ": must be a string",
                          path + ".type"});
        return;
    }
    const std::string t = type.is_string() ? type.get<std::string>() : std::string();
    if (!t.empty() && !allowedTypes().contains(t))
        causes.push_back({"FieldValueNotSupported",
                          "Unsupported value: \"" + t
                              + "\": supported values: \"array\", \"boolean\", \"integer\", "
                                "\"number\", \"object\", \"string\"",
                          path + ".type"});
    if (intOrString && !t.empty())
        causes.push_back(
            {"FieldValueInvalid",
             "Invalid value: \"" + t + "\": must be empty if x-kubernetes-int-or-string is true",
             path + ".type"});
    if (root && !t.empty() && t != "object")
        causes.push_back({"FieldValueInvalid",
                          "Invalid value: \"" + t + "\": must be object at the root",
                          path + ".type"});
    if (t.empty() && !intOrString && !preserve)
        causes.push_back({"FieldValueRequired",
                          std::string("Required value: must not be empty ") + emptyTypeWhere,
                          path + ".type"});
    if (const json &p = member(schema, "x-kubernetes-preserve-unknown-fields");
        p.is_boolean() && !p.get<bool>())
        causes.push_back({"FieldValueInvalid", "Invalid value: false: must be true or undefined",
                          path + ".x-kubernetes-preserve-unknown-fields"});
    if (flag(schema, "x-kubernetes-embedded-resource") && t != "object")
        causes.push_back(
            {"FieldValueRequired",
             "Required value: must be object if x-kubernetes-embedded-resource is true",
             path + ".type"});
    for (const char *forbidden : {"$ref", "additionalItems", "patternProperties", "dependencies",
                                  "definitions", "id", "$schema"}) {
        if (schema.contains(forbidden))
            causes.push_back({"FieldValueForbidden",
                              "Forbidden: " + std::string(forbidden) + " is not supported",
                              path + "." + forbidden});
    }
    if (flag(schema, "uniqueItems"))
        causes.push_back({"FieldValueForbidden",
                          "Forbidden: uniqueItems cannot be set to true since the runtime "
                          "complexity becomes quadratic",
                          path + ".uniqueItems"});
    if (const json &pattern = member(schema, "pattern"); pattern.is_string()) {
        try {
            const std::regex re(pattern.get<std::string>(), std::regex::ECMAScript);
        } catch (const std::regex_error &) {
            causes.push_back(
                {"FieldValueInvalid",
                 "Invalid value: " + pattern.dump() + ": must be a valid regular expression",
                 path + ".pattern"});
        }
    }
    checkListType(schema, path, causes);
    const json &properties = member(schema, "properties");
    const json &additional = member(schema, "additionalProperties");
    if (properties.is_object() && !properties.empty() && !additional.is_null()
        && !(additional.is_boolean() && !additional.get<bool>()))
        causes.push_back({"FieldValueForbidden",
                          "Forbidden: additionalProperties and properties are mutual exclusive",
                          path + ".additionalProperties"});
    if (properties.is_object()) {
        for (auto it = properties.begin(); it != properties.end(); ++it)
            checkNode(*it, path + ".properties[" + it.key() + "]", "for specified object fields",
                      false, causes);
    }
    if (additional.is_object())
        checkNode(additional, path + ".additionalProperties", "for specified object fields", false,
                  causes);
    const json &items = member(schema, "items");
    if (t == "array" && !items.is_object())
        causes.push_back(
            {"FieldValueRequired", "Required value: must be specified", path + ".items"});
    if (items.is_object())
        checkNode(items, path + ".items", "for specified array items", false, causes);
    if (const json &def = member(schema, "default"); schema.contains("default") && !root) {
        json copy = def;
        json bare = schema;
        bare.erase("default");
        Causes problems;
        validateNode(bare, copy, "", false, problems);
        for (const auto &problem : problems)
            causes.push_back(
                {problem.reason, problem.message,
                 path + ".default" + (problem.field.empty() ? "" : "." + problem.field)});
    }
}

} // namespace

std::vector<Error::Cause> validateStructure(const json &schema, const std::string &fieldPath)
{
    Causes causes;
    checkNode(schema, fieldPath, "at the root", true, causes);
    return causes;
}

std::vector<std::string> prune(const json &schema, json &object)
{
    std::vector<std::string> removed;
    pruneNode(schema, object, "", true, removed);
    return removed;
}

void applyDefaults(const json &schema, json &object)
{
    defaultNode(schema, object, true);
}

namespace {

// x-kubernetes-list-type set and map promise unique items (by value, by key fields); upstream
// checks that apart from the OpenAPI validation and reports each value's second occurrence.
void validateListTypes(const json &schema, const json &value, const std::string &path,
                       Causes &causes)
{
    if (!schema.is_object())
        return;
    if (value.is_object()) {
        const json &properties = member(schema, "properties");
        const json &additional = member(schema, "additionalProperties");
        for (auto it = value.begin(); it != value.end(); ++it) {
            if (additional.is_object())
                validateListTypes(additional, *it, path + "[" + it.key() + "]", causes);
            if (const json &property = member(properties, it.key().c_str()); property.is_object())
                validateListTypes(property, *it, childPath(path, it.key()), causes);
        }
        return;
    }
    if (!value.is_array())
        return;
    const json &items = member(schema, "items");
    const json &listType = member(schema, "x-kubernetes-list-type");
    if (listType == "set" || listType == "map") {
        const bool isMap = listType == "map";
        std::vector<std::string> keys;
        if (isMap) {
            for (std::size_t i = 0; i < value.size(); ++i) {
                if (!value[i].is_null() && !value[i].is_object()) {
                    causes.push_back(invalid(indexPath(path, i), fieldValue(value[i]),
                                             "must be an object for an array of list-type map"));
                    return;
                }
            }
            const json &names = member(schema, "x-kubernetes-list-map-keys");
            if (names.is_array())
                for (const json &k : names)
                    if (k.is_string())
                        keys.push_back(k.get<std::string>());
        }
        // What identifies an item: itself, or its key fields (a missing one counts as its
        // default, else as "unspecified", which equals only another unspecified).
        const auto identity = [&](const json &item) {
            if (!isMap)
                return item;
            json id = json::array();
            const json &properties = member(items, "properties");
            for (const std::string &k : keys) {
                if (item.is_object() && item.contains(k))
                    id.push_back(json::array({item[k]}));
                else if (const json &d = member(member(properties, k.c_str()), "default");
                         !d.is_null())
                    id.push_back(json::array({d}));
                else
                    id.push_back("unspecified");
            }
            return id;
        };
        std::vector<std::pair<json, int>> seen;
        for (std::size_t i = 0; i < value.size(); ++i) {
            const json id = identity(value[i]);
            auto it = std::find_if(seen.begin(), seen.end(),
                                   [&](const auto &entry) { return entry.first == id; });
            if (it == seen.end()) {
                seen.emplace_back(id, 1);
                continue;
            }
            if (++it->second != 2)
                continue;
            if (!isMap) {
                causes.push_back({"FieldValueDuplicate", "Duplicate value: " + fieldValue(value[i]),
                                  indexPath(path, i)});
                continue;
            }
            json shown = json::object();
            for (const std::string &k : keys)
                shown[k] = value[i].is_object() ? value[i].value(k, json()) : json();
            causes.push_back(
                {"FieldValueDuplicate", "Duplicate value: " + goValue(shown), indexPath(path, i)});
        }
    }
    for (std::size_t i = 0; i < value.size(); ++i)
        validateListTypes(items, value[i], indexPath(path, i), causes);
}

} // namespace

std::vector<Error::Cause> validate(const json &schema, const json &object)
{
    Causes causes;
    validateNode(schema, object, "", true, causes);
    validateListTypes(schema, object, "", causes);
    return causes;
}

std::string goValue(const json &value)
{
    switch (value.type()) {
    case json::value_t::null:
        return "interface {}(nil)";
    case json::value_t::string:
        return value.dump();
    case json::value_t::boolean:
        return value.get<bool>() ? "true" : "false";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
        return value.dump();
    case json::value_t::number_float:
        return number(value);
    case json::value_t::array: {
        std::string out = "[]interface {}{";
        for (std::size_t i = 0; i < value.size(); ++i)
            out += (i ? ", " : "") + goValue(value[i]);
        return out + "}";
    }
    default: {
        std::string out = "map[string]interface {}{";
        bool first = true;
        for (auto it = value.begin(); it != value.end(); ++it) {
            out += (first ? "" : ", ") + json(it.key()).dump() + ":" + goValue(*it);
            first = false;
        }
        return out + "}";
    }
    }
}

} // namespace kd::lc::apiserver::crd
