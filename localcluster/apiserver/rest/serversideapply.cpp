#include "serversideapply.h"

#include <core/api/yaml.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>

namespace kd::lc::apiserver::serversideapply {

using core::util::Error;
using core::util::Result;
using nlohmann::json;

namespace {

constexpr const char *kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";

std::string elementOf(const json &item, const FieldSchema::ListShape &shape)
{
    return shape.type == FieldSchema::ListShape::Type::Set ? FieldSet::valueElement(item)
                                                           : FieldSet::keyElement(item, shape.keys);
}

json mergeValue(const json &live, const json &config, std::vector<std::string> &names,
                const FieldSchema &schema);

json mergeMaps(const json &live, const json &config, std::vector<std::string> &names,
               const FieldSchema &schema)
{
    json out = live;
    for (auto it = config.begin(); it != config.end(); ++it) {
        if (it->is_null()) {
            out.erase(it.key());
            continue;
        }
        names.push_back(it.key());
        auto existing = out.find(it.key());
        out[it.key()] = existing == out.end() ? mergeValue(json(), *it, names, schema)
                                              : mergeValue(*existing, *it, names, schema);
        names.pop_back();
    }
    return out;
}

// structured-merge-diff's list merge: items only the live list has stay where they are, shared
// items follow the configuration's order, new items come where the configuration puts them.
json mergeLists(const json &live, const json &config, const FieldSchema::ListShape &shape,
                std::vector<std::string> &names, const FieldSchema &schema)
{
    std::vector<std::string> lhs, rhs;
    std::map<std::string, const json *> lhsItems, rhsItems;
    for (const json &item : live) {
        lhs.push_back(elementOf(item, shape));
        lhsItems.emplace(lhs.back(), &item);
    }
    for (const json &item : config) {
        rhs.push_back(elementOf(item, shape));
        rhsItems.emplace(rhs.back(), &item);
    }
    std::vector<std::string> shared;
    for (const std::string &element : rhs) {
        if (lhsItems.contains(element))
            shared.push_back(element);
    }
    std::size_t nextShared = 0;
    std::set<std::string> merged;
    json out = json::array();
    const auto mergeItem = [&](const std::string &element) {
        merged.insert(element);
        const json *applied = rhsItems[element];
        auto lhsItem = lhsItems.find(element);
        if (shape.type == FieldSchema::ListShape::Type::Set || lhsItem == lhsItems.end())
            out.push_back(mergeValue(json(), *applied, names, schema));
        else
            out.push_back(mergeValue(*lhsItem->second, *applied, names, schema));
        if (nextShared < shared.size() && shared[nextShared] == element)
            ++nextShared;
    };
    std::size_t l = 0, r = 0;
    while (l < lhs.size() || r < rhs.size()) {
        if (l < lhs.size() && r < rhs.size()) {
            if (lhs[l] == rhs[r]) {
                mergeItem(rhs[r]);
                ++l;
                ++r;
                continue;
            }
            if (rhsItems.contains(lhs[l]) && nextShared < shared.size()
                && shared[nextShared] != lhs[l]) {
                ++l; // a shared item, placed when the configuration reaches it
                continue;
            }
        }
        if (l < lhs.size()) {
            if (!rhsItems.contains(lhs[l])) {
                out.push_back(live[l]);
                ++l;
                continue;
            }
            if (merged.contains(lhs[l])) {
                ++l;
                continue;
            }
        }
        if (r < rhs.size()) {
            if (!merged.contains(rhs[r]))
                mergeItem(rhs[r]);
            ++r;
            continue;
        }
        ++l; // only shared items the configuration already placed are left
    }
    return out;
}

json mergeValue(const json &live, const json &config, std::vector<std::string> &names,
                const FieldSchema &schema)
{
    if (config.is_object() && !schema.isAtomicMap(names))
        return mergeMaps(live.is_object() ? live : json::object(), config, names, schema);
    if (config.is_array()) {
        const FieldSchema::ListShape shape = schema.shapeOf(names);
        if (shape.type != FieldSchema::ListShape::Type::Atomic)
            return mergeLists(live.is_array() ? live : json::array(), config, shape, names, schema);
    }
    return config;
}

// Removes the field or list item at `path` from `object`; nothing when it is not there.
void removePath(json &object, const FieldSet::Path &path, const FieldSchema &schema)
{
    json *node = &object;
    std::vector<std::string> names;
    for (std::size_t i = 0; i < path.size(); ++i) {
        const std::string &element = path[i];
        const bool last = i + 1 == path.size();
        if (element.rfind("f:", 0) == 0) {
            const std::string field = element.substr(2);
            if (!node->is_object() || !node->contains(field))
                return;
            if (last) {
                node->erase(field);
                return;
            }
            node = &(*node)[field];
            names.push_back(field);
            continue;
        }
        if (!node->is_array())
            return;
        const FieldSchema::ListShape shape = schema.shapeOf(names);
        auto item = std::find_if(node->begin(), node->end(),
                                 [&](const json &v) { return elementOf(v, shape) == element; });
        if (item == node->end())
            return;
        if (last) {
            node->erase(item);
            return;
        }
        node = &*item;
    }
}

std::string printManager(const ManagedFieldsEntry &entry)
{
    std::string text = json(entry.manager).dump();
    if (!entry.subresource.empty())
        text += " with subresource " + json(entry.subresource).dump();
    if (entry.operation == "Update")
        text += " using " + entry.apiVersion;
    return text;
}

struct Conflict
{
    const ManagedFieldsEntry *owner;
    FieldSet fields;
};

Error conflictError(const std::vector<Conflict> &conflicts)
{
    std::size_t count = 0;
    for (const Conflict &c : conflicts)
        count += c.fields.members().size();
    std::vector<const Conflict *> byManager;
    for (const Conflict &c : conflicts)
        byManager.push_back(&c);
    std::stable_sort(byManager.begin(), byManager.end(), [](const Conflict *a, const Conflict *b) {
        return printManager(*a->owner) < printManager(*b->owner);
    });
    std::string message;
    if (count == 1) {
        message = "Apply failed with 1 conflict: conflict with " + printManager(*conflicts[0].owner)
                  + ": " + FieldSet::pathString(conflicts[0].fields.members().front());
    } else {
        message = "Apply failed with " + std::to_string(count) + " conflicts: ";
        bool first = true;
        for (const Conflict *c : byManager) {
            message += (first ? "" : "\n") + std::string("conflicts with ")
                       + printManager(*c->owner) + ":";
            first = false;
            for (const FieldSet::Path &path : c->fields.members())
                message += "\n- " + FieldSet::pathString(path);
        }
    }
    Error error(Error::Code::Conflict, message);
    for (const Conflict &c : conflicts) {
        for (const FieldSet::Path &path : c.fields.members())
            error.addCause({"FieldManagerConflict", "conflict with " + printManager(*c.owner),
                            FieldSet::pathString(path)});
    }
    return error;
}

json withoutManagedFields(json object)
{
    if (object.is_object() && object.contains("metadata") && object["metadata"].is_object())
        object["metadata"].erase("managedFields");
    return object;
}

// Upstream's lastAppliedManager: the fields of the client-side apply annotation whose values
// the live object still has.
FieldSet lastAppliedFields(const json &live, const FieldSchema &schema)
{
    const json annotation = live.value("/metadata/annotations"_json_pointer / kLastApplied, json());
    if (!annotation.is_string())
        return {};
    const json lastApplied = json::parse(annotation.get<std::string>(), nullptr, false);
    if (!lastApplied.is_object())
        return {};
    const FieldComparison diff = compareObjects(lastApplied, live, schema);
    return FieldSet::fromObject(lastApplied, schema)
        .difference(diff.modified)
        .difference(diff.added)
        .difference(diff.removed);
}

} // namespace

Result<json> parseConfiguration(std::string_view body)
{
    auto parsed = core::api::parseJsonOrYaml(body);
    if (!parsed)
        return Error(Error::Code::BadRequest, "error decoding YAML: " + parsed.error().message());
    if (!parsed->is_object())
        return Error(Error::Code::BadRequest,
                     "error decoding YAML: error unmarshaling JSON: while decoding JSON: json: "
                     "cannot unmarshal "
                         + std::string(parsed->is_array() ? "array" : parsed->type_name())
                         + " into Go value of type map[string]interface {}");
    return std::move(*parsed);
}

Result<void> checkConfiguration(const json &configuration, const std::string &apiVersion,
                                const std::string &kind)
{
    const json version = configuration.value("apiVersion", json());
    const json configKind = configuration.value("kind", json());
    if (!version.is_string() || version.get<std::string>().empty() || !configKind.is_string()
        || configKind.get<std::string>().empty())
        return Error(Error::Code::BadRequest,
                     "Object 'Kind' is missing in '" + configuration.dump() + "'");
    if (version != apiVersion)
        return Error(Error::Code::BadRequest,
                     "Incorrect version specified in apply patch. Specified patch version: "
                         + version.get<std::string>() + ", expected: " + apiVersion);
    if (configKind != kind)
        return Error(Error::Code::BadRequest,
                     "Incorrect kind specified in apply patch. Specified patch kind: "
                         + configKind.get<std::string>() + ", expected: " + kind);
    const json metadata = configuration.value("metadata", json::object());
    if (!metadata.is_object())
        return Error(Error::Code::BadRequest, "metadata must be an object");
    if (metadata.contains("managedFields") && !metadata["managedFields"].is_null())
        return Error(Error::Code::BadRequest, "metadata.managedFields must be nil");
    return {};
}

json merge(const json &live, const json &configuration, const FieldSchema &schema)
{
    std::vector<std::string> names;
    return mergeValue(live.is_object() ? live : json::object(), configuration, names, schema);
}

Result<json> apply(const json &live, const json &configuration,
                   const managedfields::WriteScope &scope, bool force)
{
    const bool exists = live.is_object();
    std::vector<ManagedFieldsEntry> managers;
    if (exists) {
        auto decoded
            = managedfields::decode(live.value("/metadata/managedFields"_json_pointer, json()));
        if (!decoded)
            return Error(Error::Code::Internal,
                         "failed to decode managed fields: " + decoded.error().message());
        managers = std::move(*decoded);
    }
    const json before = exists ? withoutManagedFields(live) : json::object();
    if (exists && managers.empty()) {
        // An object no one manages yet: everything it holds belongs to a placeholder manager,
        // so that the first apply conflicts where it changes existing values.
        ManagedFieldsEntry placeholder;
        placeholder.manager = "before-first-apply";
        placeholder.operation = "Update";
        placeholder.apiVersion = before.value("apiVersion", scope.apiVersion);
        placeholder.time = scope.time;
        placeholder.fields
            = managedfields::owned(FieldSet::fromObject(before, scope.schema), scope);
        managers.push_back(std::move(placeholder));
    }

    std::vector<std::string> errors;
    const FieldSet applied
        = managedfields::owned(FieldSet::fromObject(configuration, scope.schema, &errors), scope);
    if (!errors.empty()) {
        Error error(Error::Code::Invalid, "failed to create typed patch object: " + errors.front());
        return error;
    }

    ManagedFieldsEntry mine;
    mine.manager = scope.manager;
    mine.operation = "Apply";
    mine.apiVersion = scope.apiVersion;
    mine.subresource = scope.subresource;
    auto previous = std::find_if(managers.begin(), managers.end(),
                                 [&](const ManagedFieldsEntry &e) { return e.sameOwner(mine); });
    FieldSet lastSet;
    if (previous != managers.end()) {
        lastSet = previous->fields;
        mine.time = previous->time;
        managers.erase(previous);
    }
    // Everything someone still holds, this apply included.
    FieldSet held = applied;
    for (const ManagedFieldsEntry &e : managers)
        held = held.united(e.fields);

    json merged = merge(before, configuration, scope.schema);
    // What this manager applied last time and no longer does goes, unless it (or something
    // below it) is still held: a map this manager owned whole keeps the keys it still applies.
    for (const FieldSet::Path &path : lastSet.difference(applied).members()) {
        if (!held.containsPrefix(path))
            removePath(merged, path, scope.schema);
    }

    const FieldComparison diff = compareObjects(before, merged, scope.schema);
    const FieldSet changed = managedfields::owned(diff.modified.united(diff.added), scope);
    const FieldSet removed = managedfields::owned(diff.removed, scope);
    std::vector<Conflict> conflicts;
    for (const ManagedFieldsEntry &e : managers) {
        FieldSet taken = e.fields.intersection(changed);
        if (!taken.empty())
            conflicts.push_back({&e, std::move(taken)});
    }
    if (!conflicts.empty() && !force && scope.manager == "kubectl") {
        // kubectl's first server-side apply after client-side applies: fields the last-applied
        // annotation holds with their live values were kubectl's all along and may be taken.
        const FieldSet allowed = lastAppliedFields(before, scope.schema);
        std::erase_if(conflicts, [&](Conflict &c) {
            c.fields = c.fields.difference(allowed);
            return c.fields.empty();
        });
    }
    if (!conflicts.empty() && !force)
        return conflictError(conflicts);
    for (ManagedFieldsEntry &e : managers)
        e.fields = e.fields.difference(changed).difference(removed);

    if (merged != before)
        mine.time = scope.time;
    mine.fields = applied;
    managers.push_back(std::move(mine));
    for (ManagedFieldsEntry &e : managers)
        e.fields = e.fields.difference(managedfields::strippedFields());

    // kubectl's own manager keeps a client-side apply annotation in step with what it applies,
    // so that a later client-side apply computes its patch from the right base.
    if (scope.manager == "kubectl" && exists
        && live.contains("/metadata/annotations"_json_pointer / kLastApplied)) {
        json lastApplied = configuration;
        if (lastApplied.contains("/metadata/annotations"_json_pointer))
            lastApplied["metadata"]["annotations"].erase(kLastApplied);
        merged["metadata"]["annotations"][kLastApplied] = lastApplied.dump();
    }
    managedfields::store(merged, std::move(managers));
    return merged;
}

} // namespace kd::lc::apiserver::serversideapply
