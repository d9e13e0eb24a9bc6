#include "rbac.h"

#include <localcluster/storage/store.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

namespace kd::lc::apiserver::authz {

using nlohmann::json;

namespace {

constexpr const char *kMasters = "system:masters";
constexpr const char *kServiceAccountPrefix = "system:serviceaccount:";

// The string at `pointer`, or "" when it is missing, not a string or the path does not resolve.
std::string stringAt(const json &object, const json::json_pointer &pointer)
{
    try {
        const json &value = object.at(pointer);
        return value.is_string() ? value.get<std::string>() : std::string();
    } catch (const json::exception &) {
        return {};
    }
}

bool listed(const json &list, const std::string &value)
{
    if (!list.is_array())
        return false;
    return std::any_of(list.begin(), list.end(),
                       [&](const json &item) { return item == "*" || item == value; });
}

std::string field(const json &object, const char *key)
{
    if (!object.is_object())
        return {};
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The subject of `subjects` that names the caller, described as upstream's RBAC reasons do
// (`Group "system:masters"`), or empty.
std::string matchingSubject(const json &subjects, const std::string &user,
                            const std::vector<std::string> &groups,
                            const std::string &bindingNamespace)
{
    if (!subjects.is_array())
        return {};
    for (const json &subject : subjects) {
        const std::string kind = field(subject, "kind");
        const std::string name = field(subject, "name");
        if (kind == "User" && name == user)
            return "User \"" + name + "\"";
        if (kind == "Group" && std::find(groups.begin(), groups.end(), name) != groups.end())
            return "Group \"" + name + "\"";
        if (kind == "ServiceAccount") {
            std::string ns = field(subject, "namespace");
            if (ns.empty())
                ns = bindingNamespace;
            if (user == kServiceAccountPrefix + ns + ":" + name)
                return "ServiceAccount \"" + name + "/" + ns + "\"";
        }
    }
    return {};
}

json verbs(std::initializer_list<const char *> list)
{
    return json(std::vector<std::string>(list.begin(), list.end()));
}

json rule(std::initializer_list<const char *> groups, std::initializer_list<const char *> resources,
          const json &verbList)
{
    return {{"apiGroups", verbs(groups)}, {"resources", verbs(resources)}, {"verbs", verbList}};
}

json clusterRole(const std::string &name, json rules)
{
    return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
            {"kind", "ClusterRole"},
            {"metadata",
             {{"name", name},
              {"labels", {{"kubernetes.io/bootstrapping", "rbac-defaults"}}},
              {"annotations", {{"rbac.authorization.kubernetes.io/autoupdate", "true"}}}}},
            {"rules", std::move(rules)}};
}

json clusterRoleBinding(const std::string &name, const std::string &role,
                        std::initializer_list<const char *> groupNames)
{
    json subjects = json::array();
    for (const char *group : groupNames)
        subjects.push_back(
            {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Group"}, {"name", group}});
    return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
            {"kind", "ClusterRoleBinding"},
            {"metadata",
             {{"name", name},
              {"labels", {{"kubernetes.io/bootstrapping", "rbac-defaults"}}},
              {"annotations", {{"rbac.authorization.kubernetes.io/autoupdate", "true"}}}}},
            {"roleRef",
             {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", role}}},
            {"subjects", std::move(subjects)}};
}

} // namespace

bool ruleAllows(const json &rule, const Attributes &attributes)
{
    if (!rule.is_object() || !listed(rule.value("verbs", json()), attributes.verb))
        return false;
    if (!attributes.resourceRequest) {
        const json urls = rule.value("nonResourceURLs", json());
        if (!urls.is_array())
            return false;
        return std::any_of(urls.begin(), urls.end(), [&](const json &url) {
            if (!url.is_string())
                return false;
            const std::string pattern = url.get<std::string>();
            if (pattern == "*" || pattern == attributes.path)
                return true;
            return pattern.ends_with('*')
                   && attributes.path.starts_with(pattern.substr(0, pattern.size() - 1));
        });
    }
    if (!listed(rule.value("apiGroups", json()), attributes.apiGroup))
        return false;
    const json resources = rule.value("resources", json());
    if (!resources.is_array())
        return false;
    const std::string combined = attributes.subresource.empty()
                                     ? attributes.resource
                                     : attributes.resource + "/" + attributes.subresource;
    const bool resourceMatches
        = std::any_of(resources.begin(), resources.end(), [&](const json &item) {
              if (!item.is_string())
                  return false;
              const std::string value = item.get<std::string>();
              if (value == "*" || value == combined)
                  return true;
              return !attributes.subresource.empty() && value == "*/" + attributes.subresource;
          });
    if (!resourceMatches)
        return false;
    const json names = rule.value("resourceNames", json());
    if (names.is_array() && !names.empty())
        return !attributes.name.empty()
               && std::find(names.begin(), names.end(), attributes.name) != names.end();
    return true;
}

bool subjectsMatch(const json &subjects, const std::string &user,
                   const std::vector<std::string> &groups, const std::string &bindingNamespace)
{
    return !matchingSubject(subjects, user, groups, bindingNamespace).empty();
}

std::string forbiddenMessage(const Attributes &a)
{
    const std::string user = "User \"" + a.user + "\"";
    if (!a.resourceRequest)
        return "forbidden: " + user + " cannot " + a.verb + " path \"" + a.path + "\"";
    const std::string qualified = a.apiGroup.empty() ? a.resource : a.resource + "." + a.apiGroup;
    const std::string resource
        = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
    std::string message = qualified + (a.name.empty() ? "" : " \"" + a.name + "\"")
                          + " is forbidden: " + user + " cannot " + a.verb + " resource \""
                          + resource + "\" in API group \"" + a.apiGroup + "\"";
    if (a.ns.empty())
        return message + " at the cluster scope";
    return message + " in the namespace \"" + a.ns + "\"";
}

std::vector<json> bootstrapPolicy()
{
    const json read = verbs({"get", "list", "watch"});
    const json write = verbs({"create", "delete", "deletecollection", "patch", "update"});
    const json all = verbs(
        {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"});

    // view: read-only on the namespaced workload resources; no secrets, no RBAC.
    json view = json::array({
        rule({""},
             {"configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status",
              "pods", "pods/log", "pods/status", "replicationcontrollers",
              "replicationcontrollers/scale", "replicationcontrollers/status", "serviceaccounts",
              "services", "services/status", "bindings", "events", "limitranges",
              "namespaces/status", "resourcequotas", "resourcequotas/status"},
             read),
        rule({""}, {"namespaces"}, read),
        rule({"apps"},
             {"controllerrevisions", "daemonsets", "daemonsets/status", "deployments",
              "deployments/scale", "deployments/status", "replicasets", "replicasets/scale",
              "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"},
             read),
        rule({"autoscaling"}, {"horizontalpodautoscalers", "horizontalpodautoscalers/status"},
             read),
        rule({"batch"}, {"cronjobs", "cronjobs/status", "jobs", "jobs/status"}, read),
        rule({"policy"}, {"poddisruptionbudgets", "poddisruptionbudgets/status"}, read),
        rule({"networking.k8s.io"}, {"ingresses", "ingresses/status", "networkpolicies"}, read),
        rule({"discovery.k8s.io"}, {"endpointslices"}, read),
        rule({"events.k8s.io"}, {"events"}, read),
    });
    // edit: view plus writes and secrets, exec and friends; still no RBAC.
    json edit = view;
    for (const json &r : json::array({
             rule({""},
                  {"pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy",
                   "pods/eviction", "configmaps", "endpoints", "persistentvolumeclaims",
                   "replicationcontrollers", "replicationcontrollers/scale", "secrets",
                   "serviceaccounts", "services", "services/proxy"},
                  write),
             rule({""},
                  {"secrets", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy",
                   "services/proxy"},
                  read),
             rule({""}, {"serviceaccounts/token"}, verbs({"create"})),
             rule({""}, {"serviceaccounts"}, verbs({"impersonate"})),
             rule({"apps"},
                  {"daemonsets", "deployments", "deployments/rollback", "deployments/scale",
                   "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"},
                  write),
             rule({"autoscaling"}, {"horizontalpodautoscalers"}, write),
             rule({"batch"}, {"cronjobs", "jobs"}, write),
             rule({"policy"}, {"poddisruptionbudgets"}, write),
             rule({"networking.k8s.io"}, {"ingresses", "networkpolicies"}, write),
             rule({"discovery.k8s.io"}, {"endpointslices"}, write),
         }))
        edit.push_back(r);
    // admin: edit plus the namespace's own Roles and RoleBindings.
    json admin = edit;
    admin.push_back(rule({"rbac.authorization.k8s.io"}, {"rolebindings", "roles"}, all));
    admin.push_back(
        rule({"authorization.k8s.io"}, {"localsubjectaccessreviews"}, verbs({"create"})));

    const json getVerb = verbs({"get"});
    const json publicInfo
        = {{{"nonResourceURLs", verbs({"/healthz", "/livez", "/readyz", "/version", "/version/"})},
            {"verbs", getVerb}}};
    const json discovery = {
        {{"nonResourceURLs", verbs({"/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez",
                                    "/openapi", "/openapi/*", "/readyz", "/version", "/version/"})},
         {"verbs", getVerb}}};
    const json basicUser = json::array({
        rule({"authorization.k8s.io"}, {"selfsubjectaccessreviews", "selfsubjectrulesreviews"},
             verbs({"create"})),
        rule({"authentication.k8s.io"}, {"selfsubjectreviews"}, verbs({"create"})),
    });
    const json everything
        = json::array({rule({"*"}, {"*"}, verbs({"*"})),
                       {{"nonResourceURLs", verbs({"*"})}, {"verbs", verbs({"*"})}}});

    return {
        clusterRole("cluster-admin", everything),
        clusterRole("admin", admin),
        clusterRole("edit", edit),
        clusterRole("view", view),
        clusterRole("system:discovery", discovery),
        clusterRole("system:basic-user", basicUser),
        clusterRole("system:public-info-viewer", publicInfo),
        clusterRoleBinding("cluster-admin", "cluster-admin", {kMasters}),
        clusterRoleBinding("system:discovery", "system:discovery", {"system:authenticated"}),
        clusterRoleBinding("system:basic-user", "system:basic-user", {"system:authenticated"}),
        clusterRoleBinding("system:public-info-viewer", "system:public-info-viewer",
                           {"system:authenticated", "system:unauthenticated"}),
    };
}

struct RbacAuthorizer::Snapshot
{
    storage::Revision revision = 0;
    std::map<std::string, json> clusterRoles; // name → rules
    std::map<std::string, json> roles;        // "ns/name" → rules
    std::vector<json> clusterRoleBindings;
    std::vector<json> roleBindings;
};

RbacAuthorizer::RbacAuthorizer(storage::Store &store)
    : m_store(store)
{}

RbacAuthorizer::~RbacAuthorizer() = default;

std::shared_ptr<const RbacAuthorizer::Snapshot> RbacAuthorizer::snapshot() const
{
    std::lock_guard lock(m_mutex);
    const storage::Revision revision = m_store.currentRevision();
    if (m_snapshot && m_snapshot->revision == revision)
        return m_snapshot;
    auto fresh = std::make_shared<Snapshot>();
    fresh->revision = revision;
    const auto load = [&](const char *resource) {
        storage::ListRequest request;
        request.resource = {"rbac.authorization.k8s.io", resource};
        auto listed = m_store.list(request);
        std::vector<json> objects;
        if (listed) {
            for (const storage::ObjectRef &item : listed->items)
                objects.push_back(item->object());
        }
        return objects;
    };
    for (const json &role : load("clusterroles"))
        fresh->clusterRoles[stringAt(role, "/metadata/name"_json_pointer)]
            = role.value("rules", json::array());
    for (const json &role : load("roles"))
        fresh->roles[stringAt(role, "/metadata/namespace"_json_pointer) + "/"
                     + stringAt(role, "/metadata/name"_json_pointer)]
            = role.value("rules", json::array());
    fresh->clusterRoleBindings = load("clusterrolebindings");
    fresh->roleBindings = load("rolebindings");
    m_snapshot = fresh;
    return m_snapshot;
}

namespace {

// The rules a binding's roleRef grants; a RoleBinding may name a Role of its namespace or a
// ClusterRole.
json boundRules(const json &binding, const std::map<std::string, json> &clusterRoles,
                const std::map<std::string, json> &roles, const std::string &ns)
{
    const json roleRef = binding.value("roleRef", json::object());
    const std::string kind = field(roleRef, "kind");
    const std::string name = field(roleRef, "name");
    if (kind == "ClusterRole") {
        auto it = clusterRoles.find(name);
        return it == clusterRoles.end() ? json::array() : it->second;
    }
    if (kind == "Role" && !ns.empty()) {
        auto it = roles.find(ns + "/" + name);
        return it == roles.end() ? json::array() : it->second;
    }
    return json::array();
}

} // namespace

Decision RbacAuthorizer::authorize(const Attributes &attributes) const
{
    if (std::find(attributes.groups.begin(), attributes.groups.end(), kMasters)
        != attributes.groups.end())
        return {true, ""};
    const auto current = snapshot();
    const auto grants = [&](const json &rules) {
        return rules.is_array() && std::any_of(rules.begin(), rules.end(), [&](const json &r) {
                   return ruleAllows(r, attributes);
               });
    };
    for (const json &binding : current->clusterRoleBindings) {
        const std::string subject = matchingSubject(binding.value("subjects", json()),
                                                    attributes.user, attributes.groups, "");
        if (subject.empty())
            continue;
        if (grants(boundRules(binding, current->clusterRoles, current->roles, "")))
            return {true,
                    "RBAC: allowed by ClusterRoleBinding \""
                        + stringAt(binding, "/metadata/name"_json_pointer) + "\" of ClusterRole \""
                        + stringAt(binding, "/roleRef/name"_json_pointer) + "\" to " + subject};
    }
    if (attributes.resourceRequest && !attributes.ns.empty()) {
        for (const json &binding : current->roleBindings) {
            if (stringAt(binding, "/metadata/namespace"_json_pointer) != attributes.ns)
                continue;
            const std::string subject
                = matchingSubject(binding.value("subjects", json()), attributes.user,
                                  attributes.groups, attributes.ns);
            if (subject.empty())
                continue;
            if (grants(boundRules(binding, current->clusterRoles, current->roles, attributes.ns)))
                return {true,
                        "RBAC: allowed by RoleBinding \""
                            + stringAt(binding, "/metadata/name"_json_pointer) + "/" + attributes.ns
                            + "\" of " + stringAt(binding, "/roleRef/kind"_json_pointer) + " \""
                            + stringAt(binding, "/roleRef/name"_json_pointer) + "\" to " + subject};
        }
    }
    return {false, ""};
}

std::vector<json> RbacAuthorizer::rulesFor(const std::string &user,
                                           const std::vector<std::string> &groups,
                                           const std::string &ns) const
{
    std::vector<json> rules;
    if (std::find(groups.begin(), groups.end(), kMasters) != groups.end()) {
        rules.push_back(rule({"*"}, {"*"}, verbs({"*"})));
        rules.push_back({{"nonResourceURLs", verbs({"*"})}, {"verbs", verbs({"*"})}});
    }
    const auto current = snapshot();
    const auto add = [&](const json &granted) {
        for (const json &r : granted)
            rules.push_back(r);
    };
    for (const json &binding : current->clusterRoleBindings) {
        if (subjectsMatch(binding.value("subjects", json()), user, groups, ""))
            add(boundRules(binding, current->clusterRoles, current->roles, ""));
    }
    for (const json &binding : current->roleBindings) {
        if (ns.empty() || stringAt(binding, "/metadata/namespace"_json_pointer) != ns)
            continue;
        if (subjectsMatch(binding.value("subjects", json()), user, groups, ns))
            add(boundRules(binding, current->clusterRoles, current->roles, ns));
    }
    return rules;
}

} // namespace kd::lc::apiserver::authz
