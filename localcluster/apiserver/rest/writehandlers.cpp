#include "apiserver_p.h"
#include "jsonpatch.h"
#include "managedfields.h"
#include "mergepatch.h"
#include "objectrules.h"
#include "selection.h"
#include "serversideapply.h"
#include "strategicmergepatch.h"

#include <localcluster/apiserver/protobuf/transcoder.h>
#include <localcluster/apiserver/registry/defaults.h>
#include <localcluster/apiserver/registry/serviceallocator.h>
#include <localcluster/apiserver/registry/validation.h>
#include <localcluster/apiserver/schema/fieldvalidation.h>

#include <core/util/time.h>

#include <algorithm>
#include <charconv>
#include <set>

namespace kd::lc::apiserver {

using core::util::Error;
using core::util::Result;
using nlohmann::json;

namespace {

// Retries of a read-modify-write that lost a race with another writer.
constexpr int kMaxAttempts = 5;

const std::set<std::string> &knownMetadataFields()
{
    static const std::set<std::string> fields{"name",
                                              "generateName",
                                              "namespace",
                                              "selfLink",
                                              "uid",
                                              "resourceVersion",
                                              "generation",
                                              "creationTimestamp",
                                              "deletionTimestamp",
                                              "deletionGracePeriodSeconds",
                                              "labels",
                                              "annotations",
                                              "ownerReferences",
                                              "finalizers",
                                              "managedFields"};
    return fields;
}

// Top-level fields of the built-in kinds. Without per-kind schemas, strict validation knows
// only this union: a misspelt top-level field of any built-in kind is caught, a field that
// belongs to another kind is not.
const std::set<std::string> &knownTopLevelFields()
{
    static const std::set<std::string> fields{"apiVersion",
                                              "kind",
                                              "metadata",
                                              "spec",
                                              "status",
                                              "data",
                                              "binaryData",
                                              "stringData",
                                              "type",
                                              "immutable",
                                              "rules",
                                              "subjects",
                                              "roleRef",
                                              "aggregationRule",
                                              "webhooks",
                                              "secrets",
                                              "imagePullSecrets",
                                              "automountServiceAccountToken",
                                              "subsets",
                                              "endpoints",
                                              "addressType",
                                              "ports",
                                              "involvedObject",
                                              "reason",
                                              "message",
                                              "source",
                                              "firstTimestamp",
                                              "lastTimestamp",
                                              "count",
                                              "eventTime",
                                              "series",
                                              "action",
                                              "related",
                                              "reportingComponent",
                                              "reportingInstance",
                                              "note",
                                              "regarding",
                                              "deprecatedSource",
                                              "deprecatedFirstTimestamp",
                                              "deprecatedLastTimestamp",
                                              "deprecatedCount",
                                              "value",
                                              "globalDefault",
                                              "description",
                                              "preemptionPolicy",
                                              "provisioner",
                                              "parameters",
                                              "reclaimPolicy",
                                              "mountOptions",
                                              "allowVolumeExpansion",
                                              "volumeBindingMode",
                                              "allowedTopologies",
                                              "handler",
                                              "overhead",
                                              "scheduling",
                                              "target",
                                              "template",
                                              "revision",
                                              "driver",
                                              "nodeName",
                                              "storageClassName",
                                              "capacity",
                                              "maximumVolumeSize",
                                              "nodeTopology",
                                              "attachRequired",
                                              "podInfoOnMount",
                                              "conditions",
                                              "limits"};
    return fields;
}

Error unsupportedMediaType(const std::string &type, const std::string &accepted)
{
    return Error(Error::Code::UnsupportedMediaType,
                 "the body of the request was in an unknown format - accepted media types "
                 "include: "
                     + accepted
                     + (type == protobuf::kMediaType
                                && accepted.find(protobuf::kMediaType) == std::string::npos
                            ? " (protobuf bodies are accepted for create and update only)"
                            : std::string()));
}

Result<json> parseObjectBody(const Call &call)
{
    const std::string type = mediaType(call);
    if (type == protobuf::kMediaType) {
        // Typed clients of kubectl 1.32+ and client-go 0.32+ send creates and updates only in
        // protobuf, with no JSON fallback; transcode to the JSON this handler works on.
        return protobuf::decodeObject(call.request.body, call.resource.groupVersion(),
                                      call.resource.kind);
    }
    if (!type.empty() && type != "application/json" && type != "*/*")
        return unsupportedMediaType(type, "application/json, application/vnd.kubernetes.protobuf");
    json body = json::parse(call.request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object())
        return Error(Error::Code::BadRequest,
                     "the object provided is unrecognized (must be of type " + call.resource.kind
                         + "): couldn't get version/kind; json parse error: the body is not a "
                           "JSON object");
    return body;
}

// The request's kind and apiVersion must name the resource it was sent to; missing ones are
// taken from the URL as upstream's decoder defaults them.
Result<void> checkTypeMeta(const Call &call, json &object)
{
    const std::string expectedVersion = call.resource.groupVersion();
    const json kind = object.value("kind", json());
    const json apiVersion = object.value("apiVersion", json());
    if (!kind.is_null() && kind != call.resource.kind)
        return Error(Error::Code::BadRequest,
                     "the object provided is unrecognized (must be of type " + call.resource.kind
                         + "): kind " + kind.dump() + " does not match the resource "
                         + call.qualifiedResource());
    if (!apiVersion.is_null() && apiVersion != expectedVersion)
        return Error(Error::Code::BadRequest, "the API version in the data (" + apiVersion.dump()
                                                  + ") does not match the expected API version ("
                                                  + expectedVersion + ")");
    object["kind"] = call.resource.kind;
    object["apiVersion"] = expectedVersion;
    if (!object.contains("metadata") || object["metadata"].is_null())
        object["metadata"] = json::object();
    if (!object["metadata"].is_object())
        return Error(Error::Code::BadRequest, "metadata must be an object");
    return {};
}

// ?fieldValidation: Strict rejects unknown fields, Warn reports them in Warning headers.
Result<void> validateFields(Call &call, const json &object)
{
    const std::string mode(call.request.queryValue("fieldValidation").value_or("Ignore"));
    if (mode != "Strict" && mode != "Warn" && mode != "Ignore" && !mode.empty())
        return Error(Error::Code::BadRequest,
                     "fieldValidation: Unsupported value: \"" + mode
                         + "\": supported values: \"Ignore\", \"Strict\", \"Warn\"");
    if (mode != "Strict" && mode != "Warn")
        return {};
    std::vector<std::string> unknown;
    // Built-in kinds are checked against the type model (schema/), nested fields included. A
    // merge or strategic merge patch is judged by its own fields, so that fields a stored object
    // already carries never fail a later patch.
    const std::string contentType(call.request.header("Content-Type").value_or(""));
    const bool bodyIsPatch
        = call.request.method == "PATCH"
          && (contentType.starts_with("application/merge-patch+json")
              || contentType.starts_with("application/strategic-merge-patch+json"));
    if (!call.resource.custom && schema::hasSchema(call.resource.gvk())) {
        unknown = bodyIsPatch ? schema::unknownPatchFields(
                      call.resource.gvk(), json::parse(call.request.body, nullptr, false))
                              : schema::unknownFields(call.resource.gvk(), object);
    } else {
        if (!call.resource.custom) {
            for (auto it = object.begin(); it != object.end(); ++it) {
                if (!knownTopLevelFields().contains(it.key()))
                    unknown.push_back(it.key());
            }
        }
        if (auto meta = object.find("metadata"); meta != object.end() && meta->is_object()) {
            for (auto it = meta->begin(); it != meta->end(); ++it) {
                if (!knownMetadataFields().contains(it.key()))
                    unknown.push_back("metadata." + it.key());
            }
        }
    }
    if (unknown.empty())
        return {};
    if (mode == "Strict") {
        std::string message = "strict decoding error: ";
        for (std::size_t i = 0; i < unknown.size(); ++i)
            message += (i ? ", " : "") + std::string("unknown field \"") + unknown[i] + "\"";
        // Upstream wraps decoding errors of create and update bodies; patches report them bare.
        if (call.request.method != "PATCH")
            message = call.resource.kind + " in version \"" + call.resource.version
                      + "\" cannot be handled as a " + call.resource.kind + ": " + message;
        return Error(Error::Code::BadRequest, message);
    }
    for (const std::string &field : unknown)
        call.extraHeaders.push_back({"Warning", "299 - \"unknown field \\\"" + field + "\\\"\""});
    return {};
}

Result<storage::Revision> parseRevision(const json &value)
{
    const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    storage::Revision revision = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), revision);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size())
        return Error(Error::Code::BadRequest, "invalid resource version: " + value.dump());
    return revision;
}

const json &meta(const json &object, const char *field)
{
    static const json kNull;
    auto m = object.find("metadata");
    if (m == object.end() || !m->is_object())
        return kNull;
    auto it = m->find(field);
    return it == m->end() ? kNull : *it;
}

json withoutVolatile(json object)
{
    if (object.contains("metadata") && object["metadata"].is_object())
        object["metadata"].erase("resourceVersion");
    return object;
}

std::string nowText()
{
    return core::util::formatRfc3339(core::util::Clock::now());
}

// An allocation failure as the 422 upstream answers for this Service.
Error allocationError(const Call &call, const Error &error)
{
    if (error.code() != Error::Code::Invalid)
        return error;
    return objectrules::invalid(call.resource, call.info.name, error.causes());
}

} // namespace

Result<json> decodeObjectBody(const Call &call)
{
    return parseObjectBody(call);
}

// Custom resources are answered in the version the request named (they are stored in their
// CRD's storage version), with that version's deprecation warning.
static void respondServed(ApiServer::Private &self, Call &call, int status, std::string body)
{
    if (call.resource.custom) {
        for (const std::string &warning : self.customResources.warnings(call.resource))
            call.extraHeaders.push_back({"Warning", "299 - " + json(warning).dump()});
        auto converted = self.customResources.served(call.resource, std::move(body));
        if (!converted)
            return self.respondError(call, converted.error());
        body = std::move(*converted);
    }
    self.respondJson(call, status, std::move(body));
}

// The object a write would store, from the current one and the client's proposal: identity and
// server-owned metadata are kept, status or everything-but-status depending on the endpoint,
// generation counts spec changes, and no finalizer may be added once deletion started.
static Result<json> prepareUpdate(const Call &call, const json &current, json proposed,
                                  const std::string &subresource)
{
    const std::string &name = call.info.name;
    if (subresource == "finalize") {
        // The namespace controller's endpoint: only spec.finalizers changes.
        json result = current;
        const json finalizers = proposed.value("/spec/finalizers"_json_pointer, json::array());
        result["spec"]["finalizers"] = finalizers.is_array() ? finalizers : json::array();
        return result;
    }
    if (subresource == "status") {
        json result = current;
        if (proposed.contains("status"))
            result["status"] = proposed["status"];
        else
            result.erase("status");
        return result;
    }
    json &metadata = proposed["metadata"];
    const json &uid = meta(current, "uid");
    if (metadata.contains("uid") && !metadata["uid"].is_null() && metadata["uid"] != ""
        && metadata["uid"] != uid)
        return objectrules::invalid(
            call.resource, name,
            {{"FieldValueInvalid",
              "Invalid value: " + metadata["uid"].dump() + ": field is immutable",
              "metadata.uid"}});
    for (const char *field : {"uid", "creationTimestamp", "deletionTimestamp",
                              "deletionGracePeriodSeconds", "generation"}) {
        const json &value = meta(current, field);
        if (value.is_null())
            metadata.erase(field);
        else
            metadata[field] = value;
    }
    metadata.erase("resourceVersion");
    metadata.erase("selfLink");
    if (objectrules::hasStatusSubresource(call.resource)) {
        if (current.contains("status"))
            proposed["status"] = current["status"];
        else
            proposed.erase("status");
    }
    if (!meta(current, "deletionTimestamp").is_null()) {
        const json &before = meta(current, "finalizers");
        std::vector<std::string> added;
        if (metadata.contains("finalizers") && metadata["finalizers"].is_array()) {
            for (const json &f : metadata["finalizers"]) {
                if (!before.is_array()
                    || std::find(before.begin(), before.end(), f) == before.end())
                    added.push_back(f.dump());
            }
        }
        if (!added.empty()) {
            std::string list;
            for (const auto &f : added)
                list += (list.empty() ? "" : ", ") + f;
            return objectrules::invalid(
                call.resource, name,
                {{"FieldValueForbidden",
                  "Forbidden: no new finalizers can be added if the object is being deleted, "
                  "found new finalizers []string{"
                      + list + "}",
                  "metadata.finalizers"}});
        }
    }
    const bool countsGeneration = objectrules::tracksGeneration(call.resource);
    if (countsGeneration) {
        bool changed = false;
        if (call.resource.custom) {
            json a = withoutVolatile(current), b = withoutVolatile(proposed);
            a.erase("metadata");
            a.erase("status");
            b.erase("metadata");
            b.erase("status");
            changed = a != b;
        } else {
            changed = current.value("spec", json()) != proposed.value("spec", json());
        }
        const std::int64_t generation = meta(current, "generation").is_number_integer()
                                            ? meta(current, "generation").get<std::int64_t>()
                                            : 0;
        metadata["generation"] = changed ? generation + 1 : std::max<std::int64_t>(generation, 1);
    }
    return proposed;
}

// Stores `result` in place of `current` (revision `expected`), or removes the object when
// deletion is pending and the last finalizer is gone. Answers the call; false on a conflict the
// caller may retry.
static bool commitUpdate(ApiServer::Private &self, Call &call, const storage::ObjectRef &current,
                         json result, bool dryRun, bool mayRetry)
{
    const std::string &name = call.info.name;
    registry::ServiceAllocator &allocator = self.serviceAllocator;
    registry::ServiceAllocator::Holding reserved;
    const json currentObject = current->object(); // parsed once from the stored text
    if (ApiServer::Private::writesService(call)) {
        auto prepared = allocator.prepare(result, &currentObject);
        if (!prepared) {
            self.respondError(call, allocationError(call, prepared.error()));
            return true;
        }
        reserved = std::move(*prepared);
    }
    if (withoutVolatile(result) == withoutVolatile(currentObject)) {
        allocator.release(reserved);
        respondServed(self, call, 200, current->json()); // nothing changed: no new revision
        return true;
    }
    const json &finalizers = meta(result, "finalizers");
    // A terminating namespace goes only through DELETE once its spec.finalizers are cleared
    // (deleteOne), never as a side effect of an update.
    const bool isNamespace = call.resource.group.empty() && call.resource.resource == "namespaces";
    const bool remove = !isNamespace && !meta(result, "deletionTimestamp").is_null()
                        && (!finalizers.is_array() || finalizers.empty());
    if (dryRun) {
        allocator.release(reserved);
        result["metadata"]["resourceVersion"] = std::to_string(current->modRevision());
        respondServed(self, call, 200, result.dump(-1, ' ', false, json::error_handler_t::replace));
        return true;
    }
    Result<storage::WriteResult> written
        = remove ? self.store.remove(call.key(name), {current->modRevision(), std::nullopt})
                 : self.store.update(call.key(name), std::move(result), current->modRevision());
    if (!written) {
        allocator.release(reserved);
        if (written.error().code() == Error::Code::Conflict && mayRetry)
            return false;
        self.respondError(call, self.storageError(call, written.error(), name));
        return true;
    }
    if (ApiServer::Private::writesService(call)) {
        // What the old spec held and the new one no longer does goes back to the pools.
        registry::ServiceAllocator::Holding dropped
            = registry::ServiceAllocator::held(currentObject);
        const registry::ServiceAllocator::Holding kept
            = remove ? registry::ServiceAllocator::Holding()
                     : registry::ServiceAllocator::held(written->object->object());
        for (std::uint32_t ip : kept.ips)
            dropped.ips.erase(ip);
        for (int port : kept.nodePorts)
            dropped.nodePorts.erase(port);
        allocator.release(dropped);
    }
    respondServed(self, call, 200, written->object->json());
    return true;
}

// The hook of CRDs and custom resources (validation, status, schema pruning/defaults); its
// warnings become Warning headers.
static Result<void> admitCustom(ApiServer::Private &self, Call &call, json &object,
                                const json *previous)
{
    std::vector<std::string> warnings;
    auto admitted = self.customResources.admit(
        call.resource, call.info.subresource, object, previous,
        call.request.queryValue("fieldValidation").value_or(""), warnings);
    for (const std::string &warning : warnings)
        call.extraHeaders.push_back({"Warning", "299 - " + json(warning).dump()});
    return admitted;
}

// managedFields bookkeeping (managedfields.h) for a create, update or patch that is not an
// apply: the fields the write changed go to its manager. `live` is null for a create.
static Result<void> recordManagedFields(const Call &call, const json &live, json &object,
                                        const char *optionsKind)
{
    auto manager
        = managedfields::managerFor(call.request.queryValue("fieldManager").value_or(""),
                                    call.request.header("User-Agent").value_or(""), optionsKind);
    if (!manager)
        return manager.error();
    const auto scope
        = managedfields::scopeFor(call.resource, call.info.subresource, *manager, nowText());
    auto recorded = managedfields::recordUpdate(
        live.is_null() ? managedfields::zeroObject(call.resource) : live, object, scope);
    if (!recorded)
        return objectrules::invalid(call.resource, call.info.name, recorded.error().causes());
    return {};
}

// Everything a write to an existing object passes before its commit: the split between the
// main resource and its status, defaults and validation of the main resource, the
// custom-resource hook, and (for writes other than apply, which keeps its own) managedFields.
static Result<json> admitUpdate(ApiServer::Private &self, Call &call, const json &current,
                                json proposed, const std::string &name, const char *optionsKind)
{
    auto prepared = prepareUpdate(call, current, std::move(proposed), call.info.subresource);
    if (!prepared)
        return prepared.error();
    if (call.info.subresource.empty()) {
        registry::applyDefaults(call.resource, *prepared);
        const auto causes = registry::validate(call.resource, *prepared, &current);
        if (!causes.empty())
            return objectrules::invalid(call.resource, name, causes);
    }
    if (auto admitted = admitCustom(self, call, *prepared, &current); !admitted)
        return admitted.error();
    if (optionsKind) {
        if (auto recorded = recordManagedFields(call, current, *prepared, optionsKind); !recorded)
            return recorded.error();
    }
    return prepared;
}

static void serveApply(ApiServer::Private &self, Call &call, bool dryRun);

void ApiServer::Private::handleCreate(Call &call)
{
    auto dryRun = parseDryRun(call.request);
    if (!dryRun)
        return respondError(call, dryRun.error());
    auto parsed = parseObjectBody(call);
    if (!parsed)
        return respondError(call, parsed.error());
    json object = std::move(*parsed);
    if (auto ok = checkTypeMeta(call, object); !ok)
        return respondError(call, ok.error());
    if (auto ok = validateFields(call, object); !ok)
        return respondError(call, ok.error());

    json &metadata = object["metadata"];
    if (call.resource.namespaced) {
        const json ns = metadata.value("namespace", json());
        if (!ns.is_null() && ns != "" && ns != call.info.ns)
            return respondError(call, Error(Error::Code::BadRequest,
                                            "the namespace of the provided object does not match "
                                            "the namespace sent on the request"));
        metadata["namespace"] = call.info.ns;
    } else {
        metadata.erase("namespace");
    }

    std::string name = metadata.value("name", json("")).is_string()
                           ? metadata.value("name", std::string())
                           : std::string();
    if (name.empty()) {
        const json generate = metadata.value("generateName", json(""));
        if (!generate.is_string() || generate.get<std::string>().empty())
            return respondError(
                call,
                objectrules::invalid(
                    call.resource, "",
                    {{"FieldValueRequired", "Required value: name or generateName is required",
                      "metadata.name"}}),
                json{{"kind", call.resource.kind}});
        name = objectrules::generateName(generate.get<std::string>());
        metadata["name"] = name;
    }
    call.info.name = name;
    if (auto invalid = objectrules::validateName(call.resource, name))
        return respondError(call, *invalid);

    if (call.resource.namespaced) {
        auto ns = store.get({{"", "namespaces"}, "", call.info.ns});
        if (!ns)
            return respondError(
                call, Error(Error::Code::NotFound, "namespaces \"" + call.info.ns + "\" not found"),
                json{{"name", call.info.ns}, {"kind", "namespaces"}});
        if (!meta((*ns)->selectable(), "deletionTimestamp").is_null())
            return respondError(
                call,
                Error(Error::Code::Forbidden,
                      call.qualifiedResource() + " \"" + name
                          + "\" is forbidden: unable to create new content in namespace "
                          + call.info.ns + " because it is being terminated"),
                json{{"name", name}, {"kind", call.resource.resource}});
    }

    for (const char *field : {"resourceVersion", "selfLink", "deletionTimestamp",
                              "deletionGracePeriodSeconds", "generation"})
        metadata.erase(field);
    metadata["uid"] = objectrules::newUid();
    metadata["creationTimestamp"] = nowText();
    if (objectrules::tracksGeneration(call.resource))
        metadata["generation"] = 1;
    if (objectrules::hasStatusSubresource(call.resource))
        object.erase("status");
    objectrules::applyCreateDefaults(call.resource, object);
    registry::applyDefaults(call.resource, object);
    if (const auto causes = registry::validate(call.resource, object, nullptr); !causes.empty())
        return respondError(call, objectrules::invalid(call.resource, name, causes));
    if (auto admitted = admitCustom(*this, call, object, nullptr); !admitted)
        return respondError(call, admitted.error());
    // A server-side apply that creates the object (serveApply) already computed its owners.
    if (call.request.method != "PATCH") {
        if (auto recorded = recordManagedFields(call, json(), object, "CreateOptions"); !recorded)
            return respondError(call, recorded.error());
    }
    registry::ServiceAllocator::Holding reserved;
    if (writesService(call)) {
        auto prepared = serviceAllocator.prepare(object, nullptr);
        if (!prepared)
            return respondError(call, allocationError(call, prepared.error()));
        reserved = std::move(*prepared);
    }

    if (*dryRun) {
        serviceAllocator.release(reserved);
        return respondServed(*this, call, 201,
                             object.dump(-1, ' ', false, json::error_handler_t::replace));
    }
    if (call.resource.custom) {
        // Answered in the version the client asked for, which may mean a conversion: not work
        // for the store's writer thread.
        auto created = store.create(call.key(name), std::move(object));
        if (!created)
            return respondError(call, storageError(call, created.error(), name));
        return respondServed(*this, call, 201, created->object->json());
    }
    // Answered straight from the writer thread once the write is durable: waiting on this
    // worker and handing the answer back costs two thread switches per create.
    store.createAsync(call.key(name), std::move(object),
                      [self = shared_from_this(), call = call.shared_from_this(), name,
                       reserved](Result<storage::WriteResult> created) {
                          // Nothing may escape into the writer thread.
                          try {
                              if (!created) {
                                  self->serviceAllocator.release(reserved);
                                  return self->respondError(
                                      *call, self->storageError(*call, created.error(), name));
                              }
                              self->respondJson(*call, 201, created->object->json());
                          } catch (const std::exception &e) {
                              lcRest.error(std::string("answering a create failed: ") + e.what());
                          }
                      });
}

void ApiServer::Private::handleUpdate(Call &call)
{
    auto dryRun = parseDryRun(call.request);
    if (!dryRun)
        return respondError(call, dryRun.error());
    auto parsed = parseObjectBody(call);
    if (!parsed)
        return respondError(call, parsed.error());
    json proposed = std::move(*parsed);
    if (auto ok = checkTypeMeta(call, proposed); !ok)
        return respondError(call, ok.error());
    if (auto ok = validateFields(call, proposed); !ok)
        return respondError(call, ok.error());
    json &metadata = proposed["metadata"];
    const std::string &name = call.info.name;
    const json bodyName = metadata.value("name", json(""));
    if (bodyName != "" && bodyName != name)
        return respondError(call,
                            Error(Error::Code::BadRequest,
                                  "the name of the object (" + bodyName.get<std::string>()
                                      + ") does not match the name on the URL (" + name + ")"));
    metadata["name"] = name;
    if (call.resource.namespaced) {
        const json ns = metadata.value("namespace", json(""));
        if (ns != "" && ns != call.info.ns)
            return respondError(call, Error(Error::Code::BadRequest,
                                            "the namespace of the provided object does not match "
                                            "the namespace sent on the request"));
        metadata["namespace"] = call.info.ns;
    }
    std::optional<storage::Revision> precondition;
    if (const json rv = metadata.value("resourceVersion", json("")); rv != "" && !rv.is_null()) {
        auto revision = parseRevision(rv);
        if (!revision)
            return respondError(call, revision.error());
        precondition = *revision;
    }

    // Defaulted before the spec is compared, so that a body without defaults does not count as
    // a spec change.
    if (call.info.subresource.empty())
        registry::applyDefaults(call.resource, proposed);
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
        auto current = store.get(call.key(name));
        if (!current)
            return respondError(call, storageError(call, current.error(), name));
        if (precondition && *precondition != (*current)->modRevision())
            return respondError(call, storageError(call, Error(Error::Code::Conflict, ""), name));
        const json currentObject = (*current)->object();
        auto result = admitUpdate(*this, call, currentObject, proposed, name, "UpdateOptions");
        if (!result)
            return respondError(call, result.error());
        if (commitUpdate(*this, call, *current, std::move(*result), *dryRun, !precondition))
            return;
    }
    respondError(call, storageError(call, Error(Error::Code::Conflict, ""), name));
}

void ApiServer::Private::handlePatch(Call &call)
{
    auto dryRun = parseDryRun(call.request);
    if (!dryRun)
        return respondError(call, dryRun.error());
    const std::string type = mediaType(call);
    const std::string accepted
        = "application/json-patch+json, application/merge-patch+json"
          + std::string(call.resource.custom ? "" : ", application/strategic-merge-patch+json");
    if (type == "application/apply-patch+yaml")
        return serveApply(*this, call, *dryRun);
    if (call.request.hasQuery("force")) {
        Error error(Error::Code::Invalid, "PatchOptions.meta.k8s.io \"\" is invalid: force: "
                                          "Forbidden: may not be specified for non-apply patch");
        error.addCause({"FieldValueForbidden",
                        "Forbidden: may not be specified for non-apply patch", "force"});
        return respondError(call, error, json{{"group", "meta.k8s.io"}, {"kind", "PatchOptions"}});
    }
    const bool strategic = type == "application/strategic-merge-patch+json";
    if (type != "application/json-patch+json" && type != "application/merge-patch+json"
        && !(strategic && !call.resource.custom))
        return respondError(call, unsupportedMediaType(type, accepted));
    const json patch = json::parse(call.request.body, nullptr, false);
    if (patch.is_discarded())
        return respondError(call,
                            Error(Error::Code::BadRequest, "the patch body is not valid JSON"));
    const std::string &name = call.info.name;

    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
        auto current = store.get(call.key(name));
        if (!current)
            return respondError(call, storageError(call, current.error(), name));
        const json &original = (*current)->object();
        Result<json> patched = type == "application/json-patch+json"
                                   ? applyJsonPatch(original, patch)
                               : strategic ? applyStrategicMergePatch(original, patch)
                                           : Result<json>(applyMergePatch(original, patch));
        if (!patched) {
            if (patched.error().code() != Error::Code::Invalid)
                return respondError(call, patched.error());
            // Upstream reports a patch that does not apply as a generic 422 whose only detail
            // is the patch library's message.
            return respondError(call, patched.error(),
                                json{{"causes",
                                      {{{"reason", "UnexpectedServerResponse"},
                                        {"message", patched.error().message()}}}}});
        }
        if (!patched->is_object())
            return respondError(
                call, Error(Error::Code::BadRequest, "the patch does not result in an object"));
        json &result = *patched;
        if (!result.contains("metadata") || !result["metadata"].is_object())
            result["metadata"] = json::object();
        // A resourceVersion the patch sets is a precondition, as kubectl diff and edit use it.
        const json &rv = meta(result, "resourceVersion");
        const bool conditional = !rv.is_null() && rv != meta(original, "resourceVersion");
        if (conditional) {
            auto revision = parseRevision(rv);
            if (!revision)
                return respondError(call, revision.error());
            if (*revision != (*current)->modRevision())
                return respondError(call,
                                    storageError(call, Error(Error::Code::Conflict, ""), name));
        }
        if (meta(result, "name") != name)
            return respondError(call,
                                Error(Error::Code::BadRequest,
                                      "the name of the object (" + meta(result, "name").dump()
                                          + ") does not match the name on the URL (" + name + ")"));
        if (call.resource.namespaced && meta(result, "namespace") != call.info.ns)
            return respondError(call, Error(Error::Code::BadRequest,
                                            "the namespace of the provided object does not match "
                                            "the namespace sent on the request"));
        result["kind"] = call.resource.kind;
        result["apiVersion"] = original.value("apiVersion", call.resource.groupVersion());
        if (auto ok = validateFields(call, result); !ok)
            return respondError(call, ok.error());
        if (call.info.subresource.empty())
            registry::applyDefaults(call.resource, result);
        auto prepared = admitUpdate(*this, call, original, std::move(result), name, "PatchOptions");
        if (!prepared)
            return respondError(call, prepared.error());
        if (commitUpdate(*this, call, *current, std::move(*prepared), *dryRun, !conditional))
            return;
    }
    respondError(call, storageError(call, Error(Error::Code::Conflict, ""), name));
}

namespace {

struct DeleteOptions
{
    std::optional<std::int64_t> gracePeriodSeconds;
    std::string propagationPolicy;
    std::optional<std::string> uid;
    std::optional<storage::Revision> revision;
    bool dryRun = false;
};

Result<DeleteOptions> parseDeleteOptions(const Call &call)
{
    DeleteOptions options;
    auto dryRun = parseDryRun(call.request);
    if (!dryRun)
        return dryRun.error();
    options.dryRun = *dryRun;
    if (auto grace = call.request.queryValue("gracePeriodSeconds")) {
        std::int64_t value = 0;
        auto [ptr, ec] = std::from_chars(grace->data(), grace->data() + grace->size(), value);
        if (ec != std::errc() || ptr != grace->data() + grace->size())
            return Error(Error::Code::BadRequest,
                         "invalid gracePeriodSeconds: \"" + std::string(*grace) + "\"");
        options.gracePeriodSeconds = value;
    }
    options.propagationPolicy = call.request.queryValue("propagationPolicy").value_or("");
    const std::string &text = call.request.body;
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
        return options;
    const json body = json::parse(text, nullptr, false);
    if (body.is_discarded() || !body.is_object())
        return Error(Error::Code::BadRequest,
                     "the body of the request is not a valid DeleteOptions object");
    if (auto it = body.find("gracePeriodSeconds"); it != body.end() && !it->is_null()) {
        if (!it->is_number_integer())
            return Error(Error::Code::BadRequest, "gracePeriodSeconds must be an integer");
        options.gracePeriodSeconds = it->get<std::int64_t>();
    }
    if (auto it = body.find("propagationPolicy"); it != body.end() && it->is_string())
        options.propagationPolicy = it->get<std::string>();
    if (body.value("orphanDependents", false) && options.propagationPolicy.empty())
        options.propagationPolicy = "Orphan";
    if (!options.propagationPolicy.empty() && options.propagationPolicy != "Background"
        && options.propagationPolicy != "Foreground" && options.propagationPolicy != "Orphan")
        return Error(Error::Code::BadRequest,
                     "propagationPolicy: Unsupported value: \"" + options.propagationPolicy
                         + "\": supported values: \"Background\", \"Foreground\", \"Orphan\"");
    if (auto it = body.find("dryRun"); it != body.end() && it->is_array()) {
        for (const json &value : *it) {
            if (value != "All")
                return Error(Error::Code::BadRequest, "dryRun: Unsupported value: " + value.dump()
                                                          + ": supported values: \"All\"");
            options.dryRun = true;
        }
    }
    if (auto it = body.find("preconditions"); it != body.end() && it->is_object()) {
        if (auto uid = it->find("uid"); uid != it->end() && uid->is_string())
            options.uid = uid->get<std::string>();
        if (auto rv = it->find("resourceVersion"); rv != it->end() && rv->is_string()) {
            auto revision = parseRevision(*rv);
            if (!revision)
                return revision.error();
            options.revision = *revision;
        }
    }
    return options;
}

struct DeleteOutcome
{
    std::string objectJson; // the removed object's last state, or the terminating object
    bool removed = false;
    std::string uid;
};

} // namespace

// Deletes one object as upstream's generic registry does: graceful pods and namespaces and
// objects with finalizers only get deletionTimestamp; the rest is removed.
static Result<DeleteOutcome> deleteOne(ApiServer::Private &self, const Call &call,
                                       const storage::Key &key, const DeleteOptions &options)
{
    const std::string &name = key.name;
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
        auto current = self.store.get(key);
        if (!current)
            return self.storageError(call, current.error(), name);
        const json &original = (*current)->object();
        const std::string uid = meta(original, "uid").is_string()
                                    ? meta(original, "uid").get<std::string>()
                                    : std::string();
        if (options.uid && *options.uid != uid)
            return Error(Error::Code::Conflict,
                         "Precondition failed: UID in precondition: " + *options.uid
                             + ", UID in object meta: " + uid);
        if (options.revision && *options.revision != (*current)->modRevision())
            return Error(Error::Code::Conflict,
                         "Precondition failed: ResourceVersion in precondition: "
                             + std::to_string(*options.revision)
                             + ", ResourceVersion in object meta: "
                             + std::to_string((*current)->modRevision()));

        json object = original;
        json &metadata = object["metadata"];
        json finalizers = metadata.value("finalizers", json::array());
        if (!finalizers.is_array())
            finalizers = json::array();
        const auto addFinalizer = [&](const char *finalizer) {
            if (std::find(finalizers.begin(), finalizers.end(), finalizer) == finalizers.end())
                finalizers.push_back(finalizer);
        };
        // The garbage collector removes these once dependents are handled.
        if (options.propagationPolicy == "Foreground")
            addFinalizer("foregroundDeletion");
        else if (options.propagationPolicy == "Orphan")
            addFinalizer("orphan");
        // A CRD stays until its objects are deleted (crd::CustomResources cleans up).
        if (crd::CustomResources::isDefinition(call.resource))
            addFinalizer(crd::kCleanupFinalizer);

        const bool isPod = call.resource.group.empty() && call.resource.resource == "pods";
        const bool isNamespace
            = call.resource.group.empty() && call.resource.resource == "namespaces";
        std::int64_t grace = 0;
        if (isPod) {
            grace = options.gracePeriodSeconds.value_or(
                object.value("/spec/terminationGracePeriodSeconds"_json_pointer, 30));
            const std::string phase = object.value("/status/phase"_json_pointer, std::string());
            const bool scheduled
                = !object.value("/spec/nodeName"_json_pointer, std::string()).empty();
            if (!scheduled || phase == "Succeeded" || phase == "Failed" || grace < 0)
                grace = 0;
            // A pending graceful deletion is only ever shortened.
            const json &pendingGrace = metadata.value("deletionGracePeriodSeconds", json());
            if (pendingGrace.is_number_integer() && pendingGrace.get<std::int64_t>() < grace)
                grace = pendingGrace.get<std::int64_t>();
        }
        // A namespace stays Terminating until the namespace controller has emptied it and
        // cleared spec.finalizers through /finalize; its next DELETE then removes it.
        const json &specFinalizers = object.value("/spec/finalizers"_json_pointer, json());
        const bool namespaceHeld
            = isNamespace && specFinalizers.is_array() && !specFinalizers.empty();
        const bool keep = !finalizers.empty() || (isPod && grace > 0) || namespaceHeld;
        DeleteOutcome outcome;
        outcome.uid = uid;
        if (keep) {
            const auto now = core::util::Clock::now();
            const bool alreadyDeleting = !metadata.value("deletionTimestamp", json()).is_null();
            if (!alreadyDeleting || (isPod && grace > 0)) {
                metadata["deletionTimestamp"]
                    = core::util::formatRfc3339(now + std::chrono::seconds(grace));
                metadata["deletionGracePeriodSeconds"] = grace;
            }
            if (!finalizers.empty())
                metadata["finalizers"] = finalizers;
            if (isNamespace)
                object["status"]["phase"] = "Terminating";
            if (object == original || options.dryRun) {
                outcome.objectJson = options.dryRun ? object.dump() : (*current)->json();
                return outcome;
            }
            auto written = self.store.update(key, std::move(object), (*current)->modRevision());
            if (!written) {
                if (written.error().code() == Error::Code::Conflict && !options.revision)
                    continue;
                return self.storageError(call, written.error(), name);
            }
            outcome.objectJson = written->object->json();
            return outcome;
        }
        outcome.removed = true;
        if (options.dryRun) {
            outcome.objectJson = (*current)->json();
            return outcome;
        }
        auto removed = self.store.remove(key, {(*current)->modRevision(), std::nullopt});
        if (!removed) {
            if (removed.error().code() == Error::Code::Conflict && !options.revision)
                continue;
            return self.storageError(call, removed.error(), name);
        }
        if (ApiServer::Private::writesService(call))
            self.serviceAllocator.release(registry::ServiceAllocator::held(original));
        outcome.objectJson = removed->object->json();
        return outcome;
    }
    return self.storageError(call, Error(Error::Code::Conflict, ""), name);
}

void ApiServer::Private::handleDelete(Call &call)
{
    auto options = parseDeleteOptions(call);
    if (!options)
        return respondError(call, options.error());
    auto outcome = deleteOne(*this, call, call.key(call.info.name), *options);
    if (!outcome)
        return respondError(call, outcome.error());
    const bool returnsObject
        = call.resource.group.empty()
          && (call.resource.resource == "pods" || call.resource.resource == "services");
    if (!outcome->removed || returnsObject)
        return respondServed(*this, call, 200, std::move(outcome->objectJson));
    json details = {{"name", call.info.name}};
    if (!call.resource.group.empty())
        details["group"] = call.resource.group;
    details["kind"] = call.resource.resource;
    details["uid"] = outcome->uid;
    const json status = {{"kind", "Status"},
                         {"apiVersion", "v1"},
                         {"metadata", json::object()},
                         {"status", "Success"},
                         {"details", std::move(details)}};
    respondJson(call, 200, status.dump());
}

void ApiServer::Private::handleDeleteCollection(Call &call)
{
    auto options = parseDeleteOptions(call);
    if (!options)
        return respondError(call, options.error());
    auto selection = Selection::fromRequest(call, {});
    if (!selection)
        return respondError(call, selection.error());
    auto listed = collectList(store, call, *selection, false);
    if (!listed)
        return respondError(call, listed.error());
    std::string items;
    for (const storage::ObjectRef &item : listed->items) {
        auto outcome = deleteOne(*this, call, item->key(), *options);
        if (!outcome) {
            if (outcome.error().code() == Error::Code::NotFound)
                continue; // deleted by someone else meanwhile
            return respondError(call, outcome.error());
        }
        items += (items.empty() ? "" : ",") + outcome->objectJson;
    }
    respondServed(*this, call, 200,
                  "{\"kind\":" + json(call.resource.listKind).dump()
                      + ",\"apiVersion\":" + json(call.resource.groupVersion()).dump()
                      + ",\"metadata\":{\"resourceVersion\":\""
                      + std::to_string(store.currentRevision()) + "\"},\"items\":[" + items + "]}");
}

} // namespace kd::lc::apiserver

namespace kd::lc::apiserver {

namespace {

// The string at `pointer`, or "" when it is missing, not a string or the path does not resolve.
std::string stringAt(const json &object, const json::json_pointer &pointer)
{
    try {
        const json &value = object.at(pointer);
        return value.is_string() ? value.get<std::string>() : std::string();
    } catch (const json::exception &) {
        return {};
    }
}

json successStatus(int code)
{
    return {{"kind", "Status"},
            {"apiVersion", "v1"},
            {"metadata", json::object()},
            {"status", "Success"},
            {"code", code}};
}

} // namespace

// POST pods/NAME/binding: the scheduler's way to place a pod. spec.nodeName is set once.
void ApiServer::Private::handleBinding(Call &call)
{
    auto parsed = decodeObjectBody(call);
    if (!parsed)
        return respondError(call, parsed.error());
    const std::string &name = call.info.name;
    const json target = parsed->value("target", json::object());
    const std::string node = target.is_object() ? target.value("name", std::string()) : "";
    if (node.empty()) {
        ResourceInfo binding;
        binding.version = "v1";
        binding.resource = "bindings";
        binding.kind = "Binding";
        return respondError(
            call, objectrules::invalid(binding, name,
                                       {{"FieldValueRequired", "Required value", "target.name"}}));
    }
    const std::string subject = "pods/binding \"" + name + "\"";
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
        auto current = store.get(call.key(name));
        if (!current)
            return respondError(call, storageError(call, current.error(), name));
        json pod = (*current)->object();
        if (!meta(pod, "deletionTimestamp").is_null())
            return respondError(call, Error(Error::Code::Conflict,
                                            "Operation cannot be fulfilled on " + subject + ": pod "
                                                + name
                                                + " is being deleted, cannot be assigned to a "
                                                  "host"));
        const std::string assigned = stringAt(pod, "/spec/nodeName"_json_pointer);
        if (!assigned.empty())
            return respondError(call, Error(Error::Code::Conflict,
                                            "Operation cannot be fulfilled on " + subject + ": pod "
                                                + name + " is already assigned to node \""
                                                + assigned + "\""));
        pod["spec"]["nodeName"] = node;
        json &conditions = pod["status"]["conditions"];
        if (!conditions.is_array())
            conditions = json::array();
        bool found = false;
        for (json &condition : conditions) {
            if (condition.is_object() && condition.value("type", json()) == "PodScheduled") {
                condition["status"] = "True";
                condition["lastTransitionTime"] = nowText();
                found = true;
            }
        }
        if (!found)
            conditions.push_back({{"type", "PodScheduled"},
                                  {"status", "True"},
                                  {"lastProbeTime", nullptr},
                                  {"lastTransitionTime", nowText()}});
        pod["metadata"].erase("resourceVersion");
        auto written = store.update(call.key(name), std::move(pod), (*current)->modRevision());
        if (!written) {
            if (written.error().code() == Error::Code::Conflict)
                continue;
            return respondError(call, storageError(call, written.error(), name));
        }
        return respondJson(call, 201, successStatus(201).dump());
    }
    respondError(call, storageError(call, Error(Error::Code::Conflict, ""), name));
}

// POST pods/NAME/eviction: a delete that respects PodDisruptionBudgets (kubectl drain).
void ApiServer::Private::handleEviction(Call &call)
{
    auto parsed = decodeObjectBody(call);
    if (!parsed)
        return respondError(call, parsed.error());
    const std::string &name = call.info.name;
    const json bodyName = parsed->value("/metadata/name"_json_pointer, json(""));
    if (bodyName != "" && bodyName != name)
        return respondError(call, Error(Error::Code::BadRequest,
                                        "name in URL does not match name in Eviction object"));
    auto current = store.get(call.key(name));
    if (!current)
        return respondError(call, storageError(call, current.error(), name));
    const json &pod = (*current)->object();

    // Pods that are not running count for no budget; upstream evicts them directly.
    const std::string phase = stringAt(pod, "/status/phase"_json_pointer);
    if (phase == "Running" || phase == "Unknown") {
        storage::ListRequest request;
        request.resource = {"policy", "poddisruptionbudgets"};
        request.ns = call.info.ns;
        auto budgets = store.list(request);
        if (!budgets)
            return respondError(call, budgets.error());
        const json labels = pod.value("/metadata/labels"_json_pointer, json::object());
        for (const storage::ObjectRef &item : budgets->items) {
            const json &pdb = item->object();
            const json selector = pdb.value("/spec/selector"_json_pointer, json());
            if (!selector.is_object() || !registry::selectorMatches(selector, labels))
                continue;
            const json allowed = pdb.value("/status/disruptionsAllowed"_json_pointer, json(0));
            if (allowed.is_number_integer() && allowed.get<std::int64_t>() > 0)
                continue;
            const std::string pdbName = meta(pdb, "name").is_string()
                                            ? meta(pdb, "name").get<std::string>()
                                            : std::string();
            Error error(Error::Code::TooManyRequests,
                        "Cannot evict pod as it would violate the pod's disruption budget.");
            const json desired = pdb.value("/status/desiredHealthy"_json_pointer, json(0));
            const json healthy = pdb.value("/status/currentHealthy"_json_pointer, json(0));
            error.addCause({"DisruptionBudget",
                            "The disruption budget " + pdbName + " needs " + desired.dump()
                                + " healthy pods and has " + healthy.dump() + " currently",
                            ""});
            return respondError(call, error, json::object());
        }
    }

    // The eviction's DeleteOptions drive the delete exactly as a DELETE body would.
    Call deletion = call;
    const json options = parsed->value("deleteOptions", json::object());
    deletion.request.body = options.is_object() ? options.dump() : std::string("{}");
    deletion.request.headers = {{"Content-Type", "application/json"}};
    auto deleteOptions = parseDeleteOptions(deletion);
    if (!deleteOptions)
        return respondError(call, deleteOptions.error());
    auto outcome = deleteOne(*this, deletion, call.key(name), *deleteOptions);
    if (!outcome)
        return respondError(call, outcome.error());
    respondJson(call, 201, successStatus(201).dump());
}

std::string mediaType(const Call &call)
{
    std::string type(call.request.header("Content-Type").value_or(""));
    if (const std::size_t semi = type.find(';'); semi != std::string::npos)
        type.resize(semi);
    while (!type.empty() && type.back() == ' ')
        type.pop_back();
    std::transform(type.begin(), type.end(), type.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return type;
}

} // namespace kd::lc::apiserver

namespace kd::lc::apiserver {

// PATCH application/apply-patch+yaml (serversideapply.h): merges the applied configuration
// with managed-fields ownership and stores it through the same defaulting, validation and
// commit as any update; a missing object is created through handleCreate.
static void serveApply(ApiServer::Private &self, Call &call, bool dryRun)
{
    const std::string &name = call.info.name;
    const std::string fieldManager(call.request.queryValue("fieldManager").value_or(""));
    const json optionsDetails{{"group", "meta.k8s.io"}, {"kind", "PatchOptions"}};
    if (fieldManager.empty()) {
        Error error(Error::Code::Invalid, "PatchOptions.meta.k8s.io \"\" is invalid: "
                                          "fieldManager: Required value: is required for apply "
                                          "patch");
        error.addCause(
            {"FieldValueRequired", "Required value: is required for apply patch", "fieldManager"});
        return self.respondError(call, error, optionsDetails);
    }
    auto manager = managedfields::managerFor(fieldManager, "", "PatchOptions");
    if (!manager)
        return self.respondError(call, manager.error(), optionsDetails);
    const std::string forceText(call.request.queryValue("force").value_or("false"));
    if (forceText != "true" && forceText != "false" && forceText != "1" && forceText != "0")
        return self.respondError(
            call, Error(Error::Code::BadRequest,
                        "force: invalid value \"" + forceText + "\": expected a boolean"));
    const bool force = forceText == "true" || forceText == "1";

    auto configuration = serversideapply::parseConfiguration(call.request.body);
    if (!configuration)
        return self.respondError(call, configuration.error());
    if (auto ok = serversideapply::checkConfiguration(*configuration, call.resource.groupVersion(),
                                                      call.resource.kind);
        !ok)
        return self.respondError(call, ok.error());
    json &configMeta = (*configuration)["metadata"];
    const json bodyName = configMeta.value("name", json(""));
    if (bodyName != "" && bodyName != name)
        return self.respondError(
            call, Error(Error::Code::BadRequest, "the name of the object (" + bodyName.dump()
                                                     + ") does not match the name on the URL ("
                                                     + name + ")"));
    if (call.resource.namespaced) {
        const json ns = configMeta.value("namespace", json(""));
        if (ns != "" && ns != call.info.ns)
            return self.respondError(call, Error(Error::Code::BadRequest,
                                                 "the namespace of the provided object does not "
                                                 "match the namespace sent on the request"));
    }
    if (auto ok = validateFields(call, *configuration); !ok)
        return self.respondError(call, ok.error());
    const auto scope
        = managedfields::scopeFor(call.resource, call.info.subresource, *manager, nowText());

    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
        auto current = self.store.get(call.key(name));
        if (!current && current.error().code() == Error::Code::NotFound
            && call.info.subresource.empty()) {
            auto created = serversideapply::apply(json(), *configuration, scope, force);
            if (!created)
                return self.respondError(call, created.error(), json::object());
            (*created)["metadata"]["name"] = name;
            // The create path defaults, validates and stores it; method PATCH tells it the
            // managedFields are already the apply's.
            // Shared, as every Call: the create may be answered from the store's writer thread.
            auto creationCall = std::make_shared<Call>(call);
            Call &creation = *creationCall;
            creation.request.body = created->dump(-1, ' ', false, json::error_handler_t::replace);
            std::erase_if(creation.request.headers, [](const server::Header &header) {
                std::string lower = header.name;
                std::transform(lower.begin(), lower.end(), lower.begin(),
                               [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
                return lower == "content-type";
            });
            creation.request.headers.push_back({"Content-Type", "application/json"});
            return self.handleCreate(creation);
        }
        if (!current)
            return self.respondError(call, self.storageError(call, current.error(), name));
        const json &original = (*current)->object();
        auto applied = serversideapply::apply(original, *configuration, scope, force);
        if (!applied) {
            // Conflicts carry only their causes as details, as upstream's apply conflict does.
            if (applied.error().code() == Error::Code::Conflict)
                return self.respondError(call, applied.error(), json::object());
            return self.respondError(call, applied.error());
        }
        json &result = *applied;
        result["kind"] = call.resource.kind;
        result["apiVersion"] = original.value("apiVersion", call.resource.groupVersion());
        if (call.info.subresource.empty())
            registry::applyDefaults(call.resource, result);
        auto prepared = admitUpdate(self, call, original, std::move(result), name, nullptr);
        if (!prepared)
            return self.respondError(call, prepared.error());
        if (commitUpdate(self, call, *current, std::move(*prepared), dryRun, true))
            return;
    }
    self.respondError(call, self.storageError(call, Error(Error::Code::Conflict, ""), name));
}

} // namespace kd::lc::apiserver
