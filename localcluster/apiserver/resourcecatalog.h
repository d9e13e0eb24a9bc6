#pragma once

#include <core/util/result.h>

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace kd::lc::apiserver {

struct GroupVersionKind
{
    std::string group; // "" for the core group
    std::string version;
    std::string kind;

    bool operator==(const GroupVersionKind &) const = default;
};

// A subresource as discovery announces it ("status", "scale", "log"…). The response kind may live
// in another group (Scale in autoscaling/v1, Eviction in policy/v1).
struct SubresourceInfo
{
    std::string name;
    GroupVersionKind responseKind; // kind empty when the subresource has no typed response
    std::vector<std::string> verbs;
};

// One additionalPrinterColumn of a custom resource (apiextensions.k8s.io/v1 spelling).
struct PrinterColumn
{
    std::string name;
    std::string type; // integer, number, string, boolean, date
    std::string format;
    std::string description;
    int priority = 0;
    std::string jsonPath; // ".spec.replicas"
};

// Everything the API server knows about one served group/version/resource: what discovery
// publishes and what request handling needs to route and print it.
struct ResourceInfo
{
    std::string group;
    std::string version;
    std::string resource; // plural, lowercase
    std::string kind;
    std::string singular;
    std::string listKind;
    bool namespaced = false;
    std::vector<std::string> verbs;
    std::vector<std::string> shortNames;
    std::vector<std::string> categories;
    std::vector<SubresourceInfo> subresources;
    // The group/version/kind objects are persisted as; feeds storageVersionHash.
    GroupVersionKind storageVersion;
    bool custom = false; // served from a CustomResourceDefinition
    // Custom resources only: the printer columns of this version (empty means "Age" only).
    std::vector<PrinterColumn> printerColumns;
    // Custom resources only: this version's spec.versions[].schema.openAPIV3Schema (null when
    // the CRD gives none); server-side apply reads its list and map types from it.
    std::shared_ptr<const nlohmann::json> openApiSchema;

    std::string groupVersion() const; // "v1", "apps/v1"
    GroupVersionKind gvk() const { return {group, version, kind}; }
    bool hasVerb(std::string_view verb) const;
    const SubresourceInfo *subresource(std::string_view name) const;
    // Base64 of the first 8 bytes of sha256("group/version/kind") of the storage version, as
    // upstream publishes it so that storage migrators can detect a changed storage version.
    std::string storageVersionHash() const;

    // The served versions of a CustomResourceDefinition, as the catalog should register them.
    // Rejects a CRD missing group, names or versions with Error::Code::Invalid.
    static core::util::Result<std::vector<ResourceInfo>>
    fromCustomResourceDefinition(const nlohmann::json &crd);
};

// A group in discovery order with its served versions, preferred version first.
struct ApiGroupInfo
{
    std::string name;
    std::vector<std::string> versions;
};

// ResourceCatalog holds every resource the bundled API server serves: the built-in kinds (fixed,
// matching Kubernetes 1.33 discovery) plus custom resources registered from CRDs at run time.
// Owned by the API server; every function is thread-safe. Readers get immutable snapshots, so
// a discovery document is always built from one consistent state; generation() changes with
// every registration or removal so that cached discovery documents can be invalidated.
class ResourceCatalog final
{
public:
    using Snapshot = std::shared_ptr<const std::vector<ResourceInfo>>;

    ResourceCatalog();
    ResourceCatalog(const ResourceCatalog &) = delete;
    ResourceCatalog &operator=(const ResourceCatalog &) = delete;

    Snapshot snapshot() const;
    std::uint64_t generation() const;

    std::optional<ResourceInfo> find(std::string_view group, std::string_view version,
                                     std::string_view resource) const;
    std::optional<ResourceInfo> findByKind(std::string_view group, std::string_view version,
                                           std::string_view kind) const;
    // Every resource with this short name, preferred group/version first ("ev" names both the
    // core and the events.k8s.io events).
    std::vector<ResourceInfo> findByShortName(std::string_view shortName) const;

    // Groups in discovery order: built-in groups in upstream's order, then custom groups by name.
    std::vector<ApiGroupInfo> groups() const;
    static std::vector<ApiGroupInfo> groupsOf(const std::vector<ResourceInfo> &resources);
    // Resources of one group/version sorted by resource name; empty when the GV is not served.
    std::vector<ResourceInfo> resources(std::string_view group, std::string_view version) const;

    // Registers (or replaces) every served version of one custom resource group/resource, as one
    // CRD defines it. Fails with Invalid when the entries disagree on group/resource, and with
    // Conflict when they would shadow a built-in resource; nothing changes then.
    core::util::Result<void> setCustomResource(std::vector<ResourceInfo> versions);
    // Removes all versions of a custom resource; false when none was registered.
    bool removeCustomResource(std::string_view group, std::string_view resource);

    static bool isBuiltinGroup(std::string_view group);
    // Kubernetes' version ordering: GA before beta before alpha, higher numbers first, then
    // anything else alphabetically. True when a sorts before b.
    static bool versionPrecedes(std::string_view a, std::string_view b);

private:
    mutable std::shared_mutex m_mutex;
    Snapshot m_resources;
    std::uint64_t m_generation = 1;
};

} // namespace kd::lc::apiserver
