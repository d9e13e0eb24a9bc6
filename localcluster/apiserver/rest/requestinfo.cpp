#include "requestinfo.h"

#include <vector>

namespace kd::lc::apiserver {

namespace {

std::vector<std::string> splitPath(std::string_view path)
{
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= path.size()) {
        const std::size_t slash = path.find('/', start);
        const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
        if (end > start)
            parts.emplace_back(path.substr(start, end - start));
        if (slash == std::string_view::npos)
            break;
        start = slash + 1;
    }
    return parts;
}

// Go's strconv.ParseBool, which ?watch goes through.
bool isTrue(std::string_view value)
{
    return value == "1" || value == "t" || value == "T" || value == "true" || value == "TRUE"
           || value == "True";
}

} // namespace

RequestInfo parseRequestInfo(std::string_view method, std::string_view path,
                             std::optional<std::string_view> watchParam)
{
    RequestInfo info;
    std::vector<std::string> parts = splitPath(path);
    if (parts.empty())
        return info;

    if (parts[0] == "openapi") {
        if (parts.size() == 2 && parts[1] == "v2")
            info.target = RequestInfo::Target::OpenApiV2;
        else if (parts.size() == 2 && parts[1] == "v3")
            info.target = RequestInfo::Target::OpenApiV3;
        else if (parts.size() == 4 && parts[1] == "v3" && parts[2] == "api") {
            info.target = RequestInfo::Target::OpenApiV3GroupVersion;
            info.version = parts[3];
        } else if (parts.size() == 5 && parts[1] == "v3" && parts[2] == "apis") {
            info.target = RequestInfo::Target::OpenApiV3GroupVersion;
            info.group = parts[3];
            info.version = parts[4];
        }
        return info;
    }

    std::size_t next = 0;
    if (parts[0] == "api") {
        if (parts.size() == 1) {
            info.target = RequestInfo::Target::CoreRoot;
            return info;
        }
        info.version = parts[1];
        next = 2;
    } else if (parts[0] == "apis") {
        if (parts.size() == 1) {
            info.target = RequestInfo::Target::GroupList;
            return info;
        }
        info.group = parts[1];
        if (parts.size() == 2) {
            info.target = RequestInfo::Target::Group;
            return info;
        }
        info.version = parts[2];
        next = 3;
    } else {
        return info;
    }
    if (next == parts.size()) {
        info.target = RequestInfo::Target::GroupVersion;
        return info;
    }

    std::vector<std::string> rest(parts.begin() + static_cast<std::ptrdiff_t>(next), parts.end());
    if (rest[0] == "watch") {
        info.legacyWatchPath = true;
        rest.erase(rest.begin());
        if (rest.empty())
            return info;
    }
    // namespaces/NS/RES… addresses a namespaced resource; namespaces/NS[/status|/finalize] is
    // the namespace object itself.
    if (rest[0] == "namespaces" && rest.size() > 1) {
        info.ns = rest[1];
        if (rest.size() > 2 && rest[2] != "status" && rest[2] != "finalize")
            rest.erase(rest.begin(), rest.begin() + 2);
    }
    if (rest.size() > 3)
        return info; // deeper paths exist only for proxies, which are not served
    info.target = RequestInfo::Target::Resource;
    info.resource = rest[0];
    if (rest.size() > 1)
        info.name = rest[1];
    if (rest.size() > 2)
        info.subresource = rest[2];
    if (info.resource == "namespaces")
        info.ns.clear(); // the namespace is the object's name, not where it lives

    const bool watch = info.legacyWatchPath || (watchParam && isTrue(*watchParam));
    if (method == "GET")
        info.verb = info.name.empty() ? (watch ? "watch" : "list") : (watch ? "watch" : "get");
    else if (method == "POST")
        info.verb = "create";
    else if (method == "PUT")
        info.verb = "update";
    else if (method == "PATCH")
        info.verb = "patch";
    else if (method == "DELETE")
        info.verb = info.name.empty() ? "deletecollection" : "delete";
    return info;
}

} // namespace kd::lc::apiserver
