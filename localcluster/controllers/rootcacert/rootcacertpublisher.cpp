#include "rootcacertpublisher.h"

#include <localcluster/controllers/objectmeta.h>

#include <core/api/compactjson.h>

#include <nlohmann/json.hpp>

namespace kd::lc::controllers::rootcacert {

using core::util::Error;
using core::util::Result;
using nlohmann::json;

namespace {

constexpr const char *kConfigMapName = "kube-root-ca.crt";
constexpr const char *kDataKey = "ca.crt";
constexpr const char *kFieldSelector = "metadata.name=kube-root-ca.crt";
const core::api::GroupVersionResource kNamespaces{"", "v1", "namespaces"};
const core::api::GroupVersionResource kConfigMaps{"", "v1", "configmaps"};

} // namespace

RootCaCertPublisher::RootCaCertPublisher(ControllerContext &context)
    : m_context(context)
    , m_namespaces(context.informers.informer(kNamespaces, false, core::cache::Flavour::Full))
    , m_configMaps(
          context.informers.informer(kConfigMaps, true, core::cache::Flavour::Full, kFieldSelector))
    , m_worker("root-ca-cert-publisher",
               [this](const core::api::ObjectKey &key) { return sync(key); })
{
    const auto enqueueNamespace = [this](const core::cache::ObjectPtr &object) {
        if (object && !isBeingDeleted(*object))
            m_worker.queue().add({"", metadataString(*object, "name")});
    };
    core::cache::EventHandler namespaces;
    namespaces.onAdd = enqueueNamespace;
    namespaces.onUpdate
        = [enqueueNamespace](const core::cache::ObjectPtr &, const core::cache::ObjectPtr &now) {
              enqueueNamespace(now);
          };
    m_namespaces->addEventHandler(std::move(namespaces), m_guard);

    const auto enqueueOwner = [this](const core::cache::ObjectPtr &object) {
        if (object)
            m_worker.queue().add({"", metadataString(*object, "namespace")});
    };
    core::cache::EventHandler configMaps;
    configMaps.onUpdate = [enqueueOwner](const core::cache::ObjectPtr &,
                                         const core::cache::ObjectPtr &now) { enqueueOwner(now); };
    configMaps.onDelete = enqueueOwner;
    m_configMaps->addEventHandler(std::move(configMaps), m_guard);
}

RootCaCertPublisher::~RootCaCertPublisher()
{
    stop();
}

void RootCaCertPublisher::start()
{
    m_worker.start(1);
}

void RootCaCertPublisher::stop()
{
    m_guard.reset();
    m_worker.stop();
}

Result<SyncOutcome> RootCaCertPublisher::sync(const core::api::ObjectKey &key)
{
    const std::string &namespace_ = key.name;
    const json wantedData = {{kDataKey, m_context.rootCaPem}};
    if (m_configMaps->hasSynced()) {
        const auto cached = m_configMaps->store().get({namespace_, kConfigMapName});
        if (cached && (*cached)["data"].toJson() == wantedData)
            return SyncOutcome{};
    }
    core::client::ResourceRef nsRef;
    nsRef.gvr = kNamespaces;
    nsRef.namespaced = false;
    nsRef.name = namespace_;
    auto ns = m_context.client.get(nsRef);
    if (!ns)
        return isNotFound(ns.error()) ? Result<SyncOutcome>(SyncOutcome{}) : ns.error();
    if (isBeingDeleted(*ns->body))
        return SyncOutcome{};

    core::client::ResourceRef ref;
    ref.gvr = kConfigMaps;
    ref.namespaced = true;
    ref.namespace_ = namespace_;
    ref.name = kConfigMapName;
    auto current = m_context.client.get(ref);
    Result<core::client::ApiResponse> written = Error(Error::Code::Unknown, "");
    if (!current) {
        if (!isNotFound(current.error()))
            return current.error();
        const json configMap = {{"apiVersion", "v1"},
                                {"kind", "ConfigMap"},
                                {"metadata", {{"name", kConfigMapName}, {"namespace", namespace_}}},
                                {"data", wantedData}};
        written = m_context.client.create(ref.collection(), configMap);
    } else {
        if (current->body->value("data", json()) == wantedData)
            return SyncOutcome{};
        json configMap = *current->body;
        configMap["data"] = wantedData;
        configMap.erase("binaryData");
        written = m_context.client.update(ref, configMap);
    }
    if (written)
        return SyncOutcome{};
    // AlreadyExists and Conflict: raced with another writer, look again; Forbidden: the
    // namespace started terminating.
    const Error::Code code = written.error().code();
    if (code == Error::Code::Forbidden || code == Error::Code::NotFound)
        return SyncOutcome{};
    return written.error();
}

} // namespace kd::lc::controllers::rootcacert
