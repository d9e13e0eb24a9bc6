#include "managedfields.h"
#include "objectrules.h"
#include "strategicmergepatch.h"

#include <localcluster/apiserver/crd/applyschema.h>
#include <localcluster/apiserver/resourcecatalog.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <tuple>

namespace kd::lc::apiserver {

using core::util::Error;
using core::util::Result;
using nlohmann::json;

bool ManagedFieldsEntry::sameOwner(const ManagedFieldsEntry &other) const
{
    return manager == other.manager && operation == other.operation
           && subresource == other.subresource
           && (operation == "Apply" || apiVersion == other.apiVersion);
}

namespace managedfields {

namespace {

constexpr std::size_t kMaxManagerLength = 128;

std::string text(const json &object, const char *field)
{
    auto it = object.find(field);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const json *managedFieldsOf(const json &object)
{
    if (!object.is_object())
        return nullptr;
    auto metadata = object.find("metadata");
    if (metadata == object.end() || !metadata->is_object())
        return nullptr;
    auto list = metadata->find("managedFields");
    return list == metadata->end() ? nullptr : &*list;
}

// The member a path of field elements ("f:status") names, or null.
const json *memberAt(const json &object, const FieldSet::Path &path)
{
    const json *node = &object;
    for (const std::string &element : path) {
        if (!node->is_object() || element.rfind("f:", 0) != 0)
            return nullptr;
        auto it = node->find(std::string_view(element).substr(2));
        if (it == node->end())
            return nullptr;
        node = &*it;
    }
    return path.empty() ? nullptr : node;
}

// Upstream's isResetManagedFields: `[]` or `[{}]` asks for an empty managedFields.
bool isReset(const json &list)
{
    return list.is_array() && (list.empty() || (list.size() == 1 && list[0] == json::object()));
}

std::vector<ManagedFieldsEntry> decodeOrEmpty(const json *list)
{
    if (!list)
        return {};
    auto decoded = decode(*list);
    return decoded ? std::move(*decoded) : std::vector<ManagedFieldsEntry>();
}

// Upstream's capManagersManager after an Update: beyond 10 Update entries, the oldest (by
// time, then identity) are folded per apiVersion into one "ancient-changes" Update entry. The
// first old entry of an apiVersion stays as it is until a second one of that version joins it.
void capUpdateManagers(std::vector<ManagedFieldsEntry> &managers)
{
    constexpr std::size_t kMaxUpdateManagers = 10;
    std::erase_if(managers, [](const ManagedFieldsEntry &e) { return e.fields.empty(); });
    std::vector<std::size_t> updaters;
    for (std::size_t i = 0; i < managers.size(); ++i)
        if (managers[i].operation != "Apply")
            updaters.push_back(i);
    if (updaters.size() <= kMaxUpdateManagers)
        return;
    std::sort(updaters.begin(), updaters.end(), [&](std::size_t a, std::size_t b) {
        const ManagedFieldsEntry &p = managers[a], &q = managers[b];
        // RFC 3339 in UTC with whole seconds: text order is time order; no time sorts first.
        return std::tie(p.time, p.manager, p.operation, p.apiVersion, p.subresource)
               < std::tie(q.time, q.manager, q.operation, q.apiVersion, q.subresource);
    });
    std::vector<bool> dropped(managers.size(), false);
    std::map<std::string, std::size_t> firstOfVersion;
    std::size_t length = updaters.size();
    for (std::size_t i = 0; i < updaters.size() && length > kMaxUpdateManagers; ++i) {
        const std::size_t index = updaters[i];
        const std::string version = managers[index].apiVersion;
        auto first = firstOfVersion.find(version);
        if (first == firstOfVersion.end()) {
            firstOfVersion.emplace(version, index);
            continue;
        }
        ManagedFieldsEntry bucket;
        bucket.manager = "ancient-changes";
        bucket.operation = "Update";
        bucket.apiVersion = version;
        auto existing = std::find_if(managers.begin(), managers.end(), [&](const auto &e) {
            return !dropped[static_cast<std::size_t>(&e - managers.data())] && e.sameOwner(bucket);
        });
        std::size_t target = 0;
        if (existing == managers.end()) {
            // The first entry of this version becomes the bucket.
            target = first->second;
            managers[target].manager = bucket.manager;
            managers[target].operation = bucket.operation;
            managers[target].subresource.clear();
        } else {
            target = static_cast<std::size_t>(existing - managers.begin());
        }
        managers[target].fields.uniteWith(std::move(managers[index].fields));
        managers[target].time = managers[index].time; // the newer of the two
        dropped[index] = true;
        --length;
    }
    std::vector<ManagedFieldsEntry> kept;
    for (std::size_t i = 0; i < managers.size(); ++i)
        if (!dropped[i])
            kept.push_back(std::move(managers[i]));
    managers = std::move(kept);
}

} // namespace

Result<std::string> managerFor(std::string_view fieldManager, std::string_view userAgent,
                               const std::string &optionsKind)
{
    if (fieldManager.empty())
        return std::string(userAgent.substr(0, userAgent.find('/')));
    std::vector<Error::Cause> causes;
    if (fieldManager.size() > kMaxManagerLength)
        causes.push_back(
            {"FieldValueTooLong", "Too long: may not be more than 128 bytes", "fieldManager"});
    for (std::size_t i = 0; i < fieldManager.size(); ++i) {
        const auto c = static_cast<unsigned char>(fieldManager[i]);
        if (c < 0x20 || c == 0x7f) {
            causes.push_back({"FieldValueInvalid",
                              "Invalid value: " + json(std::string(fieldManager)).dump()
                                  + ": non-printable character",
                              "fieldManager[" + std::to_string(i) + "]"});
        }
    }
    if (causes.empty())
        return std::string(fieldManager);
    std::string message = optionsKind + ".meta.k8s.io \"\" is invalid: ";
    if (causes.size() > 1)
        message += "[";
    for (std::size_t i = 0; i < causes.size(); ++i)
        message += (i ? ", " : "") + causes[i].field + ": " + causes[i].message;
    if (causes.size() > 1)
        message += "]";
    Error error(Error::Code::Invalid, message);
    for (auto &cause : causes)
        error.addCause(std::move(cause));
    return error;
}

Result<std::vector<ManagedFieldsEntry>> decode(const json &list)
{
    if (list.is_null())
        return std::vector<ManagedFieldsEntry>();
    if (!list.is_array())
        return Error(Error::Code::Decode, "managedFields must be a list");
    std::vector<ManagedFieldsEntry> out;
    for (const json &item : list) {
        if (!item.is_object())
            return Error(Error::Code::Decode, "managed fields entries must be objects");
        ManagedFieldsEntry entry;
        entry.manager = text(item, "manager");
        entry.operation = text(item, "operation");
        entry.apiVersion = text(item, "apiVersion");
        entry.time = text(item, "time");
        entry.subresource = text(item, "subresource");
        const std::string type = text(item, "fieldsType");
        if (type.empty())
            return Error(Error::Code::Decode, "missing fieldsType in managed fields entry");
        if (type != "FieldsV1")
            return Error(Error::Code::Decode,
                         "invalid fieldsType \"" + type + "\" in managed fields entry");
        static const json kNoFields = json::object();
        const auto fieldsV1 = item.find("fieldsV1");
        auto fields = FieldSet::fromFieldsV1(fieldsV1 != item.end() ? *fieldsV1 : kNoFields);
        if (!fields)
            return fields.error();
        entry.fields = std::move(*fields);
        auto same = std::find_if(out.begin(), out.end(),
                                 [&](const ManagedFieldsEntry &e) { return e.sameOwner(entry); });
        if (same != out.end())
            *same = std::move(entry);
        else
            out.push_back(std::move(entry));
    }
    return out;
}

json encode(std::vector<ManagedFieldsEntry> entries)
{
    std::erase_if(entries, [](const ManagedFieldsEntry &e) { return e.fields.empty(); });
    std::stable_sort(entries.begin(), entries.end(),
                     [](const ManagedFieldsEntry &p, const ManagedFieldsEntry &q) {
                         if (p.operation != q.operation)
                             return p.operation < q.operation;
                         if (p.time != q.time)
                             return p.time < q.time;
                         if (p.manager != q.manager)
                             return p.manager < q.manager;
                         if (p.apiVersion != q.apiVersion)
                             return p.apiVersion < q.apiVersion;
                         return p.subresource < q.subresource;
                     });
    json out = json::array();
    for (const ManagedFieldsEntry &e : entries) {
        // Assigned one by one: an initializer list would copy the fieldsV1 tree.
        json item = json::object();
        item["manager"] = e.manager;
        item["operation"] = e.operation;
        item["apiVersion"] = e.apiVersion;
        item["fieldsType"] = "FieldsV1";
        item["fieldsV1"] = e.fields.toFieldsV1();
        if (!e.time.empty())
            item["time"] = e.time;
        if (!e.subresource.empty())
            item["subresource"] = e.subresource;
        out.push_back(std::move(item));
    }
    return out;
}

void store(json &object, std::vector<ManagedFieldsEntry> entries)
{
    json list = encode(std::move(entries));
    if (!object.contains("metadata") || !object["metadata"].is_object())
        object["metadata"] = json::object();
    if (list.empty())
        object["metadata"].erase("managedFields");
    else
        object["metadata"]["managedFields"] = std::move(list);
}

FieldSchema schemaFor(const ResourceInfo &resource)
{
    using Shape = FieldSchema::ListShape;
    FieldSchema schema;
    // Custom resources: the list and map types of the CRD's structural schema.
    if (resource.custom)
        return crd::applySchema(resource);
    const bool isService = resource.group.empty() && resource.resource == "services";
    // The kind's own strategies: the kind-less lookup scans every built-in type per list, which
    // made managedFields bookkeeping the largest cost of a create.
    schema.listShape = [isService, gvk = resource.gvk()](const std::vector<std::string> &path) {
        // Server-side apply keys some lists by more fields than the strategic merge key.
        if (!path.empty() && path.back() == "topologySpreadConstraints")
            return Shape{Shape::Type::Map, {"topologyKey", "whenUnsatisfiable"}};
        if (isService && path.size() == 2 && path[0] == "spec" && path[1] == "ports")
            return Shape{Shape::Type::Map, {"port", "protocol"}};
        const ListMergeStrategy strategy = listMergeStrategy(gvk, path);
        switch (strategy.kind) {
        case ListMergeStrategy::Kind::MergeByKey:
            if (strategy.mergeKey == "containerPort")
                return Shape{Shape::Type::Map, {"containerPort", "protocol"}};
            return Shape{Shape::Type::Map, {strategy.mergeKey}};
        case ListMergeStrategy::Kind::MergePrimitive:
            return Shape{Shape::Type::Set, {}};
        case ListMergeStrategy::Kind::Replace:
            break;
        }
        return Shape{};
    };
    schema.atomicMap = [](const std::vector<std::string> &path) {
        if (path.empty())
            return false;
        const std::string &field = path.back();
        // LabelSelector and the key selectors are atomic structs; Service.spec.selector and
        // PodSpec.nodeSelector are atomic maps.
        if (field == "selector")
            return path.size() >= 2 && path[path.size() - 2] == "spec";
        return field == "labelSelector" || field == "namespaceSelector" || field == "nodeSelector"
               || field == "secretKeyRef" || field == "configMapKeyRef" || field == "fieldRef"
               || field == "resourceFieldRef";
    };
    return schema;
}

json zeroObject(const ResourceInfo &resource)
{
    // Custom resources are unstructured: their zero value is an empty object.
    if (resource.custom)
        return json::object();
    json object = {{"metadata", json::object()}};
    const std::string &r = resource.resource;
    const json podTemplate = {{"metadata", json::object()}, {"spec", {{"containers", nullptr}}}};
    if (resource.group.empty()) {
        if (r == "pods") {
            object["spec"] = {{"containers", nullptr}};
            object["status"] = json::object();
        } else if (r == "services") {
            object["spec"] = json::object();
            object["status"] = {{"loadBalancer", json::object()}};
        } else if (r == "namespaces" || r == "nodes" || r == "persistentvolumes"
                   || r == "persistentvolumeclaims" || r == "replicationcontrollers"
                   || r == "resourcequotas" || r == "limitranges") {
            object["spec"] = json::object();
            object["status"] = json::object();
        }
    } else if (resource.group == "apps") {
        object["spec"] = {{"selector", nullptr}, {"template", podTemplate}};
        object["status"] = json::object();
        if (r == "deployments")
            object["spec"]["strategy"] = json::object();
        else if (r == "statefulsets" || r == "daemonsets")
            object["spec"]["updateStrategy"] = json::object();
    } else if (resource.group == "batch") {
        if (r == "jobs")
            object["spec"] = {{"template", podTemplate}};
        else if (r == "cronjobs")
            object["spec"]
                = {{"jobTemplate",
                    {{"metadata", json::object()}, {"spec", {{"template", podTemplate}}}}}};
        object["status"] = json::object();
    } else if (objectrules::hasStatusSubresource(resource)) {
        object["spec"] = json::object();
        object["status"] = json::object();
    }
    return object;
}

WriteScope scopeFor(const ResourceInfo &resource, const std::string &subresource,
                    std::string manager, std::string time)
{
    WriteScope scope;
    scope.manager = std::move(manager);
    scope.apiVersion = resource.groupVersion();
    scope.subresource = subresource;
    scope.time = std::move(time);
    scope.schema = schemaFor(resource);
    if (subresource.empty()) {
        if (objectrules::hasStatusSubresource(resource))
            scope.ignored.push_back({"f:status"});
        // Set by the namespace registry on create, owned by no one.
        if (resource.group.empty() && resource.resource == "namespaces")
            scope.ignored.push_back({"f:spec", "f:finalizers"});
    } else if (subresource == "status") {
        scope.ignored = {{"f:spec"}, {"f:metadata"}};
    }
    return scope;
}

namespace {

// Built once: every write subtracts it several times.
const FieldSet &strippedSet()
{
    static const FieldSet set = [] {
        FieldSet fields;
        fields.insert({"f:apiVersion"});
        fields.insert({"f:kind"});
        fields.insert({"f:metadata"});
        for (const char *field : {"name", "namespace", "creationTimestamp", "selfLink", "uid",
                                  "clusterName", "generation", "managedFields", "resourceVersion"})
            fields.insert({"f:metadata", std::string("f:") + field});
        return fields;
    }();
    return set;
}

} // namespace

FieldSet strippedFields()
{
    return strippedSet();
}

namespace {

void keepOwned(FieldSet &set, const WriteScope &scope)
{
    set.subtract(strippedSet());
    for (const FieldSet::Path &path : scope.ignored)
        set.erasePrefix(path);
}

} // namespace

FieldSet owned(const FieldSet &set, const WriteScope &scope)
{
    FieldSet out = set;
    keepOwned(out, scope);
    return out;
}

Result<void> recordUpdate(const json &live, json &updated, const WriteScope &scope)
{
    const json *liveList = managedFieldsOf(live);
    const json *newList = managedFieldsOf(updated);
    std::vector<ManagedFieldsEntry> managers;
    if (!scope.subresource.empty() || !newList) {
        managers = decodeOrEmpty(liveList);
    } else if (isReset(*newList)) {
        managers.clear();
    } else {
        auto decoded = decode(*newList);
        if (decoded && !decoded->empty())
            managers = std::move(*decoded);
        else
            managers = decodeOrEmpty(liveList);
    }

    // upstream validates what ends up stored (ValidateManagedFields).
    Error invalid(Error::Code::Invalid, "managedFields is invalid");
    for (std::size_t i = 0; i < managers.size(); ++i) {
        const std::string &op = managers[i].operation;
        if (op != "Apply" && op != "Update")
            invalid.addCause({"FieldValueInvalid",
                              "Invalid value: " + json(op).dump() + ": must be `Apply` or `Update`",
                              "metadata.managedFields[" + std::to_string(i) + "].operation"});
        if (managers[i].manager.size() > kMaxManagerLength)
            invalid.addCause({"FieldValueTooLong", "Too long: may not be more than 128 bytes",
                              "metadata.managedFields[" + std::to_string(i) + "].manager"});
    }
    if (!invalid.causes().empty())
        return invalid;

    // The comparison must not see managedFields. `updated` gets its list from store() below, so
    // the client's list (already decoded) is dropped in place; `live`'s is skipped by the
    // comparison instead of copying the whole object without it. The scope's ignored subtrees
    // (a pod's status, say) are skipped too: their differences would only be dropped below.
    if (newList)
        updated["metadata"].erase("managedFields");
    std::vector<const json *> skipped;
    if (liveList)
        skipped.push_back(liveList);
    for (const FieldSet::Path &path : scope.ignored) {
        for (const json *side : {&live, static_cast<const json *>(&updated)}) {
            if (const json *member = memberAt(*side, path))
                skipped.push_back(member);
        }
    }
    FieldComparison diff = compareObjects(live, updated, scope.schema, skipped);
    // The sets are combined in place: copying them was most of the cost of a write.
    FieldSet changed = std::move(diff.modified);
    changed.uniteWith(std::move(diff.added));
    keepOwned(changed, scope);
    FieldSet &removed = diff.removed;
    keepOwned(removed, scope);
    for (ManagedFieldsEntry &entry : managers)
        entry.fields.subtract(changed).subtract(removed);

    if (!changed.empty()) {
        ManagedFieldsEntry mine;
        mine.manager = scope.manager;
        mine.operation = "Update";
        mine.apiVersion = scope.apiVersion;
        mine.subresource = scope.subresource;
        auto existing
            = std::find_if(managers.begin(), managers.end(),
                           [&](const ManagedFieldsEntry &e) { return e.sameOwner(mine); });
        if (existing == managers.end())
            existing = managers.insert(managers.end(), std::move(mine));
        existing->fields.uniteWith(std::move(changed));
        existing->time = scope.time;
    }
    for (ManagedFieldsEntry &entry : managers)
        entry.fields.subtract(strippedSet());
    capUpdateManagers(managers);
    store(updated, std::move(managers));
    return {};
}

} // namespace managedfields

} // namespace kd::lc::apiserver
