#include "validationrules.h"

#include <localcluster/apiserver/rest/objectrules.h>

#include <nlohmann/json.hpp>

#include <set>

namespace kd::lc::apiserver::registry::rules {

using nlohmann::json;

namespace {

void add(Causes &causes, const char *reason, const std::string &field, std::string message)
{
    causes.push_back({reason, std::move(message), field});
}

// Go's zero values and nil collections, which a decoded struct cannot tell from absence.
bool isZero(const json &value)
{
    return value.is_null() || (value.is_boolean() && !value.get<bool>())
           || (value.is_string() && value.get_ref<const std::string &>().empty())
           || (value.is_array() && value.empty());
}

bool isAlnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool isQualifiedNamePart(const std::string &name)
{
    if (name.empty() || !isAlnum(name.front()) || !isAlnum(name.back()))
        return false;
    for (char c : name) {
        if (!isAlnum(c) && c != '-' && c != '_' && c != '.')
            return false;
    }
    return true;
}

// The rule a qualified name breaks, after `subject` ("name part", "a qualified name").
std::string qualifiedNameRule(const char *subject)
{
    std::string rule(subject);
    rule.append(" must consist of alphanumeric characters, '-', '_' or '.', and must start and "
                "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
                "'123-abc', regex used for validation is "
                "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')");
    return rule;
}

// apimachinery's IsQualifiedName.
std::vector<std::string> qualifiedNameProblems(const std::string &value)
{
    std::vector<std::string> problems;
    const std::size_t slash = value.find('/');
    std::string name = value;
    if (slash != std::string::npos) {
        if (value.find('/', slash + 1) != std::string::npos) {
            problems.push_back(qualifiedNameRule("a qualified name"));
            problems.back().append(
                " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
            return problems;
        }
        const std::string prefix = value.substr(0, slash);
        name = value.substr(slash + 1);
        if (prefix.empty())
            problems.push_back("prefix part must be non-empty");
        else
            for (const std::string &message : objectrules::validateDns1123Subdomain(prefix))
                problems.push_back("prefix part " + message);
    }
    if (name.empty())
        problems.push_back("name part must be non-empty");
    else if (name.size() > 63)
        problems.push_back("name part must be no more than 63 characters");
    if (!isQualifiedNamePart(name))
        problems.push_back(qualifiedNameRule("name part"));
    return problems;
}

} // namespace

void validateLabels(Causes &causes, const json &labels, const std::string &path)
{
    if (!labels.is_object())
        return;
    for (auto it = labels.begin(); it != labels.end(); ++it) {
        for (const std::string &problem : qualifiedNameProblems(it.key()))
            invalid(causes, path, goQuoted(it.key()), problem);
        if (!it->is_string())
            continue;
        const std::string value = it->get<std::string>();
        if (value.size() > 63)
            invalid(causes, path, goQuoted(value), "must be no more than 63 characters");
        if (!value.empty() && !isQualifiedNamePart(value))
            invalid(causes, path, goQuoted(value),
                    "a valid label must be an empty string or consist of alphanumeric "
                    "characters, '-', '_' or '.', and must start and end with an alphanumeric "
                    "character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
                    "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
    }
}

void validateAnnotations(Causes &causes, const json &annotations, const std::string &path)
{
    if (!annotations.is_object())
        return;
    for (auto it = annotations.begin(); it != annotations.end(); ++it) {
        std::string lower = it.key();
        for (char &c : lower)
            c = (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
        for (const std::string &problem : qualifiedNameProblems(lower))
            invalid(causes, path, goQuoted(it.key()), problem);
    }
}

void required(Causes &causes, const std::string &field, const std::string &detail)
{
    add(causes, "FieldValueRequired", field,
        detail.empty() ? std::string("Required value") : "Required value: " + detail);
}

void forbidden(Causes &causes, const std::string &field, const std::string &detail)
{
    add(causes, "FieldValueForbidden", field, "Forbidden: " + detail);
}

void invalid(Causes &causes, const std::string &field, const std::string &value,
             const std::string &detail)
{
    add(causes, "FieldValueInvalid", field,
        "Invalid value: " + value + (detail.empty() ? std::string() : ": " + detail));
}

void notSupported(Causes &causes, const std::string &field, const std::string &value,
                  const std::vector<std::string> &supported)
{
    std::string message = "Unsupported value: " + value;
    for (std::size_t i = 0; i < supported.size(); ++i)
        message += (i == 0 ? ": supported values: " : ", ") + goQuoted(supported[i]);
    add(causes, "FieldValueNotSupported", field, std::move(message));
}

void duplicate(Causes &causes, const std::string &field, const std::string &value)
{
    add(causes, "FieldValueDuplicate", field, "Duplicate value: " + value);
}

void notFound(Causes &causes, const std::string &field, const std::string &value)
{
    add(causes, "FieldValueNotFound", field, "Not found: " + value);
}

std::string goQuoted(const std::string &text)
{
    return json(text).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string printed(const json &value)
{
    if (value.is_null())
        return "\"null\"";
    if (value.is_string())
        return goQuoted(value.get<std::string>());
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

const json &member(const json &object, const char *key)
{
    static const json null;
    if (!object.is_object())
        return null;
    auto it = object.find(key);
    return it == object.end() ? null : *it;
}

std::string text(const json &object, const char *key)
{
    const json &value = member(object, key);
    return value.is_string() ? value.get<std::string>() : std::string();
}

bool missing(const json &object, const char *key)
{
    const json &value = member(object, key);
    return value.is_null() || (value.is_string() && value.get_ref<const std::string &>().empty())
           || (value.is_array() && value.empty());
}

bool semanticEqual(const json &a, const json &b)
{
    if (a.is_object() && b.is_object()) {
        for (auto it = a.begin(); it != a.end(); ++it) {
            auto other = b.find(it.key());
            if (other == b.end() ? !isZero(*it) : !semanticEqual(*it, *other))
                return false;
        }
        for (auto it = b.begin(); it != b.end(); ++it) {
            if (!a.contains(it.key()) && !isZero(*it))
                return false;
        }
        return true;
    }
    if (a.is_array() && b.is_array()) {
        if (a.size() != b.size())
            return false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (!semanticEqual(a[i], b[i]))
                return false;
        }
        return true;
    }
    if (isZero(a) && isZero(b) && a.type() == b.type())
        return true;
    return a == b || (a.is_null() && isZero(b)) || (b.is_null() && isZero(a));
}

std::string goDiff(const std::string &typeName, const json &before, const json &after)
{
    std::set<std::string> keys;
    for (const json *object : {&before, &after}) {
        if (object->is_object()) {
            for (auto it = object->begin(); it != object->end(); ++it)
                keys.insert(it.key());
        }
    }
    std::string diff = "  " + typeName + "{\n";
    for (const std::string &key : keys) {
        const json &old = member(before, key.c_str());
        const json &now = member(after, key.c_str());
        if (semanticEqual(old, now))
            continue;
        // Go's field names are the JSON names capitalised.
        std::string name = key;
        if (!name.empty() && name.front() >= 'a' && name.front() <= 'z')
            name.front() = static_cast<char>(name.front() - 'a' + 'A');
        if (!old.is_null())
            diff += "- \t" + name + ": " + old.dump(-1, ' ', false, json::error_handler_t::replace)
                    + ",\n";
        if (!now.is_null())
            diff += "+ \t" + name + ": " + now.dump(-1, ' ', false, json::error_handler_t::replace)
                    + ",\n";
    }
    return diff + "  }\n";
}

} // namespace kd::lc::apiserver::registry::rules
