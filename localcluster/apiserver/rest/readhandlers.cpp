#include "apiserver_p.h"
#include "continuetoken.h"
#include "selection.h"
#include "watchsession.h"

#include <core/util/time.h>

#include <charconv>
#include <random>

namespace kd::lc::apiserver {

using core::util::Error;
using core::util::Result;
using nlohmann::json;

namespace {

constexpr const char *kContinueTooOld
    = "The provided continue parameter is too old to display a consistent list result. You can "
      "start a new list without the continue parameter.";
constexpr const char *kListTooOld = "The resourceVersion for the provided list is too old.";

Result<std::int64_t> parseInteger(std::string_view text, const char *what)
{
    std::int64_t value = 0;
    const char *end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end || value < 0)
        return Error(Error::Code::BadRequest,
                     std::string("invalid ") + what + ": \"" + std::string(text) + "\"");
    return value;
}

bool isTrue(std::optional<std::string_view> value)
{
    return value && (*value == "true" || *value == "1" || *value == "True" || *value == "t");
}

std::optional<std::string> listNamespace(const Call &call)
{
    if (!call.resource.namespaced || call.info.ns.empty())
        return std::nullopt;
    return call.info.ns;
}

// Media types are case-insensitive; parameters are matched after trimming.
std::string trimLower(std::string_view text)
{
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    std::string out(text);
    for (char &c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Custom resources are answered in the version the request named, with that version's
// deprecation warning (crd::CustomResources::served and warnings).
void respondServed(const ApiServer::Private &self, Call &call, std::string body)
{
    if (call.resource.custom) {
        for (const std::string &warning : self.customResources.warnings(call.resource))
            call.extraHeaders.push_back({"Warning", "299 - " + json(warning).dump()});
        auto converted = self.customResources.served(call.resource, std::move(body));
        if (!converted)
            return self.respondError(call, converted.error());
        body = std::move(*converted);
    }
    self.respondJson(call, 200, std::move(body));
}

} // namespace

Result<OutputFormat> ApiServer::Private::negotiateOutput(const Call &call) const
{
    OutputFormat format;
    auto include = parseIncludeObject(call.request.queryValue("includeObject").value_or(""));
    if (!include)
        return include.error();
    format.includeObject = *include;

    const std::string_view accept = call.request.header("Accept").value_or("");
    if (trimLower(accept).empty())
        return format;
    const bool tableAllowed
        = call.info.verb == "get" || call.info.verb == "list" || call.info.verb == "watch";
    std::size_t start = 0;
    while (start <= accept.size()) {
        const std::size_t comma = accept.find(',', start);
        const std::string_view item = accept.substr(
            start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        start = comma == std::string_view::npos ? accept.size() + 1 : comma + 1;

        std::vector<std::string> parts;
        std::size_t s = 0;
        while (s <= item.size()) {
            const std::size_t semi = item.find(';', s);
            parts.push_back(trimLower(item.substr(
                s, semi == std::string_view::npos ? std::string_view::npos : semi - s)));
            s = semi == std::string_view::npos ? item.size() + 1 : semi + 1;
        }
        const std::string &type = parts[0];
        if (type != "application/json" && type != "*/*" && type != "application/*")
            continue;
        std::string as, g, v;
        for (std::size_t i = 1; i < parts.size(); ++i) {
            const std::size_t eq = parts[i].find('=');
            if (eq == std::string::npos)
                continue;
            const std::string key = parts[i].substr(0, eq);
            const std::string value = parts[i].substr(eq + 1);
            if (key == "as")
                as = value;
            else if (key == "g")
                g = value;
            else if (key == "v")
                v = value;
        }
        if (as.empty())
            return format;
        if (as == "table" && g == "meta.k8s.io" && (v == "v1" || v == "v1beta1") && tableAllowed) {
            format.table = true;
            return format;
        }
        // PartialObjectMetadata and other conversions are not offered; the client's next
        // choice may be acceptable.
    }
    return Error(Error::Code::NotAcceptable,
                 "only the following media types are accepted: application/json, "
                 "application/json;as=Table;v=v1;g=meta.k8s.io");
}

Result<std::string> ApiServer::Private::encodeObject(const Call &call, const OutputFormat &format,
                                                     const json &object) const
{
    if (!format.table)
        return object.dump(-1, ' ', false, json::error_handler_t::replace);
    TableOptions options;
    options.includeObject = format.includeObject;
    options.now = core::util::Clock::now();
    auto table = makeTable(call.resource, {object}, options);
    if (!table)
        return table.error();
    return table->dump(-1, ' ', false, json::error_handler_t::replace);
}

void ApiServer::Private::handleGet(Call &call)
{
    auto format = negotiateOutput(call);
    if (!format)
        return respondError(call, format.error());
    auto object = store.get(call.key(call.info.name));
    if (!object)
        return respondError(call, storageError(call, object.error(), call.info.name));
    if (!format->table)
        return respondServed(*this, call, (*object)->json());
    auto body = encodeObject(call, *format, (*object)->object());
    if (!body)
        return respondError(call, body.error());
    respondServed(*this, call, std::move(*body));
}

Result<ListOutcome> collectList(storage::Store &store, const Call &call, const Selection &selection,
                                bool paginate)
{
    const server::Request &request = call.request;
    std::size_t limit = 0;
    std::optional<ContinueToken> token;
    if (paginate) {
        if (auto text = request.queryValue("limit"); text && !text->empty()) {
            auto value = parseInteger(*text, "limit");
            if (!value)
                return value.error();
            limit = static_cast<std::size_t>(*value);
        }
        if (auto text = request.queryValue("continue"); text && !text->empty()) {
            auto decoded = ContinueToken::decode(*text);
            if (!decoded)
                return decoded.error();
            token = *decoded;
        }
    }
    const std::string rvText(request.queryValue("resourceVersion").value_or(""));
    const std::string match(request.queryValue("resourceVersionMatch").value_or(""));
    if (!match.empty() && match != "Exact" && match != "NotOlderThan")
        return Error(Error::Code::BadRequest,
                     "resourceVersionMatch: Unsupported value: \"" + match
                         + "\": supported values: \"Exact\", \"NotOlderThan\"");
    if (!match.empty() && rvText.empty())
        return Error(Error::Code::BadRequest,
                     "resourceVersionMatch is forbidden unless resourceVersion is provided");
    if (token && !rvText.empty() && rvText != "0")
        return Error(Error::Code::BadRequest,
                     "specifying resource version is not allowed when using continue");
    storage::Revision rv = 0;
    if (!rvText.empty()) {
        auto value = parseInteger(rvText, "resource version");
        if (!value)
            return value.error();
        rv = *value;
    }
    if (match == "Exact" && rv == 0)
        return Error(Error::Code::BadRequest,
                     "resourceVersionMatch \"Exact\" is forbidden for resourceVersion \"0\"");

    storage::ListRequest list;
    list.resource = call.groupResource();
    list.ns = listNamespace(call);
    if (token) {
        list.revision = token->revision;
        list.after = token->after;
    } else if (match == "Exact") {
        list.revision = rv;
    } else if (rv > 0 && rv > store.currentRevision()) {
        return Error(Error::Code::Timeout,
                     "Too large resource version: " + std::to_string(rv)
                         + ", current: " + std::to_string(store.currentRevision()));
    }
    // Pages are read from storage in batches of at least this many, so that a selective
    // selector does not cost one storage call per item.
    constexpr std::size_t kMinBatch = 100;
    list.limit = limit == 0 ? 0 : std::max(limit, kMinBatch);

    ListOutcome outcome;
    while (true) {
        auto page = store.list(list);
        if (!page) {
            if (page.error().code() == Error::Code::Gone)
                return Error(Error::Code::Gone, token ? kContinueTooOld : kListTooOld);
            return page.error();
        }
        outcome.revision = page->revision;
        list.revision = page->revision; // every batch of one list is read at the same revision
        for (std::size_t i = 0; i < page->items.size(); ++i) {
            const storage::ObjectRef &item = page->items[i];
            if (!selection.matches(call.resource, item->selectable()))
                continue;
            outcome.items.push_back(item);
            if (limit > 0 && outcome.items.size() == limit) {
                const std::size_t left = page->items.size() - 1 - i + page->remaining;
                if (left > 0) {
                    outcome.continueToken = ContinueToken{
                        page->revision,
                        {item->key().ns,
                         item->key().name}}.encode();
                    if (selection.empty())
                        outcome.remainingItemCount = left;
                }
                return outcome;
            }
        }
        if (list.limit == 0 || page->remaining == 0 || page->items.empty())
            return outcome;
        const storage::Key &last = page->items.back()->key();
        list.after = storage::ObjectName{last.ns, last.name};
    }
}

void ApiServer::Private::handleList(Call &call)
{
    auto format = negotiateOutput(call);
    if (!format)
        return respondError(call, format.error());
    auto selection = Selection::fromRequest(call, {});
    if (!selection)
        return respondError(call, selection.error());
    auto outcome = collectList(store, call, *selection, true);
    if (!outcome)
        return respondError(call, outcome.error());

    const std::string rv = std::to_string(outcome->revision);
    if (format->table) {
        // Built from the stored text: parsing every object into a tree and serializing the
        // rows' metadata again cost most of a large Table.
        std::vector<std::string_view> objects;
        objects.reserve(outcome->items.size());
        for (const auto &item : outcome->items)
            objects.push_back(item->json());
        TableOptions options;
        options.includeObject = format->includeObject;
        options.now = core::util::Clock::now();
        options.resourceVersion = rv;
        options.continueToken = outcome->continueToken;
        auto table = makeTableText(call.resource, objects, options);
        if (!table)
            return respondError(call, table.error());
        return respondServed(*this, call, std::move(*table));
    }

    std::size_t size = 256;
    for (const auto &item : outcome->items)
        size += item->json().size() + 1;
    std::string body;
    body.reserve(size);
    body += "{\"kind\":" + json(call.resource.listKind).dump();
    body += ",\"apiVersion\":" + json(call.resource.groupVersion()).dump();
    body += ",\"metadata\":{\"resourceVersion\":\"" + rv + "\"";
    if (!outcome->continueToken.empty())
        body += ",\"continue\":\"" + outcome->continueToken + "\"";
    if (outcome->remainingItemCount)
        body += ",\"remainingItemCount\":" + std::to_string(*outcome->remainingItemCount);
    body += "},\"items\":[";
    for (std::size_t i = 0; i < outcome->items.size(); ++i) {
        if (i > 0)
            body += ',';
        body += outcome->items[i]->json();
    }
    body += "]}";
    respondServed(*this, call, std::move(body));
}

void ApiServer::Private::handleWatch(Call &call)
{
    auto format = negotiateOutput(call);
    if (!format)
        return respondError(call, format.error());
    auto selection = Selection::fromRequest(call, call.info.name);
    if (!selection)
        return respondError(call, selection.error());
    const server::Request &request = call.request;

    const std::string rvText(request.queryValue("resourceVersion").value_or(""));
    storage::Revision rv = 0;
    if (!rvText.empty()) {
        auto value = parseInteger(rvText, "resource version");
        if (!value)
            return respondError(call, value.error());
        rv = *value;
    }
    const std::string match(request.queryValue("resourceVersionMatch").value_or(""));
    const bool bookmarks = isTrue(request.queryValue("allowWatchBookmarks"));
    const auto sendInitialEvents = request.queryValue("sendInitialEvents");
    if (sendInitialEvents && isTrue(sendInitialEvents) && (!bookmarks || match != "NotOlderThan"))
        return respondError(call, Error(Error::Code::BadRequest,
                                        "sendInitialEvents=true requires allowWatchBookmarks=true "
                                        "and resourceVersionMatch=NotOlderThan"));
    if (!sendInitialEvents && !match.empty())
        return respondError(call, Error(Error::Code::BadRequest,
                                        "resourceVersionMatch is forbidden for watch unless "
                                        "sendInitialEvents is provided"));

    std::chrono::seconds timeout{0};
    if (auto text = request.queryValue("timeoutSeconds"); text && !text->empty()) {
        auto value = parseInteger(*text, "timeoutSeconds");
        if (!value)
            return respondError(call, value.error());
        timeout = std::chrono::seconds(*value);
    }
    if (timeout.count() == 0) {
        // Upstream spreads unbounded watches over 30-60 minutes so reconnects do not align.
        thread_local std::mt19937 engine{std::random_device{}()};
        timeout = std::chrono::seconds(std::uniform_int_distribution<int>(1800, 3600)(engine));
    }

    WatchSession::Options options;
    options.format = *format;
    options.selection = std::move(*selection);
    options.bookmarks = bookmarks;
    options.bookmarkInterval = this->options.bookmarkInterval;
    options.deadline = std::chrono::steady_clock::now() + timeout;

    const bool initialState = sendInitialEvents ? isTrue(sendInitialEvents) : rv == 0;
    if (initialState && rv > store.currentRevision())
        return respondError(call,
                            Error(Error::Code::Timeout,
                                  "Too large resource version: " + std::to_string(rv)
                                      + ", current: " + std::to_string(store.currentRevision())));
    if (initialState) {
        // The session needs the list revision for its bookmarks; it is created after the
        // listAndWatch call, so the notify callback forwards to it once it exists.
        auto holder = std::make_shared<std::weak_ptr<WatchSession>>();
        auto pending = std::make_shared<std::mutex>();
        auto result
            = store.listAndWatch(call.groupResource(), listNamespace(call), [holder, pending] {
                  std::shared_ptr<WatchSession> session;
                  {
                      std::lock_guard lock(*pending);
                      session = holder->lock();
                  }
                  if (session)
                      session->notifier()();
              });
        if (!result)
            return respondError(call, result.error());
        options.startRevision = result->list.revision;
        auto session = std::make_shared<WatchSession>(weak_from_this(), call, std::move(options));
        {
            std::lock_guard lock(*pending);
            *holder = session;
        }
        registerWatch(session);
        session->begin(result->watcher, result->list.items, sendInitialEvents.has_value());
        return;
    }

    const storage::Revision from = rv == 0 ? store.currentRevision() : rv;
    options.startRevision = from;
    auto session = std::make_shared<WatchSession>(weak_from_this(), call, std::move(options));
    storage::WatchRequest watchRequest;
    watchRequest.resource = call.groupResource();
    watchRequest.ns = listNamespace(call);
    watchRequest.fromRevision = from;
    watchRequest.notify = session->notifier();
    auto watcher = store.watch(watchRequest);
    if (!watcher) {
        if (watcher.error().code() != Error::Code::Gone)
            return respondError(call, watcher.error());
        // Like the watch cache: a 200 stream whose only event is the 410 Status.
        const json status = {{"kind", "Status"},
                             {"apiVersion", "v1"},
                             {"metadata", json::object()},
                             {"status", "Failure"},
                             {"message", watcher.error().message()},
                             {"reason", "Expired"},
                             {"code", 410}};
        call.writer->beginStream(200, {{"Content-Type", "application/json"}});
        call.writer->writeChunk("{\"type\":\"ERROR\",\"object\":" + status.dump() + "}\n");
        call.writer->endStream();
        return;
    }
    registerWatch(session);
    session->begin(*watcher, {}, false);
}

void ApiServer::Private::registerWatch(const std::shared_ptr<WatchSession> &session)
{
    {
        std::lock_guard lock(watchMutex);
        if (!stopping) {
            watches.push_back(session);
            return;
        }
    }
    session->close();
}

void ApiServer::Private::tickWatches()
{
    std::vector<std::shared_ptr<WatchSession>> open;
    {
        std::lock_guard lock(watchMutex);
        open = watches;
    }
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::shared_ptr<WatchSession>> finished;
    for (const auto &session : open) {
        if (!session->tick(now))
            finished.push_back(session);
    }
    if (finished.empty())
        return;
    std::lock_guard lock(watchMutex);
    watches.erase(std::remove_if(watches.begin(), watches.end(),
                                 [&](const std::shared_ptr<WatchSession> &session) {
                                     return std::find(finished.begin(), finished.end(), session)
                                            != finished.end();
                                 }),
                  watches.end());
}

} // namespace kd::lc::apiserver
