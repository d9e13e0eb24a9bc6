#include "store.h"

#include "datadirlock.h"
#include "statedb.h"

#include <core/util/log.h>
#include <core/util/threadname.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <map>
#include <shared_mutex>
#include <thread>

namespace kd::lc::storage {

using core::util::Error;
using core::util::Result;

namespace {

const core::util::LogCategory lcStorage{"kd.lc.storage"};

using ResourceMap = std::map<ObjectName, ObjectRef>;

enum class Operation { Create, Update, Delete };

struct PendingWrite
{
    Operation operation = Operation::Create;
    Key key;
    nlohmann::json object;
    std::optional<Revision> expectedRevision;
    std::optional<std::string> expectedUid;
    Store::WriteCallback done;
    // `object` serialized by the caller's thread (enqueue); unset: the writer serializes it.
    std::optional<PreparedObject> prepared;
};

std::string quoted(const Key &key)
{
    return key.groupResource.toString() + " \"" + key.name + "\"";
}

Error notFound(const Key &key)
{
    return Error(Error::Code::NotFound, quoted(key) + " not found");
}

Error conflict(const Key &key)
{
    return Error(Error::Code::Conflict,
                 "Operation cannot be fulfilled on " + quoted(key)
                     + ": the object has been modified; please apply your changes to the latest "
                       "version and try again");
}

Error tooOld(Revision requested, Revision oldest)
{
    return Error(Error::Code::Gone, 410, "Expired",
                 "too old resource version: " + std::to_string(requested) + " ("
                     + std::to_string(oldest) + ")");
}

std::optional<Error> checkKey(const Key &key)
{
    if (key.groupResource.resource.empty())
        return Error(Error::Code::Invalid, "storage key without a resource");
    if (key.name.empty())
        return Error(Error::Code::Invalid, key.groupResource.toString() + ": name is required");
    return std::nullopt;
}

// The store trusts the API server for everything but the shape it relies on itself.
std::optional<Error> checkObject(const Key &key, const nlohmann::json &object)
{
    if (!object.is_object())
        return Error(Error::Code::Invalid, quoted(key) + ": the object is not a JSON object");
    const auto metadata = object.find("metadata");
    if (metadata == object.end())
        return std::nullopt;
    if (!metadata->is_object())
        return Error(Error::Code::Invalid, quoted(key) + ": metadata is not a JSON object");
    const auto name = metadata->find("name");
    if (name != metadata->end()
        && !(name->is_string() && name->get_ref<const std::string &>() == key.name))
        return Error(Error::Code::Invalid, quoted(key) + ": metadata.name does not match the key");
    const auto ns = metadata->find("namespace");
    if (ns != metadata->end() && !(ns->is_string() && ns->get_ref<const std::string &>() == key.ns))
        return Error(Error::Code::Invalid,
                     quoted(key) + ": metadata.namespace does not match the key");
    return std::nullopt;
}

// A page of `objects` in key order: items after `after` within namespace `ns`.
ListResult slice(const ResourceMap &objects, const std::optional<std::string> &ns,
                 const std::optional<ObjectName> &after, std::size_t limit, Revision revision)
{
    ListResult result;
    result.revision = revision;
    const ObjectName lowest = ns ? ObjectName{*ns, {}} : ObjectName{};
    auto it = objects.lower_bound(lowest);
    if (after && !(*after < lowest))
        it = objects.upper_bound(*after);
    const auto inRange = [&](ResourceMap::const_iterator i) {
        return i != objects.end() && (!ns || i->first.ns == *ns);
    };
    for (; inRange(it) && (limit == 0 || result.items.size() < limit); ++it)
        result.items.push_back(it->second);
    for (; inRange(it); ++it)
        ++result.remaining;
    return result;
}

// Turns one row of state.db back into an object; a row that is not a JSON object means the file
// was damaged outside of us.
Result<ObjectRef> parseRow(StateDb::Row &row)
{
    nlohmann::json object = nlohmann::json::parse(row.value, nullptr, false);
    if (object.is_discarded() || !object.is_object()) {
        return Error(Error::Code::Decode, "the stored " + quoted(row.key) + " in namespace \""
                                              + row.key.ns
                                              + "\" is not a JSON object; the database is damaged");
    }
    // A row normally carries its own revision in metadata.resourceVersion: keep its text.
    bool revisionInText = false;
    if (const auto m = object.find("metadata"); m != object.end() && m->is_object()) {
        const auto rv = m->find("resourceVersion");
        revisionInText = rv != m->end() && rv->is_string()
                         && rv->get_ref<const std::string &>() == std::to_string(row.modRevision);
    }
    try {
        if (revisionInText) {
            return std::make_shared<const StoredObject>(row.key, object, std::move(row.value),
                                                        row.createRevision, row.modRevision);
        }
        return std::make_shared<const StoredObject>(row.key, std::move(object), row.createRevision,
                                                    row.modRevision);
    } catch (const nlohmann::json::exception &e) {
        return Error(Error::Code::Decode, "the stored " + quoted(row.key) + ": " + e.what());
    }
}

} // namespace

class Store::Private
{
public:
    explicit Private(StoreOptions opts)
        : options(std::move(opts))
    {}

    void run();
    void processBatch(std::vector<PendingWrite> &batch);
    void enqueue(PendingWrite write);
    Result<WriteResult> wait(PendingWrite write);
    std::optional<ResourceMap> snapshotAt(const GroupResource &resource,
                                          const std::optional<std::string> &ns,
                                          Revision revision) const;
    std::vector<WatchEvent> eventsAfter(const Watcher &watcher, Revision revision) const;
    void registerWatcher(std::shared_ptr<Watcher> watcher) const;

    const StoreOptions options;
    std::unique_ptr<DataDirLock> lock;
    std::unique_ptr<StateDb> db;

    // Committed state. The writer thread is its only mutator (under an exclusive lock); it may
    // read it without the lock, everyone else reads under a shared lock.
    mutable std::shared_mutex stateMutex;
    std::map<GroupResource, ResourceMap> objects;
    std::size_t objectCount = 0;
    Revision revision = 0;
    // Every event with a revision above ringStart, oldest first; revisions are dense.
    std::deque<WatchEvent> ring;
    Revision ringStart = 0;

    // Readers register watchers while holding stateMutex shared, so they need their own lock.
    mutable std::mutex watchersMutex;
    mutable std::vector<std::shared_ptr<Watcher>> watchers;

    std::mutex queueMutex;
    std::condition_variable queueWake;
    std::deque<PendingWrite> queue;
    bool stopping = false;
    std::thread writer;
};

void Store::Private::enqueue(PendingWrite write)
{
    if (auto error = checkKey(write.key)) {
        write.done(*error);
        return;
    }
    // Serializing here spreads the work over the callers' threads instead of the one writer,
    // and the parsed tree is freed by the thread that built it.
    if (write.operation != Operation::Delete) {
        if (auto bad = checkObject(write.key, write.object)) {
            write.done(*bad);
            return;
        }
        try {
            write.prepared = StoredObject::prepare(write.object);
        } catch (const nlohmann::json::exception &e) {
            // dump() rejects strings that are not UTF-8; such an object cannot be served.
            write.done(Error(Error::Code::Invalid,
                             quoted(write.key) + ": the object cannot be stored: " + e.what()));
            return;
        }
        if (write.prepared)
            write.object = nullptr;
    }
    {
        std::lock_guard guard(queueMutex);
        if (!stopping) {
            queue.push_back(std::move(write));
            queueWake.notify_one();
            return;
        }
    }
    write.done(Error(Error::Code::ServiceUnavailable, "the store is closing"));
}

namespace {
thread_local CommitWaitObserver *t_commitWaitObserver = nullptr;
} // namespace

void setCommitWaitObserver(CommitWaitObserver *observer)
{
    t_commitWaitObserver = observer;
}

Result<WriteResult> Store::Private::wait(PendingWrite write)
{
    std::promise<Result<WriteResult>> promise;
    auto future = promise.get_future();
    write.done = [&promise](Result<WriteResult> result) { promise.set_value(std::move(result)); };
    enqueue(std::move(write));
    CommitWaitObserver *observer = t_commitWaitObserver;
    if (observer)
        observer->commitWaitBegins();
    Result<WriteResult> result = future.get();
    if (observer)
        observer->commitWaitEnds();
    return result;
}

void Store::Private::run()
{
    std::vector<PendingWrite> batch;
    for (;;) {
        {
            std::unique_lock guard(queueMutex);
            queueWake.wait(guard, [this] { return stopping || !queue.empty(); });
            if (queue.empty())
                return; // stopping, and every queued write has been answered
            // Everything that queued up during the previous commit goes into this one.
            const std::size_t n
                = std::min(queue.size(), std::max<std::size_t>(1, options.maxBatch));
            batch.assign(std::make_move_iterator(queue.begin()),
                         std::make_move_iterator(queue.begin() + static_cast<std::ptrdiff_t>(n)));
            queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(n));
        }
        processBatch(batch);
        batch.clear();
    }
}

void Store::Private::processBatch(std::vector<PendingWrite> &batch)
{
    // Later writes of the batch see the earlier ones: a create followed by a create of the same
    // key in one group must still answer AlreadyExists.
    std::map<Key, ObjectRef> overlay;
    const auto lookup = [&](const Key &key) -> ObjectRef {
        if (const auto it = overlay.find(key); it != overlay.end())
            return it->second;
        const auto resource = objects.find(key.groupResource);
        if (resource == objects.end())
            return nullptr;
        const auto it = resource->second.find(ObjectName{key.ns, key.name});
        return it == resource->second.end() ? nullptr : it->second;
    };

    // The object checked and (normally) serialized by enqueue().
    const auto build = [](PendingWrite &write, Revision createRevision, Revision modRevision) {
        if (write.prepared)
            return std::make_shared<const StoredObject>(write.key, std::move(*write.prepared),
                                                        createRevision, modRevision);
        return std::make_shared<const StoredObject>(write.key, std::move(write.object),
                                                    createRevision, modRevision);
    };
    std::vector<std::optional<Error>> errors(batch.size());
    std::vector<WatchEvent> events(batch.size());
    std::vector<StateDb::Change> changes;
    Revision next = revision;

    for (std::size_t i = 0; i < batch.size(); ++i) {
        PendingWrite &write = batch[i];
        const ObjectRef current = lookup(write.key);
        WatchEvent &event = events[i];
        try {
            switch (write.operation) {
            case Operation::Create:
                if (current) {
                    errors[i]
                        = Error(Error::Code::AlreadyExists, quoted(write.key) + " already exists");
                } else {
                    event.type = WatchEvent::Type::Added;
                    event.object = build(write, next + 1, next + 1);
                }
                break;
            case Operation::Update:
                if (!current) {
                    errors[i] = notFound(write.key);
                } else if (write.expectedRevision
                           && *write.expectedRevision != current->modRevision()) {
                    errors[i] = conflict(write.key);
                } else {
                    event.type = WatchEvent::Type::Modified;
                    event.previous = current;
                    event.object = build(write, current->createRevision(), next + 1);
                }
                break;
            case Operation::Delete: {
                if (!current) {
                    errors[i] = notFound(write.key);
                    break;
                }
                // The kept metadata has the uid: no need to parse the whole object.
                const nlohmann::json &kept = current->selectable();
                const auto metadata = kept.find("metadata");
                const std::string uid = metadata != kept.end()
                                            ? metadata->value("uid", std::string())
                                            : std::string();
                if (write.expectedUid && *write.expectedUid != uid) {
                    errors[i] = Error(Error::Code::Conflict,
                                      "Precondition failed: UID in precondition: "
                                          + *write.expectedUid + ", UID in object meta: " + uid);
                } else if (write.expectedRevision
                           && *write.expectedRevision != current->modRevision()) {
                    errors[i] = Error(Error::Code::Conflict,
                                      "Precondition failed: ResourceVersion in precondition: "
                                          + std::to_string(*write.expectedRevision)
                                          + ", ResourceVersion in object meta: "
                                          + std::to_string(current->modRevision()));
                } else {
                    event.type = WatchEvent::Type::Deleted;
                    event.previous = current;
                    event.object = std::make_shared<const StoredObject>(
                        write.key, current->object(), current->createRevision(), next + 1);
                }
                break;
            }
            }
        } catch (const nlohmann::json::exception &e) {
            // dump() rejects strings that are not UTF-8; such an object cannot be served.
            errors[i] = Error(Error::Code::Invalid,
                              quoted(write.key) + ": the object cannot be stored: " + e.what());
            event.object.reset();
        }
        if (errors[i])
            continue;
        event.revision = ++next;
        overlay[write.key] = event.type == WatchEvent::Type::Deleted ? nullptr : event.object;
        changes.push_back({&event.object->key(),
                           event.type == WatchEvent::Type::Deleted ? nullptr : event.object.get()});
    }

    if (!changes.empty()) {
        if (auto committed = db->commit(changes, next); !committed) {
            lcStorage.error("commit failed: " + committed.error().message());
            Error failure = committed.error();
            failure.prefix("the write was not stored: ");
            for (std::size_t i = 0; i < batch.size(); ++i) {
                if (!errors[i])
                    errors[i] = failure;
            }
            changes.clear();
        }
    }

    std::vector<std::shared_ptr<Watcher>> toNotify;
    if (!changes.empty()) {
        std::unique_lock stateGuard(stateMutex);
        std::lock_guard watchersGuard(watchersMutex);
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (errors[i])
                continue;
            const WatchEvent &event = events[i];
            const Key &key = event.object->key();
            ResourceMap &resource = objects[key.groupResource];
            if (event.type == WatchEvent::Type::Deleted) {
                resource.erase(ObjectName{key.ns, key.name});
                --objectCount;
            } else {
                auto [it, inserted]
                    = resource.insert_or_assign(ObjectName{key.ns, key.name}, event.object);
                static_cast<void>(it);
                if (inserted)
                    ++objectCount;
            }
            for (const auto &watcher : watchers) {
                if (watcher->matches(key) && watcher->push(event))
                    toNotify.push_back(watcher);
            }
            ring.push_back(event);
            while (ring.size() > options.eventRingCapacity) {
                ringStart = ring.front().revision;
                ring.pop_front();
            }
        }
        revision = next;
        std::erase_if(watchers, [](const auto &watcher) { return watcher->stopped(); });
    }
    // Consumers hear about new events once per batch, after the locks are gone.
    std::sort(toNotify.begin(), toNotify.end());
    toNotify.erase(std::unique(toNotify.begin(), toNotify.end()), toNotify.end());
    for (const auto &watcher : toNotify)
        watcher->notifyConsumer();

    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (errors[i])
            batch[i].done(*errors[i]);
        else
            batch[i].done(WriteResult{events[i].revision, events[i].object});
    }
}

std::optional<ResourceMap> Store::Private::snapshotAt(const GroupResource &resource,
                                                      const std::optional<std::string> &ns,
                                                      Revision at) const
{
    // Caller holds stateMutex. Returns nullopt when nothing of this resource changed after
    // `at`, so the live map can be served as it is.
    const auto first
        = std::upper_bound(ring.begin(), ring.end(), at,
                           [](Revision r, const WatchEvent &e) { return r < e.revision; });
    const auto touches = [&](const WatchEvent &e) {
        const Key &key = e.object->key();
        return key.groupResource == resource && (!ns || key.ns == *ns);
    };
    if (std::none_of(first, ring.end(), touches))
        return std::nullopt;

    ResourceMap snapshot;
    if (const auto live = objects.find(resource); live != objects.end()) {
        for (const auto &[name, object] : live->second) {
            if (!ns || name.ns == *ns)
                snapshot.emplace_hint(snapshot.end(), name, object);
        }
    }
    // Undo newer events, newest first, to get back to the state at `at`.
    for (auto it = ring.end(); it != first;) {
        --it;
        if (!touches(*it))
            continue;
        const Key &key = it->object->key();
        const ObjectName name{key.ns, key.name};
        if (it->type == WatchEvent::Type::Added)
            snapshot.erase(name);
        else
            snapshot.insert_or_assign(name, it->previous);
    }
    return snapshot;
}

std::vector<WatchEvent> Store::Private::eventsAfter(const Watcher &watcher, Revision from) const
{
    std::vector<WatchEvent> events;
    auto it = std::upper_bound(ring.begin(), ring.end(), from,
                               [](Revision r, const WatchEvent &e) { return r < e.revision; });
    for (; it != ring.end(); ++it) {
        if (watcher.matches(it->object->key()))
            events.push_back(*it);
    }
    return events;
}

void Store::Private::registerWatcher(std::shared_ptr<Watcher> watcher) const
{
    std::lock_guard guard(watchersMutex);
    watchers.push_back(std::move(watcher));
}

Result<std::unique_ptr<Store>> Store::open(const StoreOptions &options)
{
    const auto started = std::chrono::steady_clock::now();
    if (options.dataDir.empty())
        return Error(Error::Code::Invalid, "no data directory given for the cluster state");
    std::error_code ec;
    std::filesystem::create_directories(options.dataDir, ec);
    if (ec)
        return Error(Error::Code::Io, "cannot create " + options.dataDir + ": " + ec.message());

    auto d = std::make_unique<Private>(options);
    auto lock = DataDirLock::acquire(options.dataDir);
    if (!lock)
        return lock.error();
    d->lock = std::move(lock).value();

    const std::string path = options.dataDir + "/state.db";
    auto db = StateDb::open(path);
    if (!db)
        return db.error();
    d->db = std::move(db).value();
    auto contents = d->db->load();
    if (!contents)
        return contents.error();

    // Parsing is most of the start-up time (nlohmann parses ~20 MB/s), so spread it over the
    // cores; the rows are independent.
    std::vector<StateDb::Row> &rows = contents->rows;
    std::vector<ObjectRef> parsed(rows.size());
    const std::size_t workers = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 8);
    const std::size_t chunk = std::max<std::size_t>(256, (rows.size() + workers - 1) / workers);
    std::vector<std::optional<Error>> failures((rows.size() + chunk - 1) / chunk);
    {
        std::vector<std::thread> threads;
        for (std::size_t c = 0; c < failures.size(); ++c) {
            const auto parseChunk = [&, c] {
                for (std::size_t i = c * chunk; i < std::min(rows.size(), (c + 1) * chunk); ++i) {
                    auto stored = parseRow(rows[i]);
                    if (!stored) {
                        failures[c] = stored.error();
                        failures[c]->prefix(path + ": ");
                        return;
                    }
                    parsed[i] = std::move(stored).value();
                }
            };
            if (c + 1 == failures.size())
                parseChunk(); // the opening thread takes the last share
            else
                threads.emplace_back(parseChunk);
        }
        for (auto &thread : threads)
            thread.join();
    }
    for (auto &failure : failures) {
        if (failure)
            return *failure;
    }
    Revision revision = contents->revision;
    for (ObjectRef &stored : parsed) {
        const Key &key = stored->key();
        revision = std::max(revision, stored->modRevision());
        d->objects[key.groupResource].insert_or_assign(ObjectName{key.ns, key.name},
                                                       std::move(stored));
        ++d->objectCount;
    }
    d->revision = revision;
    d->ringStart = revision;

    Private *raw = d.get();
    d->writer = std::thread([raw] {
        core::util::setCurrentThreadName("kd-store");
        raw->run();
    });
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    lcStorage.info("opened " + path + ": " + std::to_string(d->objectCount)
                   + " objects at revision " + std::to_string(revision) + " in "
                   + std::to_string(elapsed.count()) + " ms");
    return std::unique_ptr<Store>(new Store(std::move(d)));
}

Store::Store(std::unique_ptr<Private> dd)
    : d(std::move(dd))
{}

Store::~Store()
{
    {
        std::lock_guard guard(d->queueMutex);
        d->stopping = true;
    }
    d->queueWake.notify_all();
    if (d->writer.joinable())
        d->writer.join();
    std::vector<std::shared_ptr<Watcher>> watchers;
    {
        std::lock_guard guard(d->watchersMutex);
        watchers.swap(d->watchers);
    }
    for (const auto &watcher : watchers) {
        watcher->end(Error(Error::Code::ServiceUnavailable, "the cluster storage was closed"));
        watcher->notifyConsumer();
    }
}

Revision Store::currentRevision() const
{
    std::shared_lock guard(d->stateMutex);
    return d->revision;
}

Revision Store::oldestServableRevision() const
{
    std::shared_lock guard(d->stateMutex);
    return d->ringStart;
}

std::size_t Store::objectCount() const
{
    std::shared_lock guard(d->stateMutex);
    return d->objectCount;
}

Result<ObjectRef> Store::get(const Key &key) const
{
    std::shared_lock guard(d->stateMutex);
    const auto resource = d->objects.find(key.groupResource);
    if (resource != d->objects.end()) {
        const auto it = resource->second.find(ObjectName{key.ns, key.name});
        if (it != resource->second.end())
            return it->second;
    }
    return notFound(key);
}

Result<ListResult> Store::list(const ListRequest &request) const
{
    static const ResourceMap empty;
    std::shared_lock guard(d->stateMutex);
    const auto live = d->objects.find(request.resource);
    const ResourceMap &current = live == d->objects.end() ? empty : live->second;
    if (!request.revision || *request.revision == d->revision)
        return slice(current, request.ns, request.after, request.limit, d->revision);

    const Revision at = *request.revision;
    if (at > d->revision) {
        return Error(Error::Code::Timeout, "Too large resource version: " + std::to_string(at)
                                               + ", current: " + std::to_string(d->revision));
    }
    if (at < d->ringStart)
        return tooOld(at, d->ringStart);
    const auto snapshot = d->snapshotAt(request.resource, request.ns, at);
    return slice(snapshot ? *snapshot : current, request.ns, request.after, request.limit, at);
}

Result<std::shared_ptr<Watcher>> Store::watch(const WatchRequest &request) const
{
    std::shared_lock guard(d->stateMutex);
    if (request.fromRevision < d->ringStart)
        return tooOld(request.fromRevision, d->ringStart);
    auto watcher = std::make_shared<Watcher>(request.resource, request.ns,
                                             d->options.watcherQueueCapacity, request.notify);
    watcher->pushReplay(d->eventsAfter(*watcher, request.fromRevision));
    d->registerWatcher(watcher);
    return watcher;
}

Result<ListAndWatchResult> Store::listAndWatch(const GroupResource &resource,
                                               const std::optional<std::string> &ns,
                                               std::function<void()> notify) const
{
    static const ResourceMap empty;
    std::shared_lock guard(d->stateMutex);
    const auto live = d->objects.find(resource);
    ListAndWatchResult result;
    result.list
        = slice(live == d->objects.end() ? empty : live->second, ns, std::nullopt, 0, d->revision);
    result.watcher = std::make_shared<Watcher>(resource, ns, d->options.watcherQueueCapacity,
                                               std::move(notify));
    d->registerWatcher(result.watcher);
    return result;
}

Result<WriteResult> Store::create(const Key &key, nlohmann::json object)
{
    return d->wait(
        {Operation::Create, key, std::move(object), std::nullopt, std::nullopt, {}, std::nullopt});
}

Result<WriteResult> Store::update(const Key &key, nlohmann::json object,
                                  std::optional<Revision> expectedRevision)
{
    return d->wait({Operation::Update,
                    key,
                    std::move(object),
                    expectedRevision,
                    std::nullopt,
                    {},
                    std::nullopt});
}

Result<WriteResult> Store::remove(const Key &key, const DeletePreconditions &preconditions)
{
    return d->wait({Operation::Delete,
                    key,
                    nullptr,
                    preconditions.revision,
                    preconditions.uid,
                    {},
                    std::nullopt});
}

void Store::createAsync(const Key &key, nlohmann::json object, WriteCallback done)
{
    d->enqueue({Operation::Create, key, std::move(object), std::nullopt, std::nullopt,
                std::move(done), std::nullopt});
}

void Store::updateAsync(const Key &key, nlohmann::json object,
                        std::optional<Revision> expectedRevision, WriteCallback done)
{
    d->enqueue({Operation::Update, key, std::move(object), expectedRevision, std::nullopt,
                std::move(done), std::nullopt});
}

void Store::removeAsync(const Key &key, const DeletePreconditions &preconditions,
                        WriteCallback done)
{
    d->enqueue({Operation::Delete, key, nullptr, preconditions.revision, preconditions.uid,
                std::move(done), std::nullopt});
}

} // namespace kd::lc::storage
