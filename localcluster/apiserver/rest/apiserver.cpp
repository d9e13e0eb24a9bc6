#include "apiserver.h"
#include "apiserver_p.h"
#include "jsondepth.h"
#include "objectrules.h"
#include "openapi.h"
#include "watchsession.h"

#include <localcluster/apiserver/discovery.h>
#include <localcluster/version.h>

#include <core/util/threadname.h>
#include <core/util/time.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <thread>

namespace kd::lc::apiserver {

using core::util::Error;
using core::util::Result;
using nlohmann::json;

namespace {

constexpr const char *kNotFoundMessage = "the server could not find the requested resource";
constexpr const char *kMethodNotAllowedMessage
    = "the server does not allow this method on the requested resource";

Error notFound()
{
    return Error(Error::Code::NotFound, kNotFoundMessage);
}

Error methodNotAllowed()
{
    return Error(Error::Code::MethodNotAllowed, kMethodNotAllowedMessage);
}

} // namespace

Result<bool> parseDryRun(const server::Request &request)
{
    bool dryRun = false;
    for (const auto &[name, value] : request.query) {
        if (name != "dryRun")
            continue;
        if (value != "All")
            return Error(Error::Code::BadRequest,
                         "dryRun: Unsupported value: \"" + value + "\": supported values: \"All\"");
        dryRun = true;
    }
    return dryRun;
}

ApiServer::Private::Private(storage::Store &store, ResourceCatalog &catalog,
                            ApiServerOptions options)
    : store(store)
    , catalog(catalog)
    , options(options)
    , pool(options.workerThreads,
           options.runningWorkers > 0
               ? options.runningWorkers
               : std::max(4, 2 * static_cast<int>(std::thread::hardware_concurrency())))
{}

void ApiServer::Private::start()
{
    // Stored CRDs are served from the first request on.
    if (auto served = customResources.start(); !served)
        lcRest.error("custom resources are not served: " + served.error().message());
    // Bookmarks and watch timeouts need a clock that does not depend on storage traffic.
    ticker = std::thread([this] {
        core::util::setCurrentThreadName("kd-watch-ticker");
        std::unique_lock lock(watchMutex);
        while (!stopping) {
            watchWake.wait_for(lock, std::chrono::milliseconds(250));
            if (stopping)
                break;
            lock.unlock();
            tickWatches();
            lock.lock();
        }
    });
}

void ApiServer::Private::shutdown()
{
    std::vector<std::shared_ptr<WatchSession>> open;
    {
        std::lock_guard lock(watchMutex);
        stopping = true;
        open.swap(watches);
    }
    watchWake.notify_all();
    if (ticker.joinable())
        ticker.join();
    for (const auto &session : open)
        session->close();
    pool.stop();
    customResources.stop();
}

void ApiServer::Private::respondJson(Call &call, int status, std::string body) const
{
    server::Response response = server::Response::json(status, std::move(body));
    response.headers.insert(response.headers.end(), call.extraHeaders.begin(),
                            call.extraHeaders.end());
    call.writer->respond(std::move(response));
}

json ApiServer::Private::statusDetails(const Call &call, const Error &error,
                                       const std::string &name) const
{
    json details = json::object();
    const bool objectError
        = error.code() == Error::Code::NotFound || error.code() == Error::Code::AlreadyExists
          || error.code() == Error::Code::Conflict || error.code() == Error::Code::Invalid;
    if (objectError && call.info.target == RequestInfo::Target::Resource
        && !call.resource.resource.empty()) {
        if (!name.empty())
            details["name"] = name;
        if (!call.resource.group.empty())
            details["group"] = call.resource.group;
        details["kind"]
            = error.code() == Error::Code::Invalid ? call.resource.kind : call.resource.resource;
    }
    return details;
}

void ApiServer::Private::respondError(Call &call, const Error &error,
                                      const std::optional<json> &details) const
{
    const int code = error.httpStatus() > 0 ? error.httpStatus() : 500;
    json body = json::object();
    body["kind"] = "Status";
    body["apiVersion"] = "v1";
    body["metadata"] = json::object();
    body["status"] = "Failure";
    body["message"] = error.message();
    if (!error.reason().empty())
        body["reason"] = error.reason();
    json d = details ? *details : statusDetails(call, error, call.info.name);
    for (const auto &cause : error.causes()) {
        json c = json::object();
        if (!cause.reason.empty())
            c["reason"] = cause.reason;
        if (!cause.message.empty())
            c["message"] = cause.message;
        if (!cause.field.empty())
            c["field"] = cause.field;
        d["causes"].push_back(std::move(c));
    }
    if (error.retryAfterSeconds() > 0)
        d["retryAfterSeconds"] = error.retryAfterSeconds();
    if (!d.empty() || code == 404 || code == 405)
        body["details"] = std::move(d);
    body["code"] = code;
    server::Response response
        = server::Response::json(code, body.dump(-1, ' ', false, json::error_handler_t::replace));
    if (error.retryAfterSeconds() > 0)
        response.headers.push_back({"Retry-After", std::to_string(error.retryAfterSeconds())});
    response.headers.insert(response.headers.end(), call.extraHeaders.begin(),
                            call.extraHeaders.end());
    call.writer->respond(std::move(response));
}

Error ApiServer::Private::storageError(const Call &call, const Error &error,
                                       const std::string &name) const
{
    const std::string subject = call.qualifiedResource() + " \"" + name + "\"";
    switch (error.code()) {
    case Error::Code::NotFound:
        return Error(Error::Code::NotFound, subject + " not found");
    case Error::Code::AlreadyExists:
        return Error(Error::Code::AlreadyExists, subject + " already exists");
    case Error::Code::Conflict:
        if (error.message().starts_with("Precondition failed"))
            return Error(Error::Code::Conflict, error.message());
        return Error(Error::Code::Conflict,
                     "Operation cannot be fulfilled on " + subject
                         + ": the object has been modified; please apply your changes to the "
                           "latest version and try again");
    default:
        return error;
    }
}

bool ApiServer::Private::writesService(const Call &call)
{
    return call.resource.group.empty() && call.resource.resource == "services"
           && call.info.subresource.empty();
}

authz::Attributes authorizationAttributes(const Call &call)
{
    authz::Attributes attributes;
    attributes.user = call.request.user.name;
    attributes.groups = call.request.user.groups;
    const RequestInfo &info = call.info;
    attributes.resourceRequest = info.target == RequestInfo::Target::Resource;
    if (!attributes.resourceRequest) {
        attributes.path = call.request.path;
        attributes.verb = call.request.method;
        std::transform(attributes.verb.begin(), attributes.verb.end(), attributes.verb.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        return attributes;
    }
    attributes.verb = info.verb;
    attributes.apiGroup = info.group;
    attributes.resource = info.resource;
    attributes.subresource = info.subresource;
    attributes.name = info.name;
    attributes.ns = info.ns;
    return attributes;
}

void ApiServer::Private::dispatch(Call &call)
{
    const RequestInfo &info = call.info;
    const std::string &method = call.request.method;
    const std::string accept(call.request.header("Accept").value_or(""));

    // Every request is authorized before anything else is looked at, as upstream does.
    if (!info.verb.empty() || info.target != RequestInfo::Target::Resource) {
        const authz::Attributes attributes = authorizationAttributes(call);
        if (!authorizer.authorize(attributes).allowed) {
            json details = json::object();
            if (attributes.resourceRequest) {
                if (!attributes.name.empty())
                    details["name"] = attributes.name;
                if (!attributes.apiGroup.empty())
                    details["group"] = attributes.apiGroup;
                details["kind"] = attributes.resource;
            }
            return respondError(
                call, Error(Error::Code::Forbidden, authz::forbiddenMessage(attributes)), details);
        }
    }

    // Everything that reads a body recurses per nesting level; refuse absurd depths before any
    // of it runs out of stack. Protobuf bodies carry their own depth limit in the transcoder.
    if (!call.request.body.empty()
        && !call.request.header("Content-Type")
                .value_or("")
                .starts_with("application/vnd.kubernetes.protobuf")) {
        if (auto depth = checkJsonDepth(call.request.body); !depth)
            return respondError(call, depth.error());
    }

    switch (info.target) {
    case RequestInfo::Target::Unknown:
        return respondError(call, notFound());
    case RequestInfo::Target::CoreRoot:
    case RequestInfo::Target::GroupList: {
        if (method != "GET")
            return respondError(call, methodNotAllowed());
        auto negotiated = negotiateDiscovery(accept);
        if (!negotiated)
            return respondError(call, negotiated.error());
        const bool core = info.target == RequestInfo::Target::CoreRoot;
        json body;
        if (negotiated->format != DiscoveryFormat::Legacy) {
            body = aggregatedDiscovery(
                catalog, core ? DiscoveryScope::Core : DiscoveryScope::Groups, negotiated->format);
        } else if (core) {
            const std::string host(call.request.header("Host").value_or(
                "127.0.0.1:" + std::to_string(options.servingPort)));
            body = apiVersions(host);
        } else {
            body = apiGroupList(catalog);
        }
        server::Response response = server::Response::json(200, body.dump());
        response.headers = {{"Content-Type", negotiated->contentType}};
        // Aggregated and legacy answers differ by Accept alone: caches must keep them apart.
        response.headers.push_back({"Vary", "Accept"});
        return call.writer->respond(std::move(response));
    }
    case RequestInfo::Target::Group: {
        if (method != "GET")
            return respondError(call, methodNotAllowed());
        for (const ApiGroupInfo &group : catalog.groups()) {
            if (group.name != info.group || group.name.empty())
                continue;
            json versions = json::array();
            for (const std::string &version : group.versions)
                versions.push_back(
                    {{"groupVersion", group.name + "/" + version}, {"version", version}});
            json body = {{"kind", "APIGroup"},
                         {"apiVersion", "v1"},
                         {"name", group.name},
                         {"versions", versions},
                         {"preferredVersion", versions.at(0)}};
            return respondJson(call, 200, body.dump());
        }
        return respondError(call, notFound());
    }
    case RequestInfo::Target::GroupVersion: {
        if (method != "GET")
            return respondError(call, methodNotAllowed());
        auto list = apiResourceList(catalog, info.group, info.version);
        if (!list)
            return respondError(call, notFound());
        return respondJson(call, 200, list->dump());
    }
    case RequestInfo::Target::OpenApiV2: {
        if (method != "GET")
            return respondError(call, methodNotAllowed());
        // JSON or gnostic protobuf by Accept, as kube-openapi serves it; 406 for neither.
        const auto format = openapi::negotiateV2(call.request.header("Accept").value_or(""));
        if (!format)
            return call.writer->respond(server::Response::failure(
                406, "NotAcceptable", "only application/json and protobuf are served"));
        const auto documents = openApiV2.documents(catalog, buildInfo().kubernetesVersion);
        const bool asJson = *format == openapi::V2Format::Json;
        const std::string &etag = asJson ? documents->jsonEtag : documents->protobufEtag;
        server::Response response{
            200,
            {{"Content-Type", asJson ? "application/json" : openapi::v2ContentType},
             {"ETag", etag},
             {"Vary", "Accept"}},
            {}};
        if (call.request.header("If-None-Match").value_or("") == etag)
            response.status = 304;
        else
            response.body = asJson ? documents->json : documents->protobuf;
        return call.writer->respond(std::move(response));
    }
    case RequestInfo::Target::OpenApiV3: {
        if (method != "GET")
            return respondError(call, methodNotAllowed());
        return respondJson(call, 200,
                           openapi::v3Index(catalog, buildInfo().kubernetesVersion).dump());
    }
    case RequestInfo::Target::OpenApiV3GroupVersion: {
        if (method != "GET")
            return respondError(call, methodNotAllowed());
        auto document = openapi::v3GroupVersion(catalog, info.group, info.version,
                                                buildInfo().kubernetesVersion);
        if (!document)
            return respondError(call, document.error());
        return respondJson(call, 200, document->dump());
    }
    case RequestInfo::Target::Resource:
        break;
    }

    auto found = catalog.find(info.group, info.version, info.resource);
    if (!found)
        return respondError(call, notFound());
    call.resource = std::move(*found); // moved, not copied: it holds a few dozen strings
    const ResourceInfo *resource = &call.resource;

    if (!resource->namespaced && !info.ns.empty())
        return respondError(call, notFound());
    if (info.verb.empty())
        return respondError(call, methodNotAllowed());

    std::vector<std::string> verbs = resource->verbs;
    if (!info.subresource.empty()) {
        const SubresourceInfo *sub = resource->subresource(info.subresource);
        const bool finalize = info.subresource == "finalize" && resource->group.empty()
                              && resource->resource == "namespaces";
        const bool podAction = resource->group.empty() && resource->resource == "pods"
                               && (info.subresource == "binding" || info.subresource == "eviction");
        const bool token = resource->group.empty() && resource->resource == "serviceaccounts"
                           && info.subresource == "token";
        const bool served = info.subresource == "status" || info.subresource == "scale" || finalize
                            || podAction || token;
        if (!sub || !served)
            return respondError(call, notFound());
        verbs = sub->verbs;
    }
    const bool allowed = std::find(verbs.begin(), verbs.end(), info.verb) != verbs.end();
    const bool needsNamespace
        = resource->namespaced && info.ns.empty() && (info.verb == "create" || !info.name.empty());
    if (!allowed || needsNamespace
        || (info.name.empty() && (info.verb == "update" || info.verb == "patch")))
        return respondError(call, methodNotAllowed());

    if (info.subresource == "scale")
        return handleScale(call);
    if (info.subresource == "binding")
        return handleBinding(call);
    if (info.subresource == "token")
        return handleTokenRequest(call);
    if (info.subresource == "eviction")
        return handleEviction(call);
    if (info.verb == "create" && info.subresource.empty()) {
        if (resource->group == "authorization.k8s.io")
            return handleAccessReview(call);
        if (resource->group == "authentication.k8s.io"
            && resource->resource == "selfsubjectreviews")
            return handleSelfSubjectReview(call);
    }
    if (info.verb == "get")
        return handleGet(call);
    if (info.verb == "list")
        return handleList(call);
    if (info.verb == "watch")
        return handleWatch(call);
    if (info.verb == "create")
        return handleCreate(call);
    if (info.verb == "update")
        return handleUpdate(call);
    if (info.verb == "patch")
        return handlePatch(call);
    if (info.verb == "delete")
        return handleDelete(call);
    if (info.verb == "deletecollection")
        return handleDeleteCollection(call);
    respondError(call, methodNotAllowed());
}

ApiServer::ApiServer(storage::Store &store, ResourceCatalog &catalog, ApiServerOptions options)
    : d(std::make_shared<Private>(store, catalog, options))
{
    d->start();
}

ApiServer::~ApiServer()
{
    d->shutdown();
}

void ApiServer::handle(server::Request request, std::shared_ptr<server::ResponseWriter> writer)
{
    auto call = std::make_shared<Call>();
    call->info = parseRequestInfo(request.method, request.path, request.queryValue("watch"));
    call->request = std::move(request);
    call->writer = std::move(writer);
    std::weak_ptr<Private> weak = d;
    const bool posted = d->pool.post([weak, call] {
        auto self = weak.lock();
        if (!self)
            return;
        try {
            self->dispatch(*call);
        } catch (const std::exception &e) {
            // A bug, not bad input: answer instead of leaving the client hanging.
            lcRest.error(std::string("request failed: ") + e.what());
            self->respondError(*call, Error(Error::Code::Internal, e.what()));
        }
    });
    if (!posted)
        call->writer->respond(server::Response::fromError(
            Error(Error::Code::ServiceUnavailable, "the API server is shutting down")));
}

Result<void> ApiServer::bootstrap()
{
    const std::string now = core::util::formatRfc3339(core::util::Clock::now());
    for (const char *name : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
        const storage::Key key{{"", "namespaces"}, "", name};
        if (d->store.get(key))
            continue;
        json ns = {{"apiVersion", "v1"},
                   {"kind", "Namespace"},
                   {"metadata",
                    {{"name", name},
                     {"uid", objectrules::newUid()},
                     {"creationTimestamp", now},
                     {"labels", {{"kubernetes.io/metadata.name", name}}}}},
                   {"spec", {{"finalizers", {"kubernetes"}}}},
                   {"status", {{"phase", "Active"}}}};
        auto created = d->store.create(key, std::move(ns));
        if (!created && created.error().code() != Error::Code::AlreadyExists)
            return Error(created.error()).prefix(std::string("creating namespace ") + name + ": ");
    }
    const storage::Key serviceKey{{"", "services"}, "default", "kubernetes"};
    if (!d->store.get(serviceKey)) {
        json service = {{"apiVersion", "v1"},
                        {"kind", "Service"},
                        {"metadata",
                         {{"name", "kubernetes"},
                          {"namespace", "default"},
                          {"uid", objectrules::newUid()},
                          {"creationTimestamp", now},
                          {"labels", {{"component", "apiserver"}, {"provider", "kubernetes"}}}}},
                        {"spec",
                         {{"type", "ClusterIP"},
                          {"clusterIP", "10.96.0.1"},
                          {"clusterIPs", {"10.96.0.1"}},
                          {"ports",
                           {{{"name", "https"},
                             {"port", 443},
                             {"protocol", "TCP"},
                             {"targetPort", d->options.servingPort}}}},
                          {"sessionAffinity", "None"},
                          {"ipFamilies", {"IPv4"}},
                          {"ipFamilyPolicy", "SingleStack"},
                          {"internalTrafficPolicy", "Cluster"}}},
                        {"status", {{"loadBalancer", json::object()}}}};
        auto created = d->store.create(serviceKey, std::move(service));
        if (!created && created.error().code() != Error::Code::AlreadyExists)
            return Error(created.error()).prefix("creating service default/kubernetes: ");
    }
    // The default RBAC policy; objects a user changed or removed on purpose are not touched
    // unless missing.
    for (json &object : authz::bootstrapPolicy()) {
        const std::string resource
            = object["kind"] == "ClusterRole" ? "clusterroles" : "clusterrolebindings";
        const std::string name = object["metadata"]["name"];
        const storage::Key key{{"rbac.authorization.k8s.io", resource}, "", name};
        if (d->store.get(key))
            continue;
        object["metadata"]["uid"] = objectrules::newUid();
        object["metadata"]["creationTimestamp"] = now;
        auto created = d->store.create(key, std::move(object));
        if (!created && created.error().code() != Error::Code::AlreadyExists)
            return Error(created.error()).prefix("creating " + resource + " " + name + ": ");
    }
    // Allocations live in the stored Services; rebuilding them keeps them across restarts.
    storage::ListRequest everyService;
    everyService.resource = {"", "services"};
    auto services = d->store.list(everyService);
    if (!services)
        return Error(services.error()).prefix("listing services: ");
    for (const storage::ObjectRef &service : services->items)
        d->serviceAllocator.restore(service->object());
    return {};
}

} // namespace kd::lc::apiserver
