#pragma once

#include <localcluster/storage/key.h>
#include <localcluster/storage/storedobject.h>
#include <localcluster/storage/watcher.h>

#include <core/util/result.h>

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kd::lc::storage {

struct StoreOptions
{
    // Directory holding state.db and state.lock; created when missing.
    std::string dataDir;
    // How many recent events (all resources together) serve watches and lists at past
    // revisions. Older revisions answer Gone.
    std::size_t eventRingCapacity = 10000;
    // Events one watcher may have waiting before it is ended as too slow.
    std::size_t watcherQueueCapacity = 10000;
    // Most writes the writer thread commits in one transaction (one fsync).
    std::size_t maxBatch = 1000;
};

// Told by the blocking writes (Store::create(), update(), remove()) when the calling thread starts
// and stops waiting for a commit, so that a thread pool can run another task meanwhile.
// Implemented by the API server's worker pool.
class CommitWaitObserver
{
public:
    virtual ~CommitWaitObserver() = default;
    virtual void commitWaitBegins() = 0;
    virtual void commitWaitEnds() = 0;
};
// The observer of the calling thread's blocking writes; null (the default) for none.
void setCommitWaitObserver(CommitWaitObserver *observer);

struct ListRequest
{
    GroupResource resource;
    std::optional<std::string> ns; // unset: every namespace
    // Serve the list as of this revision (a continue token's revision or
    // resourceVersionMatch=Exact). Unset: the current state. Revisions older than the event ring
    // answer Gone; revisions in the future answer Timeout ("Too large resource version").
    std::optional<Revision> revision;
    // Start after this object (a continue token's last key). Unset: from the beginning.
    std::optional<ObjectName> after;
    // At most this many items; 0 means no limit.
    std::size_t limit = 0;
};

struct ListResult
{
    std::vector<ObjectRef> items; // (namespace, name) order
    Revision revision = 0;        // the list's resourceVersion; pass it back for the next page
    std::size_t remaining = 0;    // matching objects after the last item (remainingItemCount)
};

struct WatchRequest
{
    GroupResource resource;
    std::optional<std::string> ns; // unset: every namespace
    // Deliver every event with a revision greater than this one, then live events.
    Revision fromRevision = 0;
    // Called (from the writer thread, without Store locks held) when the watcher has new events
    // or ended. Must be quick and must not call back into the Store; e.g. post to an executor.
    std::function<void()> notify;
};

struct ListAndWatchResult
{
    ListResult list;
    std::shared_ptr<Watcher> watcher; // starts right after list.revision, missing nothing
};

struct WriteResult
{
    Revision revision = 0; // the revision of this write
    // The stored object; for a delete, the last state with resourceVersion = revision.
    ObjectRef object;
};

struct DeletePreconditions
{
    std::optional<Revision> revision; // metadata.resourceVersion must equal this
    std::optional<std::string> uid;   // metadata.uid must equal this
};

// The bundled cluster's persistent object store: etcd semantics (one global revision, CAS writes,
// watch from a revision) over SQLite in WAL mode, with every current object in memory. Only the
// API server uses it. The on-disk format is documented in FORMAT.md.
//
// Owned by the cluster's composition root; every member is thread-safe. Reads are served from
// memory under a shared lock. Writes are queued to one writer thread that commits them in groups
// (one transaction and one fsync per group), assigns revisions in commit order, then publishes
// watch events and acknowledges. An acknowledged write survives the process being killed.
class Store final
{
public:
    using WriteCallback = std::function<void(core::util::Result<WriteResult>)>;

    // Locks the data directory (a second process gets a clear error), opens or creates
    // state.db, loads every object and starts the writer thread.
    static core::util::Result<std::unique_ptr<Store>> open(const StoreOptions &options);
    // Finishes queued writes, ends every watch with ServiceUnavailable and releases the lock.
    ~Store();
    Store(const Store &) = delete;
    Store &operator=(const Store &) = delete;

    // The revision of the last committed write (etcd's header revision); never decreases, also
    // across restarts.
    Revision currentRevision() const;
    // The oldest revision a watch or past-revision list can start from.
    Revision oldestServableRevision() const;

    core::util::Result<ObjectRef> get(const Key &key) const;
    core::util::Result<ListResult> list(const ListRequest &request) const;
    // Every event after request.fromRevision, then live ones. Gone (410, Expired) when
    // fromRevision is older than the event ring.
    core::util::Result<std::shared_ptr<Watcher>> watch(const WatchRequest &request) const;
    // A full list and a watch starting exactly at its revision, taken atomically: what a
    // watch with resourceVersion unset or "0" needs for its initial ADDED events.
    core::util::Result<ListAndWatchResult> listAndWatch(const GroupResource &resource,
                                                        const std::optional<std::string> &ns,
                                                        std::function<void()> notify) const;

    // Blocking writes: return once the write is durable (or failed).
    // AlreadyExists when the key exists.
    core::util::Result<WriteResult> create(const Key &key, nlohmann::json object);
    // NotFound when missing; Conflict when expectedRevision is set and differs.
    core::util::Result<WriteResult> update(const Key &key, nlohmann::json object,
                                           std::optional<Revision> expectedRevision);
    // NotFound when missing; Conflict when a precondition fails.
    core::util::Result<WriteResult> remove(const Key &key,
                                           const DeletePreconditions &preconditions);

    // Non-blocking forms for the API server's I/O threads. `done` runs on the writer thread
    // after the commit; it must be quick (post the result to an executor).
    void createAsync(const Key &key, nlohmann::json object, WriteCallback done);
    void updateAsync(const Key &key, nlohmann::json object,
                     std::optional<Revision> expectedRevision, WriteCallback done);
    void removeAsync(const Key &key, const DeletePreconditions &preconditions, WriteCallback done);

    // Number of objects held, for diagnostics and benchmarks.
    std::size_t objectCount() const;

    class Private;

private:
    explicit Store(std::unique_ptr<Private> d);
    std::unique_ptr<Private> d;
};

} // namespace kd::lc::storage
