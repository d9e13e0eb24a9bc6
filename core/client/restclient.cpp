#include "restclient.h"

#include "jsonstreamsplitter.h"

#include <core/api/status.h>
#include <core/util/guard.h>
#include <core/util/log.h>

#include <nlohmann/json.hpp>

namespace kd::core::client {

using transport::HttpRequest;
using transport::HttpResponse;
using util::Error;
using util::Result;

namespace {

const util::LogCategory lcClient("kd.client");

constexpr const char *kJson = "application/json";
constexpr const char *kTableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,"
                                     "application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
                                     "application/json";

void addQuery(std::string &path, std::string_view name, std::string_view value)
{
    path += path.find('?') == std::string::npos ? '?' : '&';
    path += name;
    path += '=';
    path += percentEncode(value);
}

void addListOptions(std::string &path, const ListOptions &options)
{
    if (!options.labelSelector.empty())
        addQuery(path, "labelSelector", options.labelSelector);
    if (!options.fieldSelector.empty())
        addQuery(path, "fieldSelector", options.fieldSelector);
    if (options.resourceVersion)
        addQuery(path, "resourceVersion", *options.resourceVersion);
    if (!options.resourceVersionMatch.empty())
        addQuery(path, "resourceVersionMatch", options.resourceVersionMatch);
    if (options.limit > 0)
        addQuery(path, "limit", std::to_string(options.limit));
    if (!options.continueToken.empty())
        addQuery(path, "continue", options.continueToken);
    if (options.timeoutSeconds)
        addQuery(path, "timeoutSeconds", std::to_string(*options.timeoutSeconds));
}

void addWriteOptions(std::string &path, const WriteOptions &options)
{
    if (options.dryRun)
        addQuery(path, "dryRun", "All");
    if (!options.fieldManager.empty())
        addQuery(path, "fieldManager", options.fieldManager);
    if (!options.fieldValidation.empty())
        addQuery(path, "fieldValidation", options.fieldValidation);
}

HttpRequest makeRequest(std::string method, std::string path, const char *accept)
{
    HttpRequest request;
    request.method = std::move(method);
    request.path = std::move(path);
    request.headers.emplace_back("Accept", accept);
    return request;
}

std::string dump(const nlohmann::json &object)
{
    // Replace invalid UTF-8 rather than throw: the server then rejects the value it cannot use.
    return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<WatchEvent> parseEvent(const std::string &text)
{
    nlohmann::json event = nlohmann::json::parse(text, nullptr, false);
    if (event.is_discarded() || !event.is_object())
        return Error(Error::Code::Decode, "a watch event is not a JSON object");
    WatchEvent out;
    const auto type = event.find("type");
    if (type == event.end() || !type->is_string()
        || !WatchEvent::parseType(type->get_ref<const std::string &>(), out.type))
        return Error(Error::Code::Decode, "a watch event has no known type");
    auto object = event.find("object");
    if (object == event.end() || !object->is_object())
        return Error(Error::Code::Decode, "a watch event has no object");
    out.object = std::make_shared<const nlohmann::json>(std::move(*object));
    return out;
}

// Whether a receiver guard was given at all: an empty weak_ptr means "no receiver to outlive".
} // namespace

const char *patchContentType(PatchType type)
{
    switch (type) {
    case PatchType::Json:
        return "application/json-patch+json";
    case PatchType::Merge:
        return "application/merge-patch+json";
    case PatchType::StrategicMerge:
        return "application/strategic-merge-patch+json";
    case PatchType::Apply:
        return "application/apply-patch+yaml";
    }
    return "application/merge-patch+json";
}

Error WatchEvent::error() const
{
    return api::errorFromStatus(object ? *object : nlohmann::json(), 500);
}

bool WatchEvent::parseType(std::string_view text, Type &type)
{
    static const std::pair<std::string_view, Type> types[] = {
        {"ADDED", Type::Added},       {"MODIFIED", Type::Modified}, {"DELETED", Type::Deleted},
        {"BOOKMARK", Type::Bookmark}, {"ERROR", Type::Error},
    };
    for (const auto &[name, value] : types) {
        if (name == text) {
            type = value;
            return true;
        }
    }
    return false;
}

CallHandle::CallHandle(transport::RequestHandle http, std::shared_ptr<std::atomic<bool>> cancelled)
    : m_http(std::move(http))
    , m_cancelled(std::move(cancelled))
{}

void CallHandle::cancel() const
{
    if (m_cancelled)
        m_cancelled->store(true);
    m_http.cancel();
}

class RestClient::Private
{
public:
    Private(transport::ConnectionConfig config, transport::Executor executor)
        : executor(std::move(executor))
        // Deliveries run inline on the I/O thread so that decoding happens there; the decoded
        // result then goes through the caller's executor.
        , http(std::move(config), [](std::function<void()> f) { f(); })
    {}

    transport::Executor executor;
    transport::HttpClient http;
};

RestClient::RestClient(transport::ConnectionConfig config, transport::Executor executor)
    : d(std::make_shared<Private>(std::move(config), std::move(executor)))
{}

RestClient::~RestClient() = default;

transport::HttpClient &RestClient::http()
{
    return d->http;
}

HttpRequest RestClient::getRequest(const ResourceRef &ref)
{
    return makeRequest("GET", ref.path(), kJson);
}

HttpRequest RestClient::listRequest(const ResourceRef &ref, const ListOptions &options)
{
    std::string path = ref.collection().path();
    addListOptions(path, options);
    return makeRequest("GET", std::move(path), kJson);
}

HttpRequest RestClient::tableRequest(const ResourceRef &ref, const ListOptions &options,
                                     IncludeObject includeObject)
{
    std::string path = ref.path();
    addListOptions(path, options);
    switch (includeObject) {
    case IncludeObject::None:
        addQuery(path, "includeObject", "None");
        break;
    case IncludeObject::Object:
        addQuery(path, "includeObject", "Object");
        break;
    case IncludeObject::Metadata:
        break; // the server's default
    }
    return makeRequest("GET", std::move(path), kTableAccept);
}

HttpRequest RestClient::watchRequest(const ResourceRef &ref, const ListOptions &options)
{
    std::string path = ref.collection().path();
    addQuery(path, "watch", "true");
    if (options.allowWatchBookmarks)
        addQuery(path, "allowWatchBookmarks", "true");
    if (options.sendInitialEvents)
        addQuery(path, "sendInitialEvents", "true");
    ListOptions rest = options;
    rest.limit = 0;
    rest.continueToken.clear();
    if (!ref.name.empty() && rest.fieldSelector.empty())
        rest.fieldSelector = "metadata.name=" + ref.name;
    addListOptions(path, rest);
    return makeRequest("GET", std::move(path), kJson);
}

HttpRequest RestClient::createRequest(const ResourceRef &collection, const nlohmann::json &object,
                                      const WriteOptions &options)
{
    std::string path = collection.collection().path();
    addWriteOptions(path, options);
    HttpRequest request = makeRequest("POST", std::move(path), kJson);
    request.headers.emplace_back("Content-Type", kJson);
    request.body = dump(object);
    return request;
}

HttpRequest RestClient::updateRequest(const ResourceRef &ref, const nlohmann::json &object,
                                      const WriteOptions &options)
{
    std::string path = ref.path();
    addWriteOptions(path, options);
    HttpRequest request = makeRequest("PUT", std::move(path), kJson);
    request.headers.emplace_back("Content-Type", kJson);
    request.body = dump(object);
    return request;
}

HttpRequest RestClient::patchRequest(const ResourceRef &ref, PatchType type, std::string body,
                                     const WriteOptions &options)
{
    std::string path = ref.path();
    addWriteOptions(path, options);
    if (type == PatchType::Apply && options.force)
        addQuery(path, "force", "true");
    HttpRequest request = makeRequest("PATCH", std::move(path), kJson);
    request.headers.emplace_back("Content-Type", patchContentType(type));
    request.body = std::move(body);
    return request;
}

HttpRequest RestClient::deleteRequest(const ResourceRef &ref, const DeleteOptions &options)
{
    nlohmann::json body = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
    switch (options.propagationPolicy) {
    case DeleteOptions::Propagation::Background:
        body["propagationPolicy"] = "Background";
        break;
    case DeleteOptions::Propagation::Foreground:
        body["propagationPolicy"] = "Foreground";
        break;
    case DeleteOptions::Propagation::Orphan:
        body["propagationPolicy"] = "Orphan";
        break;
    case DeleteOptions::Propagation::Unset:
        break;
    }
    if (options.gracePeriodSeconds)
        body["gracePeriodSeconds"] = *options.gracePeriodSeconds;
    if (options.preconditionUid)
        body["preconditions"]["uid"] = *options.preconditionUid;
    if (options.preconditionResourceVersion)
        body["preconditions"]["resourceVersion"] = *options.preconditionResourceVersion;
    if (options.dryRun)
        body["dryRun"] = {"All"};
    HttpRequest request = makeRequest("DELETE", ref.path(), kJson);
    request.headers.emplace_back("Content-Type", kJson);
    request.body = body.dump();
    return request;
}

Result<ApiResponse> RestClient::decode(const HttpResponse &response)
{
    if (!response.ok()) {
        const nlohmann::json status = nlohmann::json::parse(response.body, nullptr, false);
        if (!status.is_discarded() && status.is_object() && status.value("kind", "") == "Status")
            return api::errorFromStatus(status, response.status);
        return response.statusError();
    }
    ApiResponse out;
    out.status = response.status;
    for (const auto &warning : response.warnings)
        out.warnings.push_back(warning.text);
    if (response.body.empty()) {
        out.body = std::make_shared<const nlohmann::json>();
        return out;
    }
    nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
    if (body.is_discarded())
        return Error(Error::Code::Decode, "the server's answer is not valid JSON");
    out.body = std::make_shared<const nlohmann::json>(std::move(body));
    return out;
}

CallHandle RestClient::call(HttpRequest request, ApiCallback done, std::weak_ptr<const void> guard)
{
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    const bool guarded = util::isGuardSet(guard);
    auto handle
        = d->http.send(std::move(request), [executor = d->executor, cancelled, guard, guarded,
                                            done = std::move(done)](Result<HttpResponse> response) {
              auto decoded = std::make_shared<Result<ApiResponse>>(
                  response.ok() ? decode(response.value()) : Result<ApiResponse>(response.error()));
              executor([cancelled, guard, guarded, done, decoded] {
                  if (cancelled->load() || (guarded && guard.expired()))
                      return;
                  done(std::move(*decoded));
              });
          });
    return CallHandle(std::move(handle), cancelled);
}

Result<ApiResponse> RestClient::callAndWait(HttpRequest request)
{
    auto response = d->http.sendAndWait(std::move(request));
    if (!response.ok())
        return response.error();
    return decode(response.value());
}

CallHandle RestClient::watch(const ResourceRef &ref, const ListOptions &options,
                             WatchHandler handler, std::weak_ptr<const void> guard)
{
    struct State
    {
        JsonStreamSplitter splitter;
        bool failed = false;
    };
    auto state = std::make_shared<State>();
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    const bool guarded = util::isGuardSet(guard);
    auto shared = std::make_shared<WatchHandler>(std::move(handler));
    auto deliver = [executor = d->executor, cancelled, guard, guarded,
                    shared](std::function<void(WatchHandler &)> f) {
        executor([cancelled, guard, guarded, shared, f = std::move(f)] {
            if (cancelled->load() || (guarded && guard.expired()))
                return;
            f(*shared);
        });
    };

    transport::StreamHandler stream;
    stream.data = [state, deliver](std::string chunk) {
        if (state->failed)
            return;
        std::vector<WatchEvent> events;
        for (const std::string &text : state->splitter.feed(chunk)) {
            auto event = parseEvent(text);
            if (!event.ok()) {
                state->failed = true;
                deliver([error = event.error()](WatchHandler &h) { h.finished(error); });
                return;
            }
            events.push_back(std::move(event.value()));
        }
        if (state->splitter.failed()) {
            state->failed = true;
            deliver([](WatchHandler &h) {
                h.finished(Error(Error::Code::Decode, "the watch stream is not a JSON stream"));
            });
            return;
        }
        if (!events.empty())
            deliver([events = std::move(events)](WatchHandler &h) { h.events(events); });
    };
    stream.finished = [state, deliver](Result<HttpResponse> response) {
        if (state->failed)
            return;
        if (!response.ok()) {
            deliver([error = response.error()](WatchHandler &h) { h.finished(error); });
            return;
        }
        if (!response->ok()) {
            auto decoded = decode(response.value());
            deliver([error = decoded.error()](WatchHandler &h) { h.finished(error); });
            return;
        }
        if (state->splitter.pendingBytes() > 0) {
            lcClient.debug("watch stream ended inside an event");
            deliver([](WatchHandler &h) {
                h.finished(Error(Error::Code::Transport, "the watch stream ended inside an event"));
            });
            return;
        }
        deliver([](WatchHandler &h) { h.finished(Result<void>()); });
    };
    auto handle = d->http.stream(watchRequest(ref, options), std::move(stream));
    return CallHandle(std::move(handle), cancelled);
}

Result<ApiResponse> RestClient::get(const ResourceRef &ref)
{
    return callAndWait(getRequest(ref));
}

Result<ApiResponse> RestClient::list(const ResourceRef &ref, const ListOptions &options)
{
    return callAndWait(listRequest(ref, options));
}

Result<ApiResponse> RestClient::create(const ResourceRef &collection, const nlohmann::json &object,
                                       const WriteOptions &options)
{
    return callAndWait(createRequest(collection, object, options));
}

Result<ApiResponse> RestClient::update(const ResourceRef &ref, const nlohmann::json &object,
                                       const WriteOptions &options)
{
    return callAndWait(updateRequest(ref, object, options));
}

Result<ApiResponse> RestClient::patch(const ResourceRef &ref, PatchType type, std::string body,
                                      const WriteOptions &options)
{
    return callAndWait(patchRequest(ref, type, std::move(body), options));
}

Result<ApiResponse> RestClient::remove(const ResourceRef &ref, const DeleteOptions &options)
{
    return callAndWait(deleteRequest(ref, options));
}

} // namespace kd::core::client
