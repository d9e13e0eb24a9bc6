#pragma once

#include <localcluster/controllers/controller.h>
#include <localcluster/controllers/queueworker.h>

#include <nlohmann/json_fwd.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kd::lc::controllers::namespace_ {

// What one pass over a terminating namespace found; turned into the namespace's deletion
// conditions.
struct DeletionReport
{
    std::vector<std::string> discoveryFailures; // group versions discovery could not serve
    std::vector<std::string> contentFailures;   // deletions or lists that failed
    // Remaining objects per group resource ("configmaps.", "widgets.example.com"), and per
    // finalizer the number of remaining objects carrying it.
    std::map<std::string, int> remaining;
    std::map<std::string, int> finalizers;

    bool contentGone() const { return remaining.empty(); }
    bool complete() const
    {
        return discoveryFailures.empty() && contentFailures.empty() && remaining.empty();
    }
};

// status.conditions of a terminating namespace as upstream's namespace controller reports them
// (NamespaceDeletionDiscoveryFailure, NamespaceDeletionGroupVersionParsingFailure,
// NamespaceDeletionContentFailure, NamespaceContentRemaining, NamespaceFinalizersRemaining),
// keeping lastTransitionTime of conditions whose status did not change. Pure.
nlohmann::json deletionConditions(const nlohmann::json &existing, const DeletionReport &report,
                                  const std::string &now);

// kube-controller-manager's namespace controller: once a namespace has a deletionTimestamp, it
// deletes every namespaced object in it (all discovered resources, custom ones included), waits
// until nothing is left, then removes the `kubernetes` finalizer through
// PUT /api/v1/namespaces/NAME/finalize and deletes the emptied namespace. Owned by the
// ControllerManager; events arrive on the manager's executor and only enqueue names; one worker
// thread does the (blocking) API calls.
class NamespaceController final : public Controller
{
public:
    explicit NamespaceController(ControllerContext &context);
    ~NamespaceController() override;

    void start() override;
    void stop() override;

private:
    core::util::Result<SyncOutcome> sync(const core::api::ObjectKey &key);
    DeletionReport deleteContent(const std::string &namespace_);
    void reportConditions(const nlohmann::json &namespaceObject, const DeletionReport &report);
    core::util::Result<void> finalize(const nlohmann::json &namespaceObject);

    ControllerContext &m_context;
    std::shared_ptr<core::cache::SharedInformer> m_namespaces;
    std::shared_ptr<int> m_guard = std::make_shared<int>(0);
    QueueWorker m_worker;
};

} // namespace kd::lc::controllers::namespace_
