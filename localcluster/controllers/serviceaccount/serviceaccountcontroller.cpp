#include "serviceaccountcontroller.h"

#include <localcluster/controllers/objectmeta.h>

#include <core/api/compactjson.h>
#include <core/util/log.h>

#include <nlohmann/json.hpp>

namespace kd::lc::controllers::serviceaccount {

using core::util::Error;
using core::util::Result;
using nlohmann::json;

namespace {

const core::util::LogCategory lcServiceAccount{"kd.lc.controllers.serviceaccount"};

constexpr const char *kDefaultName = "default";
constexpr const char *kFieldSelector = "metadata.name=default";
const core::api::GroupVersionResource kNamespaces{"", "v1", "namespaces"};
const core::api::GroupVersionResource kServiceAccounts{"", "v1", "serviceaccounts"};

} // namespace

ServiceAccountController::ServiceAccountController(ControllerContext &context)
    : m_context(context)
    , m_namespaces(context.informers.informer(kNamespaces, false, core::cache::Flavour::Full))
    , m_serviceAccounts(context.informers.informer(kServiceAccounts, true,
                                                   core::cache::Flavour::Metadata, kFieldSelector))
    , m_worker("serviceaccount", [this](const core::api::ObjectKey &key) { return sync(key); })
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

    core::cache::EventHandler serviceAccounts;
    serviceAccounts.onDelete = [this](const core::cache::ObjectPtr &object) {
        if (object)
            m_worker.queue().add({"", metadataString(*object, "namespace")});
    };
    m_serviceAccounts->addEventHandler(std::move(serviceAccounts), m_guard);
}

ServiceAccountController::~ServiceAccountController()
{
    stop();
}

void ServiceAccountController::start()
{
    m_worker.start(1);
}

void ServiceAccountController::stop()
{
    m_guard.reset();
    m_worker.stop();
}

Result<SyncOutcome> ServiceAccountController::sync(const core::api::ObjectKey &key)
{
    const std::string &namespace_ = key.name;
    if (m_serviceAccounts->hasSynced()
        && m_serviceAccounts->store().get({namespace_, kDefaultName}))
        return SyncOutcome{};
    core::client::ResourceRef nsRef;
    nsRef.gvr = kNamespaces;
    nsRef.namespaced = false;
    nsRef.name = namespace_;
    auto ns = m_context.client.get(nsRef);
    if (!ns)
        return isNotFound(ns.error()) ? Result<SyncOutcome>(SyncOutcome{}) : ns.error();
    if (isBeingDeleted(*ns->body))
        return SyncOutcome{};

    core::client::ResourceRef collection;
    collection.gvr = kServiceAccounts;
    collection.namespaced = true;
    collection.namespace_ = namespace_;
    const json account = {{"apiVersion", "v1"},
                          {"kind", "ServiceAccount"},
                          {"metadata", {{"name", kDefaultName}, {"namespace", namespace_}}}};
    auto created = m_context.client.create(collection, account);
    if (created) {
        lcServiceAccount.debug([&] { return "created " + namespace_ + "/default"; });
        return SyncOutcome{};
    }
    // AlreadyExists: the cache was behind; Forbidden: the namespace started terminating.
    const Error::Code code = created.error().code();
    if (code == Error::Code::AlreadyExists || code == Error::Code::Forbidden
        || code == Error::Code::NotFound)
        return SyncOutcome{};
    return created.error();
}

} // namespace kd::lc::controllers::serviceaccount
