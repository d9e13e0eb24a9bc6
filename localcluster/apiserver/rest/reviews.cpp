#include "apiserver_p.h"
#include "objectrules.h"
#include "serviceaccounttoken.h"

#include <core/util/time.h>

#include <chrono>

namespace kd::lc::apiserver {

using core::util::Error;
using nlohmann::json;

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

std::string text(const json &object, const char *key)
{
    if (!object.is_object())
        return {};
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The attributes a review's spec asks about, for `user` and `groups`.
authz::Attributes reviewAttributes(const json &spec, std::string user,
                                   std::vector<std::string> groups)
{
    authz::Attributes attributes;
    attributes.user = std::move(user);
    attributes.groups = std::move(groups);
    const json resource = spec.value("resourceAttributes", json());
    const json nonResource = spec.value("nonResourceAttributes", json());
    if (nonResource.is_object() && !resource.is_object()) {
        attributes.resourceRequest = false;
        attributes.path = text(nonResource, "path");
        attributes.verb = text(nonResource, "verb");
        return attributes;
    }
    attributes.verb = text(resource, "verb");
    attributes.apiGroup = text(resource, "group");
    attributes.resource = text(resource, "resource");
    attributes.subresource = text(resource, "subresource");
    attributes.name = text(resource, "name");
    attributes.ns = text(resource, "namespace");
    return attributes;
}

json ruleLists(const std::vector<json> &rules)
{
    json resourceRules = json::array();
    json nonResourceRules = json::array();
    for (const json &rule : rules) {
        if (rule.contains("nonResourceURLs")) {
            nonResourceRules.push_back({{"verbs", rule.value("verbs", json::array())},
                                        {"nonResourceURLs", rule["nonResourceURLs"]}});
            continue;
        }
        json entry = {{"verbs", rule.value("verbs", json::array())}};
        for (const char *key : {"apiGroups", "resources", "resourceNames"}) {
            if (rule.contains(key))
                entry[key] = rule[key];
        }
        resourceRules.push_back(std::move(entry));
    }
    return {{"resourceRules", resourceRules},
            {"nonResourceRules", nonResourceRules},
            {"incomplete", false}};
}

} // namespace

// SelfSubjectAccessReview, SubjectAccessReview, LocalSubjectAccessReview and
// SelfSubjectRulesReview: the review comes back with its status filled in; nothing is stored.
void ApiServer::Private::handleAccessReview(Call &call)
{
    auto parsed = decodeObjectBody(call);
    if (!parsed)
        return respondError(call, parsed.error());
    json review = std::move(*parsed);
    review["kind"] = call.resource.kind;
    review["apiVersion"] = call.resource.groupVersion();
    if (!review.contains("metadata") || !review["metadata"].is_object())
        review["metadata"] = json::object();
    review["metadata"]["creationTimestamp"] = nullptr;
    const json spec = review.value("spec", json::object());
    const server::UserInfo &caller = call.request.user;
    const std::string &resource = call.resource.resource;

    if (resource == "selfsubjectrulesreviews") {
        const std::string ns = text(spec, "namespace");
        if (ns.empty())
            return respondError(call,
                                objectrules::invalid(call.resource, "",
                                                     {{"FieldValueRequired",
                                                       "Required value: no namespace on request",
                                                       "spec.namespace"}}));
        review["status"] = ruleLists(authorizer.rulesFor(caller.name, caller.groups, ns));
        return respondJson(call, 201, review.dump());
    }

    authz::Attributes attributes;
    if (resource == "selfsubjectaccessreviews") {
        attributes = reviewAttributes(spec, caller.name, caller.groups);
    } else {
        std::vector<std::string> groups;
        if (const json g = spec.value("groups", json()); g.is_array()) {
            for (const json &group : g) {
                if (group.is_string())
                    groups.push_back(group.get<std::string>());
            }
        }
        const std::string user = text(spec, "user");
        if (user.empty() && groups.empty())
            return respondError(
                call, objectrules::invalid(
                          call.resource, "",
                          {{"FieldValueInvalid",
                            "Invalid value: \"\": at least one of user or group must be specified",
                            "spec.user"}}));
        attributes = reviewAttributes(spec, user, std::move(groups));
        if (resource == "localsubjectaccessreviews") {
            // The namespace comes from the URL and must agree with the one asked about.
            if (attributes.resourceRequest && !attributes.ns.empty()
                && attributes.ns != call.info.ns)
                return respondError(
                    call, objectrules::invalid(call.resource, "",
                                               {{"FieldValueInvalid",
                                                 "Invalid value: \"" + attributes.ns
                                                     + "\": must match metadata.namespace",
                                                 "spec.resourceAttributes.namespace"}}));
            attributes.ns = call.info.ns;
        }
    }
    if (!spec.contains("resourceAttributes") && !spec.contains("nonResourceAttributes"))
        return respondError(
            call, objectrules::invalid(call.resource, "",
                                       {{"FieldValueRequired",
                                         "Required value: exactly one of nonResourceAttributes or "
                                         "resourceAttributes must be specified",
                                         "spec.resourceAttributes"}}));
    const authz::Decision decision = authorizer.authorize(attributes);
    json status = {{"allowed", decision.allowed}};
    if (!decision.reason.empty())
        status["reason"] = decision.reason;
    review["status"] = std::move(status);
    respondJson(call, 201, review.dump());
}

// SelfSubjectReview (kubectl auth whoami): who the server thinks the caller is.
void ApiServer::Private::handleSelfSubjectReview(Call &call)
{
    auto parsed = decodeObjectBody(call);
    if (!parsed)
        return respondError(call, parsed.error());
    const server::UserInfo &caller = call.request.user;
    json userInfo = {{"username", caller.name}, {"groups", caller.groups}};
    if (!caller.uid.empty())
        userInfo["uid"] = caller.uid;
    const json review = {{"kind", "SelfSubjectReview"},
                         {"apiVersion", call.resource.groupVersion()},
                         {"metadata", {{"creationTimestamp", nullptr}}},
                         {"status", {{"userInfo", std::move(userInfo)}}}};
    respondJson(call, 201, review.dump());
}

} // namespace kd::lc::apiserver

namespace kd::lc::apiserver {

// POST serviceaccounts/NAME/token (TokenRequest, kubectl create token): a signed token for an
// existing ServiceAccount, optionally bound to a Pod or Secret; nothing is stored.
void ApiServer::Private::handleTokenRequest(Call &call)
{
    if (options.serviceAccountKeyPem.empty())
        return respondError(
            call, Error(Error::Code::NotFound, "the server could not find the requested resource"));
    auto parsed = decodeObjectBody(call);
    if (!parsed)
        return respondError(call, parsed.error());
    json request = std::move(*parsed);
    const std::string &name = call.info.name;
    const std::string &ns = call.info.ns;
    json spec = request.value("spec", json::object());
    if (!spec.is_object())
        spec = json::object();

    ResourceInfo tokenRequest;
    tokenRequest.group = "authentication.k8s.io";
    tokenRequest.version = "v1";
    tokenRequest.resource = "tokenrequests";
    tokenRequest.kind = "TokenRequest";
    json expiration = spec.value("expirationSeconds", json());
    if (expiration.is_null())
        expiration = 3600; // upstream's default token lifetime
    if (!expiration.is_number_integer())
        return respondError(call, objectrules::invalid(tokenRequest, name,
                                                       {{"FieldValueInvalid",
                                                         "Invalid value: " + expiration.dump()
                                                             + ": must be an integer",
                                                         "spec.expirationSeconds"}}));
    const std::int64_t seconds = expiration.get<std::int64_t>();
    if (seconds < 600)
        return respondError(call, objectrules::invalid(tokenRequest, name,
                                                       {{"FieldValueInvalid",
                                                         "Invalid value: " + std::to_string(seconds)
                                                             + ": may not specify a duration less "
                                                               "than 10 minutes",
                                                         "spec.expirationSeconds"}}));
    if (seconds > (std::int64_t(1) << 32))
        return respondError(call, objectrules::invalid(tokenRequest, name,
                                                       {{"FieldValueTooLong",
                                                         "Invalid value: " + std::to_string(seconds)
                                                             + ": may not specify a duration "
                                                               "larger than 2^32 seconds",
                                                         "spec.expirationSeconds"}}));
    json audiences = spec.value("audiences", json::array());
    if (!audiences.is_array() || audiences.empty())
        audiences = json::array({options.serviceAccountIssuer});

    auto account = store.get(call.key(name));
    if (!account)
        return respondError(call, storageError(call, account.error(), name));
    const std::string accountUid = stringAt((*account)->object(), "/metadata/uid"_json_pointer);

    json kubernetesClaim
        = {{"namespace", ns}, {"serviceaccount", {{"name", name}, {"uid", accountUid}}}};
    const json bound = spec.value("boundObjectRef", json());
    if (bound.is_object()) {
        const std::string kind = text(bound, "kind");
        const std::string boundName = text(bound, "name");
        const std::string resource = kind == "Pod" ? "pods" : kind == "Secret" ? "secrets" : "";
        if (resource.empty())
            return respondError(call,
                                objectrules::invalid(tokenRequest, name,
                                                     {{"FieldValueNotSupported",
                                                       "Unsupported value: " + json(kind).dump()
                                                           + ": supported values: \"Pod\", "
                                                             "\"Secret\"",
                                                       "spec.boundObjectRef.kind"}}));
        auto object = store.get({{"", resource}, ns, boundName});
        if (!object)
            return respondError(
                call, Error(Error::Code::NotFound, resource + " \"" + boundName + "\" not found"),
                json{{"name", boundName}, {"kind", resource}});
        const std::string uid = stringAt((*object)->object(), "/metadata/uid"_json_pointer);
        const std::string wanted = text(bound, "uid");
        if (!wanted.empty() && wanted != uid)
            return respondError(call, Error(Error::Code::Conflict,
                                            "the UID in the bound object reference (" + wanted
                                                + ") does not match the UID in record. The "
                                                  "object might have been deleted and then "
                                                  "recreated"));
        kubernetesClaim[kind == "Pod" ? "pod" : "secret"] = {{"name", boundName}, {"uid", uid}};
    }

    const auto now = core::util::Clock::now();
    const std::int64_t issuedAt
        = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    const json claims = {{"aud", audiences},
                         {"exp", issuedAt + seconds},
                         {"iat", issuedAt},
                         {"iss", options.serviceAccountIssuer},
                         {"jti", objectrules::newUid()},
                         {"kubernetes.io", kubernetesClaim},
                         {"nbf", issuedAt},
                         {"sub", "system:serviceaccount:" + ns + ":" + name}};
    auto token = signServiceAccountToken(options.serviceAccountKeyPem, claims);
    if (!token)
        return respondError(call, token.error());

    spec["audiences"] = audiences;
    spec["expirationSeconds"] = seconds;
    if (!spec.contains("boundObjectRef"))
        spec["boundObjectRef"] = nullptr;
    const json response = {{"kind", "TokenRequest"},
                           {"apiVersion", "authentication.k8s.io/v1"},
                           {"metadata",
                            {{"name", name},
                             {"namespace", ns},
                             {"creationTimestamp", core::util::formatRfc3339(now)}}},
                           {"spec", spec},
                           {"status",
                            {{"token", *token},
                             {"expirationTimestamp",
                              core::util::formatRfc3339(now + std::chrono::seconds(seconds))}}}};
    respondJson(call, 201, response.dump());
}

} // namespace kd::lc::apiserver
