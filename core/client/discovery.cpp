#include "discovery.h"

#include "discoverycache.h"

#include <core/util/guard.h>
#include <core/util/log.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <future>

namespace kd::core::client {

using api::GroupVersion;
using api::GroupVersionKind;
using api::GroupVersionResource;
using transport::HttpRequest;
using transport::HttpResponse;
using util::Error;
using util::Result;

namespace {

const util::LogCategory lcDiscovery("kd.client.discovery");

const char *const kJson = "application/json";

std::string lower(std::string_view text)
{
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string trim(std::string_view text)
{
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
        text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.remove_suffix(1);
    return std::string(text);
}

std::string stringField(const nlohmann::json &object, const char *name)
{
    const auto it = object.find(name);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> stringList(const nlohmann::json &object, const char *name)
{
    std::vector<std::string> out;
    const auto it = object.find(name);
    if (it == object.end() || !it->is_array())
        return out;
    for (const auto &value : *it) {
        if (value.is_string())
            out.push_back(value.get<std::string>());
    }
    return out;
}

const nlohmann::json &arrayField(const nlohmann::json &object, const char *name)
{
    static const nlohmann::json empty = nlohmann::json::array();
    const auto it = object.find(name);
    return it != object.end() && it->is_array() ? *it : empty;
}

GroupVersionKind kindField(const nlohmann::json &object, const GroupVersion &fallback)
{
    const auto it = object.find("responseKind");
    if (it == object.end() || !it->is_object())
        return {fallback.group, fallback.version, {}};
    GroupVersionKind kind{stringField(*it, "group"), stringField(*it, "version"),
                          stringField(*it, "kind")};
    if (kind.version.empty()) {
        kind.group = fallback.group;
        kind.version = fallback.version;
    }
    return kind;
}

void fillSingular(DiscoveredResource &resource)
{
    if (resource.singular.empty())
        resource.singular = lower(resource.responseKind.kind);
}

// Does "resource" (as the user typed it, lowercased) name this resource?
bool namesResource(const DiscoveredResource &resource, std::string_view name)
{
    return resource.gvr.resource == name || resource.singular == name
           || lower(resource.responseKind.kind) == name;
}

bool hasShortName(const DiscoveredResource &resource, std::string_view name)
{
    return std::find(resource.shortNames.begin(), resource.shortNames.end(), name)
           != resource.shortNames.end();
}

HttpRequest discoveryRequest(std::string path, const char *accept)
{
    HttpRequest request;
    request.path = std::move(path);
    request.headers.emplace_back("Accept", accept);
    return request;
}

Result<nlohmann::json> jsonBody(const Result<HttpResponse> &response)
{
    if (!response.ok())
        return response.error();
    auto decoded = RestClient::decode(response.value());
    if (!decoded.ok())
        return decoded.error();
    if (!decoded->body || !decoded->body->is_object())
        return Error(Error::Code::Decode, "the discovery answer is not a JSON object");
    return *decoded->body;
}

const char *formatName(DiscoveryFormat format)
{
    switch (format) {
    case DiscoveryFormat::AggregatedV2:
        return "aggregated-v2";
    case DiscoveryFormat::AggregatedV2Beta1:
        return "aggregated-v2beta1";
    case DiscoveryFormat::Legacy:
        return "legacy";
    }
    return "legacy";
}

nlohmann::json errorToJson(const Error &error)
{
    return {{"code", Error::codeName(error.code())},
            {"httpStatus", error.httpStatus()},
            {"reason", error.reason()},
            {"message", error.message()}};
}

Error errorFromJson(const nlohmann::json &json)
{
    const std::string reason = stringField(json, "reason");
    const int status = json.value("httpStatus", 0);
    Error::Code code = Error::codeFor(reason, status);
    const std::string name = stringField(json, "code");
    for (int c = 0; c <= static_cast<int>(Error::Code::Internal); ++c) {
        if (name == Error::codeName(static_cast<Error::Code>(c)))
            code = static_cast<Error::Code>(c);
    }
    return Error(code, status, reason, stringField(json, "message"));
}

nlohmann::json kindToJson(const GroupVersionKind &kind)
{
    return {{"group", kind.group}, {"version", kind.version}, {"kind", kind.kind}};
}

} // namespace

const char *const kDiscoveryAccept
    = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
      "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
      "application/json";

bool DiscoveredResource::hasVerb(std::string_view verb) const
{
    return std::find(verbs.begin(), verbs.end(), verb) != verbs.end();
}

const DiscoveredSubresource *DiscoveredResource::subresource(std::string_view name) const
{
    for (const auto &sub : subresources) {
        if (sub.name == name)
            return &sub;
    }
    return nullptr;
}

std::optional<DiscoveryFormat> discoveryFormatFromContentType(std::string_view contentType)
{
    // Only the first media type counts; parameters may come in any order and case.
    const size_t comma = contentType.find(',');
    if (comma != std::string_view::npos)
        contentType = contentType.substr(0, comma);
    std::string mediaType;
    std::string g;
    std::string v;
    std::string as;
    size_t start = 0;
    bool first = true;
    while (start <= contentType.size()) {
        size_t end = contentType.find(';', start);
        if (end == std::string_view::npos)
            end = contentType.size();
        const std::string part = trim(contentType.substr(start, end - start));
        if (first) {
            mediaType = lower(part);
            first = false;
        } else if (const size_t eq = part.find('='); eq != std::string::npos) {
            const std::string key = lower(trim(std::string_view(part).substr(0, eq)));
            std::string value = trim(std::string_view(part).substr(eq + 1));
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
                value = value.substr(1, value.size() - 2);
            if (key == "g")
                g = value;
            else if (key == "v")
                v = value;
            else if (key == "as")
                as = value;
        }
        start = end + 1;
    }
    if (mediaType != kJson)
        return std::nullopt;
    if (g.empty() && v.empty() && as.empty())
        return DiscoveryFormat::Legacy;
    if (g == "apidiscovery.k8s.io" && as == "APIGroupDiscoveryList") {
        if (v == "v2")
            return DiscoveryFormat::AggregatedV2;
        if (v == "v2beta1")
            return DiscoveryFormat::AggregatedV2Beta1;
    }
    return std::nullopt;
}

Result<std::vector<DiscoveredGroup>> parseAggregatedDiscovery(const nlohmann::json &list)
{
    if (!list.is_object() || stringField(list, "kind") != "APIGroupDiscoveryList")
        return Error(Error::Code::Decode, "not an APIGroupDiscoveryList");
    std::vector<DiscoveredGroup> groups;
    for (const auto &item : arrayField(list, "items")) {
        if (!item.is_object())
            return Error(Error::Code::Decode, "an APIGroupDiscovery item is not an object");
        DiscoveredGroup group;
        const auto metadata = item.find("metadata");
        if (metadata != item.end() && metadata->is_object())
            group.name = stringField(*metadata, "name");
        for (const auto &versionJson : arrayField(item, "versions")) {
            if (!versionJson.is_object())
                continue;
            DiscoveredVersion version;
            version.version = stringField(versionJson, "version");
            if (version.version.empty())
                return Error(Error::Code::Decode,
                             "a version of group \"" + group.name + "\" has no name");
            const GroupVersion gv{group.name, version.version};
            for (const auto &resourceJson : arrayField(versionJson, "resources")) {
                if (!resourceJson.is_object())
                    continue;
                DiscoveredResource resource;
                resource.gvr = {group.name, version.version, stringField(resourceJson, "resource")};
                resource.responseKind = kindField(resourceJson, gv);
                if (resource.gvr.resource.empty() || resource.responseKind.kind.empty()) {
                    lcDiscovery.debug([&] {
                        return "skipping a resource without name or kind in " + gv.apiVersion();
                    });
                    continue;
                }
                resource.singular = stringField(resourceJson, "singularResource");
                resource.namespaced = stringField(resourceJson, "scope") == "Namespaced";
                resource.verbs = stringList(resourceJson, "verbs");
                resource.shortNames = stringList(resourceJson, "shortNames");
                resource.categories = stringList(resourceJson, "categories");
                for (const auto &subJson : arrayField(resourceJson, "subresources")) {
                    if (!subJson.is_object())
                        continue;
                    DiscoveredSubresource sub;
                    sub.name = stringField(subJson, "subresource");
                    sub.responseKind = kindField(subJson, gv);
                    sub.verbs = stringList(subJson, "verbs");
                    if (!sub.name.empty())
                        resource.subresources.push_back(std::move(sub));
                }
                fillSingular(resource);
                version.resources.push_back(std::move(resource));
            }
            // A stale group version belongs to an aggregated API server that stopped answering:
            // its resources are the last ones known, so they stay, marked with the failure.
            const std::string freshness = stringField(versionJson, "freshness");
            if (freshness == "Stale")
                version.error = Error(Error::Code::ServiceUnavailable, 503, "ServiceUnavailable",
                                      "stale discovery for " + gv.apiVersion());
            group.versions.push_back(std::move(version));
        }
        groups.push_back(std::move(group));
    }
    return groups;
}

Result<std::vector<DiscoveredGroup>> parseLegacyGroups(const nlohmann::json &document)
{
    if (!document.is_object())
        return Error(Error::Code::Decode, "a discovery document is not an object");
    const std::string kind = stringField(document, "kind");
    std::vector<DiscoveredGroup> groups;
    if (kind == "APIVersions") {
        DiscoveredGroup core;
        for (const auto &version : stringList(document, "versions"))
            core.versions.push_back({version, {}, std::nullopt});
        if (!core.versions.empty())
            groups.push_back(std::move(core));
        return groups;
    }
    if (kind != "APIGroupList")
        return Error(Error::Code::Decode,
                     "expected APIVersions or APIGroupList, got \"" + kind + "\"");
    for (const auto &groupJson : arrayField(document, "groups")) {
        if (!groupJson.is_object())
            continue;
        DiscoveredGroup group;
        group.name = stringField(groupJson, "name");
        if (group.name.empty())
            return Error(Error::Code::Decode, "an API group has no name");
        std::string preferred;
        const auto pref = groupJson.find("preferredVersion");
        if (pref != groupJson.end() && pref->is_object())
            preferred = stringField(*pref, "version");
        for (const auto &versionJson : arrayField(groupJson, "versions")) {
            if (!versionJson.is_object())
                continue;
            const std::string version = stringField(versionJson, "version");
            if (version.empty())
                continue;
            group.versions.push_back({version, {}, std::nullopt});
        }
        auto preferredIt = std::find_if(group.versions.begin(), group.versions.end(),
                                        [&](const auto &v) { return v.version == preferred; });
        if (preferredIt != group.versions.end())
            std::rotate(group.versions.begin(), preferredIt, preferredIt + 1);
        groups.push_back(std::move(group));
    }
    return groups;
}

Result<std::vector<DiscoveredResource>> parseResourceList(const GroupVersion &gv,
                                                          const nlohmann::json &list)
{
    if (!list.is_object() || stringField(list, "kind") != "APIResourceList")
        return Error(Error::Code::Decode, "not an APIResourceList for " + gv.apiVersion());
    std::vector<DiscoveredResource> resources;
    std::vector<std::pair<std::string, DiscoveredSubresource>> subresources;
    for (const auto &json : arrayField(list, "resources")) {
        if (!json.is_object())
            continue;
        const std::string name = stringField(json, "name");
        GroupVersionKind kind{stringField(json, "group"), stringField(json, "version"),
                              stringField(json, "kind")};
        if (kind.version.empty()) {
            kind.group = gv.group;
            kind.version = gv.version;
        }
        if (name.empty())
            continue;
        if (const size_t slash = name.find('/'); slash != std::string::npos) {
            DiscoveredSubresource sub;
            sub.name = name.substr(slash + 1);
            sub.responseKind = std::move(kind);
            sub.verbs = stringList(json, "verbs");
            subresources.emplace_back(name.substr(0, slash), std::move(sub));
            continue;
        }
        if (kind.kind.empty())
            continue;
        DiscoveredResource resource;
        resource.gvr = {gv.group, gv.version, name};
        resource.responseKind = std::move(kind);
        resource.singular = stringField(json, "singularName");
        resource.namespaced = json.value("namespaced", false);
        resource.verbs = stringList(json, "verbs");
        resource.shortNames = stringList(json, "shortNames");
        resource.categories = stringList(json, "categories");
        fillSingular(resource);
        resources.push_back(std::move(resource));
    }
    for (auto &[parent, sub] : subresources) {
        auto it = std::find_if(resources.begin(), resources.end(),
                               [&](const auto &r) { return r.gvr.resource == parent; });
        if (it != resources.end())
            it->subresources.push_back(std::move(sub));
    }
    return resources;
}

DiscoverySnapshot::DiscoverySnapshot(std::vector<DiscoveredGroup> groups, DiscoveryFormat format)
    : m_groups(std::move(groups))
    , m_format(format)
{
    // The core group leads lookups, as in kubectl; keep the other groups in server order.
    std::stable_partition(m_groups.begin(), m_groups.end(),
                          [](const DiscoveredGroup &g) { return g.name.empty(); });
}

std::vector<DiscoverySnapshot::VersionError> DiscoverySnapshot::failures() const
{
    std::vector<VersionError> out;
    for (const auto &group : m_groups) {
        for (const auto &version : group.versions) {
            if (version.error)
                out.push_back({{group.name, version.version}, *version.error});
        }
    }
    return out;
}

const DiscoveredResource *DiscoverySnapshot::resource(const GroupVersionResource &gvr) const
{
    for (const auto &group : m_groups) {
        if (group.name != gvr.group)
            continue;
        for (const auto &version : group.versions) {
            if (version.version != gvr.version)
                continue;
            for (const auto &resource : version.resources) {
                if (resource.gvr.resource == gvr.resource)
                    return &resource;
            }
        }
    }
    return nullptr;
}

const DiscoveredResource *DiscoverySnapshot::resourceForKind(const GroupVersionKind &gvk) const
{
    for (const auto &group : m_groups) {
        if (group.name != gvk.group)
            continue;
        for (const auto &version : group.versions) {
            if (version.version != gvk.version)
                continue;
            for (const auto &resource : version.resources) {
                if (resource.responseKind.kind == gvk.kind)
                    return &resource;
            }
        }
    }
    return nullptr;
}

const DiscoveredResource *DiscoverySnapshot::preferredResourceForKind(std::string_view group,
                                                                      std::string_view kind) const
{
    for (const auto &g : m_groups) {
        if (g.name != group)
            continue;
        for (const auto &version : g.versions) {
            for (const auto &resource : version.resources) {
                if (resource.responseKind.kind == kind)
                    return &resource;
            }
        }
    }
    return nullptr;
}

Result<const DiscoveredResource *> DiscoverySnapshot::find(std::string_view argument) const
{
    const std::string text = lower(trim(argument));
    if (text.empty())
        return Error(Error::Code::BadRequest, "empty resource name");

    // Candidate interpretations, most specific first: "res.version.group", then "res.group",
    // then the whole text as a bare name (kinds never contain dots, but group names do).
    struct Candidate
    {
        std::string resource;
        std::optional<std::string> version;
        std::optional<std::string> group;
    };
    std::vector<Candidate> candidates;
    if (const size_t dot = text.find('.'); dot != std::string::npos) {
        const std::string resource = text.substr(0, dot);
        const std::string rest = text.substr(dot + 1);
        if (const size_t dot2 = rest.find('.'); dot2 != std::string::npos)
            candidates.push_back({resource, rest.substr(0, dot2), rest.substr(dot2 + 1)});
        candidates.push_back({resource, std::nullopt, rest});
    }
    candidates.push_back({text, std::nullopt, std::nullopt});

    for (const auto &candidate : candidates) {
        for (const bool shortNames : {false, true}) {
            for (const auto &group : m_groups) {
                if (candidate.group && group.name != *candidate.group)
                    continue;
                for (const auto &version : group.versions) {
                    if (candidate.version && version.version != *candidate.version)
                        continue;
                    for (const auto &resource : version.resources) {
                        const bool match = shortNames ? hasShortName(resource, candidate.resource)
                                                      : namesResource(resource, candidate.resource);
                        if (match)
                            return &resource;
                    }
                }
            }
        }
    }
    return Error(Error::Code::NotFound, 404, "NotFound",
                 "the server doesn't have a resource type \"" + std::string(argument) + "\"");
}

std::vector<const DiscoveredResource *> DiscoverySnapshot::category(std::string_view name) const
{
    std::vector<const DiscoveredResource *> out;
    for (const auto &group : m_groups) {
        // Within a group only the first (preferred) version that has the resource counts.
        std::vector<std::string> seen;
        for (const auto &version : group.versions) {
            for (const auto &resource : version.resources) {
                if (std::find(seen.begin(), seen.end(), resource.gvr.resource) != seen.end())
                    continue;
                seen.push_back(resource.gvr.resource);
                if (std::find(resource.categories.begin(), resource.categories.end(), name)
                    != resource.categories.end())
                    out.push_back(&resource);
            }
        }
    }
    return out;
}

nlohmann::json DiscoverySnapshot::toJson() const
{
    nlohmann::json groups = nlohmann::json::array();
    for (const auto &group : m_groups) {
        nlohmann::json versions = nlohmann::json::array();
        for (const auto &version : group.versions) {
            nlohmann::json resources = nlohmann::json::array();
            for (const auto &r : version.resources) {
                nlohmann::json subs = nlohmann::json::array();
                for (const auto &sub : r.subresources)
                    subs.push_back({{"name", sub.name},
                                    {"responseKind", kindToJson(sub.responseKind)},
                                    {"verbs", sub.verbs}});
                resources.push_back({{"resource", r.gvr.resource},
                                     {"responseKind", kindToJson(r.responseKind)},
                                     {"singular", r.singular},
                                     {"namespaced", r.namespaced},
                                     {"verbs", r.verbs},
                                     {"shortNames", r.shortNames},
                                     {"categories", r.categories},
                                     {"subresources", std::move(subs)}});
            }
            nlohmann::json v = {{"version", version.version}, {"resources", std::move(resources)}};
            if (version.error)
                v["error"] = errorToJson(*version.error);
            versions.push_back(std::move(v));
        }
        groups.push_back({{"name", group.name}, {"versions", std::move(versions)}});
    }
    return {{"format", formatName(m_format)}, {"groups", std::move(groups)}};
}

Result<DiscoverySnapshot> DiscoverySnapshot::fromJson(const nlohmann::json &json)
{
    if (!json.is_object())
        return Error(Error::Code::Decode, "a discovery snapshot is not an object");
    const std::string formatText = stringField(json, "format");
    DiscoveryFormat format = DiscoveryFormat::Legacy;
    bool known = false;
    for (auto f : {DiscoveryFormat::AggregatedV2, DiscoveryFormat::AggregatedV2Beta1,
                   DiscoveryFormat::Legacy}) {
        if (formatText == formatName(f)) {
            format = f;
            known = true;
        }
    }
    const auto groupsIt = json.find("groups");
    if (!known || groupsIt == json.end() || !groupsIt->is_array())
        return Error(Error::Code::Decode, "not a discovery snapshot");
    std::vector<DiscoveredGroup> groups;
    for (const auto &g : *groupsIt) {
        if (!g.is_object())
            return Error(Error::Code::Decode, "a snapshot group is not an object");
        DiscoveredGroup group;
        group.name = stringField(g, "name");
        for (const auto &v : arrayField(g, "versions")) {
            if (!v.is_object())
                return Error(Error::Code::Decode, "a snapshot version is not an object");
            DiscoveredVersion version;
            version.version = stringField(v, "version");
            const GroupVersion gv{group.name, version.version};
            for (const auto &r : arrayField(v, "resources")) {
                if (!r.is_object())
                    return Error(Error::Code::Decode, "a snapshot resource is not an object");
                DiscoveredResource resource;
                resource.gvr = {group.name, version.version, stringField(r, "resource")};
                resource.responseKind = kindField(r, gv);
                resource.singular = stringField(r, "singular");
                resource.namespaced = r.value("namespaced", false);
                resource.verbs = stringList(r, "verbs");
                resource.shortNames = stringList(r, "shortNames");
                resource.categories = stringList(r, "categories");
                for (const auto &s : arrayField(r, "subresources")) {
                    if (!s.is_object())
                        continue;
                    resource.subresources.push_back(
                        {stringField(s, "name"), kindField(s, gv), stringList(s, "verbs")});
                }
                if (resource.gvr.resource.empty() || resource.responseKind.kind.empty())
                    return Error(Error::Code::Decode, "a snapshot resource has no name or kind");
                fillSingular(resource);
                version.resources.push_back(std::move(resource));
            }
            const auto error = v.find("error");
            if (error != v.end() && error->is_object())
                version.error = errorFromJson(*error);
            group.versions.push_back(std::move(version));
        }
        groups.push_back(std::move(group));
    }
    return DiscoverySnapshot(std::move(groups), format);
}

class Discovery::Private : public std::enable_shared_from_this<Discovery::Private>
{
public:
    using Done = std::function<void(Result<Snapshot>)>;

    Private(RestClient &client, transport::Executor executor, std::shared_ptr<DiscoveryCache> cache)
        : client(client)
        , executor(std::move(executor))
        , cache(std::move(cache))
    {}

    // Sends one request; `done` runs on the I/O thread.
    void send(HttpRequest request, std::function<void(Result<HttpResponse>)> done)
    {
        ++requests;
        client.http().send(std::move(request), std::move(done));
    }

    // Fetches from the server; `done` runs on the I/O thread (or inline on this one).
    void fetch(Done done);
    void finishRoots(Done done);
    Result<Snapshot> adopt(DiscoverySnapshot snapshot);
    std::optional<Snapshot> fromMemoryOrDisk();

    RestClient &client;
    transport::Executor executor;
    std::shared_ptr<DiscoveryCache> cache;
    std::atomic<int> requests{0};

    mutable std::mutex mutex;
    Snapshot current;

    // The state of one fetch of /api and /apis.
    struct Roots
    {
        std::mutex mutex;
        int pending = 2;
        std::optional<Result<HttpResponse>> api;
        std::optional<Result<HttpResponse>> apis;
    };
};

void Discovery::Private::fetch(Done done)
{
    auto roots = std::make_shared<Roots>();
    auto self = shared_from_this();
    auto arrived = [self, roots, done](bool isApi, Result<HttpResponse> response) {
        {
            std::lock_guard lock(roots->mutex);
            (isApi ? roots->api : roots->apis) = std::move(response);
            if (--roots->pending > 0)
                return;
        }
        // Both roots are in: decide per answer which format it is in.
        std::vector<DiscoveredGroup> groups;
        std::vector<std::pair<size_t, size_t>> toFetch; // (group, version) needing a resource list
        std::optional<DiscoveryFormat> aggregated;
        bool legacy = false;
        for (auto *root : {&*roots->api, &*roots->apis}) {
            const bool isApisRoot = root == &*roots->apis;
            if (!root->ok()) {
                done(root->error());
                return;
            }
            // Servers without any API group may not serve /apis at all.
            if (isApisRoot && root->value().status == 404)
                continue;
            auto body = jsonBody(*root);
            if (!body.ok()) {
                done(Error(body.error()).prefix(isApisRoot ? "GET /apis: " : "GET /api: "));
                return;
            }
            const auto format
                = discoveryFormatFromContentType(root->value().header("Content-Type"));
            Result<std::vector<DiscoveredGroup>> parsed
                = format && *format != DiscoveryFormat::Legacy ? parseAggregatedDiscovery(*body)
                                                               : parseLegacyGroups(*body);
            if (!parsed.ok()) {
                done(Error(parsed.error()).prefix(isApisRoot ? "GET /apis: " : "GET /api: "));
                return;
            }
            if (format && *format != DiscoveryFormat::Legacy) {
                if (!aggregated || isApisRoot)
                    aggregated = *format;
            } else {
                legacy = true;
                for (size_t g = 0; g < parsed->size(); ++g) {
                    for (size_t v = 0; v < (*parsed)[g].versions.size(); ++v)
                        toFetch.emplace_back(groups.size() + g, v);
                }
            }
            for (auto &group : parsed.value())
                groups.push_back(std::move(group));
        }
        const DiscoveryFormat format
            = legacy || !aggregated ? DiscoveryFormat::Legacy : *aggregated;
        if (toFetch.empty()) {
            done(self->adopt(DiscoverySnapshot(std::move(groups), format)));
            return;
        }

        // Legacy: one APIResourceList per group version, all in flight at once. A failing one
        // (an aggregated API server that is down) only marks its own version.
        struct Versions
        {
            std::mutex mutex;
            size_t pending = 0;
            std::vector<DiscoveredGroup> groups;
        };
        auto state = std::make_shared<Versions>();
        state->pending = toFetch.size();
        state->groups = std::move(groups);
        for (const auto &[g, v] : toFetch) {
            const GroupVersion gv{state->groups[g].name, state->groups[g].versions[v].version};
            const std::string path
                = gv.group.empty() ? "/api/" + gv.version : "/apis/" + gv.apiVersion();
            self->send(discoveryRequest(path, kJson), [self, state, done, gv, g = g,
                                                       v = v](Result<HttpResponse> answer) {
                auto body = jsonBody(answer);
                Result<std::vector<DiscoveredResource>> resources
                    = body.ok() ? parseResourceList(gv, *body)
                                : Result<std::vector<DiscoveredResource>>(body.error());
                std::unique_lock lock(state->mutex);
                DiscoveredVersion &version = state->groups[g].versions[v];
                if (resources.ok()) {
                    version.resources = std::move(resources.value());
                } else {
                    lcDiscovery.warning("discovery of " + gv.apiVersion()
                                        + " failed: " + resources.error().message());
                    version.error = resources.error();
                }
                if (--state->pending > 0)
                    return;
                auto all = std::move(state->groups);
                lock.unlock();
                done(self->adopt(DiscoverySnapshot(std::move(all), DiscoveryFormat::Legacy)));
            });
        }
    };
    send(discoveryRequest("/api", kDiscoveryAccept),
         [arrived](Result<HttpResponse> r) mutable { arrived(true, std::move(r)); });
    send(discoveryRequest("/apis", kDiscoveryAccept),
         [arrived](Result<HttpResponse> r) mutable { arrived(false, std::move(r)); });
}

Result<Discovery::Snapshot> Discovery::Private::adopt(DiscoverySnapshot snapshot)
{
    auto shared = std::make_shared<const DiscoverySnapshot>(std::move(snapshot));
    if (cache) {
        auto saved = cache->save(*shared);
        if (!saved.ok())
            lcDiscovery.warning("cannot write the discovery cache: " + saved.error().message());
    }
    std::lock_guard lock(mutex);
    current = shared;
    return Snapshot(shared);
}

std::optional<Discovery::Snapshot> Discovery::Private::fromMemoryOrDisk()
{
    {
        std::lock_guard lock(mutex);
        if (current)
            return current;
    }
    if (!cache)
        return std::nullopt;
    auto loaded = cache->load();
    if (!loaded.ok()) {
        if (loaded.error().code() == Error::Code::Decode)
            lcDiscovery.warning("ignoring a corrupt discovery cache " + cache->filePath() + ": "
                                + loaded.error().message());
        return std::nullopt;
    }
    auto shared = std::make_shared<const DiscoverySnapshot>(std::move(loaded.value()));
    std::lock_guard lock(mutex);
    if (!current)
        current = shared;
    return current;
}

Discovery::Discovery(RestClient &client, transport::Executor executor,
                     std::shared_ptr<DiscoveryCache> cache)
    : d(std::make_shared<Private>(client, std::move(executor), std::move(cache)))
{}

Discovery::~Discovery() = default;

Result<Discovery::Snapshot> Discovery::get()
{
    if (auto snapshot = d->fromMemoryOrDisk())
        return *snapshot;
    return refresh();
}

Result<Discovery::Snapshot> Discovery::refresh()
{
    auto promise = std::make_shared<std::promise<Result<Snapshot>>>();
    auto future = promise->get_future();
    d->fetch([promise](Result<Snapshot> result) { promise->set_value(std::move(result)); });
    return future.get();
}

void Discovery::getAsync(Callback done, std::weak_ptr<const void> guard)
{
    if (auto snapshot = d->fromMemoryOrDisk()) {
        d->executor([done = std::move(done), guard, snapshot = *snapshot] {
            const bool guarded = util::isGuardSet(guard);
            if (!guarded || !guard.expired())
                done(snapshot);
        });
        return;
    }
    refreshAsync(std::move(done), std::move(guard));
}

void Discovery::refreshAsync(Callback done, std::weak_ptr<const void> guard)
{
    d->fetch([executor = d->executor, done = std::move(done), guard](Result<Snapshot> result) {
        executor([done, guard, result = std::move(result)] {
            const bool guarded = util::isGuardSet(guard);
            if (!guarded || !guard.expired())
                done(result);
        });
    });
}

void Discovery::invalidate()
{
    {
        std::lock_guard lock(d->mutex);
        d->current.reset();
    }
    if (d->cache) {
        auto removed = d->cache->invalidate();
        if (!removed.ok())
            lcDiscovery.warning("cannot remove the discovery cache: " + removed.error().message());
    }
}

Discovery::Snapshot Discovery::current() const
{
    std::lock_guard lock(d->mutex);
    return d->current;
}

int Discovery::requestCount() const
{
    return d->requests.load();
}

} // namespace kd::core::client
