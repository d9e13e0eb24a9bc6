#include "resourcecatalog.h"

#include <core/util/error.h>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <mutex>

namespace kd::lc::apiserver {

using core::util::Error;
using core::util::Result;

namespace {

using Verbs = std::vector<std::string>;

const Verbs kCrud{"create", "delete", "deletecollection", "get",
                  "list",   "patch",  "update",           "watch"};
const Verbs kStatusVerbs{"get", "patch", "update"};
const Verbs kCreateOnly{"create"};

// Group order of upstream's /apis answer (kube-apiserver's group priorities).
const std::vector<std::string> kBuiltinGroupOrder{
    "",
    "apps",
    "events.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
};

std::string lower(std::string_view s)
{
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// Builder for the built-in table: keeps each entry on one or two lines.
class Builtins
{
public:
    ResourceInfo &add(std::string group, std::string version, std::string resource,
                      std::string kind, bool namespaced, Verbs verbs = kCrud,
                      std::vector<std::string> shortNames = {},
                      std::vector<std::string> categories = {})
    {
        ResourceInfo r;
        r.group = std::move(group);
        r.version = std::move(version);
        r.resource = std::move(resource);
        r.kind = std::move(kind);
        r.singular = lower(r.kind);
        r.listKind = r.kind + "List";
        r.namespaced = namespaced;
        r.shortNames = std::move(shortNames);
        r.categories = std::move(categories);
        // Objects that are only ever created and answered (reviews, bindings) are not stored.
        if (std::find(verbs.begin(), verbs.end(), "get") != verbs.end())
            r.storageVersion = r.gvk();
        r.verbs = std::move(verbs);
        m_list.push_back(std::move(r));
        return m_list.back();
    }

    std::vector<ResourceInfo> take() { return std::move(m_list); }

private:
    std::vector<ResourceInfo> m_list;
};

ResourceInfo &sub(ResourceInfo &r, std::string name, Verbs verbs, GroupVersionKind kind = {})
{
    if (kind.kind.empty())
        kind = r.gvk();
    r.subresources.push_back({std::move(name), std::move(kind), std::move(verbs)});
    return r;
}

ResourceInfo &status(ResourceInfo &r)
{
    return sub(r, "status", kStatusVerbs);
}

ResourceInfo &scale(ResourceInfo &r)
{
    return sub(r, "scale", kStatusVerbs, {"autoscaling", "v1", "Scale"});
}

std::vector<ResourceInfo> builtinResources()
{
    Builtins b;
    const std::vector<std::string> all{"all"};
    const std::vector<std::string> apiExtensions{"api-extensions"};

    // core/v1
    b.add("", "v1", "bindings", "Binding", true, kCreateOnly);
    b.add("", "v1", "configmaps", "ConfigMap", true, kCrud, {"cm"});
    b.add("", "v1", "endpoints", "Endpoints", true, kCrud, {"ep"}).singular = "endpoints";
    b.add("", "v1", "events", "Event", true, kCrud, {"ev"});
    b.add("", "v1", "limitranges", "LimitRange", true, kCrud, {"limits"});
    {
        auto &ns = b.add("", "v1", "namespaces", "Namespace", false,
                         {"create", "delete", "get", "list", "patch", "update", "watch"}, {"ns"});
        sub(ns, "finalize", {"update"});
        status(ns);
    }
    status(b.add("", "v1", "nodes", "Node", false, kCrud, {"no"}));
    status(
        b.add("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, kCrud, {"pvc"}));
    status(b.add("", "v1", "persistentvolumes", "PersistentVolume", false, kCrud, {"pv"}));
    {
        auto &pods = b.add("", "v1", "pods", "Pod", true, kCrud, {"po"}, all);
        sub(pods, "attach", {"create", "get"}, {"", "v1", "PodAttachOptions"});
        sub(pods, "binding", kCreateOnly, {"", "v1", "Binding"});
        sub(pods, "ephemeralcontainers", kStatusVerbs);
        sub(pods, "eviction", kCreateOnly, {"policy", "v1", "Eviction"});
        sub(pods, "exec", {"create", "get"}, {"", "v1", "PodExecOptions"});
        sub(pods, "log", {"get"});
        sub(pods, "portforward", {"create", "get"}, {"", "v1", "PodPortForwardOptions"});
        status(pods);
    }
    b.add("", "v1", "podtemplates", "PodTemplate", true);
    {
        auto &rc = b.add("", "v1", "replicationcontrollers", "ReplicationController", true, kCrud,
                         {"rc"}, all);
        scale(rc);
        status(rc);
    }
    status(b.add("", "v1", "resourcequotas", "ResourceQuota", true, kCrud, {"quota"}));
    b.add("", "v1", "secrets", "Secret", true);
    sub(b.add("", "v1", "serviceaccounts", "ServiceAccount", true, kCrud, {"sa"}), "token",
        kCreateOnly, {"authentication.k8s.io", "v1", "TokenRequest"});
    status(b.add("", "v1", "services", "Service", true, kCrud, {"svc"}, all));

    // apps/v1
    b.add("apps", "v1", "controllerrevisions", "ControllerRevision", true);
    status(b.add("apps", "v1", "daemonsets", "DaemonSet", true, kCrud, {"ds"}, all));
    for (auto [resource, kind, shortName] : {std::tuple{"deployments", "Deployment", "deploy"},
                                             std::tuple{"replicasets", "ReplicaSet", "rs"},
                                             std::tuple{"statefulsets", "StatefulSet", "sts"}}) {
        auto &r = b.add("apps", "v1", resource, kind, true, kCrud, {shortName}, all);
        scale(r);
        status(r);
    }

    // events.k8s.io/v1 serves the core events under their newer schema; same storage.
    b.add("events.k8s.io", "v1", "events", "Event", true, kCrud, {"ev"}).storageVersion
        = {"", "v1", "Event"};

    b.add("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", false,
          kCreateOnly);
    b.add("authentication.k8s.io", "v1", "tokenreviews", "TokenReview", false, kCreateOnly);

    b.add("authorization.k8s.io", "v1", "localsubjectaccessreviews", "LocalSubjectAccessReview",
          true, kCreateOnly);
    b.add("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview",
          false, kCreateOnly);
    b.add("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview", false,
          kCreateOnly);
    b.add("authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview", false,
          kCreateOnly);

    // autoscaling: v2 is preferred and the storage version since Kubernetes 1.27.
    for (const char *version : {"v2", "v1"}) {
        auto &hpa = b.add("autoscaling", version, "horizontalpodautoscalers",
                          "HorizontalPodAutoscaler", true, kCrud, {"hpa"}, all);
        hpa.storageVersion = {"autoscaling", "v2", "HorizontalPodAutoscaler"};
        status(hpa);
    }

    status(b.add("batch", "v1", "cronjobs", "CronJob", true, kCrud, {"cj"}, all));
    status(b.add("batch", "v1", "jobs", "Job", true, kCrud, {}, all));

    b.add("networking.k8s.io", "v1", "ingressclasses", "IngressClass", false);
    status(b.add("networking.k8s.io", "v1", "ingresses", "Ingress", true, kCrud, {"ing"}));
    b.add("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, kCrud, {"netpol"});

    status(
        b.add("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, kCrud, {"pdb"}));

    b.add("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false);
    b.add("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false);
    b.add("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true);
    b.add("rbac.authorization.k8s.io", "v1", "roles", "Role", true);

    b.add("storage.k8s.io", "v1", "csidrivers", "CSIDriver", false);
    b.add("storage.k8s.io", "v1", "csinodes", "CSINode", false);
    b.add("storage.k8s.io", "v1", "storageclasses", "StorageClass", false, kCrud, {"sc"});
    status(b.add("storage.k8s.io", "v1", "volumeattachments", "VolumeAttachment", false));

    b.add("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations",
          "MutatingWebhookConfiguration", false, kCrud, {}, apiExtensions);
    b.add("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations",
          "ValidatingWebhookConfiguration", false, kCrud, {}, apiExtensions);

    status(b.add("apiextensions.k8s.io", "v1", "customresourcedefinitions",
                 "CustomResourceDefinition", false, kCrud, {"crd", "crds"}, apiExtensions));

    b.add("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", false, kCrud, {"pc"});
    b.add("coordination.k8s.io", "v1", "leases", "Lease", true);
    b.add("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true);

    return b.take();
}

const std::vector<ResourceInfo> &builtins()
{
    static const std::vector<ResourceInfo> list = builtinResources();
    return list;
}

int groupRank(std::string_view group)
{
    auto it = std::find(kBuiltinGroupOrder.begin(), kBuiltinGroupOrder.end(), group);
    return it == kBuiltinGroupOrder.end() ? static_cast<int>(kBuiltinGroupOrder.size())
                                          : static_cast<int>(it - kBuiltinGroupOrder.begin());
}

// Splits "v2beta1" into major 2, stage beta (1), minor 1. Stage 3 = GA, 2 = beta, 1 = alpha.
struct ParsedVersion
{
    bool kube = false;
    long major = 0;
    int stage = 0;
    long minor = 0;
};

ParsedVersion parseVersion(std::string_view v)
{
    ParsedVersion p;
    if (v.size() < 2 || v[0] != 'v' || !std::isdigit(static_cast<unsigned char>(v[1])))
        return p;
    size_t i = 1;
    while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i])))
        p.major = p.major * 10 + (v[i++] - '0');
    if (i == v.size()) {
        p.kube = true;
        p.stage = 3;
        return p;
    }
    std::string_view rest = v.substr(i);
    if (rest.starts_with("beta")) {
        p.stage = 2;
        rest.remove_prefix(4);
    } else if (rest.starts_with("alpha")) {
        p.stage = 1;
        rest.remove_prefix(5);
    } else {
        return p;
    }
    if (rest.empty())
        return p;
    for (char c : rest) {
        if (!std::isdigit(static_cast<unsigned char>(c)))
            return p;
        p.minor = p.minor * 10 + (c - '0');
    }
    p.kube = true;
    return p;
}

std::string jsonString(const nlohmann::json &j, const char *key)
{
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> jsonStrings(const nlohmann::json &j, const char *key)
{
    std::vector<std::string> out;
    auto it = j.find(key);
    if (it == j.end() || !it->is_array())
        return out;
    for (const auto &v : *it)
        if (v.is_string())
            out.push_back(v.get<std::string>());
    return out;
}

} // namespace

std::string ResourceInfo::groupVersion() const
{
    return group.empty() ? version : group + "/" + version;
}

bool ResourceInfo::hasVerb(std::string_view verb) const
{
    return std::find(verbs.begin(), verbs.end(), verb) != verbs.end();
}

const SubresourceInfo *ResourceInfo::subresource(std::string_view name) const
{
    for (const auto &s : subresources)
        if (s.name == name)
            return &s;
    return nullptr;
}

std::string ResourceInfo::storageVersionHash() const
{
    if (storageVersion.kind.empty())
        return {};
    const std::string key
        = storageVersion.group + "/" + storageVersion.version + "/" + storageVersion.kind;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(key.data(), key.size(), digest, &size, EVP_sha256(), nullptr) != 1 || size < 8)
        return {};
    unsigned char encoded[16] = {};
    const int n = EVP_EncodeBlock(encoded, digest, 8);
    return std::string(reinterpret_cast<const char *>(encoded), static_cast<size_t>(n));
}

Result<std::vector<ResourceInfo>>
ResourceInfo::fromCustomResourceDefinition(const nlohmann::json &crd)
{
    if (!crd.is_object() || !crd.contains("spec") || !crd["spec"].is_object())
        return Error(Error::Code::Invalid, "CustomResourceDefinition has no spec");
    const auto &spec = crd["spec"];
    const std::string group = jsonString(spec, "group");
    if (group.empty())
        return Error(Error::Code::Invalid, "CustomResourceDefinition spec.group is empty");
    if (!spec.contains("names") || !spec["names"].is_object())
        return Error(Error::Code::Invalid, "CustomResourceDefinition spec.names is missing");
    const auto &names = spec["names"];
    const std::string plural = jsonString(names, "plural");
    const std::string kind = jsonString(names, "kind");
    if (plural.empty() || kind.empty())
        return Error(Error::Code::Invalid,
                     "CustomResourceDefinition spec.names.plural and spec.names.kind are required");
    const std::string scope = jsonString(spec, "scope");
    if (scope != "Namespaced" && scope != "Cluster")
        return Error(Error::Code::Invalid,
                     "CustomResourceDefinition spec.scope must be Namespaced or Cluster, not \""
                         + scope + "\"");
    if (!spec.contains("versions") || !spec["versions"].is_array() || spec["versions"].empty())
        return Error(Error::Code::Invalid, "CustomResourceDefinition spec.versions is empty");

    std::string storage;
    for (const auto &v : spec["versions"])
        if (v.is_object() && v.value("storage", false))
            storage = jsonString(v, "name");

    std::vector<ResourceInfo> out;
    for (const auto &v : spec["versions"]) {
        if (!v.is_object())
            return Error(Error::Code::Invalid, "CustomResourceDefinition version is not an object");
        const std::string version = jsonString(v, "name");
        if (version.empty())
            return Error(Error::Code::Invalid, "CustomResourceDefinition version has no name");
        if (!v.value("served", false))
            continue;
        ResourceInfo r;
        r.group = group;
        r.version = version;
        r.resource = plural;
        r.kind = kind;
        r.singular = jsonString(names, "singular");
        if (r.singular.empty())
            r.singular = lower(kind);
        r.listKind = jsonString(names, "listKind");
        if (r.listKind.empty())
            r.listKind = kind + "List";
        r.namespaced = scope == "Namespaced";
        r.verbs = kCrud;
        r.shortNames = jsonStrings(names, "shortNames");
        r.categories = jsonStrings(names, "categories");
        r.custom = true;
        if (!storage.empty())
            r.storageVersion = {group, storage, kind};
        if (v.contains("subresources") && v["subresources"].is_object()) {
            const auto &subs = v["subresources"];
            // Upstream announces scale before status (alphabetical).
            if (subs.contains("scale"))
                sub(r, "scale", kStatusVerbs, {"autoscaling", "v1", "Scale"});
            if (subs.contains("status"))
                sub(r, "status", kStatusVerbs);
        }
        if (v.contains("additionalPrinterColumns") && v["additionalPrinterColumns"].is_array()) {
            for (const auto &c : v["additionalPrinterColumns"]) {
                if (!c.is_object())
                    continue;
                PrinterColumn col;
                col.name = jsonString(c, "name");
                col.type = jsonString(c, "type");
                col.format = jsonString(c, "format");
                col.description = jsonString(c, "description");
                col.jsonPath = jsonString(c, "jsonPath");
                if (auto p = c.find("priority"); p != c.end() && p->is_number_integer())
                    col.priority = p->get<int>();
                if (col.name.empty() || col.jsonPath.empty())
                    return Error(Error::Code::Invalid,
                                 "additionalPrinterColumns entries need a name and a jsonPath");
                r.printerColumns.push_back(std::move(col));
            }
        }
        out.push_back(std::move(r));
    }
    return out;
}

ResourceCatalog::ResourceCatalog()
    : m_resources(std::make_shared<const std::vector<ResourceInfo>>(builtins()))
{}

ResourceCatalog::Snapshot ResourceCatalog::snapshot() const
{
    std::shared_lock lock(m_mutex);
    return m_resources;
}

std::uint64_t ResourceCatalog::generation() const
{
    std::shared_lock lock(m_mutex);
    return m_generation;
}

std::optional<ResourceInfo> ResourceCatalog::find(std::string_view group, std::string_view version,
                                                  std::string_view resource) const
{
    const Snapshot snap = snapshot();
    for (const auto &r : *snap)
        if (r.group == group && r.version == version && r.resource == resource)
            return r;
    return std::nullopt;
}

std::optional<ResourceInfo> ResourceCatalog::findByKind(std::string_view group,
                                                        std::string_view version,
                                                        std::string_view kind) const
{
    const Snapshot snap = snapshot();
    for (const auto &r : *snap)
        if (r.group == group && r.version == version && r.kind == kind)
            return r;
    return std::nullopt;
}

std::vector<ResourceInfo> ResourceCatalog::findByShortName(std::string_view shortName) const
{
    std::vector<ResourceInfo> out;
    const Snapshot snap = snapshot();
    const std::vector<ApiGroupInfo> order = groupsOf(*snap);
    for (const auto &g : order)
        for (const auto &v : g.versions)
            for (const auto &r : *snap)
                if (r.group == g.name && r.version == v
                    && std::find(r.shortNames.begin(), r.shortNames.end(), shortName)
                           != r.shortNames.end())
                    out.push_back(r);
    return out;
}

std::vector<ApiGroupInfo> ResourceCatalog::groups() const
{
    return groupsOf(*snapshot());
}

std::vector<ApiGroupInfo> ResourceCatalog::groupsOf(const std::vector<ResourceInfo> &resources)
{
    std::vector<ApiGroupInfo> out;
    for (const auto &r : resources) {
        auto g = std::find_if(out.begin(), out.end(),
                              [&](const ApiGroupInfo &a) { return a.name == r.group; });
        if (g == out.end()) {
            out.push_back({r.group, {}});
            g = out.end() - 1;
        }
        if (std::find(g->versions.begin(), g->versions.end(), r.version) == g->versions.end())
            g->versions.push_back(r.version);
    }
    std::stable_sort(out.begin(), out.end(), [](const ApiGroupInfo &a, const ApiGroupInfo &b) {
        const int ra = groupRank(a.name);
        const int rb = groupRank(b.name);
        return ra != rb ? ra < rb : a.name < b.name;
    });
    for (auto &g : out)
        std::stable_sort(
            g.versions.begin(), g.versions.end(),
            [](const std::string &a, const std::string &b) { return versionPrecedes(a, b); });
    return out;
}

std::vector<ResourceInfo> ResourceCatalog::resources(std::string_view group,
                                                     std::string_view version) const
{
    const Snapshot snap = snapshot();
    std::vector<ResourceInfo> out;
    for (const auto &r : *snap)
        if (r.group == group && r.version == version)
            out.push_back(r);
    std::sort(out.begin(), out.end(),
              [](const ResourceInfo &a, const ResourceInfo &b) { return a.resource < b.resource; });
    return out;
}

Result<void> ResourceCatalog::setCustomResource(std::vector<ResourceInfo> versions)
{
    if (versions.empty())
        return Error(Error::Code::Invalid, "a custom resource needs at least one served version");
    const std::string group = versions.front().group;
    const std::string resource = versions.front().resource;
    if (group.empty() || resource.empty())
        return Error(Error::Code::Invalid, "a custom resource needs a group and a resource name");
    for (auto &v : versions) {
        if (v.group != group || v.resource != resource)
            return Error(Error::Code::Invalid,
                         "custom resource versions disagree on group/resource: " + v.group + "/"
                             + v.resource + " vs " + group + "/" + resource);
        if (v.version.empty() || v.kind.empty())
            return Error(Error::Code::Invalid,
                         "custom resource " + resource + "." + group + " needs version and kind");
        v.custom = true;
    }
    if (isBuiltinGroup(group))
        return Error(Error::Code::Conflict, "group " + group
                                                + " is served by the API server itself and "
                                                  "cannot hold custom resources");

    std::unique_lock lock(m_mutex);
    auto next = std::make_shared<std::vector<ResourceInfo>>();
    next->reserve(m_resources->size() + versions.size());
    for (const auto &r : *m_resources)
        if (!(r.custom && r.group == group && r.resource == resource))
            next->push_back(r);
    for (auto &v : versions)
        next->push_back(std::move(v));
    m_resources = std::move(next);
    ++m_generation;
    return {};
}

bool ResourceCatalog::removeCustomResource(std::string_view group, std::string_view resource)
{
    std::unique_lock lock(m_mutex);
    auto next = std::make_shared<std::vector<ResourceInfo>>();
    for (const auto &r : *m_resources)
        if (!(r.custom && r.group == group && r.resource == resource))
            next->push_back(r);
    if (next->size() == m_resources->size())
        return false;
    m_resources = std::move(next);
    ++m_generation;
    return true;
}

bool ResourceCatalog::isBuiltinGroup(std::string_view group)
{
    return std::find(kBuiltinGroupOrder.begin(), kBuiltinGroupOrder.end(), group)
           != kBuiltinGroupOrder.end();
}

bool ResourceCatalog::versionPrecedes(std::string_view a, std::string_view b)
{
    const ParsedVersion pa = parseVersion(a);
    const ParsedVersion pb = parseVersion(b);
    if (pa.kube != pb.kube)
        return pa.kube;
    if (!pa.kube)
        return a < b;
    if (pa.stage != pb.stage)
        return pa.stage > pb.stage;
    if (pa.major != pb.major)
        return pa.major > pb.major;
    return pa.minor > pb.minor;
}

} // namespace kd::lc::apiserver
