#include "reflector.h"

#include <core/api/compactjsonbuilder_p.h>
#include <core/client/jsonstreamsplitter.h>
#include <core/util/log.h>
#include <core/util/threadname.h>

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

namespace kd::core::cache {

using client::ListOptions;
using client::WatchEvent;
using transport::HttpRequest;
using transport::HttpResponse;
using util::Error;
using util::Result;

namespace {

const util::LogCategory lcReflector("kd.cache.reflector");

constexpr const char *kMetadataListAccept
    = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";
constexpr const char *kMetadataWatchAccept
    = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";
constexpr const char *kTableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,"
                                     "application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
                                     "application/json";
constexpr const char *kInitialEventsEnd = "k8s.io/initial-events-end";

void setAccept(HttpRequest &request, const char *accept)
{
    for (auto &[name, value] : request.headers) {
        if (name == "Accept") {
            value = accept;
            return;
        }
    }
    request.headers.emplace_back("Accept", accept);
}

using simdjson::dom::element;

// object[section][name] as a string; empty when any step is missing or of another type.
std::string stringAt(element object, const char *section, const char *name)
{
    std::string_view value;
    if (object[section][name].get_string().get(value) != simdjson::SUCCESS)
        return {};
    return std::string(value);
}

// A row without cells still gets the member, as an empty array.
element emptyArray()
{
    static simdjson::dom::parser parser;
    static const element empty = parser.parse(simdjson::padded_string(std::string_view("[]")));
    return empty;
}

// Errors worth re-watching from the same resourceVersion after a pause; anything else relists.
bool isRetriable(const Error &error)
{
    switch (error.code()) {
    case Error::Code::Transport:
    case Error::Code::Timeout:
    case Error::Code::TooManyRequests:
    case Error::Code::ServiceUnavailable:
        return true;
    default:
        return error.httpStatus() >= 500;
    }
}

enum class WatchEnd { Stopped, Ended, Expired, Retry, Relist, WatchListUnsupported };

} // namespace

class Reflector::Private
{
public:
    Private(client::RestClient &client, ReflectorOptions options, ReflectorSink sink)
        : client(client)
        , options(std::move(options))
        , sink(std::move(sink))
        , backoff(this->options.backoff)
        , random(std::random_device{}())
    {}

    void run();
    // Sleeps unless stopped; false when stopped.
    bool pause(std::chrono::milliseconds delay);
    bool stopping() const
    {
        std::lock_guard lock(mutex);
        return stopRequested;
    }
    void setError(std::optional<Error> error)
    {
        std::lock_guard lock(mutex);
        lastErrorValue = std::move(error);
    }
    void setResourceVersion(std::string rv)
    {
        std::lock_guard lock(mutex);
        resourceVersion = std::move(rv);
    }
    std::string currentResourceVersion() const
    {
        std::lock_guard lock(mutex);
        return resourceVersion;
    }

    // One request, answered or cancelled by stop().
    std::optional<Result<HttpResponse>> send(HttpRequest request);
    Result<void> listAll(std::string rv);
    Result<std::string> listPages(const std::string &rv, std::vector<ObjectPtr> &objects);
    WatchEnd watch(bool watchList, Error &error);
    // Turns a list (or Table) answer's items into cached objects; false when an item could not
    // be stored (a string beyond CompactJson's limits).
    bool decodeItems(element body, std::vector<ObjectPtr> &out);
    ObjectPtr compact(element object) const;
    ObjectPtr compactRow(element row) const;
    // Parses one answer or event with the reflector's reused parser; the element is valid
    // until the next call.
    simdjson::error_code parse(std::string_view text, element &out);
    std::chrono::seconds watchTimeout();

    client::RestClient &client;
    const ReflectorOptions options;
    const ReflectorSink sink;
    Backoff backoff;
    std::mt19937 random;
    ObjectPtr columns;
    // Reflector thread only: one parser for every answer, so its buffers are allocated once.
    simdjson::dom::parser parser;
    std::string padded;
    // Reflector thread only: the running watch-list delivered its initial-events-end bookmark.
    bool watchListSynced = false;

    mutable std::mutex mutex;
    std::condition_variable wake;
    bool stopRequested = false;
    transport::RequestHandle inFlight;
    std::string resourceVersion;
    std::optional<Error> lastErrorValue;
    std::thread thread;
    // Transport callbacks hold this, not the object: one may still be running after stop().
    std::weak_ptr<Private> self;
};

HttpRequest Reflector::listRequest(const ReflectorOptions &options, const ListOptions &list)
{
    if (options.flavour == Flavour::Table) {
        HttpRequest request = client::RestClient::tableRequest(options.resource.collection(), list,
                                                               client::IncludeObject::Metadata);
        setAccept(request, kTableAccept);
        return request;
    }
    HttpRequest request = client::RestClient::listRequest(options.resource, list);
    if (options.flavour == Flavour::Metadata)
        setAccept(request, kMetadataListAccept);
    return request;
}

HttpRequest Reflector::watchRequest(const ReflectorOptions &options, const ListOptions &watch)
{
    HttpRequest request = client::RestClient::watchRequest(options.resource.collection(), watch);
    if (options.flavour == Flavour::Metadata)
        setAccept(request, kMetadataWatchAccept);
    else if (options.flavour == Flavour::Table)
        setAccept(request, kTableAccept);
    return request;
}

bool Reflector::Private::pause(std::chrono::milliseconds delay)
{
    std::unique_lock lock(mutex);
    return !wake.wait_for(lock, delay, [this] { return stopRequested; });
}

std::chrono::seconds Reflector::Private::watchTimeout()
{
    const auto low = options.minWatchTimeout.count();
    const auto high = std::max(low, options.maxWatchTimeout.count());
    std::uniform_int_distribution<std::int64_t> pick(low, high);
    return std::chrono::seconds(pick(random));
}

std::optional<Result<HttpResponse>> Reflector::Private::send(HttpRequest request)
{
    auto result = std::make_shared<std::optional<Result<HttpResponse>>>();
    {
        std::lock_guard lock(mutex);
        if (stopRequested)
            return std::nullopt;
        // The answer arrives on the I/O thread and only moves the body over to this thread:
        // parsing a big list must not hold up the connection's other requests.
        inFlight
            = client.http().send(std::move(request), [weak = self, result](Result<HttpResponse> r) {
                  const auto alive = weak.lock();
                  if (!alive)
                      return;
                  std::lock_guard inner(alive->mutex);
                  *result = std::move(r);
                  alive->wake.notify_all();
              });
    }
    std::unique_lock lock(mutex);
    wake.wait(lock, [&] { return stopRequested || result->has_value(); });
    inFlight = {};
    if (stopRequested && !result->has_value())
        return std::nullopt;
    return std::move(*result);
}

simdjson::error_code Reflector::Private::parse(std::string_view text, element &out)
{
    // simdjson reads up to SIMDJSON_PADDING bytes past the end; one reused buffer provides them
    // for a 2 KB watch event and for a 30 MB list alike.
    padded.reserve(text.size() + simdjson::SIMDJSON_PADDING);
    padded.assign(text);
    return parser.parse(padded.data(), padded.size(), false).get(out);
}

ObjectPtr Reflector::Private::compact(element object) const
{
    if (options.flavour == Flavour::Full || !object.is_object())
        return api::detail::compact(object);
    // Only metadata is kept: apiVersion/kind would say "PartialObjectMetadata" on every item, and
    // servers that ignore the PartialObjectMetadata Accept send whole objects, which are cut down
    // alike so that the flavour's memory promise holds.
    element metadata;
    if (object["metadata"].get(metadata) != simdjson::SUCCESS)
        return api::detail::compactObject({});
    return api::detail::compactObject(
        {{"metadata", metadata, options.keepManagedFields ? "" : "managedFields"}});
}

ObjectPtr Reflector::Private::compactRow(element row) const
{
    element metadata;
    if (!row.is_object() || !row["object"].is_object()
        || row["object"]["metadata"].get(metadata) != simdjson::SUCCESS)
        return nullptr;
    const std::string_view omit = options.keepManagedFields ? "" : "managedFields";
    element cells;
    if (row["cells"].get(cells) != simdjson::SUCCESS || !cells.is_array())
        cells = emptyArray();
    element conditions;
    if (row["conditions"].get(conditions) == simdjson::SUCCESS && conditions.is_array())
        return api::detail::compactObject(
            {{"metadata", metadata, omit}, {"cells", cells}, {"conditions", conditions}});
    return api::detail::compactObject({{"metadata", metadata, omit}, {"cells", cells}});
}

bool Reflector::Private::decodeItems(element body, std::vector<ObjectPtr> &out)
{
    if (options.flavour == Flavour::Table) {
        element definitions;
        if (body["columnDefinitions"].get(definitions) == simdjson::SUCCESS
            && definitions.is_array() && definitions.get_array().value_unsafe().size() > 0) {
            ObjectPtr fresh = api::detail::compact(definitions);
            if (!fresh)
                return false;
            if (!columns || !(*columns == *fresh)) {
                columns = std::move(fresh);
                if (sink.columnsChanged)
                    sink.columnsChanged(columns);
            }
        }
        simdjson::dom::array rows;
        if (body["rows"].get_array().get(rows) != simdjson::SUCCESS)
            return true;
        for (element row : rows) {
            if (ObjectPtr item = compactRow(row))
                out.push_back(std::move(item));
        }
        return true;
    }
    simdjson::dom::array items;
    if (body["items"].get_array().get(items) != simdjson::SUCCESS)
        return true;
    out.reserve(out.size() + items.size());
    for (element item : items) {
        ObjectPtr object = compact(item);
        if (!object)
            return false;
        out.push_back(std::move(object));
    }
    return true;
}

// Fetches every page of one list; the list's resourceVersion, or the first failure.
Result<std::string> Reflector::Private::listPages(const std::string &rv,
                                                  std::vector<ObjectPtr> &objects)
{
    ListOptions list;
    list.labelSelector = options.labelSelector;
    list.fieldSelector = options.fieldSelector;
    list.limit = options.pageSize;
    if (!rv.empty())
        list.resourceVersion = rv;
    std::string listRv;
    for (;;) {
        auto response = send(Reflector::listRequest(options, list));
        if (!response)
            return Error(Error::Code::Cancelled, "the reflector was stopped");
        if (!response->ok())
            return response->error();
        HttpResponse &http = response->value();
        if (!http.ok())
            return client::RestClient::decode(http).error();
        element body;
        const auto parsed = parse(http.body, body);
        // Assigning an empty string would keep the capacity (libstdc++ copies a short string
        // into the existing buffer): swap it out so the body is freed before decoding.
        std::string().swap(http.body);
        if (parsed != simdjson::SUCCESS || !body.is_object())
            return Error(Error::Code::Decode, "the list answer is not a JSON object");
        std::string_view kind;
        if (options.flavour == Flavour::Table
            && (body["kind"].get_string().get(kind) != simdjson::SUCCESS || kind != "Table"))
            return Error(Error::Code::NotAcceptable, "the server did not answer with a Table");
        listRv = stringAt(body, "metadata", "resourceVersion");
        const std::string next = stringAt(body, "metadata", "continue");
        if (!decodeItems(body, objects))
            return Error(Error::Code::Decode, "a list item exceeds the cache's size limits");
        if (next.empty())
            break;
        // Later pages come from the snapshot the token names: no resourceVersion with continue.
        list.continueToken = next;
        list.resourceVersion.reset();
    }
    return listRv;
}

Result<void> Reflector::Private::listAll(std::string rv)
{
    std::vector<ObjectPtr> objects;
    auto listed = listPages(rv, objects);
    if (!listed.ok() && listed.error().code() == Error::Code::Gone) {
        // An expired continue token or a compacted resourceVersion: one consistent list instead.
        lcReflector.debug([&] { return "relisting after 410: " + listed.error().message(); });
        objects.clear();
        listed = listPages(std::string(), objects);
    }
    if (!listed.ok())
        return listed.error();
    setResourceVersion(listed.value());
    // A big list grew the parser to its size; watch events need a fraction of that.
    parser = simdjson::dom::parser();
    std::string().swap(padded);
    sink.replace(std::move(objects), listed.value());
    return {};
}

WatchEnd Reflector::Private::watch(bool watchList, Error &error)
{
    struct Stream
    {
        std::deque<std::string> texts;
        std::optional<Result<void>> finished;
        client::JsonStreamSplitter splitter;
    };
    auto stream = std::make_shared<Stream>();

    ListOptions watch;
    watch.labelSelector = options.labelSelector;
    watch.fieldSelector = options.fieldSelector;
    watch.allowWatchBookmarks = true;
    const auto timeout = watchTimeout();
    watch.timeoutSeconds = static_cast<int>(timeout.count());
    const std::string startRv = currentResourceVersion();
    if (watchList) {
        // No resourceVersion: the initial events are a consistent snapshot, which is what a
        // (re)sync after an error or 410 needs.
        watch.sendInitialEvents = true;
        watch.resourceVersionMatch = "NotOlderThan";
    } else {
        watch.resourceVersion = startRv;
    }
    HttpRequest request = Reflector::watchRequest(options, watch);
    // A connection that went silent (no bytes, not even the server's closing bookmark) is dead.
    request.idleTimeout
        = std::chrono::duration_cast<std::chrono::milliseconds>(timeout + std::chrono::seconds(60));

    transport::StreamHandler handler;
    handler.data = [weak = self, stream](std::string chunk) {
        const auto alive = weak.lock();
        if (!alive)
            return;
        std::lock_guard lock(alive->mutex);
        if (stream->finished)
            return;
        for (std::string &text : stream->splitter.feed(chunk))
            stream->texts.push_back(std::move(text));
        if (stream->splitter.failed())
            stream->finished = Error(Error::Code::Decode, "the watch stream is not a JSON stream");
        alive->wake.notify_all();
    };
    handler.finished = [weak = self, stream](Result<HttpResponse> response) {
        const auto alive = weak.lock();
        if (!alive)
            return;
        std::lock_guard lock(alive->mutex);
        if (stream->finished)
            return;
        if (!response.ok())
            stream->finished = response.error();
        else if (!response->ok())
            stream->finished = client::RestClient::decode(response.value()).error();
        else if (stream->splitter.pendingBytes() > 0)
            stream->finished
                = Error(Error::Code::Transport, "the watch stream ended inside an event");
        else
            stream->finished = Result<void>();
        alive->wake.notify_all();
    };
    {
        std::lock_guard lock(mutex);
        if (stopRequested)
            return WatchEnd::Stopped;
        inFlight = client.http().stream(std::move(request), std::move(handler));
    }

    // Watch-list: the initial events are collected and handed over as one replace.
    std::map<api::ObjectKey, ObjectPtr> initial;
    bool initialDone = !watchList;
    const auto started = std::chrono::steady_clock::now();
    int received = 0;

    for (;;) {
        std::deque<std::string> texts;
        std::optional<Result<void>> finished;
        {
            std::unique_lock lock(mutex);
            wake.wait(lock, [&] {
                return stopRequested || !stream->texts.empty() || stream->finished.has_value();
            });
            if (stopRequested) {
                inFlight.cancel();
                inFlight = {};
                return WatchEnd::Stopped;
            }
            texts.swap(stream->texts);
            // Events that arrived before the end are processed first.
            if (texts.empty() && stream->finished) {
                finished = std::move(stream->finished);
                inFlight = {};
            }
        }
        if (finished) {
            if (!finished->ok()) {
                error = finished->error();
                if (error.code() == Error::Code::Gone)
                    return WatchEnd::Expired;
                if (watchList && !initialDone
                    && (error.code() == Error::Code::BadRequest
                        || error.code() == Error::Code::Invalid))
                    return WatchEnd::WatchListUnsupported;
                return isRetriable(error) ? WatchEnd::Retry : WatchEnd::Relist;
            }
            if (!initialDone)
                return WatchEnd::WatchListUnsupported;
            // A server that closes at once, over and over, must not make us spin.
            if (received == 0
                && std::chrono::steady_clock::now() - started < std::chrono::seconds(1)) {
                error = Error(Error::Code::Transport, "the watch ended at once");
                return WatchEnd::Retry;
            }
            return WatchEnd::Ended;
        }

        std::vector<ObjectEvent> changes;
        std::string lastRv;
        for (const std::string &text : texts) {
            element event;
            WatchEvent out;
            std::string_view type;
            element object;
            if (parse(text, event) != simdjson::SUCCESS || !event.is_object()
                || event["type"].get_string().get(type) != simdjson::SUCCESS
                || !WatchEvent::parseType(type, out.type)
                || event["object"].get(object) != simdjson::SUCCESS || !object.is_object()) {
                std::lock_guard lock(mutex);
                inFlight.cancel();
                inFlight = {};
                error = Error(Error::Code::Decode, "a watch event is not a Kubernetes event");
                // Deliver what was decoded so far: those changes happened.
                if (!changes.empty())
                    break;
                return WatchEnd::Relist;
            }
            ++received;
            if (out.type == WatchEvent::Type::Error) {
                // Rare: the Status decoder works on nlohmann.
                out.object = std::make_shared<const nlohmann::json>(
                    nlohmann::json::parse(simdjson::to_string(object), nullptr, false));
                error = out.error();
                {
                    std::lock_guard lock(mutex);
                    inFlight.cancel();
                    inFlight = {};
                }
                if (!changes.empty())
                    sink.apply(std::move(changes));
                if (!lastRv.empty())
                    setResourceVersion(lastRv);
                if (error.code() == Error::Code::Gone)
                    return WatchEnd::Expired;
                return isRetriable(error) ? WatchEnd::Retry : WatchEnd::Relist;
            }
            std::string rv = stringAt(object, "metadata", "resourceVersion");
            if (out.type == WatchEvent::Type::Bookmark) {
                if (!rv.empty())
                    lastRv = rv;
                std::string_view marker;
                const bool end
                    = object["metadata"]["annotations"][kInitialEventsEnd].get_string().get(marker)
                          == simdjson::SUCCESS
                      && marker == "true";
                if (!initialDone && end) {
                    initialDone = true;
                    std::vector<ObjectPtr> objects;
                    objects.reserve(initial.size());
                    for (auto &[key, item] : initial)
                        objects.push_back(std::move(item));
                    initial.clear();
                    watchListSynced = true;
                    setResourceVersion(lastRv);
                    sink.replace(std::move(objects), lastRv);
                }
                continue;
            }
            std::vector<ObjectPtr> items;
            bool decoded = true;
            if (options.flavour == Flavour::Table) {
                element first;
                if (rv.empty() && object["rows"].at(0)["object"].get(first) == simdjson::SUCCESS)
                    rv = stringAt(first, "metadata", "resourceVersion");
                decoded = decodeItems(object, items);
            } else if (ObjectPtr item = compact(object)) {
                items.push_back(std::move(item));
            } else {
                decoded = false;
            }
            if (!decoded) {
                std::lock_guard lock(mutex);
                inFlight.cancel();
                inFlight = {};
                error = Error(Error::Code::Decode, "a watch event exceeds the cache's size limits");
                if (!changes.empty())
                    break;
                return WatchEnd::Relist;
            }
            if (!rv.empty())
                lastRv = rv;
            for (auto &item : items) {
                if (!initialDone) {
                    if (auto key = keyOf(item->root())) {
                        if (out.type == WatchEvent::Type::Deleted)
                            initial.erase(*key);
                        else
                            initial[*key] = std::move(item);
                    }
                    continue;
                }
                changes.push_back(ObjectEvent{out.type, std::move(item)});
            }
        }
        if (!changes.empty())
            sink.apply(std::move(changes));
        if (!lastRv.empty()) {
            setResourceVersion(lastRv);
            setError(std::nullopt);
        }
        if (error.code() == Error::Code::Decode)
            return WatchEnd::Relist;
    }
}

void Reflector::Private::run()
{
    bool needList = true;
    bool consistentList = false;
    bool watchListSupported = options.useWatchList;
    while (!stopping()) {
        if (needList && watchListSupported) {
            Error error;
            watchListSynced = false;
            const WatchEnd end = watch(true, error);
            if (end == WatchEnd::Stopped)
                return;
            if (end == WatchEnd::WatchListUnsupported) {
                lcReflector.info("the server does not serve watch-list; falling back to LIST");
                watchListSupported = false;
                continue;
            }
            if (!watchListSynced) {
                // Failed before the initial events were complete: the next attempt starts over.
                setError(error);
                if (end != WatchEnd::Expired && !pause(backoff.next()))
                    return;
                continue;
            }
            if (end == WatchEnd::Ended) {
                needList = false;
                continue;
            }
            needList = end == WatchEnd::Expired || end == WatchEnd::Relist;
            setError(error);
            if (end != WatchEnd::Expired && !pause(backoff.next()))
                return;
            continue;
        }
        if (needList) {
            const std::string rv = consistentList ? std::string() : currentResourceVersion();
            auto listed = listAll(rv.empty() && !consistentList ? std::string("0") : rv);
            if (stopping())
                return;
            if (!listed.ok()) {
                setError(listed.error());
                lcReflector.debug([&] { return "list failed: " + listed.error().message(); });
                auto delay = backoff.next();
                delay = std::max(
                    delay, std::chrono::milliseconds(listed.error().retryAfterSeconds() * 1000));
                if (!pause(delay))
                    return;
                continue;
            }
            setError(std::nullopt);
            needList = false;
            consistentList = false;
        }
        Error error;
        switch (watch(false, error)) {
        case WatchEnd::Stopped:
            return;
        case WatchEnd::Ended:
        case WatchEnd::WatchListUnsupported:
            break;
        case WatchEnd::Expired:
            lcReflector.debug([&] { return "watch expired: " + error.message(); });
            needList = true;
            consistentList = true;
            break;
        case WatchEnd::Retry:
        case WatchEnd::Relist: {
            setError(error);
            lcReflector.debug([&] { return "watch failed: " + error.message(); });
            needList = !isRetriable(error);
            auto delay = backoff.next();
            delay = std::max(delay, std::chrono::milliseconds(error.retryAfterSeconds() * 1000));
            if (!pause(delay))
                return;
            break;
        }
        }
    }
}

Reflector::Reflector(client::RestClient &client, ReflectorOptions options, ReflectorSink sink)
    : d(std::make_shared<Private>(client, std::move(options), std::move(sink)))
{
    d->self = d;
}

Reflector::~Reflector()
{
    stop();
}

void Reflector::start()
{
    std::lock_guard lock(d->mutex);
    if (d->thread.joinable() || d->stopRequested)
        return;
    d->thread = std::thread([d = d] {
        util::setCurrentThreadName("kd-reflector");
        d->run();
    });
}

void Reflector::stop()
{
    {
        std::lock_guard lock(d->mutex);
        d->stopRequested = true;
        d->inFlight.cancel();
        d->wake.notify_all();
    }
    if (d->thread.joinable() && d->thread.get_id() != std::this_thread::get_id())
        d->thread.join();
}

std::string Reflector::lastSyncResourceVersion() const
{
    return d->currentResourceVersion();
}

std::optional<Error> Reflector::lastError() const
{
    std::lock_guard lock(d->mutex);
    return d->lastErrorValue;
}

} // namespace kd::core::cache
