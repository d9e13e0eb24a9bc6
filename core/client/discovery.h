#pragma once

#include <core/api/groupversion.h>
#include <core/client/restclient.h>
#include <core/transport/httpmessage.h>
#include <core/util/result.h>

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kd::core::client {

class DiscoveryCache;

// One subresource of a discovered resource ("status", "scale", "log").
struct DiscoveredSubresource
{
    std::string name;
    // The kind the subresource answers with (Scale is autoscaling/v1 under apps/v1).
    api::GroupVersionKind responseKind;
    std::vector<std::string> verbs;
};

// One resource of one group version, as aggregated or legacy discovery describes it.
struct DiscoveredResource
{
    // Group and version are those of the serving group version.
    api::GroupVersionResource gvr;
    // The kind objects of this resource have; its group/version differ from gvr's only for the
    // rare resources that answer with another group's type.
    api::GroupVersionKind responseKind;
    // Never empty: the lowercased kind when the server does not say (as client-go guesses it).
    std::string singular;
    bool namespaced = false;
    std::vector<std::string> verbs;
    std::vector<std::string> shortNames;
    std::vector<std::string> categories;
    std::vector<DiscoveredSubresource> subresources;

    bool hasVerb(std::string_view verb) const;
    const DiscoveredSubresource *subresource(std::string_view name) const;
    // The kind as objects in this group version carry it (apiVersion of the serving GV).
    api::GroupVersionKind kind() const { return {gvr.group, gvr.version, responseKind.kind}; }
};

struct DiscoveredVersion
{
    std::string version;
    std::vector<DiscoveredResource> resources;
    // Why this group version has no (or only stale) resources: an aggregated API server that is
    // down answers 503 for its group version, or aggregated discovery marks it "Stale".
    std::optional<util::Error> error;
};

struct DiscoveredGroup
{
    std::string name; // "" for the core group
    // Preferred version first.
    std::vector<DiscoveredVersion> versions;
};

// How the snapshot was obtained.
enum class DiscoveryFormat { AggregatedV2, AggregatedV2Beta1, Legacy };

// An immutable view of everything a server serves, with the lookups kubectl's RESTMapper makes.
// Built by Discovery from the server (or its disk cache); shared between threads as
// std::shared_ptr<const DiscoverySnapshot>. Lookups return pointers into the snapshot, valid as
// long as it lives.
class DiscoverySnapshot final
{
public:
    DiscoverySnapshot() = default;
    DiscoverySnapshot(std::vector<DiscoveredGroup> groups, DiscoveryFormat format);

    const std::vector<DiscoveredGroup> &groups() const { return m_groups; }
    DiscoveryFormat format() const { return m_format; }

    struct VersionError
    {
        api::GroupVersion groupVersion;
        util::Error error;
    };
    // Every group version that failed; the others are complete.
    std::vector<VersionError> failures() const;

    const DiscoveredResource *resource(const api::GroupVersionResource &gvr) const;
    // Exact group, version and kind (an object's apiVersion + kind).
    const DiscoveredResource *resourceForKind(const api::GroupVersionKind &gvk) const;
    // The kind in its group's preferred version that serves it (version ignored).
    const DiscoveredResource *preferredResourceForKind(std::string_view group,
                                                       std::string_view kind) const;
    // What kubectl accepts as a resource argument: plural, singular, short name or kind, any case,
    // optionally qualified as "resource.group" or "resource.version.group" ("po", "deploy",
    // "deployments.apps", "Deployment", "deployments.v1.apps"). When several groups serve the
    // name, the core group wins, then the group listed first; within a group the preferred
    // version. NotFound when nothing matches.
    util::Result<const DiscoveredResource *> find(std::string_view argument) const;
    // Preferred-version resources carrying a category ("all"), in discovery order.
    std::vector<const DiscoveredResource *> category(std::string_view name) const;

    // Round trip through JSON for the disk cache.
    nlohmann::json toJson() const;
    static util::Result<DiscoverySnapshot> fromJson(const nlohmann::json &json);

private:
    std::vector<DiscoveredGroup> m_groups;
    DiscoveryFormat m_format = DiscoveryFormat::Legacy;
};

// Parsers for the discovery documents; public for tests and for the cluster's own checks.
// An aggregated APIGroupDiscoveryList (v2 or v2beta1: same shape).
util::Result<std::vector<DiscoveredGroup>> parseAggregatedDiscovery(const nlohmann::json &list);
// /api (APIVersions) or /apis (APIGroupList): the groups with their versions, preferred first, and
// no resources yet.
util::Result<std::vector<DiscoveredGroup>> parseLegacyGroups(const nlohmann::json &document);
// An APIResourceList of one group version.
util::Result<std::vector<DiscoveredResource>> parseResourceList(const api::GroupVersion &gv,
                                                                const nlohmann::json &list);
// Which format a /api or /apis answer is in, from its Content-Type only (parameters in any
// order); nullopt for a type this client did not ask for.
std::optional<DiscoveryFormat> discoveryFormatFromContentType(std::string_view contentType);

// The Accept header sent on /api and /apis: aggregated v2, then v2beta1, then legacy JSON.
extern const char *const kDiscoveryAccept;

// Discovery of one server: fetches aggregated discovery (or, from older servers, legacy
// discovery with one request per group version, in parallel), keeps the current snapshot and,
// when given a cache, serves it from disk until its TTL passes or someone invalidates it (a
// "no match for kind" on apply, a CRD change seen by an informer).
// Owned by the connection next to its RestClient, which must outlive it. Any thread; the
// blocking calls are for non-GUI threads, the async ones deliver through the executor.
class Discovery final
{
public:
    using Snapshot = std::shared_ptr<const DiscoverySnapshot>;
    using Callback = std::function<void(util::Result<Snapshot>)>;

    Discovery(RestClient &client, transport::Executor executor,
              std::shared_ptr<DiscoveryCache> cache = {});
    ~Discovery();
    Discovery(const Discovery &) = delete;
    Discovery &operator=(const Discovery &) = delete;

    // The snapshot in memory, else the disk cache when fresh, else the server's. Blocks.
    util::Result<Snapshot> get();
    // Always asks the server, then replaces the memory and disk copies. Blocks.
    util::Result<Snapshot> refresh();
    // get()/refresh() without blocking; the callback runs through the executor. The fetch
    // itself runs on the connection's I/O thread.
    void getAsync(Callback done, std::weak_ptr<const void> guard = {});
    void refreshAsync(Callback done, std::weak_ptr<const void> guard = {});

    // Drops the memory and disk copies so that the next get() asks the server.
    void invalidate();
    // The snapshot in memory; null before the first successful get().
    Snapshot current() const;

    // Requests sent to the server so far (for tests and diagnostics).
    int requestCount() const;

private:
    class Private;
    std::shared_ptr<Private> d;
};

} // namespace kd::core::client
