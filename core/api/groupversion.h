#pragma once

#include <string>
#include <string_view>

namespace kd::core::api {

// Names of API types, spelled as Kubernetes spells them. The core group is the empty string.
// Plain value types; any thread.

struct GroupVersion
{
    std::string group;
    std::string version;

    // "v1" for the core group, else "apps/v1": the apiVersion field of an object.
    std::string apiVersion() const { return group.empty() ? version : group + '/' + version; }
    static GroupVersion fromApiVersion(std::string_view apiVersion)
    {
        const size_t slash = apiVersion.find('/');
        if (slash == std::string_view::npos)
            return {std::string(), std::string(apiVersion)};
        return {std::string(apiVersion.substr(0, slash)),
                std::string(apiVersion.substr(slash + 1))};
    }
    auto operator<=>(const GroupVersion &) const = default;
};

struct GroupVersionKind
{
    std::string group;
    std::string version;
    std::string kind; // singular PascalCase: "Deployment"

    GroupVersion groupVersion() const { return {group, version}; }
    std::string apiVersion() const { return groupVersion().apiVersion(); }
    auto operator<=>(const GroupVersionKind &) const = default;
};

struct GroupVersionResource
{
    std::string group;
    std::string version;
    std::string resource; // plural lowercase: "deployments"

    GroupVersion groupVersion() const { return {group, version}; }
    // "deployments.apps", or "pods" for the core group: how messages name a resource.
    std::string groupResource() const { return group.empty() ? resource : resource + '.' + group; }
    auto operator<=>(const GroupVersionResource &) const = default;
};

// Identifies an object within one resource; namespace is empty for cluster-scoped objects.
struct ObjectKey
{
    std::string namespace_;
    std::string name;

    auto operator<=>(const ObjectKey &) const = default;
};

} // namespace kd::core::api
