#include "watchsession.h"
#include "objectrules.h"

#include <core/util/time.h>

namespace kd::lc::apiserver {

using core::util::Error;
using core::util::Result;
using nlohmann::json;

bool Selection::matches(const ResourceInfo &resource, const json &object) const
{
    if (!labels.empty()) {
        static const json kNoLabels = json::object();
        const json *objectLabels = &kNoLabels;
        if (auto meta = object.find("metadata"); meta != object.end() && meta->is_object()) {
            if (auto l = meta->find("labels"); l != meta->end() && l->is_object())
                objectLabels = &*l;
        }
        if (!labels.matchesJsonLabels(*objectLabels))
            return false;
    }
    return fields.empty() || fields.matches(objectrules::fieldSet(resource, object));
}

Result<Selection> Selection::fromRequest(const Call &call, const std::string &name)
{
    Selection selection;
    if (auto text = call.request.queryValue("labelSelector"); text && !text->empty()) {
        auto parsed = core::api::LabelSelector::parse(*text);
        if (!parsed)
            return Error(Error::Code::BadRequest, parsed.error().message());
        selection.labels = std::move(*parsed);
    }
    std::string fieldText(call.request.queryValue("fieldSelector").value_or(""));
    if (!name.empty())
        fieldText += (fieldText.empty() ? "" : ",") + std::string("metadata.name=")
                     + core::api::FieldSelector::escapeValue(name);
    if (!fieldText.empty()) {
        auto parsed = core::api::FieldSelector::parse(fieldText);
        if (!parsed)
            return Error(Error::Code::BadRequest, parsed.error().message());
        const std::vector<std::string> supported = objectrules::fieldLabels(call.resource);
        for (const auto &requirement : parsed->requirements()) {
            if (std::find(supported.begin(), supported.end(), requirement.field) == supported.end())
                return Error(Error::Code::BadRequest,
                             "field label not supported: " + requirement.field);
        }
        selection.fields = std::move(*parsed);
    }
    return selection;
}

WatchSession::WatchSession(std::weak_ptr<ApiServer::Private> server, Call call, Options options)
    : m_server(std::move(server))
    , m_call(std::move(call))
    , m_options(std::move(options))
    , m_lastRevision(m_options.startRevision)
    , m_nextBookmark(std::chrono::steady_clock::now() + m_options.bookmarkInterval)
{}

std::function<void()> WatchSession::notifier()
{
    std::weak_ptr<WatchSession> weak = weak_from_this();
    return [weak] {
        if (auto self = weak.lock())
            self->schedule();
    };
}

void WatchSession::begin(std::shared_ptr<storage::Watcher> watcher,
                         const std::vector<storage::ObjectRef> &initial, bool initialEventsEnd)
{
    {
        std::lock_guard lock(m_mutex);
        m_watcher = std::move(watcher);
        m_started = true;
        m_call.writer->beginStream(200, {{"Content-Type", "application/json"}});
        for (const storage::ObjectRef &object : initial) {
            if (!m_options.selection.matches(m_call.resource, object->selectable()))
                continue;
            if (m_options.format.table)
                writeEvent("ADDED", object->object());
            else
                writeRaw("ADDED", object->json());
        }
        if (initialEventsEnd)
            writeBookmark(true);
    }
    std::weak_ptr<WatchSession> weak = weak_from_this();
    m_call.writer->onClientGone([weak] {
        if (auto self = weak.lock())
            self->close();
    });
    schedule(); // events may have arrived while the initial state was written
}

void WatchSession::schedule()
{
    if (m_scheduled.exchange(true))
        return;
    auto self = shared_from_this();
    auto drain = [self] {
        self->m_scheduled = false;
        self->drain();
    };
    // Passing stored text through is quick and never blocks: done on the connection's own I/O
    // strand, one thread switch after the commit instead of two. Tables parse every object, so
    // they are built on the workers.
    if (!m_options.format.table) {
        m_call.writer->runOnConnection(std::move(drain));
        return;
    }
    auto server = m_server.lock();
    if (!server || !server->pool.post(std::move(drain)))
        m_scheduled = false;
}

bool WatchSession::tick(std::chrono::steady_clock::time_point now)
{
    {
        std::lock_guard lock(m_mutex);
        if (m_done)
            return false;
        if (!m_started)
            return true;
    }
    if (now >= m_options.deadline || (m_options.bookmarks && now >= m_nextBookmark)
        || m_call.writer->clientGone())
        schedule();
    return true;
}

void WatchSession::close()
{
    std::lock_guard lock(m_mutex);
    finishLocked();
}

void WatchSession::finishLocked()
{
    if (m_done)
        return;
    m_done = true;
    if (m_watcher)
        m_watcher->stop();
    m_call.writer->endStream();
}

void WatchSession::writeRaw(const char *type, const std::string &objectJson)
{
    // Custom resources are stored in their CRD's storage version and watched in any served one.
    const std::string *object = &objectJson;
    std::string converted;
    if (m_call.resource.custom) {
        if (auto server = m_server.lock()) {
            auto served = server->customResources.served(m_call.resource, objectJson);
            if (served) {
                converted = std::move(*served);
            } else {
                type = "ERROR";
                converted = json{{"kind", "Status"},
                                 {"apiVersion", "v1"},
                                 {"metadata", json::object()},
                                 {"status", "Failure"},
                                 {"message", served.error().message()},
                                 {"reason", served.error().reason()},
                                 {"code", served.error().httpStatus()}}
                                .dump();
            }
            object = &converted;
        }
    }
    std::string chunk;
    chunk.reserve(object->size() + 32);
    chunk += "{\"type\":\"";
    chunk += type;
    chunk += "\",\"object\":";
    chunk += *object;
    chunk += "}\n";
    m_call.writer->writeChunk(std::move(chunk));
}

void WatchSession::writeEvent(const char *type, const json &object)
{
    if (!m_options.format.table) {
        writeRaw(type, object.dump(-1, ' ', false, json::error_handler_t::replace));
        return;
    }
    TableOptions options;
    options.includeObject = m_options.format.includeObject;
    options.now = core::util::Clock::now();
    auto table = makeTable(m_call.resource, {object}, options);
    if (table)
        writeRaw(type, table->dump(-1, ' ', false, json::error_handler_t::replace));
}

void WatchSession::writeBookmark(bool initialEventsEnd)
{
    json metadata
        = {{"resourceVersion", std::to_string(m_lastRevision)}, {"creationTimestamp", nullptr}};
    if (initialEventsEnd)
        metadata["annotations"] = {{"k8s.io/initial-events-end", "true"}};
    const json object = {{"kind", m_call.resource.kind},
                         {"apiVersion", m_call.resource.groupVersion()},
                         {"metadata", std::move(metadata)}};
    writeRaw("BOOKMARK", object.dump());
}

void WatchSession::drain()
{
    std::lock_guard lock(m_mutex);
    if (m_done || !m_started)
        return;
    if (m_call.writer->clientGone())
        return finishLocked();

    auto events = m_watcher->next(std::chrono::milliseconds(0));
    if (!events) {
        const Error &error = events.error();
        if (error.code() == Error::Code::Gone) {
            const json status = {
                {"kind", "Status"},    {"apiVersion", "v1"},         {"metadata", json::object()},
                {"status", "Failure"}, {"message", error.message()}, {"reason", "Expired"},
                {"code", 410}};
            writeRaw("ERROR", status.dump());
        }
        return finishLocked();
    }
    const Selection &selection = m_options.selection;
    for (const storage::WatchEvent &event : *events) {
        m_lastRevision = std::max(m_lastRevision, event.revision);
        // Filtering reads only the kept summary; the whole object is parsed for Tables only.
        if (selection.empty()) {
            if (m_options.format.table)
                writeEvent(storage::WatchEvent::typeName(event.type), event.object->object());
            else
                writeRaw(storage::WatchEvent::typeName(event.type), event.object->json());
            continue;
        }
        const bool now = selection.matches(m_call.resource, event.object->selectable());
        const bool before
            = event.previous && selection.matches(m_call.resource, event.previous->selectable());
        const char *type = nullptr;
        switch (event.type) {
        case storage::WatchEvent::Type::Added:
            type = now ? "ADDED" : nullptr;
            break;
        case storage::WatchEvent::Type::Modified:
            type = now ? (before ? "MODIFIED" : "ADDED") : (before ? "DELETED" : nullptr);
            break;
        case storage::WatchEvent::Type::Deleted:
            type = now || before ? "DELETED" : nullptr;
            break;
        }
        if (!type)
            continue;
        if (m_options.format.table)
            writeEvent(type, event.object->object());
        else
            writeRaw(type, event.object->json());
    }

    const auto now = std::chrono::steady_clock::now();
    if (now >= m_options.deadline) {
        // Upstream sends a last bookmark so that the client resumes from the newest revision.
        if (m_options.bookmarks)
            writeBookmark(false);
        return finishLocked();
    }
    if (m_options.bookmarks && now >= m_nextBookmark) {
        writeBookmark(false);
        m_nextBookmark = now + m_options.bookmarkInterval;
    }
}

} // namespace kd::lc::apiserver
