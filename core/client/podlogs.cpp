#include "podlogs.h"

#include <core/api/labelselector.h>
#include <core/cache/sharedinformer.h>
#include <core/client/restclient.h>
#include <core/util/guard.h>
#include <core/util/log.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <tuple>

namespace kd::core::client {

using util::Error;
using util::Result;

namespace {

const util::LogCategory lcPodLogs{"kd.client.podlogs"};

std::string stringAt(const nlohmann::json &object, const char *a, const char *b)
{
    const auto outer = object.find(a);
    if (outer == object.end() || !outer->is_object())
        return {};
    const auto inner = outer->find(b);
    return inner != outer->end() && inner->is_string() ? inner->get<std::string>() : std::string();
}

// Containers whose process has started (running now, or ran and terminated): only those have a
// log to read; asking earlier gets 400 "waiting to start".
std::vector<std::string> startedContainers(const nlohmann::json &pod)
{
    std::vector<std::string> out;
    const auto status = pod.find("status");
    if (status == pod.end() || !status->is_object())
        return out;
    const auto statuses = status->find("containerStatuses");
    if (statuses == status->end() || !statuses->is_array())
        return out;
    for (const auto &container : *statuses) {
        if (!container.is_object() || !container.contains("name") || !container["name"].is_string())
            continue;
        const auto state = container.find("state");
        if (state != container.end() && state->is_object()
            && (state->contains("running") || state->contains("terminated")))
            out.push_back(container["name"].get<std::string>());
    }
    return out;
}

} // namespace

class PodLogs::Private : public std::enable_shared_from_this<PodLogs::Private>
{
public:
    // (pod uid, container): a pod re-created under the same name is a new pod.
    using StreamKey = std::tuple<std::string, std::string>;

    RestClient *client = nullptr;
    PodLogsOptions options;
    PodLogsHandler handler;
    std::weak_ptr<const void> guard;
    bool hasGuard = false;
    std::shared_ptr<std::atomic<bool>> alive = std::make_shared<std::atomic<bool>>(true);

    std::unique_ptr<cache::SharedInformer> informer;
    mutable std::mutex mutex;
    bool stopped = false;
    std::map<StreamKey, std::unique_ptr<LogStream>> streams;
    // Containers first seen before they started: read from their first line.
    std::map<StreamKey, bool> seenWaiting;

    bool mayDeliver() const { return alive->load() && (!hasGuard || !guard.expired()); }
    void onPod(const nlohmann::json &pod); // informer thread
    void shutdown();
};

void PodLogs::Private::onPod(const nlohmann::json &pod)
{
    const api::ObjectKey key{stringAt(pod, "metadata", "namespace"),
                             stringAt(pod, "metadata", "name")};
    const std::string uid = stringAt(pod, "metadata", "uid");
    const std::vector<std::string> started = startedContainers(pod);
    std::vector<std::string> declared;
    if (const auto spec = pod.find("spec"); spec != pod.end() && spec->is_object()
                                            && spec->contains("containers")
                                            && (*spec)["containers"].is_array()) {
        for (const auto &container : (*spec)["containers"]) {
            if (container.is_object() && container.contains("name")
                && container["name"].is_string())
                declared.push_back(container["name"].get<std::string>());
        }
    }

    std::lock_guard lock(mutex);
    if (stopped)
        return;
    for (const std::string &container : declared) {
        if (!options.container.empty() && container != options.container)
            continue;
        const StreamKey streamKey{uid, container};
        if (streams.count(streamKey))
            continue;
        if (std::find(started.begin(), started.end(), container) == started.end()) {
            seenWaiting[streamKey] = true;
            continue;
        }
        LogStreamOptions streamOptions = options.stream;
        streamOptions.log.container = container;
        if (seenWaiting.count(streamKey)) {
            streamOptions.log.tailLines.reset();
            streamOptions.log.sinceSeconds.reset();
        }
        lcPodLogs.debug([&] { return "following " + key.name + "/" + container; });
        LogHandler logHandler;
        std::weak_ptr<Private> weak = weak_from_this();
        logHandler.lines = [weak, key, container](std::vector<LogLine> lines) {
            auto self = weak.lock();
            if (!self || !self->mayDeliver() || !self->handler.lines)
                return;
            std::vector<PodLogLine> tagged;
            tagged.reserve(lines.size());
            for (auto &line : lines)
                tagged.push_back({key, container, std::move(line)});
            self->handler.lines(std::move(tagged));
        };
        logHandler.finished = [weak, key, container](Result<void> result) {
            auto self = weak.lock();
            if (self && self->mayDeliver() && self->handler.streamEnded)
                self->handler.streamEnded(key, container, result);
        };
        if (handler.streamStarted) {
            client->http().executor()([alive = alive, guard = guard, hasGuard = hasGuard,
                                       fn = handler.streamStarted, key, container] {
                if (alive->load() && (!hasGuard || !guard.expired()))
                    fn(key, container);
            });
        }
        streams.emplace(streamKey,
                        std::make_unique<LogStream>(client->http(), key, std::move(streamOptions),
                                                    std::move(logHandler)));
    }
}

void PodLogs::Private::shutdown()
{
    alive->store(false);
    if (informer)
        informer->stop();
    std::map<StreamKey, std::unique_ptr<LogStream>> doomed;
    {
        std::lock_guard lock(mutex);
        stopped = true;
        doomed.swap(streams);
    }
    doomed.clear();
}

PodLogs::PodLogs(RestClient &client, PodLogsOptions options, PodLogsHandler handler,
                 std::weak_ptr<const void> guard)
    : d(std::make_shared<Private>())
{
    d->client = &client;
    d->options = std::move(options);
    d->handler = std::move(handler);
    d->hasGuard = util::isGuardSet(guard);
    d->guard = std::move(guard);
}

PodLogs::~PodLogs()
{
    d->shutdown();
}

void PodLogs::start()
{
    if (d->informer)
        return;
    cache::ReflectorOptions reflector;
    reflector.resource = ResourceRef{
        api::GroupVersionResource{"", "v1", "pods"}, true, d->options.namespace_, {}, {}};
    reflector.labelSelector = d->options.labelSelector;
    reflector.backoff.initial = std::chrono::milliseconds(200);
    reflector.backoff.max = std::chrono::milliseconds(5000);
    d->informer = std::make_unique<cache::SharedInformer>(*d->client, reflector,
                                                          [](std::function<void()> fn) { fn(); });
    Private *p = d.get();
    cache::EventHandler events;
    events.onAdd = [p](const cache::ObjectPtr &pod) { p->onPod(pod->toJson()); };
    events.onUpdate
        = [p](const cache::ObjectPtr &, const cache::ObjectPtr &pod) { p->onPod(pod->toJson()); };
    d->informer->addEventHandler(std::move(events));
    d->informer->start();
}

void PodLogs::stop()
{
    d->shutdown();
}

int PodLogs::streamCount() const
{
    std::lock_guard lock(d->mutex);
    return static_cast<int>(d->streams.size());
}

Result<std::string> podSelectorOf(const nlohmann::json &object)
{
    if (!object.is_object())
        return Error(Error::Code::Invalid, "not an object");
    const std::string kind = object.value("kind", nlohmann::json()).is_string()
                                 ? object["kind"].get<std::string>()
                                 : std::string();
    const auto spec = object.find("spec");
    const nlohmann::json *selector = nullptr;
    if (spec != object.end() && spec->is_object() && spec->contains("selector"))
        selector = &(*spec)["selector"];
    if (!selector || !selector->is_object() || selector->empty())
        return Error(Error::Code::Invalid, kind + " has no pod selector");
    if (kind == "Service") {
        api::Labels labels;
        for (const auto &[k, v] : selector->items()) {
            if (!v.is_string())
                return Error(Error::Code::Invalid,
                             "Service selector value of " + k + " is not a string");
            labels[k] = v.get<std::string>();
        }
        return api::LabelSelector::fromMap(labels).toString();
    }
    auto parsed = api::LabelSelector::fromJson(*selector);
    if (!parsed)
        return parsed.error();
    if (parsed->empty())
        return Error(Error::Code::Invalid, kind + " selects every pod");
    return parsed->toString();
}

} // namespace kd::core::client
