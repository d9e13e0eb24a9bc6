#pragma once

#include <core/util/result.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace kd::core::client {
class RestClient;
}

namespace kd::core::engine {

// One reading of metrics.k8s.io: a node's usage, or a pod's summed over its containers.
struct MetricsSample
{
    std::chrono::system_clock::time_point time; // the metrics' timestamp (end of the window)
    std::int64_t cpuMillicores = 0;
    std::int64_t memoryBytes = 0;

    bool operator==(const MetricsSample &) const = default;
};

// Polls metrics.k8s.io/v1beta1 nodes and pods and keeps a bounded history per object, for the
// IDE's usage graphs. A cluster without metrics-server is a normal state (Unavailable), not a
// stream of errors. Owned by the cluster session; every member may be called from any thread. The
// change callback runs on the polling thread (or the caller of pollOnce), outside the lock.
class MetricsPoller final
{
public:
    enum class State {
        Unknown,     // not polled yet
        Available,   // the last poll succeeded
        Unavailable, // the API is not served (404): metrics-server is not installed
        Failing,     // the last poll failed otherwise; see lastError()
    };

    struct Options
    {
        std::chrono::milliseconds interval{15000};
        std::size_t historyLength = 60;
    };

    using ChangeCallback = std::function<void(State state)>;

    MetricsPoller(client::RestClient &client, Options options);
    ~MetricsPoller(); // stops polling
    MetricsPoller(const MetricsPoller &) = delete;
    MetricsPoller &operator=(const MetricsPoller &) = delete;

    // Polls every interval on an own thread, the first time at once. Idempotent.
    void start();
    // Waits for a poll in flight to finish. Idempotent.
    void stop();
    // One poll of nodes and pods, blocking. Unavailable is a success; other failures return
    // the Error and keep the previous history.
    util::Result<void> pollOnce();

    State state() const;
    util::Error lastError() const;
    // Oldest first; empty for objects the last successful poll did not report.
    std::vector<MetricsSample> nodeHistory(const std::string &node) const;
    std::vector<MetricsSample> podHistory(const std::string &namespace_,
                                          const std::string &name) const;
    std::uint64_t pollCount() const;
    void setChangeCallback(ChangeCallback callback);

private:
    class Private;
    std::unique_ptr<Private> d;
};

} // namespace kd::core::engine
