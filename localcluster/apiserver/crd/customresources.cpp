#include "customresources.h"

#include "definitionvalidation.h"
#include "structuralschema.h"

#include <localcluster/apiserver/jsonpath.h>
#include <localcluster/apiserver/resourcecatalog.h>
#include <localcluster/apiserver/rest/objectrules.h>
#include <localcluster/apiserver/rest/scale.h>
#include <localcluster/storage/store.h>

#include <core/util/error.h>
#include <core/util/log.h>
#include <core/util/time.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <optional>

namespace kd::lc::apiserver::crd {

using core::util::Error;
using core::util::Result;
using nlohmann::json;

namespace {

const core::util::LogCategory lcCrd{"kd.lc.apiserver.crd"};

const storage::GroupResource kDefinitions{"apiextensions.k8s.io", "customresourcedefinitions"};

// Attempts of a read-modify-write of a CRD that lost a race with another writer.
constexpr int kMaxAttempts = 10;

std::string text(const json &object, const json::json_pointer &pointer)
{
    const json value = valueAt(object, pointer);
    return value.is_string() ? value.get<std::string>() : std::string();
}

std::vector<std::string> strings(const json &value)
{
    std::vector<std::string> out;
    if (value.is_array())
        for (const json &v : value)
            if (v.is_string())
                out.push_back(v.get<std::string>());
    return out;
}

// ".spec.replicas" as the JSON pointer "/spec/replicas"; empty for anything else.
std::string pointerOf(const std::string &path)
{
    if (path.size() < 2 || path.front() != '.')
        return {};
    std::string out;
    for (char c : path) {
        if (c == '.')
            out += '/';
        else if (c == '~')
            out += "~0";
        else if (c == '/')
            out += "~1";
        else
            out += c;
    }
    return out;
}

json conditionOf(const json &crd, const std::string &type)
{
    const json conditions = valueAt(crd, "/status/conditions"_json_pointer, json::array());
    if (conditions.is_array())
        for (const json &c : conditions)
            if (c.is_object() && c.value("type", json()) == type)
                return c;
    return nullptr;
}

// Sets one status condition, keeping lastTransitionTime while its status stays; false when
// nothing changed.
bool setCondition(json &crd, const std::string &type, const std::string &status,
                  const std::string &reason, const std::string &message)
{
    json &conditions = crd["status"]["conditions"];
    if (!conditions.is_array())
        conditions = json::array();
    json condition = {{"type", type},
                      {"status", status},
                      {"reason", reason},
                      {"message", message},
                      {"lastTransitionTime", core::util::formatRfc3339(core::util::Clock::now())}};
    for (json &c : conditions) {
        if (!c.is_object() || c.value("type", json()) != type)
            continue;
        if (c.value("status", json()) == status && c.contains("lastTransitionTime"))
            condition["lastTransitionTime"] = c["lastTransitionTime"];
        if (c == condition)
            return false;
        c = std::move(condition);
        return true;
    }
    conditions.push_back(std::move(condition));
    return true;
}

// Upstream's text for a deprecated version without a deprecationWarning: it names the
// preferred served version that is newer and not deprecated, when there is one.
std::string defaultDeprecationWarning(const json &crd, const std::string &deprecated)
{
    const std::string group = text(crd, "/spec/group"_json_pointer);
    const std::string kind = text(crd, "/spec/names/kind"_json_pointer);
    std::string message = group + "/" + deprecated + " " + kind + " is deprecated";
    std::string newest;
    for (const json &v : valueAt(crd, "/spec/versions"_json_pointer, json::array())) {
        if (!v.is_object() || !v.value("served", false) || v.value("deprecated", false)
            || !v.value("name", json()).is_string())
            continue;
        const std::string name = v["name"].get<std::string>();
        if (!ResourceCatalog::versionPrecedes(name, deprecated))
            continue;
        if (newest.empty() || ResourceCatalog::versionPrecedes(name, newest))
            newest = name;
    }
    if (!newest.empty())
        message += "; use " + group + "/" + newest + " " + kind;
    return message;
}

} // namespace

struct CustomResources::Definition
{
    std::string group;
    std::string plural;
    std::string singular;
    std::string kind;
    std::string listKind;
    std::vector<std::string> shortNames;
    std::map<std::string, json> schemas;         // by version name
    std::map<std::string, json> scales;          // by version name: subresources.scale
    std::map<std::string, std::string> warnings; // by version name: deprecation warning
    std::string storageVersion;
    bool webhookConversion = false;
    // Deleted and waiting for its cleanup: still served, but creates are refused.
    bool terminating = false;
};

// The watch on CRDs and who applies its events; `owner` is cleared under `mutex` when the
// CustomResources stops, so a notify that races with the shutdown finds nobody to call.
struct CustomResources::Follower
{
    std::mutex mutex;
    CustomResources *owner = nullptr;
    std::shared_ptr<storage::Watcher> watcher;
};

CustomResources::CustomResources(storage::Store &store, ResourceCatalog &catalog)
    : m_store(store)
    , m_catalog(catalog)
    , m_follower(std::make_shared<Follower>())
{}

CustomResources::~CustomResources()
{
    stop();
}

bool CustomResources::isDefinition(const ResourceInfo &resource)
{
    return resource.group == kDefinitions.group && resource.resource == kDefinitions.resource
           && !resource.custom;
}

Result<void> CustomResources::start()
{
    {
        std::lock_guard lock(m_cleanupMutex);
        if (m_cleanupThread.joinable())
            return Error(Error::Code::Internal, "custom resources are already served");
        m_stopping = false;
        m_cleanupThread = std::thread([this] { cleanupLoop(); });
    }
    std::lock_guard lock(m_follower->mutex);
    // The notify runs on the Store's writer thread before the write is acknowledged; draining
    // there is what makes a created CRD visible in discovery when its create returns.
    std::weak_ptr<Follower> follower = m_follower;
    auto listed = m_store.listAndWatch(kDefinitions, std::nullopt, [follower] {
        if (auto f = follower.lock())
            drain(*f);
    });
    if (!listed)
        return Error(listed.error()).prefix("watching customresourcedefinitions: ");
    m_follower->owner = this;
    m_follower->watcher = listed->watcher;
    for (const storage::ObjectRef &item : listed->list.items)
        apply(item->object(), false);
    return {};
}

void CustomResources::stop()
{
    {
        std::lock_guard lock(m_follower->mutex);
        if (m_follower->watcher)
            m_follower->watcher->stop();
        m_follower->watcher.reset();
        m_follower->owner = nullptr;
    }
    {
        std::lock_guard lock(m_cleanupMutex);
        m_stopping = true;
    }
    m_cleanupWake.notify_all();
    if (m_cleanupThread.joinable())
        m_cleanupThread.join();
}

void CustomResources::drain(Follower &follower)
{
    std::lock_guard lock(follower.mutex);
    if (!follower.watcher || !follower.owner)
        return;
    for (;;) {
        auto events = follower.watcher->next(std::chrono::milliseconds(0));
        if (!events) {
            lcCrd.warning("the watch on customresourcedefinitions ended: "
                          + events.error().message());
            follower.watcher.reset();
            return;
        }
        if (events->empty())
            return;
        for (const storage::WatchEvent &event : *events)
            follower.owner->apply(event.object->object(),
                                  event.type == storage::WatchEvent::Type::Deleted);
    }
}

void CustomResources::apply(const json &crd, bool deleted)
{
    const std::string name = text(crd, "/metadata/name"_json_pointer);
    const std::string group = text(crd, "/spec/group"_json_pointer);
    const std::string plural = text(crd, "/spec/names/plural"_json_pointer);
    const bool deleting = !valueAt(crd, "/metadata/deletionTimestamp"_json_pointer).is_null();
    const bool accepted = conditionOf(crd, "NamesAccepted").value("status", json()) == "True";

    const auto unregister = [&] {
        m_catalog.removeCustomResource(group, plural);
        std::unique_lock lock(m_definitionsMutex);
        m_definitions.erase(name);
    };
    if (!deleted && deleting) {
        const std::vector<std::string> finalizers
            = strings(valueAt(crd, "/metadata/finalizers"_json_pointer));
        if (std::find(finalizers.begin(), finalizers.end(), kCleanupFinalizer)
            != finalizers.end()) {
            std::lock_guard lock(m_cleanupMutex);
            if (std::find(m_cleanupQueue.begin(), m_cleanupQueue.end(), name)
                == m_cleanupQueue.end())
                m_cleanupQueue.push_back(name);
            m_cleanupWake.notify_all();
        }
    }
    // A terminating CRD stays served (its objects' finalizers must still be removable) until
    // it is gone; only creates are refused then.
    if (deleted || !accepted) {
        unregister();
        return;
    }

    auto versions = ResourceInfo::fromCustomResourceDefinition(crd);
    if (!versions || versions->empty()) {
        if (!versions)
            lcCrd.warning("not serving " + name + ": " + versions.error().message());
        unregister();
        return;
    }
    auto definition = std::make_shared<Definition>();
    definition->group = group;
    definition->plural = plural;
    definition->singular = versions->front().singular;
    definition->kind = versions->front().kind;
    definition->listKind = versions->front().listKind;
    definition->shortNames = versions->front().shortNames;
    definition->storageVersion = versions->front().storageVersion.version;
    definition->webhookConversion
        = text(crd, "/spec/conversion/strategy"_json_pointer) == "Webhook";
    definition->terminating = deleting;
    const json specVersions = valueAt(crd, "/spec/versions"_json_pointer, json::array());
    for (const json &v : specVersions) {
        if (!v.is_object() || !v.value("name", json()).is_string())
            continue;
        const std::string version = v["name"].get<std::string>();
        definition->schemas[version]
            = valueAt(v, "/schema/openAPIV3Schema"_json_pointer, json::object());
        const json scale = valueAt(v, "/subresources/scale"_json_pointer);
        if (scale.is_object())
            definition->scales[version] = scale;
        if (v.value("deprecated", false)) {
            const json warning = v.value("deprecationWarning", json());
            definition->warnings[version] = warning.is_string()
                                                ? warning.get<std::string>()
                                                : defaultDeprecationWarning(crd, version);
        }
    }
    for (ResourceInfo &info : *versions) {
        auto schema = definition->schemas.find(info.version);
        if (schema != definition->schemas.end())
            info.openApiSchema = std::make_shared<const json>(schema->second);
    }
    if (auto ok = m_catalog.setCustomResource(std::move(*versions)); !ok) {
        lcCrd.warning("not serving " + name + ": " + ok.error().message());
        unregister();
        return;
    }
    std::unique_lock lock(m_definitionsMutex);
    m_definitions[name] = std::move(definition);
}

std::shared_ptr<const CustomResources::Definition>
CustomResources::definition(const ResourceInfo &resource) const
{
    std::shared_lock lock(m_definitionsMutex);
    auto it = m_definitions.find(resource.resource + "." + resource.group);
    return it == m_definitions.end() ? nullptr : it->second;
}

void CustomResources::completeStatus(json &crd, const json *previous) const
{
    const json names = valueAt(crd, "/spec/names"_json_pointer, json::object());
    const std::string name = text(crd, "/metadata/name"_json_pointer);
    const std::string group = text(crd, "/spec/group"_json_pointer);
    const std::string plural = names.value("plural", std::string());
    const std::string singular = names.value("singular", std::string());
    const std::string kind = names.value("kind", std::string());
    const std::string listKind = names.value("listKind", std::string());
    const std::vector<std::string> shortNames = strings(names.value("shortNames", json()));

    // Names another CRD of the same group already holds (what upstream's naming controller
    // compares against).
    std::string reason, message;
    {
        std::shared_lock lock(m_definitionsMutex);
        for (const auto &[otherName, other] : m_definitions) {
            if (otherName == name || other->group != group)
                continue;
            std::vector<std::string> resourceNames{other->plural, other->singular};
            resourceNames.insert(resourceNames.end(), other->shortNames.begin(),
                                 other->shortNames.end());
            const auto taken = [&](const std::string &n) {
                return !n.empty()
                       && std::find(resourceNames.begin(), resourceNames.end(), n)
                              != resourceNames.end();
            };
            const auto conflict = [&](const char *why, const std::string &n) {
                if (reason.empty()) {
                    reason = why;
                    message = "\"" + n + "\" is already in use";
                }
            };
            if (taken(plural))
                conflict("PluralConflict", plural);
            if (taken(singular))
                conflict("SingularConflict", singular);
            for (const std::string &s : shortNames)
                if (taken(s))
                    conflict("ShortNamesConflict", s);
            if (kind == other->kind || kind == other->listKind)
                conflict("KindConflict", kind);
            if (listKind == other->kind || listKind == other->listKind)
                conflict("ListKindConflict", listKind);
        }
    }

    const std::string now = core::util::formatRfc3339(core::util::Clock::now());
    const auto condition = [&](const std::string &type, bool status, const std::string &why,
                               const std::string &text) {
        json c = {{"type", type},
                  {"status", status ? "True" : "False"},
                  {"reason", why},
                  {"message", text},
                  {"lastTransitionTime", now}};
        const json before = previous ? conditionOf(*previous, type) : json();
        if (before.is_object() && before.value("status", json()) == c["status"]
            && before.contains("lastTransitionTime"))
            c["lastTransitionTime"] = before["lastTransitionTime"];
        return c;
    };

    json status = json::object();
    const bool accepted = reason.empty();
    if (accepted) {
        json acceptedNames
            = {{"plural", plural}, {"singular", singular}, {"kind", kind}, {"listKind", listKind}};
        if (!shortNames.empty())
            acceptedNames["shortNames"] = shortNames;
        if (names.contains("categories"))
            acceptedNames["categories"] = names["categories"];
        status["acceptedNames"] = std::move(acceptedNames);
        status["conditions"]
            = {condition("NamesAccepted", true, "NoConflicts", "no conflicts found"),
               condition("Established", true, "InitialNamesAccepted",
                         "the initial names have been accepted")};
    } else {
        const json before
            = previous ? valueAt(*previous, "/status/acceptedNames"_json_pointer) : json();
        status["acceptedNames"] = before.is_object() ? before : json{{"plural", ""}, {"kind", ""}};
        status["conditions"]
            = {condition("NamesAccepted", false, reason, message),
               condition("Established", false, "NotAccepted", "not all names are accepted")};
    }
    std::vector<std::string> stored
        = previous ? strings(valueAt(*previous, "/status/storedVersions"_json_pointer))
                   : std::vector<std::string>();
    for (const json &v : valueAt(crd, "/spec/versions"_json_pointer, json::array())) {
        if (v.is_object() && v.value("storage", false) && v.value("name", json()).is_string()) {
            const std::string version = v["name"].get<std::string>();
            if (std::find(stored.begin(), stored.end(), version) == stored.end())
                stored.push_back(version);
        }
    }
    status["storedVersions"] = stored;
    crd["status"] = std::move(status);
}

Result<void> CustomResources::admit(const ResourceInfo &resource, std::string_view subresource,
                                    json &object, const json *previous,
                                    std::string_view fieldValidation,
                                    std::vector<std::string> &warnings) const
{
    const std::string name = text(object, "/metadata/name"_json_pointer);
    if (isDefinition(resource)) {
        if (!subresource.empty())
            return {};
        applyDefinitionDefaults(object);
        if (auto causes = validateDefinition(object, previous); !causes.empty())
            return objectrules::invalid(resource, name, causes);
        if (valueAt(object, "/metadata/deletionTimestamp"_json_pointer).is_null())
            completeStatus(object, previous);
        return {};
    }
    if (!resource.custom || (!subresource.empty() && subresource != "status"))
        return {};
    const auto def = definition(resource);
    if (!def)
        return {};
    if (def->terminating && !previous)
        return Error(Error::Code::MethodNotAllowed,
                     "create not allowed while custom resource definition is terminating");
    const std::string storedVersion = def->group + "/" + def->storageVersion;
    if (def->webhookConversion) {
        const json before = previous ? previous->value("apiVersion", json()) : json();
        if (resource.version != def->storageVersion
            || (before.is_string() && before != storedVersion))
            return Error(Error::Code::Internal,
                         "conversion webhook for " + resource.groupVersion()
                             + ", Kind=" + resource.kind
                             + " failed: this server does not call conversion webhooks");
    }
    auto schema = def->schemas.find(resource.version);
    if (schema == def->schemas.end())
        return {};

    const std::vector<std::string> unknown = prune(schema->second, object);
    if (!unknown.empty() && fieldValidation == "Strict") {
        std::string message = resource.kind + " in version \"" + resource.version
                              + "\" cannot be handled as a " + resource.kind
                              + ": strict decoding error: ";
        for (std::size_t i = 0; i < unknown.size(); ++i)
            message += (i ? ", " : "") + std::string("unknown field \"") + unknown[i] + "\"";
        return Error(Error::Code::BadRequest, message);
    }
    if (fieldValidation == "Warn")
        for (const std::string &field : unknown)
            warnings.push_back("unknown field \"" + field + "\"");
    applyDefaults(schema->second, object);
    if (auto causes = validate(schema->second, object); !causes.empty())
        return objectrules::invalid(resource, name, causes);
    // Validated in the version it was written in, stored in the storage version (conversion
    // None changes nothing else).
    if (!def->storageVersion.empty())
        object["apiVersion"] = storedVersion;

    // Defaults can fill in what an update left out; only a real change counts a generation.
    if (previous && subresource.empty()) {
        json before = *previous, after = object;
        for (json *o : {&before, &after}) {
            o->erase("metadata");
            o->erase("status");
            o->erase("apiVersion");
        }
        const json generation = valueAt(*previous, "/metadata/generation"_json_pointer, json(1));
        const std::int64_t g = generation.is_number_integer() ? generation.get<std::int64_t>() : 1;
        object["metadata"]["generation"] = before == after ? g : g + 1;
    }
    return {};
}

json CustomResources::scaleOf(const ResourceInfo &resource, const json &object) const
{
    json view = {{"kind", "Scale"},
                 {"apiVersion", "autoscaling/v1"},
                 {"metadata", json::object()},
                 {"spec", json::object()},
                 {"status", {{"replicas", 0}}}};
    for (const char *field : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
        const json value = valueAt(object, json::json_pointer("/metadata/" + std::string(field)));
        if (!value.is_null())
            view["metadata"][field] = value;
    }
    const auto def = definition(resource);
    if (!def)
        return view;
    auto scale = def->scales.find(resource.version);
    if (scale == def->scales.end())
        return view;
    const auto read = [&](const char *key) {
        const std::string pointer = pointerOf(scale->second.value(key, std::string()));
        return pointer.empty() ? json() : valueAt(object, json::json_pointer(pointer));
    };
    const json spec = read("specReplicasPath");
    // ScaleSpec.replicas is omitempty upstream.
    if (spec.is_number_integer() && spec.get<std::int64_t>() != 0)
        view["spec"]["replicas"] = spec;
    const json status = read("statusReplicasPath");
    if (status.is_number_integer())
        view["status"]["replicas"] = status;
    const json selector = read("labelSelectorPath");
    if (selector.is_string() && !selector.get<std::string>().empty())
        view["status"]["selector"] = selector;
    return view;
}

std::string CustomResources::specReplicasPointer(const ResourceInfo &resource) const
{
    const auto def = definition(resource);
    if (!def)
        return {};
    auto scale = def->scales.find(resource.version);
    if (scale == def->scales.end())
        return {};
    return pointerOf(scale->second.value("specReplicasPath", std::string()));
}

Result<std::string> CustomResources::served(const ResourceInfo &resource, std::string body) const
{
    if (!resource.custom)
        return body;
    const auto def = definition(resource);
    if (!def)
        return body;
    // Most answers already are in the requested version: every apiVersion of the group in the
    // body names it. Only then is the body left as it is, unparsed.
    const std::string wanted = resource.groupVersion();
    const std::string needle = "\"apiVersion\":\"" + resource.group + "/";
    bool differs = false;
    for (std::size_t at = body.find(needle); at != std::string::npos && !differs;
         at = body.find(needle, at + needle.size())) {
        const std::size_t start = at + needle.size();
        differs = body.compare(start, resource.version.size(), resource.version) != 0
                  || body.size() <= start + resource.version.size()
                  || body[start + resource.version.size()] != '"';
    }
    if (!differs)
        return body;
    json document = json::parse(body, nullptr, false);
    if (document.is_discarded() || !document.is_object())
        return body;

    std::optional<Error> failure;
    const auto convert = [&](json &object) {
        if (!object.is_object() || object.value("kind", json()) != def->kind)
            return;
        const json version = object.value("apiVersion", json());
        if (!version.is_string() || version == wanted)
            return;
        if (def->webhookConversion) {
            if (!failure)
                failure = Error(Error::Code::Internal,
                                "conversion webhook for " + version.get<std::string>()
                                    + ", Kind=" + def->kind
                                    + " failed: this server does not call conversion webhooks");
            return;
        }
        object["apiVersion"] = wanted;
    };
    const json kind = document.value("kind", json());
    if (kind == def->kind) {
        convert(document);
    } else if (kind == def->listKind) {
        if (auto items = document.find("items"); items != document.end() && items->is_array())
            for (json &item : *items)
                convert(item);
    } else if (kind == "Table") {
        if (auto rows = document.find("rows"); rows != document.end() && rows->is_array())
            for (json &row : *rows)
                if (row.is_object() && row.contains("object"))
                    convert(row["object"]);
    } else {
        return body;
    }
    if (failure)
        return *failure;
    return document.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::vector<std::string> CustomResources::warnings(const ResourceInfo &resource) const
{
    if (!resource.custom)
        return {};
    const auto def = definition(resource);
    if (!def)
        return {};
    auto warning = def->warnings.find(resource.version);
    if (warning == def->warnings.end())
        return {};
    return {warning->second};
}

void CustomResources::cleanupLoop()
{
    // Upstream polls a deleted CRD's objects every 5 seconds; one process can look more often.
    constexpr auto kPoll = std::chrono::milliseconds(500);
    std::vector<std::string> waiting; // cleanups that found objects left
    std::unique_lock lock(m_cleanupMutex);
    for (;;) {
        const auto ready = [this] { return m_stopping || !m_cleanupQueue.empty(); };
        if (waiting.empty())
            m_cleanupWake.wait(lock, ready);
        else
            m_cleanupWake.wait_for(lock, kPoll, ready);
        if (m_stopping)
            return;
        for (const std::string &name : waiting)
            if (std::find(m_cleanupQueue.begin(), m_cleanupQueue.end(), name)
                == m_cleanupQueue.end())
                m_cleanupQueue.push_back(name);
        waiting.clear();
        while (!m_cleanupQueue.empty() && !m_stopping) {
            const std::string name = m_cleanupQueue.front();
            m_cleanupQueue.pop_front();
            lock.unlock();
            const bool done = cleanup(name);
            lock.lock();
            if (!done && std::find(waiting.begin(), waiting.end(), name) == waiting.end())
                waiting.push_back(name);
        }
    }
}

// Upstream's finalizer controller: the CRD is marked Terminating, every object of the resource
// (in all namespaces) is deleted as a DELETE would (objects with finalizers only get their
// deletionTimestamp), and once none is left the finalizer goes, which lets the CRD itself go.
bool CustomResources::cleanup(const std::string &name)
{
    const storage::Key key{kDefinitions, "", name};
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
        auto current = m_store.get(key);
        if (!current)
            break;
        json crd = (*current)->object();
        const std::vector<std::string> finalizers
            = strings(valueAt(crd, "/metadata/finalizers"_json_pointer));
        if (valueAt(crd, "/metadata/deletionTimestamp"_json_pointer).is_null()
            || std::find(finalizers.begin(), finalizers.end(), kCleanupFinalizer)
                   == finalizers.end())
            break;
        const storage::Revision revision = (*current)->modRevision();
        crd["metadata"].erase("resourceVersion");
        if (setCondition(crd, "Terminating", "True", "InstanceDeletionInProgress",
                         "CustomResource deletion is in progress")) {
            auto written = m_store.update(key, std::move(crd), revision);
            if (!written && written.error().code() != Error::Code::Conflict) {
                lcCrd.warning("cleaning up " + name + ": " + written.error().message());
                break;
            }
            continue; // read again, with the condition written
        }

        bool gone = true;
        if (conditionOf(crd, "Established").value("status", json()) == "True") {
            storage::ListRequest request;
            request.resource = {text(crd, "/spec/group"_json_pointer),
                                text(crd, "/spec/names/plural"_json_pointer)};
            auto objects = m_store.list(request);
            if (!objects) {
                lcCrd.warning("cleaning up " + name + ": " + objects.error().message());
                return false;
            }
            const std::string now = core::util::formatRfc3339(core::util::Clock::now());
            for (const storage::ObjectRef &item : objects->items) {
                const json &object = item->object();
                if (!valueAt(object, "/metadata/deletionTimestamp"_json_pointer).is_null()) {
                    gone = false; // waits for its finalizers
                    continue;
                }
                Result<storage::WriteResult> deleted = [&]() -> Result<storage::WriteResult> {
                    if (strings(valueAt(object, "/metadata/finalizers"_json_pointer)).empty())
                        return m_store.remove(item->key(), {item->modRevision(), std::nullopt});
                    gone = false;
                    json marked = object;
                    marked["metadata"]["deletionTimestamp"] = now;
                    marked["metadata"]["deletionGracePeriodSeconds"] = 0;
                    marked["metadata"].erase("resourceVersion");
                    return m_store.update(item->key(), std::move(marked), item->modRevision());
                }();
                if (deleted)
                    continue;
                // Changed meanwhile: the next pass looks again.
                if (deleted.error().code() == Error::Code::Conflict)
                    gone = false;
                else if (deleted.error().code() != Error::Code::NotFound)
                    lcCrd.warning("cleaning up " + name + ": " + deleted.error().message());
            }
            if (!gone) {
                const auto polled = std::chrono::steady_clock::now();
                const auto since = m_cleanupWaiting.try_emplace(name, polled).first->second;
                // After upstream's minute of polling, the condition says why it still waits.
                if (polled - since >= std::chrono::minutes(1)
                    && setCondition(crd, "Terminating", "True", "InstanceDeletionCheck",
                                    "could not confirm zero CustomResources remaining: timed out "
                                    "waiting for the condition")) {
                    auto written = m_store.update(key, std::move(crd), revision);
                    if (!written && written.error().code() != Error::Code::Conflict)
                        lcCrd.warning("cleaning up " + name + ": " + written.error().message());
                }
                return false;
            }
            setCondition(crd, "Terminating", "False", "InstanceDeletionCompleted",
                         "removed all instances");
        } else {
            setCondition(crd, "Terminating", "False", "NeverEstablished",
                         "resource was never established");
        }

        std::vector<std::string> kept;
        for (const std::string &f : finalizers)
            if (f != kCleanupFinalizer)
                kept.push_back(f);
        Result<storage::WriteResult> written
            = kept.empty() ? m_store.remove(key, {revision, std::nullopt}) : [&] {
                  crd["metadata"]["finalizers"] = kept;
                  return m_store.update(key, std::move(crd), revision);
              }();
        if (written || written.error().code() == Error::Code::NotFound)
            break;
        if (written.error().code() != Error::Code::Conflict) {
            lcCrd.warning("cleaning up " + name + ": " + written.error().message());
            break;
        }
    }
    m_cleanupWaiting.erase(name);
    return true;
}

} // namespace kd::lc::apiserver::crd
