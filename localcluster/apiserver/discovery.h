#pragma once

#include <core/util/result.h>

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>

namespace kd::lc::apiserver {

class ResourceCatalog;

// Which discovery document a client asked for on /api or /apis.
enum class DiscoveryFormat {
    Legacy,            // APIVersions / APIGroupList
    AggregatedV2,      // apidiscovery.k8s.io/v2 APIGroupDiscoveryList (kubectl 1.30+)
    AggregatedV2Beta1, // apidiscovery.k8s.io/v2beta1 (kubectl 1.27-1.29)
};

struct DiscoveryNegotiation
{
    DiscoveryFormat format = DiscoveryFormat::Legacy;
    // The exact Content-Type to answer with; clients pick their parser from it alone.
    std::string contentType;
};

// Decides the /api and /apis answer from an Accept header, honouring the client's order (and
// q-values). An empty header or */* gets the legacy document. Fails with NotAcceptable when no
// listed media type is one we can produce (e.g. only protobuf, or an unknown discovery version).
// Pure function; any thread.
core::util::Result<DiscoveryNegotiation> negotiateDiscovery(std::string_view accept);

// GET /api: {"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[…]} with the
// address clients reach this server at ("127.0.0.1:6443").
nlohmann::json apiVersions(std::string_view serverAddress);

// GET /apis: APIGroupList of every named group, preferred version first.
nlohmann::json apiGroupList(const ResourceCatalog &catalog);

// GET /api/v1 or /apis/G/V: APIResourceList with "resource/subresource" entries. NotFound when
// the group/version is not served.
core::util::Result<nlohmann::json>
apiResourceList(const ResourceCatalog &catalog, std::string_view group, std::string_view version);

// Aggregated discovery: the core group only (for /api) or every named group (for /apis).
enum class DiscoveryScope { Core, Groups };
// Format must be one of the aggregated ones; Legacy is treated as AggregatedV2.
nlohmann::json aggregatedDiscovery(const ResourceCatalog &catalog, DiscoveryScope scope,
                                   DiscoveryFormat format);

} // namespace kd::lc::apiserver
