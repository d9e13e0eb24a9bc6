#pragma once

// <string> brings operator<=>'s support types; <compare> is not included directly because Qt 6.4's
// moc cannot parse it, and tests that moc their sources include this header.
#include <string>

namespace kd::lc::storage {

// The group and plural resource an object is stored under: {"apps", "deployments"}, {"", "pods"}.
// Plain value type; any thread.
struct GroupResource
{
    std::string group; // "" for the core group
    std::string resource;

    // "deployments.apps", or "pods" for the core group: the spelling of Kubernetes' messages.
    std::string toString() const;

    auto operator<=>(const GroupResource &) const = default;
    bool operator==(const GroupResource &) const = default;
};

// Where one object lives in the store. Ordering is (group, resource, namespace, name), which is
// etcd's key order for /registry/<resource>/<namespace>/<name>, so lists come out as Kubernetes
// sorts them. Plain value type; any thread.
struct Key
{
    GroupResource groupResource;
    std::string ns; // the object's namespace; empty for cluster-scoped resources
    std::string name;

    auto operator<=>(const Key &) const = default;
    bool operator==(const Key &) const = default;
};

// A position inside one resource: a list page starts after it. Same order as Key.
struct ObjectName
{
    std::string ns;
    std::string name;

    auto operator<=>(const ObjectName &) const = default;
    bool operator==(const ObjectName &) const = default;
};

} // namespace kd::lc::storage
