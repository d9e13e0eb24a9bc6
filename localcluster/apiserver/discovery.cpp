#include "discovery.h"

#include "resourcecatalog.h"

#include <core/util/error.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <vector>

namespace kd::lc::apiserver {

using core::util::Error;
using core::util::Result;
using nlohmann::json;

namespace {

constexpr std::string_view kDiscoveryGroup = "apidiscovery.k8s.io";
constexpr std::string_view kDiscoveryList = "APIGroupDiscoveryList";

std::string trim(std::string_view s)
{
    size_t b = 0;
    size_t e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b])))
        ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1])))
        --e;
    return std::string(s.substr(b, e - b));
}

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

struct MediaRange
{
    std::string type; // "application/json", lowercased
    std::string group;
    std::string version;
    std::string as;
    double q = 1.0;
    size_t position = 0;
};

std::vector<std::string> split(std::string_view s, char sep)
{
    std::vector<std::string> out;
    size_t start = 0;
    while (true) {
        const size_t end = s.find(sep, start);
        out.push_back(trim(s.substr(start, end == std::string_view::npos ? end : end - start)));
        if (end == std::string_view::npos)
            return out;
        start = end + 1;
    }
}

std::vector<MediaRange> parseAccept(std::string_view accept)
{
    std::vector<MediaRange> out;
    size_t position = 0;
    for (const std::string &item : split(accept, ',')) {
        if (item.empty())
            continue;
        const std::vector<std::string> parts = split(item, ';');
        MediaRange m;
        m.type = lower(parts.front());
        m.position = position++;
        for (size_t i = 1; i < parts.size(); ++i) {
            const size_t eq = parts[i].find('=');
            if (eq == std::string::npos)
                continue;
            const std::string key = lower(trim(std::string_view(parts[i]).substr(0, eq)));
            std::string value = trim(std::string_view(parts[i]).substr(eq + 1));
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                value = value.substr(1, value.size() - 2);
            if (key == "g")
                m.group = value;
            else if (key == "v")
                m.version = value;
            else if (key == "as")
                m.as = value;
            else if (key == "q")
                m.q = std::strtod(value.c_str(), nullptr);
        }
        out.push_back(std::move(m));
    }
    // Highest q first; the client's order breaks ties.
    std::stable_sort(out.begin(), out.end(),
                     [](const MediaRange &a, const MediaRange &b) { return a.q > b.q; });
    return out;
}

std::string aggregatedContentType(std::string_view version)
{
    return "application/json;g=" + std::string(kDiscoveryGroup) + ";v=" + std::string(version)
           + ";as=" + std::string(kDiscoveryList);
}

json resourceKind(const GroupVersionKind &gvk)
{
    return {{"group", gvk.group}, {"version", gvk.version}, {"kind", gvk.kind}};
}

json legacyResource(const ResourceInfo &r)
{
    json j = {{"name", r.resource},
              {"singularName", r.singular},
              {"namespaced", r.namespaced},
              {"kind", r.kind},
              {"verbs", r.verbs}};
    if (!r.shortNames.empty())
        j["shortNames"] = r.shortNames;
    if (!r.categories.empty())
        j["categories"] = r.categories;
    if (const std::string hash = r.storageVersionHash(); !hash.empty())
        j["storageVersionHash"] = hash;
    return j;
}

json legacySubresource(const ResourceInfo &r, const SubresourceInfo &s)
{
    json j = {{"name", r.resource + "/" + s.name},
              {"singularName", ""},
              {"namespaced", r.namespaced},
              {"kind", s.responseKind.kind},
              {"verbs", s.verbs}};
    // Only a kind that lives in another group/version names where it lives.
    if (s.responseKind.group != r.group || s.responseKind.version != r.version) {
        j["group"] = s.responseKind.group;
        j["version"] = s.responseKind.version;
    }
    return j;
}

json aggregatedResource(const ResourceInfo &r)
{
    json j = {{"resource", r.resource},
              {"responseKind", resourceKind(r.gvk())},
              {"scope", r.namespaced ? "Namespaced" : "Cluster"},
              {"singularResource", r.singular},
              {"verbs", r.verbs}};
    if (!r.shortNames.empty())
        j["shortNames"] = r.shortNames;
    if (!r.categories.empty())
        j["categories"] = r.categories;
    if (!r.subresources.empty()) {
        json subs = json::array();
        for (const auto &s : r.subresources) {
            json sj = {{"subresource", s.name}, {"verbs", s.verbs}};
            if (!s.responseKind.kind.empty())
                sj["responseKind"] = resourceKind(s.responseKind);
            subs.push_back(std::move(sj));
        }
        j["subresources"] = std::move(subs);
    }
    return j;
}

std::vector<const ResourceInfo *> sortedResources(const std::vector<ResourceInfo> &all,
                                                  std::string_view group, std::string_view version)
{
    std::vector<const ResourceInfo *> out;
    for (const auto &r : all)
        if (r.group == group && r.version == version)
            out.push_back(&r);
    std::sort(out.begin(), out.end(), [](const ResourceInfo *a, const ResourceInfo *b) {
        return a->resource < b->resource;
    });
    return out;
}

json groupVersionJson(std::string_view group, const std::string &version)
{
    return {{"groupVersion", group.empty() ? version : std::string(group) + "/" + version},
            {"version", version}};
}

} // namespace

Result<DiscoveryNegotiation> negotiateDiscovery(std::string_view accept)
{
    const std::vector<MediaRange> ranges = parseAccept(accept);
    if (ranges.empty())
        return DiscoveryNegotiation{DiscoveryFormat::Legacy, "application/json"};

    for (const MediaRange &m : ranges) {
        if (m.q <= 0.0)
            continue;
        const bool json = m.type == "application/json";
        const bool wildcard = m.type == "*/*" || m.type == "application/*";
        if (!json && !wildcard)
            continue; // protobuf, yaml, cbor: not produced for discovery
        if (m.group.empty() && m.version.empty() && m.as.empty())
            return DiscoveryNegotiation{DiscoveryFormat::Legacy, "application/json"};
        if (!json || m.group != kDiscoveryGroup || m.as != kDiscoveryList)
            continue; // a Table or some other typed view: not a discovery document
        if (m.version == "v2")
            return DiscoveryNegotiation{DiscoveryFormat::AggregatedV2, aggregatedContentType("v2")};
        if (m.version == "v2beta1")
            return DiscoveryNegotiation{DiscoveryFormat::AggregatedV2Beta1,
                                        aggregatedContentType("v2beta1")};
    }
    return Error(Error::Code::NotAcceptable, 406, "NotAcceptable",
                 "only the following media types are accepted: application/json, "
                     + aggregatedContentType("v2") + ", " + aggregatedContentType("v2beta1"));
}

json apiVersions(std::string_view serverAddress)
{
    return {{"kind", "APIVersions"},
            {"versions", {"v1"}},
            {"serverAddressByClientCIDRs",
             {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", std::string(serverAddress)}}}}};
}

json apiGroupList(const ResourceCatalog &catalog)
{
    const auto snap = catalog.snapshot();
    json groups = json::array();
    for (const ApiGroupInfo &g : ResourceCatalog::groupsOf(*snap)) {
        if (g.name.empty())
            continue; // the core group is announced by /api
        json versions = json::array();
        for (const auto &v : g.versions)
            versions.push_back(groupVersionJson(g.name, v));
        groups.push_back({{"name", g.name},
                          {"versions", std::move(versions)},
                          {"preferredVersion", groupVersionJson(g.name, g.versions.front())}});
    }
    return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", std::move(groups)}};
}

Result<json> apiResourceList(const ResourceCatalog &catalog, std::string_view group,
                             std::string_view version)
{
    const auto snap = catalog.snapshot();
    const auto resources = sortedResources(*snap, group, version);
    const std::string gv
        = group.empty() ? std::string(version) : std::string(group) + "/" + std::string(version);
    if (resources.empty())
        return Error(Error::Code::NotFound, 404, "NotFound",
                     "the server could not find the requested resource (" + gv + ")");

    // Upstream lists entries sorted by name, so "pods/attach" follows "pods".
    std::vector<json> entries;
    for (const ResourceInfo *r : resources) {
        entries.push_back(legacyResource(*r));
        for (const auto &s : r->subresources)
            entries.push_back(legacySubresource(*r, s));
    }
    std::stable_sort(entries.begin(), entries.end(), [](const json &a, const json &b) {
        return a["name"].get_ref<const std::string &>() < b["name"].get_ref<const std::string &>();
    });
    return json{{"kind", "APIResourceList"},
                {"apiVersion", "v1"},
                {"groupVersion", gv},
                {"resources", std::move(entries)}};
}

json aggregatedDiscovery(const ResourceCatalog &catalog, DiscoveryScope scope,
                         DiscoveryFormat format)
{
    const auto snap = catalog.snapshot();
    json items = json::array();
    for (const ApiGroupInfo &g : ResourceCatalog::groupsOf(*snap)) {
        if ((scope == DiscoveryScope::Core) != g.name.empty())
            continue;
        json versions = json::array();
        for (const auto &v : g.versions) { // preferred version first
            json resources = json::array();
            for (const ResourceInfo *r : sortedResources(*snap, g.name, v))
                resources.push_back(aggregatedResource(*r));
            versions.push_back(
                {{"version", v}, {"resources", std::move(resources)}, {"freshness", "Current"}});
        }
        items.push_back({{"metadata", {{"name", g.name}, {"creationTimestamp", nullptr}}},
                         {"versions", std::move(versions)}});
    }
    const char *apiVersion = format == DiscoveryFormat::AggregatedV2Beta1
                                 ? "apidiscovery.k8s.io/v2beta1"
                                 : "apidiscovery.k8s.io/v2";
    return {{"kind", "APIGroupDiscoveryList"},
            {"apiVersion", apiVersion},
            {"metadata", json::object()},
            {"items", std::move(items)}};
}

} // namespace kd::lc::apiserver
