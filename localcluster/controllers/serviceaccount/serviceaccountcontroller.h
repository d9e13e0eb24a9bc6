#pragma once

#include <localcluster/controllers/controller.h>
#include <localcluster/controllers/queueworker.h>

#include <memory>

namespace kd::lc::controllers::serviceaccount {

// kube-controller-manager's service-account controller: every namespace that is not terminating
// has a ServiceAccount named `default`, created when the namespace appears and again when someone
// deletes it. Owned by the ControllerManager; events on the manager's executor only enqueue
// namespace names; one worker thread makes the API calls.
class ServiceAccountController final : public Controller
{
public:
    explicit ServiceAccountController(ControllerContext &context);
    ~ServiceAccountController() override;

    void start() override;
    void stop() override;

private:
    core::util::Result<SyncOutcome> sync(const core::api::ObjectKey &key);

    ControllerContext &m_context;
    std::shared_ptr<core::cache::SharedInformer> m_namespaces;
    std::shared_ptr<core::cache::SharedInformer> m_serviceAccounts;
    std::shared_ptr<int> m_guard = std::make_shared<int>(0);
    QueueWorker m_worker;
};

} // namespace kd::lc::controllers::serviceaccount
