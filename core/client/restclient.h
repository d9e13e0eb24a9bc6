#pragma once

#include <core/client/requestoptions.h>
#include <core/client/resourceref.h>
#include <core/transport/httpclient.h>
#include <core/util/result.h>

#include <nlohmann/json_fwd.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace kd::core::client {

using JsonPtr = std::shared_ptr<const nlohmann::json>;

// A decoded 2xx answer: the body as shared, immutable JSON and the server's warnings.
struct ApiResponse
{
    int status = 0;
    JsonPtr body;
    std::vector<std::string> warnings;
};

using ApiCallback = std::function<void(util::Result<ApiResponse>)>;

// One event of a watch stream.
struct WatchEvent
{
    enum class Type { Added, Modified, Deleted, Bookmark, Error };

    Type type = Type::Added;
    // The object; for Error, the Status (see error()).
    JsonPtr object;

    // For Error events: the Status as an Error (410 Expired means relist).
    util::Error error() const;
    static bool parseType(std::string_view text, Type &type);
};

struct WatchHandler
{
    // The events that one or more received chunks completed, in order.
    std::function<void(std::vector<WatchEvent>)> events;
    // Once, last: success when the server ended the stream (timeoutSeconds, or closed cleanly);
    // an Error for transport failures, non-2xx answers (decoded Status) and undecodable bytes.
    std::function<void(util::Result<void>)> finished;
};

// Cancels one call; copies share the call. After cancel() returns, no callback of the call
// starts on the receiving executor's thread.
class CallHandle final
{
public:
    CallHandle() = default;
    CallHandle(transport::RequestHandle http, std::shared_ptr<std::atomic<bool>> cancelled);
    void cancel() const;
    bool isValid() const { return m_http.isValid(); }

private:
    transport::RequestHandle m_http;
    std::shared_ptr<std::atomic<bool>> m_cancelled;
};

// Kubernetes REST semantics on one connection: builds request paths, query strings, Accept and
// Content-Type headers for every verb, decodes answers (JSON bodies, Status errors with their
// causes, warnings) and splits watch streams into events. Decoding runs on the connection's I/O
// thread, so a 10k-object list never parses on the GUI thread; results then go through the
// executor. Owned by the connection; every member may be called from any thread.
class RestClient final
{
public:
    RestClient(transport::ConnectionConfig config, transport::Executor executor);
    ~RestClient();
    RestClient(const RestClient &) = delete;
    RestClient &operator=(const RestClient &) = delete;

    // Request builders: pure, for tests and for callers that need a variation.
    static transport::HttpRequest getRequest(const ResourceRef &ref);
    static transport::HttpRequest listRequest(const ResourceRef &ref, const ListOptions &options);
    static transport::HttpRequest tableRequest(const ResourceRef &ref, const ListOptions &options,
                                               IncludeObject includeObject);
    static transport::HttpRequest watchRequest(const ResourceRef &ref, const ListOptions &options);
    static transport::HttpRequest createRequest(const ResourceRef &collection,
                                                const nlohmann::json &object,
                                                const WriteOptions &options);
    static transport::HttpRequest updateRequest(const ResourceRef &ref,
                                                const nlohmann::json &object,
                                                const WriteOptions &options);
    static transport::HttpRequest patchRequest(const ResourceRef &ref, PatchType type,
                                               std::string body, const WriteOptions &options);
    static transport::HttpRequest deleteRequest(const ResourceRef &ref,
                                                const DeleteOptions &options);

    // Sends any request and decodes its answer.
    CallHandle call(transport::HttpRequest request, ApiCallback done,
                    std::weak_ptr<const void> guard = {});
    // Blocking form for controllers, tests and other non-GUI callers.
    util::Result<ApiResponse> callAndWait(transport::HttpRequest request);

    CallHandle watch(const ResourceRef &ref, const ListOptions &options, WatchHandler handler,
                     std::weak_ptr<const void> guard = {});

    // Conveniences over call()/callAndWait() with the builders above.
    util::Result<ApiResponse> get(const ResourceRef &ref);
    util::Result<ApiResponse> list(const ResourceRef &ref, const ListOptions &options = {});
    util::Result<ApiResponse> create(const ResourceRef &collection, const nlohmann::json &object,
                                     const WriteOptions &options = {});
    util::Result<ApiResponse> update(const ResourceRef &ref, const nlohmann::json &object,
                                     const WriteOptions &options = {});
    util::Result<ApiResponse> patch(const ResourceRef &ref, PatchType type, std::string body,
                                    const WriteOptions &options = {});
    util::Result<ApiResponse> remove(const ResourceRef &ref, const DeleteOptions &options = {});

    // Decodes one HTTP answer as this client does (exposed for tests and raw callers).
    static util::Result<ApiResponse> decode(const transport::HttpResponse &response);

    transport::HttpClient &http();

private:
    class Private;
    std::shared_ptr<Private> d;
};

} // namespace kd::core::client
