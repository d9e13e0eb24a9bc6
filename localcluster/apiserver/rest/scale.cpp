#include "scale.h"
#include "apiserver_p.h"
#include "jsonpatch.h"
#include "mergepatch.h"
#include "objectrules.h"
#include "strategicmergepatch.h"

#include <localcluster/apiserver/jsonpath.h>

#include <algorithm>
#include <charconv>
#include <vector>

namespace kd::lc::apiserver {

using core::util::Error;
using core::util::Result;
using nlohmann::json;

namespace {} // namespace

namespace scale {

namespace {

std::string joinSorted(const json &values)
{
    std::vector<std::string> items;
    if (values.is_array()) {
        for (const json &value : values) {
            if (value.is_string())
                items.push_back(value.get<std::string>());
        }
    }
    std::sort(items.begin(), items.end());
    std::string joined;
    for (const std::string &item : items)
        joined += (joined.empty() ? "" : ",") + item;
    return joined;
}

} // namespace

std::string selectorString(const json &selector)
{
    if (!selector.is_object())
        return {};
    std::vector<std::pair<std::string, std::string>> requirements; // key, text
    const bool labelSelector
        = selector.contains("matchLabels") || selector.contains("matchExpressions");
    const json &labels = labelSelector ? selector.value("matchLabels", json::object()) : selector;
    if (labels.is_object()) {
        for (auto it = labels.begin(); it != labels.end(); ++it) {
            if (it->is_string())
                requirements.emplace_back(it.key(), it.key() + "=" + it->get<std::string>());
        }
    }
    const json expressions
        = labelSelector ? selector.value("matchExpressions", json::array()) : json::array();
    if (expressions.is_array()) {
        for (const json &expression : expressions) {
            if (!expression.is_object() || !expression.value("key", json()).is_string())
                continue;
            const std::string key = expression["key"].get<std::string>();
            const std::string op = expression.value("operator", std::string());
            const json values = expression.value("values", json::array());
            if (op == "In")
                requirements.emplace_back(key, key + " in (" + joinSorted(values) + ")");
            else if (op == "NotIn")
                requirements.emplace_back(key, key + " notin (" + joinSorted(values) + ")");
            else if (op == "Exists")
                requirements.emplace_back(key, key);
            else if (op == "DoesNotExist")
                requirements.emplace_back(key, "!" + key);
        }
    }
    std::stable_sort(requirements.begin(), requirements.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });
    std::string text;
    for (const auto &requirement : requirements)
        text += (text.empty() ? "" : ",") + requirement.second;
    return text;
}

json fromParent(const json &parent)
{
    json metadata = json::object();
    const json source = parent.value("metadata", json::object());
    for (const char *field : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
        if (source.is_object() && source.contains(field))
            metadata[field] = source[field];
    }
    json scale = {{"kind", "Scale"},
                  {"apiVersion", "autoscaling/v1"},
                  {"metadata", metadata},
                  {"spec", json::object()},
                  {"status", json::object()}};
    const json replicas = valueAt(parent, "/spec/replicas"_json_pointer);
    // ScaleSpec.replicas is omitempty upstream: a workload scaled to zero shows an empty spec.
    if (replicas.is_number_integer() && replicas.get<std::int64_t>() != 0)
        scale["spec"]["replicas"] = replicas;
    const json current = valueAt(parent, "/status/replicas"_json_pointer, json(0));
    scale["status"]["replicas"] = current.is_number_integer() ? current : json(0);
    const std::string selector = selectorString(valueAt(parent, "/spec/selector"_json_pointer));
    if (!selector.empty())
        scale["status"]["selector"] = selector;
    return scale;
}

} // namespace scale

namespace {

constexpr int kMaxScaleAttempts = 5;

json scaleDetails(const std::string &name)
{
    return {{"name", name}, {"group", "autoscaling"}, {"kind", "Scale"}};
}

Error scaleInvalid(const std::string &name, const Error::Cause &cause)
{
    Error error(Error::Code::Invalid, "Scale.autoscaling \"" + name
                                          + "\" is invalid: " + cause.field + ": " + cause.message);
    error.addCause(cause);
    return error;
}

// The replicas a proposed Scale asks for, checked as upstream's ValidateScale does.
Result<std::int64_t> requestedReplicas(const std::string &name, const json &scale)
{
    if (!scale.is_object())
        return Error(Error::Code::BadRequest, "the body is not a Scale object");
    const json kind = scale.value("kind", json());
    const json apiVersion = scale.value("apiVersion", json());
    if (!kind.is_null() && kind != "Scale")
        return Error(Error::Code::BadRequest,
                     "the object provided is unrecognized (must be of type Scale): kind "
                         + kind.dump() + " is not Scale");
    if (!apiVersion.is_null() && apiVersion != "autoscaling/v1")
        return Error(Error::Code::BadRequest, "the API version in the data (" + apiVersion.dump()
                                                  + ") does not match the expected API version "
                                                    "(autoscaling/v1)");
    const json bodyName = valueAt(scale, "/metadata/name"_json_pointer, json(""));
    if (bodyName != "" && bodyName != name)
        return Error(Error::Code::BadRequest, "the name of the object (" + bodyName.dump()
                                                  + ") does not match the name on the URL (" + name
                                                  + ")");
    const json replicas = valueAt(scale, "/spec/replicas"_json_pointer, json(0));
    if (!replicas.is_number_integer())
        return scaleInvalid(name, {"FieldValueInvalid",
                                   "Invalid value: " + replicas.dump() + ": must be an integer",
                                   "spec.replicas"});
    const std::int64_t value = replicas.get<std::int64_t>();
    if (value < 0)
        return scaleInvalid(name, {"FieldValueInvalid",
                                   "Invalid value: " + std::to_string(value)
                                       + ": must be greater than or equal to 0",
                                   "spec.replicas"});
    return value;
}

} // namespace

// GET, PUT and PATCH of …/NAME/scale: the Scale is computed from the parent, and a write stores
// spec.replicas (and a new generation) in the parent, with the Scale's resourceVersion as the
// parent's precondition.
void ApiServer::Private::handleScale(Call &call)
{
    const std::string &name = call.info.name;
    const std::string &verb = call.info.verb;
    auto dryRun = parseDryRun(call.request);
    if (!dryRun)
        return respondError(call, dryRun.error());
    // Custom resources map Scale through their CRD's replicas and selector paths.
    const auto viewOf = [&](const json &parent) {
        return call.resource.custom ? customResources.scaleOf(call.resource, parent)
                                    : scale::fromParent(parent);
    };
    const std::string replicasPointer = call.resource.custom
                                            ? customResources.specReplicasPointer(call.resource)
                                            : std::string("/spec/replicas");
    if (replicasPointer.empty())
        return respondError(
            call, Error(Error::Code::NotFound, "the server could not find the requested resource"));

    json body;
    if (verb == "update" || verb == "patch") {
        const std::string type = mediaType(call);
        const bool known = verb == "update" ? (type.empty() || type == "application/json")
                                            : (type == "application/json-patch+json"
                                               || type == "application/merge-patch+json"
                                               || type == "application/strategic-merge-patch+json");
        if (!known)
            return respondError(
                call, Error(Error::Code::UnsupportedMediaType,
                            "the body of the request was in an unknown format - "
                            "accepted media types include: "
                                + std::string(verb == "update" ? "application/json"
                                                               : "application/json-patch+json, "
                                                                 "application/merge-patch+json, "
                                                                 "application/strategic-merge-"
                                                                 "patch+json")));
        body = json::parse(call.request.body, nullptr, false);
        if (body.is_discarded())
            return respondError(
                call, Error(Error::Code::BadRequest, "the body of the request is not valid JSON"));
    }

    for (int attempt = 0; attempt < kMaxScaleAttempts; ++attempt) {
        auto current = store.get(call.key(name));
        if (!current)
            return respondError(call, storageError(call, current.error(), name));
        const json &parent = (*current)->object();
        json view = viewOf(parent);
        if (verb == "get")
            return respondJson(call, 200, view.dump());

        json proposed;
        if (verb == "update") {
            proposed = body;
        } else {
            const std::string type = mediaType(call);
            Result<json> patched = type == "application/json-patch+json"
                                       ? applyJsonPatch(view, body)
                                   : type == "application/strategic-merge-patch+json"
                                       ? applyStrategicMergePatch(view, body)
                                       : Result<json>(applyMergePatch(view, body));
            if (!patched)
                return respondError(call, patched.error(), scaleDetails(name));
            proposed = std::move(*patched);
        }
        auto replicas = requestedReplicas(name, proposed);
        if (!replicas)
            return respondError(call, replicas.error(), scaleDetails(name));

        // A resourceVersion in the Scale is a precondition on the parent.
        const json rv = valueAt(proposed, "/metadata/resourceVersion"_json_pointer, json(""));
        const bool conditional = rv.is_string() && !rv.get<std::string>().empty();
        if (conditional && rv != valueAt(view, "/metadata/resourceVersion"_json_pointer, json("")))
            return respondError(call, storageError(call, Error(Error::Code::Conflict, ""), name));

        json updated = parent;
        if (valueAt(updated, json::json_pointer(replicasPointer)) == json(*replicas))
            return respondJson(call, 200, view.dump());
        updated[json::json_pointer(replicasPointer)] = *replicas;
        if (objectrules::tracksGeneration(call.resource)) {
            const json generation = valueAt(updated, "/metadata/generation"_json_pointer, json(0));
            updated["metadata"]["generation"]
                = (generation.is_number_integer() ? generation.get<std::int64_t>() : 0) + 1;
        }
        updated["metadata"].erase("resourceVersion");
        if (*dryRun) {
            updated["metadata"]["resourceVersion"] = std::to_string((*current)->modRevision());
            return respondJson(call, 200, viewOf(updated).dump());
        }
        auto written = store.update(call.key(name), std::move(updated), (*current)->modRevision());
        if (!written) {
            if (written.error().code() == Error::Code::Conflict && !conditional)
                continue;
            return respondError(call, storageError(call, written.error(), name));
        }
        return respondJson(call, 200, viewOf(written->object->object()).dump());
    }
    respondError(call, storageError(call, Error(Error::Code::Conflict, ""), name));
}

} // namespace kd::lc::apiserver
