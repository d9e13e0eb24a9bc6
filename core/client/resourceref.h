#pragma once

#include <core/api/groupversion.h>

#include <string>

namespace kd::core::client {

// Where a request goes: a resource of a group/version, optionally one namespace, one object and
// one subresource. Builds the REST path the API server routes on. Plain value type.
struct ResourceRef
{
    api::GroupVersionResource gvr;
    bool namespaced = true;
    std::string namespace_; // empty: all namespaces (lists and watches) or cluster-scoped
    std::string name;
    std::string subresource;

    // "/api/v1/namespaces/default/pods/web/log", "/apis/apps/v1/deployments".
    std::string path() const;
    // The collection this object belongs to (name and subresource dropped).
    ResourceRef collection() const;
};

// Percent-encodes a query value or path segment (RFC 3986 unreserved characters kept).
std::string percentEncode(std::string_view text);

} // namespace kd::core::client
