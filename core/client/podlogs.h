#pragma once

#include <core/api/groupversion.h>
#include <core/client/logstream.h>
#include <core/util/result.h>

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace kd::core::client {

class RestClient;

struct PodLogsOptions
{
    std::string namespace_;
    // The pods to follow: a Service's or workload's selector (see podSelectorOf).
    std::string labelSelector;
    // Empty: every container (init containers excluded) of every pod.
    std::string container;
    // Per container. tailLines and sinceSeconds apply to containers already running when first
    // seen; a container that starts later is read from its first line, so nothing of a new
    // pod is missed.
    LogStreamOptions stream;
};

struct PodLogLine
{
    api::ObjectKey pod;
    std::string container;
    LogLine line;
};

struct PodLogsHandler
{
    std::function<void(std::vector<PodLogLine> lines)> lines;
    // A container's stream began (a pod joined) or ended (its container exited, or its log
    // could not be read).
    std::function<void(const api::ObjectKey &pod, const std::string &container)> streamStarted;
    std::function<void(const api::ObjectKey &pod, const std::string &container,
                       const util::Result<void> &result)>
        streamEnded;
};

// Follows the logs of every pod a selector matches, as `kubectl logs -f -l …` with pods that
// join while it runs: a pod informer notices pods and their containers starting, and each
// started container gets a LogStream (resumed after drops). Lines are tagged with pod and
// container. Deliveries run through the RestClient's executor, guarded by `guard`; informer
// events are handled on the informer's own thread. Owned by a log view; start/stop and the
// destructor may be called from any thread but not from inside the handler when the executor
// runs inline.
class PodLogs final
{
public:
    PodLogs(RestClient &client, PodLogsOptions options, PodLogsHandler handler,
            std::weak_ptr<const void> guard = {});
    ~PodLogs();
    PodLogs(const PodLogs &) = delete;
    PodLogs &operator=(const PodLogs &) = delete;

    void start();
    // Stops the informer and every stream; nothing is delivered afterwards.
    void stop();
    // How many container streams were started so far.
    int streamCount() const;

private:
    class Private;
    std::shared_ptr<Private> d;
};

// The label selector of the pods behind a Service (spec.selector) or a workload (Deployment,
// ReplicaSet, StatefulSet, DaemonSet, Job: spec.selector as metav1.LabelSelector), in the
// string syntax. Fails with Invalid when the object has no usable selector.
util::Result<std::string> podSelectorOf(const nlohmann::json &object);

} // namespace kd::core::client
