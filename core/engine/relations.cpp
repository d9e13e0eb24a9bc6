#include "relations.h"

#include <core/api/groupversion.h>
#include <core/api/labelselector.h>

#include <nlohmann/json.hpp>

#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <stdexcept>
#include <unordered_map>

namespace kd::core::engine {

using nlohmann::json;
using ObjectPtr = std::shared_ptr<const json>;

namespace {

// A reference an object declares about another one. Most point from the declaring object to the
// target (a Pod uses a Secret); `reversed` ones point the other way (an ownerReference names the
// owner, an EndpointSlice's label names the Service that selects it).
struct Ref
{
    RelationType type = RelationType::Uses;
    bool reversed = false;
    NodeId target;
    std::string uid; // ownerReferences only: the owner is matched by uid, not by name

    auto operator<=>(const Ref &) const = default;
};

// Kinds whose objects have no namespace; an ownerReference to them must not inherit the
// dependent's namespace.
bool isClusterScoped(const std::string &group, const std::string &kind)
{
    static const std::set<std::pair<std::string, std::string>> kinds = {
        {"", "Node"},
        {"", "Namespace"},
        {"", "PersistentVolume"},
        {"storage.k8s.io", "StorageClass"},
        {"rbac.authorization.k8s.io", "ClusterRole"},
        {"rbac.authorization.k8s.io", "ClusterRoleBinding"},
        {"apiextensions.k8s.io", "CustomResourceDefinition"},
    };
    return kinds.count({group, kind}) > 0;
}

// Field access that tolerates absent and null fields but throws on wrong types, so that a
// malformed object is rejected as a whole instead of half-indexed.
const json *child(const json &object, const char *key)
{
    if (!object.is_object())
        throw std::invalid_argument(std::string("expected an object around field ") + key);
    const auto it = object.find(key);
    if (it == object.end() || it->is_null())
        return nullptr;
    return &*it;
}

std::string stringField(const json &object, const char *key)
{
    const json *value = child(object, key);
    if (!value)
        return {};
    if (!value->is_string())
        throw std::invalid_argument(std::string("field ") + key + " is not a string");
    return value->get<std::string>();
}

const json &arrayOrEmpty(const json *value, const char *what)
{
    static const json empty = json::array();
    if (!value)
        return empty;
    if (!value->is_array())
        throw std::invalid_argument(std::string("field ") + what + " is not an array");
    return *value;
}

std::string nestedName(const json &object, const char *key, const char *nameKey)
{
    const json *inner = child(object, key);
    return inner ? stringField(*inner, nameKey) : std::string();
}

api::Labels stringMap(const json *value, const char *what)
{
    api::Labels out;
    if (!value)
        return out;
    if (!value->is_object())
        throw std::invalid_argument(std::string("field ") + what + " is not a map");
    for (const auto &[k, v] : value->items()) {
        if (!v.is_string())
            throw std::invalid_argument(std::string("field ") + what + " has a non-string value");
        out.emplace(k, v.get<std::string>());
    }
    return out;
}

// Everything the graph keeps about one object, derived once when it arrives.
struct Parsed
{
    NodeId id;
    std::string uid;
    api::Labels labels;
    std::optional<api::LabelSelector> selector; // Services with a non-empty spec.selector
    std::set<Ref> refs;
};

class RefCollector
{
public:
    RefCollector(std::set<Ref> &refs, const std::string &ns)
        : m_refs(refs)
        , m_ns(ns)
    {}

    void add(RelationType type, const std::string &group, const std::string &kind,
             const std::string &name, bool clusterScoped = false)
    {
        if (name.empty())
            return;
        m_refs.insert(Ref{type, false, NodeId{group, kind, clusterScoped ? "" : m_ns, name}, {}});
    }
    void uses(const std::string &kind, const std::string &name)
    {
        add(RelationType::Uses, "", kind, name);
    }

private:
    std::set<Ref> &m_refs;
    const std::string &m_ns;
};

void collectPodRefs(const json &spec, const std::string &podName, RefCollector &out)
{
    out.add(RelationType::RunsOn, "", "Node", stringField(spec, "nodeName"), true);

    // serviceAccount is the deprecated alias; the API server defaults both to "default".
    std::string account = stringField(spec, "serviceAccountName");
    if (account.empty())
        account = stringField(spec, "serviceAccount");
    out.uses("ServiceAccount", account.empty() ? "default" : account);

    for (const json &secret : arrayOrEmpty(child(spec, "imagePullSecrets"), "imagePullSecrets"))
        out.uses("Secret", stringField(secret, "name"));

    for (const json &volume : arrayOrEmpty(child(spec, "volumes"), "volumes")) {
        out.uses("ConfigMap", nestedName(volume, "configMap", "name"));
        out.uses("Secret", nestedName(volume, "secret", "secretName"));
        out.uses("PersistentVolumeClaim", nestedName(volume, "persistentVolumeClaim", "claimName"));
        // A generic ephemeral volume's claim is named <pod>-<volume> by the ephemeral controller.
        if (child(volume, "ephemeral"))
            out.uses("PersistentVolumeClaim", podName + '-' + stringField(volume, "name"));
        if (const json *projected = child(volume, "projected")) {
            for (const json &source : arrayOrEmpty(child(*projected, "sources"), "sources")) {
                out.uses("ConfigMap", nestedName(source, "configMap", "name"));
                out.uses("Secret", nestedName(source, "secret", "name"));
            }
        }
    }

    for (const char *list : {"initContainers", "containers", "ephemeralContainers"}) {
        for (const json &container : arrayOrEmpty(child(spec, list), list)) {
            for (const json &from : arrayOrEmpty(child(container, "envFrom"), "envFrom")) {
                out.uses("ConfigMap", nestedName(from, "configMapRef", "name"));
                out.uses("Secret", nestedName(from, "secretRef", "name"));
            }
            for (const json &env : arrayOrEmpty(child(container, "env"), "env")) {
                const json *valueFrom = child(env, "valueFrom");
                if (!valueFrom)
                    continue;
                out.uses("ConfigMap", nestedName(*valueFrom, "configMapKeyRef", "name"));
                out.uses("Secret", nestedName(*valueFrom, "secretKeyRef", "name"));
            }
        }
    }
}

void collectIngressBackend(const json &backend, RefCollector &out)
{
    // networking.k8s.io/v1 names backend.service.name; v1beta1 used backend.serviceName.
    std::string name = nestedName(backend, "service", "name");
    if (name.empty())
        name = stringField(backend, "serviceName");
    out.add(RelationType::Routes, "", "Service", name);
}

void collectIngressRefs(const json &spec, RefCollector &out)
{
    for (const char *key : {"defaultBackend", "backend"}) {
        if (const json *backend = child(spec, key))
            collectIngressBackend(*backend, out);
    }
    for (const json &rule : arrayOrEmpty(child(spec, "rules"), "rules")) {
        const json *http = child(rule, "http");
        if (!http)
            continue;
        for (const json &path : arrayOrEmpty(child(*http, "paths"), "paths")) {
            if (const json *backend = child(path, "backend"))
                collectIngressBackend(*backend, out);
        }
    }
}

Parsed parse(const std::string &group, const std::string &kind, const json &object)
{
    const json *metadata = child(object, "metadata");
    if (!metadata)
        throw std::invalid_argument("object has no metadata");
    Parsed p;
    p.id = NodeId{group, kind, stringField(*metadata, "namespace"), stringField(*metadata, "name")};
    if (p.id.name.empty())
        throw std::invalid_argument("object has no metadata.name");
    p.uid = stringField(*metadata, "uid");
    p.labels = stringMap(child(*metadata, "labels"), "metadata.labels");

    for (const json &owner : arrayOrEmpty(child(*metadata, "ownerReferences"), "ownerReferences")) {
        const api::GroupVersion gv
            = api::GroupVersion::fromApiVersion(stringField(owner, "apiVersion"));
        const std::string ownerKind = stringField(owner, "kind");
        const std::string uid = stringField(owner, "uid");
        if (uid.empty())
            continue;
        const std::string ns = isClusterScoped(gv.group, ownerKind) ? "" : p.id.namespace_;
        p.refs.insert(Ref{RelationType::Owns, true,
                          NodeId{gv.group, ownerKind, ns, stringField(owner, "name")}, uid});
    }

    RefCollector out(p.refs, p.id.namespace_);
    const json *spec = child(object, "spec");
    const json emptySpec = json::object();
    const json &s = spec ? *spec : emptySpec;
    if (group.empty() && kind == "Pod") {
        collectPodRefs(s, p.id.name, out);
    } else if (group.empty() && kind == "Service") {
        const api::Labels selector = stringMap(child(s, "selector"), "spec.selector");
        // A Service without a selector has manually managed endpoints and selects no pods.
        if (!selector.empty())
            p.selector = api::LabelSelector::fromMap(selector);
    } else if (group.empty() && kind == "PersistentVolumeClaim") {
        out.add(RelationType::Uses, "", "PersistentVolume", stringField(s, "volumeName"), true);
        out.add(RelationType::Uses, "storage.k8s.io", "StorageClass",
                stringField(s, "storageClassName"), true);
    } else if (group.empty() && kind == "PersistentVolume") {
        out.add(RelationType::Uses, "storage.k8s.io", "StorageClass",
                stringField(s, "storageClassName"), true);
    } else if (kind == "Ingress" && (group == "networking.k8s.io" || group == "extensions")) {
        collectIngressRefs(s, out);
    } else if (group == "discovery.k8s.io" && kind == "EndpointSlice") {
        const auto it = p.labels.find("kubernetes.io/service-name");
        if (it != p.labels.end() && !it->second.empty())
            p.refs.insert(Ref{RelationType::Selects,
                              true,
                              NodeId{"", "Service", p.id.namespace_, it->second},
                              {}});
    }
    return p;
}

bool isPod(const NodeId &id)
{
    return id.group.empty() && id.kind == "Pod";
}

bool isService(const NodeId &id)
{
    return id.group.empty() && id.kind == "Service";
}

} // namespace

class RelationGraph::Private
{
public:
    struct Node
    {
        ObjectPtr object;
        Parsed parsed;
    };

    mutable std::shared_mutex mutex;
    std::map<NodeId, Node> nodes;
    std::unordered_map<std::string, NodeId> byUid;
    // Declaring objects per referenced identity (by name), whether or not the target exists.
    std::map<NodeId, std::set<NodeId>> referencedBy;
    // Dependents per owner uid, whether or not the owner has arrived yet.
    std::unordered_map<std::string, std::set<NodeId>> dependentsByUid;
    std::map<NodeId, std::set<NodeId>> serviceSelects; // Service -> Pods
    std::map<NodeId, std::set<NodeId>> podSelectedBy;  // Pod -> Services
    std::map<std::string, std::set<NodeId>> podsByNamespace;
    std::map<std::string, std::set<NodeId>> servicesByNamespace;
    std::uint64_t version = 0;
    ChangeCallback callback;

    void detach(const NodeId &id, const Node &node)
    {
        for (const Ref &ref : node.parsed.refs) {
            if (!ref.uid.empty()) {
                eraseFrom(dependentsByUid, ref.uid, id);
            } else {
                eraseFrom(referencedBy, ref.target, id);
            }
        }
        if (!node.parsed.uid.empty()) {
            const auto it = byUid.find(node.parsed.uid);
            if (it != byUid.end() && it->second == id)
                byUid.erase(it);
        }
    }

    void attach(const NodeId &id, const Node &node)
    {
        for (const Ref &ref : node.parsed.refs) {
            if (!ref.uid.empty())
                dependentsByUid[ref.uid].insert(id);
            else
                referencedBy[ref.target].insert(id);
        }
        if (!node.parsed.uid.empty())
            byUid[node.parsed.uid] = id;
    }

    void unselectPod(const NodeId &pod)
    {
        const auto it = podSelectedBy.find(pod);
        if (it == podSelectedBy.end())
            return;
        for (const NodeId &service : it->second)
            eraseFrom(serviceSelects, service, pod);
        podSelectedBy.erase(it);
    }

    void unselectService(const NodeId &service)
    {
        const auto it = serviceSelects.find(service);
        if (it == serviceSelects.end())
            return;
        for (const NodeId &pod : it->second)
            eraseFrom(podSelectedBy, pod, service);
        serviceSelects.erase(it);
    }

    void link(const NodeId &service, const NodeId &pod)
    {
        serviceSelects[service].insert(pod);
        podSelectedBy[pod].insert(service);
    }

    // A pod's labels changed: only the Services of its namespace can select it.
    void reselectPod(const NodeId &pod, const api::Labels &labels)
    {
        unselectPod(pod);
        const auto services = servicesByNamespace.find(pod.namespace_);
        if (services == servicesByNamespace.end())
            return;
        for (const NodeId &service : services->second) {
            const auto &selector = nodes.at(service).parsed.selector;
            if (selector && selector->matches(labels))
                link(service, pod);
        }
    }

    // A Service's selector changed: only the pods of its namespace can be selected.
    void reselectService(const NodeId &service, const std::optional<api::LabelSelector> &selector)
    {
        unselectService(service);
        const auto pods = podsByNamespace.find(service.namespace_);
        if (!selector || pods == podsByNamespace.end())
            return;
        for (const NodeId &pod : pods->second) {
            if (selector->matches(nodes.at(pod).parsed.labels))
                link(service, pod);
        }
    }

    template<typename Map, typename Key>
    static void eraseFrom(Map &map, const Key &key, const NodeId &value)
    {
        const auto it = map.find(key);
        if (it == map.end())
            return;
        it->second.erase(value);
        if (it->second.empty())
            map.erase(it);
    }

    bool present(const NodeId &id) const { return nodes.count(id) > 0; }

    void collectOutgoing(const NodeId &id, std::vector<Relation> &out) const
    {
        const auto self = nodes.find(id);
        if (self != nodes.end()) {
            for (const Ref &ref : self->second.parsed.refs) {
                if (!ref.reversed)
                    out.push_back({ref.type, ref.target, id, !present(ref.target)});
            }
            if (!self->second.parsed.uid.empty()) {
                const auto deps = dependentsByUid.find(self->second.parsed.uid);
                if (deps != dependentsByUid.end()) {
                    for (const NodeId &dependent : deps->second)
                        out.push_back({RelationType::Owns, dependent, id, false});
                }
            }
        }
        forEachReferrer(id, true, [&](const Ref &ref, const NodeId &source) {
            out.push_back({ref.type, source, id, false});
        });
        const auto selected = serviceSelects.find(id);
        if (selected != serviceSelects.end()) {
            for (const NodeId &pod : selected->second)
                out.push_back({RelationType::Selects, pod, id, false});
        }
    }

    void collectIncoming(const NodeId &id, std::vector<Relation> &out) const
    {
        const auto self = nodes.find(id);
        if (self != nodes.end()) {
            for (const Ref &ref : self->second.parsed.refs) {
                if (!ref.reversed)
                    continue;
                if (!ref.uid.empty()) {
                    // The owner is whatever object carries the uid, even if the reference's
                    // name or kind spelling differs; until it arrives the reference dangles.
                    const auto owner = byUid.find(ref.uid);
                    if (owner != byUid.end())
                        out.push_back({ref.type, owner->second, id, false});
                    else
                        out.push_back({ref.type, ref.target, id, true});
                } else {
                    out.push_back({ref.type, ref.target, id, !present(ref.target)});
                }
            }
        }
        forEachReferrer(id, false, [&](const Ref &ref, const NodeId &source) {
            out.push_back({ref.type, source, id, false});
        });
        const auto selectedBy = podSelectedBy.find(id);
        if (selectedBy != podSelectedBy.end()) {
            for (const NodeId &service : selectedBy->second)
                out.push_back({RelationType::Selects, service, id, false});
        }
    }

    template<typename F>
    void forEachReferrer(const NodeId &target, bool reversed, F &&f) const
    {
        const auto referrers = referencedBy.find(target);
        if (referrers == referencedBy.end())
            return;
        for (const NodeId &source : referrers->second) {
            for (const Ref &ref : nodes.at(source).parsed.refs) {
                if (ref.uid.empty() && ref.reversed == reversed && ref.target == target)
                    f(ref, source);
            }
        }
    }

    void notify(std::unique_lock<std::shared_mutex> &lock)
    {
        ++version;
        const std::uint64_t current = version;
        ChangeCallback cb = callback;
        lock.unlock();
        if (cb)
            cb(current);
    }
};

RelationGraph::RelationGraph()
    : d(std::make_unique<Private>())
{}

RelationGraph::~RelationGraph() = default;

util::Result<void> RelationGraph::upsert(const std::string &group, const std::string &kind,
                                         const std::shared_ptr<const nlohmann::json> &object)
{
    if (!object)
        return util::Error(util::Error::Code::Invalid, "relation graph: null object");
    if (kind.empty())
        return util::Error(util::Error::Code::Invalid, "relation graph: object kind is empty");
    Parsed parsed;
    try {
        parsed = parse(group, kind, *object);
    } catch (const std::exception &e) {
        return util::Error(util::Error::Code::Invalid,
                           std::string("relation graph: ") + kind + ": " + e.what());
    }

    std::unique_lock lock(d->mutex);
    const NodeId id = parsed.id;
    const auto existing = d->nodes.find(id);
    bool labelsChanged = true;
    bool selectorChanged = true;
    if (existing != d->nodes.end()) {
        if (existing->second.object == object || *existing->second.object == *object)
            return {};
        labelsChanged = existing->second.parsed.labels != parsed.labels;
        selectorChanged = existing->second.parsed.selector != parsed.selector;
        d->detach(id, existing->second);
    }
    Private::Node &node = d->nodes[id];
    node.object = object;
    node.parsed = std::move(parsed);
    d->attach(id, node);

    if (isPod(id)) {
        d->podsByNamespace[id.namespace_].insert(id);
        if (labelsChanged)
            d->reselectPod(id, node.parsed.labels);
    } else if (isService(id)) {
        d->servicesByNamespace[id.namespace_].insert(id);
        if (selectorChanged)
            d->reselectService(id, node.parsed.selector);
    }
    d->notify(lock);
    return {};
}

util::Result<void> RelationGraph::upsert(const std::shared_ptr<const nlohmann::json> &object)
{
    if (!object || !object->is_object())
        return util::Error(util::Error::Code::Invalid, "relation graph: not an object");
    const auto apiVersion = object->find("apiVersion");
    const auto kind = object->find("kind");
    if (apiVersion == object->end() || !apiVersion->is_string() || kind == object->end()
        || !kind->is_string())
        return util::Error(util::Error::Code::Invalid,
                           "relation graph: object lacks apiVersion or kind");
    const api::GroupVersion gv = api::GroupVersion::fromApiVersion(apiVersion->get<std::string>());
    return upsert(gv.group, kind->get<std::string>(), object);
}

void RelationGraph::remove(const NodeId &id)
{
    std::unique_lock lock(d->mutex);
    const auto it = d->nodes.find(id);
    if (it == d->nodes.end())
        return;
    d->detach(id, it->second);
    if (isPod(id)) {
        d->unselectPod(id);
        Private::eraseFrom(d->podsByNamespace, id.namespace_, id);
    } else if (isService(id)) {
        d->unselectService(id);
        Private::eraseFrom(d->servicesByNamespace, id.namespace_, id);
    }
    d->nodes.erase(it);
    d->notify(lock);
}

bool RelationGraph::contains(const NodeId &id) const
{
    std::shared_lock lock(d->mutex);
    return d->present(id);
}

std::shared_ptr<const nlohmann::json> RelationGraph::object(const NodeId &id) const
{
    std::shared_lock lock(d->mutex);
    const auto it = d->nodes.find(id);
    return it == d->nodes.end() ? nullptr : it->second.object;
}

std::size_t RelationGraph::size() const
{
    std::shared_lock lock(d->mutex);
    return d->nodes.size();
}

namespace {

std::vector<Relation> ofType(std::vector<Relation> all, std::optional<RelationType> type)
{
    if (type)
        std::erase_if(all, [&](const Relation &relation) { return relation.type != *type; });
    return all;
}

} // namespace

std::vector<Relation> RelationGraph::outgoing(const NodeId &id,
                                              std::optional<RelationType> type) const
{
    std::vector<Relation> all;
    {
        std::shared_lock lock(d->mutex);
        d->collectOutgoing(id, all);
    }
    return ofType(std::move(all), type);
}

std::vector<Relation> RelationGraph::incoming(const NodeId &id,
                                              std::optional<RelationType> type) const
{
    std::vector<Relation> all;
    {
        std::shared_lock lock(d->mutex);
        d->collectIncoming(id, all);
    }
    return ofType(std::move(all), type);
}

std::vector<Relation> RelationGraph::owners(const NodeId &id) const
{
    return incoming(id, RelationType::Owns);
}

std::vector<Relation> RelationGraph::dependents(const NodeId &id, bool transitive) const
{
    if (!transitive)
        return outgoing(id, RelationType::Owns);
    std::vector<Relation> out;
    std::shared_lock lock(d->mutex);
    std::set<NodeId> seen{id};
    std::deque<NodeId> queue{id};
    while (!queue.empty()) {
        const NodeId current = queue.front();
        queue.pop_front();
        std::vector<Relation> level;
        d->collectOutgoing(current, level);
        for (Relation &relation : level) {
            // Ownership cycles are invalid but possible in stored data; visit each object once.
            if (relation.type != RelationType::Owns || !seen.insert(relation.node).second)
                continue;
            queue.push_back(relation.node);
            out.push_back(std::move(relation));
        }
    }
    return out;
}

std::vector<Relation> RelationGraph::uses(const NodeId &id) const
{
    return outgoing(id, RelationType::Uses);
}

std::vector<Relation> RelationGraph::usedBy(const NodeId &id) const
{
    return incoming(id, RelationType::Uses);
}

std::vector<Relation> RelationGraph::selects(const NodeId &id) const
{
    return outgoing(id, RelationType::Selects);
}

std::vector<Relation> RelationGraph::selectedBy(const NodeId &id) const
{
    return incoming(id, RelationType::Selects);
}

std::uint64_t RelationGraph::version() const
{
    std::shared_lock lock(d->mutex);
    return d->version;
}

void RelationGraph::setChangeCallback(ChangeCallback callback)
{
    std::unique_lock lock(d->mutex);
    d->callback = std::move(callback);
}

} // namespace kd::core::engine
