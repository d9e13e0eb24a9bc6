#pragma once

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace kd::lc::storage {
class Store;
}

// Kubernetes RBAC: who may do what, from the Roles, ClusterRoles, RoleBindings and
// ClusterRoleBindings in the Store, plus the system:masters group, which may do everything.
namespace kd::lc::apiserver::authz {

// What a request asks to do, as upstream's authorizer.Attributes.
struct Attributes
{
    std::string user;
    std::vector<std::string> groups;
    bool resourceRequest = true;
    std::string verb; // get, list, watch, create…; for non-resource paths the lowercase method
    std::string apiGroup;
    std::string resource;
    std::string subresource;
    std::string name;
    std::string ns;
    std::string path; // non-resource requests
};

struct Decision
{
    bool allowed = false;
    // Why it was allowed (which binding), as upstream's RBAC reason; empty when denied.
    std::string reason;
};

// Whether one PolicyRule (verbs, apiGroups, resources incl. "pods/log" and "*/scale",
// resourceNames, nonResourceURLs with "*" and trailing-"*" prefixes) allows the request.
bool ruleAllows(const nlohmann::json &rule, const Attributes &attributes);

// Whether a binding's subjects name the user (User), one of its groups (Group) or, for
// "system:serviceaccount:NS:NAME", the ServiceAccount; `bindingNamespace` is the default
// namespace of ServiceAccount subjects.
bool subjectsMatch(const nlohmann::json &subjects, const std::string &user,
                   const std::vector<std::string> &groups, const std::string &bindingNamespace);

// kube-apiserver's 403 message: `pods is forbidden: User "jane" cannot list resource "pods" in
// API group "" in the namespace "default"`.
std::string forbiddenMessage(const Attributes &attributes);

// The default ClusterRoles and ClusterRoleBindings a cluster starts with (cluster-admin, admin,
// edit, view, system:discovery, system:basic-user, system:public-info-viewer), as objects ready
// to store.
std::vector<nlohmann::json> bootstrapPolicy();

// Decides requests from the RBAC objects in the Store. The objects are read again only when the
// store's revision moved since the last decision. Owned by the API server; any thread.
class RbacAuthorizer final
{
public:
    explicit RbacAuthorizer(storage::Store &store);
    ~RbacAuthorizer();
    RbacAuthorizer(const RbacAuthorizer &) = delete;
    RbacAuthorizer &operator=(const RbacAuthorizer &) = delete;

    Decision authorize(const Attributes &attributes) const;
    // Every rule that applies to the user in `ns` (cluster-wide ones included), for
    // SelfSubjectRulesReview.
    std::vector<nlohmann::json> rulesFor(const std::string &user,
                                         const std::vector<std::string> &groups,
                                         const std::string &ns) const;

private:
    struct Snapshot;
    std::shared_ptr<const Snapshot> snapshot() const;

    storage::Store &m_store;
    mutable std::mutex m_mutex;
    mutable std::shared_ptr<const Snapshot> m_snapshot;
};

} // namespace kd::lc::apiserver::authz
