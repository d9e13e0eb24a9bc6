#include "metrics.h"

#include <core/client/restclient.h>
#include <core/util/quantity.h>
#include <core/util/threadname.h>
#include <core/util/time.h>

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

namespace kd::core::engine {

using nlohmann::json;

namespace {

using Histories = std::map<std::pair<std::string, std::string>, std::deque<MetricsSample>>;
using Readings = std::map<std::pair<std::string, std::string>, MetricsSample>;

client::ResourceRef metricsRef(const char *resource)
{
    return client::ResourceRef{
        api::GroupVersionResource{"metrics.k8s.io", "v1beta1", resource}, false, {}, {}, {}};
}

std::string stringAt(const json &object, const char *key)
{
    const auto it = object.find(key);
    if (it == object.end() || !it->is_string())
        throw std::invalid_argument(std::string("missing string field ") + key);
    return it->get<std::string>();
}

// Adds a usage map's cpu and memory to the sample.
void addUsage(const json &usage, MetricsSample &sample)
{
    if (!usage.is_object())
        throw std::invalid_argument("usage is not an object");
    for (const auto &[key, target] :
         {std::pair{"cpu", &sample.cpuMillicores}, std::pair{"memory", &sample.memoryBytes}}) {
        const auto it = usage.find(key);
        if (it == usage.end())
            continue;
        if (!it->is_string())
            throw std::invalid_argument(std::string("usage.") + key + " is not a quantity");
        const auto quantity = util::Quantity::parse(it->get<std::string>());
        if (!quantity)
            throw std::invalid_argument(quantity.error().message());
        *target += std::string_view(key) == "cpu" ? quantity->milliValue() : quantity->value();
    }
}

// Parses a NodeMetricsList or PodMetricsList into one reading per object.
Readings parseList(const json &list, bool pods)
{
    Readings out;
    const auto items = list.find("items");
    if (items == list.end() || !items->is_array())
        throw std::invalid_argument("metrics list has no items");
    for (const json &item : *items) {
        if (!item.is_object() || !item.contains("metadata") || !item["metadata"].is_object())
            throw std::invalid_argument("metrics item has no metadata");
        const json &metadata = item["metadata"];
        const std::string ns = pods ? stringAt(metadata, "namespace") : std::string();
        const std::string name = stringAt(metadata, "name");
        MetricsSample sample;
        const auto time = util::parseRfc3339(stringAt(item, "timestamp"));
        if (!time)
            throw std::invalid_argument(time.error().message());
        sample.time = *time;
        if (pods) {
            const auto containers = item.find("containers");
            if (containers == item.end() || !containers->is_array())
                throw std::invalid_argument("pod metrics have no containers");
            for (const json &container : *containers) {
                if (!container.is_object() || !container.contains("usage"))
                    throw std::invalid_argument("container metrics have no usage");
                addUsage(container["usage"], sample);
            }
        } else {
            if (!item.contains("usage"))
                throw std::invalid_argument("node metrics have no usage");
            addUsage(item["usage"], sample);
        }
        out[{ns, name}] = sample;
    }
    return out;
}

// Appends the readings; objects absent from this poll are gone (deleted pods), so their history
// goes too, which also keeps memory bounded by the live objects.
void merge(Histories &histories, const Readings &readings, std::size_t length)
{
    for (auto it = histories.begin(); it != histories.end();) {
        if (readings.count(it->first) == 0)
            it = histories.erase(it);
        else
            ++it;
    }
    for (const auto &[key, sample] : readings) {
        auto &history = histories[key];
        // metrics-server scrapes on its own resolution; polling faster repeats the same sample.
        if (!history.empty() && history.back().time == sample.time)
            continue;
        history.push_back(sample);
        while (history.size() > length)
            history.pop_front();
    }
}

} // namespace

class MetricsPoller::Private
{
public:
    Private(client::RestClient &client, Options options)
        : client(client)
        , options(options)
    {
        if (this->options.historyLength == 0)
            this->options.historyLength = 1;
    }

    client::RestClient &client;
    Options options;

    mutable std::mutex mutex;
    State state = State::Unknown;
    util::Error lastError;
    Histories nodes;
    Histories pods;
    std::uint64_t polls = 0;
    ChangeCallback callback;

    std::mutex threadMutex; // serialises start()/stop()
    std::thread thread;
    std::mutex wakeMutex;
    std::condition_variable wake;
    bool stopping = false;

    void finish(State newState, util::Error error)
    {
        ChangeCallback cb;
        {
            std::lock_guard lock(mutex);
            state = newState;
            lastError = std::move(error);
            ++polls;
            cb = callback;
        }
        if (cb)
            cb(newState);
    }
};

MetricsPoller::MetricsPoller(client::RestClient &client, Options options)
    : d(std::make_unique<Private>(client, options))
{}

MetricsPoller::~MetricsPoller()
{
    stop();
}

util::Result<void> MetricsPoller::pollOnce()
{
    Readings nodeReadings;
    Readings podReadings;
    for (const bool pods : {false, true}) {
        const auto response = d->client.list(metricsRef(pods ? "pods" : "nodes"));
        if (!response) {
            if (response.error().code() == util::Error::Code::NotFound) {
                d->finish(State::Unavailable, response.error());
                return {};
            }
            d->finish(State::Failing, response.error());
            return response.error();
        }
        try {
            if (!response->body)
                throw std::invalid_argument("empty answer");
            (pods ? podReadings : nodeReadings) = parseList(*response->body, pods);
        } catch (const std::exception &e) {
            util::Error error(util::Error::Code::Decode, std::string("metrics.k8s.io ")
                                                             + (pods ? "pods" : "nodes") + ": "
                                                             + e.what());
            d->finish(State::Failing, error);
            return error;
        }
    }
    {
        std::lock_guard lock(d->mutex);
        merge(d->nodes, nodeReadings, d->options.historyLength);
        merge(d->pods, podReadings, d->options.historyLength);
    }
    d->finish(State::Available, {});
    return {};
}

void MetricsPoller::start()
{
    std::lock_guard guard(d->threadMutex);
    if (d->thread.joinable())
        return;
    {
        std::lock_guard lock(d->wakeMutex);
        d->stopping = false;
    }
    d->thread = std::thread([this] {
        util::setCurrentThreadName("kd-metrics");
        std::unique_lock lock(d->wakeMutex);
        while (!d->stopping) {
            lock.unlock();
            (void)pollOnce(); // the outcome is kept in state()/lastError()
            lock.lock();
            d->wake.wait_for(lock, d->options.interval, [this] { return d->stopping; });
        }
    });
}

void MetricsPoller::stop()
{
    std::lock_guard guard(d->threadMutex);
    if (!d->thread.joinable())
        return;
    {
        std::lock_guard lock(d->wakeMutex);
        d->stopping = true;
    }
    d->wake.notify_all();
    d->thread.join();
}

MetricsPoller::State MetricsPoller::state() const
{
    std::lock_guard lock(d->mutex);
    return d->state;
}

util::Error MetricsPoller::lastError() const
{
    std::lock_guard lock(d->mutex);
    return d->lastError;
}

std::vector<MetricsSample> MetricsPoller::nodeHistory(const std::string &node) const
{
    std::lock_guard lock(d->mutex);
    const auto it = d->nodes.find({std::string(), node});
    if (it == d->nodes.end())
        return {};
    return {it->second.begin(), it->second.end()};
}

std::vector<MetricsSample> MetricsPoller::podHistory(const std::string &namespace_,
                                                     const std::string &name) const
{
    std::lock_guard lock(d->mutex);
    const auto it = d->pods.find({namespace_, name});
    if (it == d->pods.end())
        return {};
    return {it->second.begin(), it->second.end()};
}

std::uint64_t MetricsPoller::pollCount() const
{
    std::lock_guard lock(d->mutex);
    return d->polls;
}

void MetricsPoller::setChangeCallback(ChangeCallback callback)
{
    std::lock_guard lock(d->mutex);
    d->callback = std::move(callback);
}

} // namespace kd::core::engine
