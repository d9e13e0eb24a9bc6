#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kd::lc::server {

struct Header
{
    std::string name;
    std::string value;
};

// The subject of a client certificate that verified against the cluster CA.
struct PeerCertificate
{
    std::string commonName;
    std::vector<std::string> organizations;
};

// Who sent a request, as Kubernetes' user.Info: client certificates map CN to the name and each
// O to a group.
struct UserInfo
{
    static constexpr const char *anonymousName = "system:anonymous";

    std::string name = anonymousName;
    std::string uid;
    std::vector<std::string> groups{"system:unauthenticated"};

    bool isAnonymous() const { return name == anonymousName; }
};

// One parsed HTTP request as the server hands it to a Handler. The path and query are
// percent-decoded; the raw target is kept for logging and proxying. Plain value; any thread.
struct Request
{
    std::string method; // "GET", "POST"…
    std::string target; // "/api/v1/pods?watch=1", undecoded
    std::string path;   // "/api/v1/pods"
    std::vector<std::pair<std::string, std::string>> query;
    std::vector<Header> headers; // in arrival order, names as sent
    std::string body;
    UserInfo user;
    std::optional<PeerCertificate> peerCertificate;
    std::string remoteAddress; // "127.0.0.1:51234"
    // An "Upgrade" request (WebSocket, SPDY); answered like any other until upgrades exist.
    bool upgradeRequested = false;

    // Case-insensitive; the first occurrence.
    std::optional<std::string_view> header(std::string_view name) const;
    // The first value of a query parameter; an empty string for "?verbose".
    std::optional<std::string_view> queryValue(std::string_view name) const;
    bool hasQuery(std::string_view name) const { return queryValue(name).has_value(); }
};

} // namespace kd::lc::server
