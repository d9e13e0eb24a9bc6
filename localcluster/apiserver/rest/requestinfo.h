#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kd::lc::apiserver {

// What a request path addresses, as kube-apiserver's RequestInfoFactory splits it. Plain value;
// any thread.
struct RequestInfo
{
    enum class Target {
        Unknown,               // not an API path: 404
        CoreRoot,              // /api
        GroupList,             // /apis
        Group,                 // /apis/G
        GroupVersion,          // /api/v1, /apis/G/V
        Resource,              // anything below a group/version
        OpenApiV2,             // /openapi/v2
        OpenApiV3,             // /openapi/v3
        OpenApiV3GroupVersion, // /openapi/v3/api/v1, /openapi/v3/apis/G/V
    };

    Target target = Target::Unknown;
    std::string group;
    std::string version;
    std::string ns; // the namespace segment (also the name of /api/v1/namespaces/NS)
    std::string resource;
    std::string name;
    std::string subresource;
    bool legacyWatchPath = false; // /api/v1/watch/…

    // get, list, watch, create, update, patch, delete, deletecollection; empty when the method
    // has no verb (HEAD, OPTIONS…). Computed from the method, the path and ?watch.
    std::string verb;
};

// Splits a percent-decoded path. `watchParam` is the value of ?watch when present.
// Pure function; any thread.
RequestInfo parseRequestInfo(std::string_view method, std::string_view path,
                             std::optional<std::string_view> watchParam);

} // namespace kd::lc::apiserver
