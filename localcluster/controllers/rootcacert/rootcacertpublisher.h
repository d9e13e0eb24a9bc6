#pragma once

#include <localcluster/controllers/controller.h>
#include <localcluster/controllers/queueworker.h>

#include <memory>

namespace kd::lc::controllers::rootcacert {

// kube-controller-manager's root-ca-cert-publisher: a ConfigMap `kube-root-ca.crt` whose key
// `ca.crt` holds the cluster CA, in every namespace that is not terminating, put back when it is
// deleted or changed. Owned by the ControllerManager; events on the manager's executor only
// enqueue namespace names; one worker thread makes the API calls.
class RootCaCertPublisher final : public Controller
{
public:
    explicit RootCaCertPublisher(ControllerContext &context);
    ~RootCaCertPublisher() override;

    void start() override;
    void stop() override;

private:
    core::util::Result<SyncOutcome> sync(const core::api::ObjectKey &key);

    ControllerContext &m_context;
    std::shared_ptr<core::cache::SharedInformer> m_namespaces;
    std::shared_ptr<core::cache::SharedInformer> m_configMaps;
    std::shared_ptr<int> m_guard = std::make_shared<int>(0);
    QueueWorker m_worker;
};

} // namespace kd::lc::controllers::rootcacert
