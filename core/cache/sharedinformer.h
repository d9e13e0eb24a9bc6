#pragma once

#include <core/cache/reflector.h>
#include <core/cache/store.h>
#include <core/client/restclient.h>
#include <core/transport/httpmessage.h>
#include <core/util/error.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace kd::core::cache {

// What a consumer of an informer reacts to. Any member may be empty.
struct EventHandler
{
    std::function<void(const ObjectPtr &object)> onAdd;
    // Also called on resync, then with oldObject == newObject.
    std::function<void(const ObjectPtr &oldObject, const ObjectPtr &newObject)> onUpdate;
    // The final state the server reported, or, when the deletion was only noticed by a relist, the
    // last state the cache held.
    std::function<void(const ObjectPtr &lastKnown)> onDelete;
    // Table flavour: new column definitions (a JSON array).
    std::function<void(const ObjectPtr &columnDefinitions)> onColumnsChanged;
};

// client-go's SharedInformer: one Reflector feeding one indexed Store, and any number of handlers
// told about every change. Handlers run on the injected executor, which must run closures in the
// order they were queued (a GUI-thread queue, a single worker); each closure carries a batch of
// changes (a relist's or a watch chunk's). A handler registered late first receives onAdd for
// everything cached. Owned by a connection; every member may be called from any thread; the store
// may be read from any thread.
class SharedInformer final
{
public:
    using HandlerId = std::uint64_t;

    SharedInformer(client::RestClient &client, ReflectorOptions options,
                   transport::Executor executor, Indexers indexers = indexes::standard(),
                   std::chrono::milliseconds resyncPeriod = std::chrono::milliseconds(0));
    ~SharedInformer();
    SharedInformer(const SharedInformer &) = delete;
    SharedInformer &operator=(const SharedInformer &) = delete;

    // `guard` is the receiver's lifetime: deliveries are skipped once it expired.
    HandlerId addEventHandler(EventHandler handler, std::weak_ptr<const void> guard = {});
    // No delivery of this handler starts after this returns on the executor's thread.
    void removeEventHandler(HandlerId id);

    void start();
    // Stops the reflector and resync; the store keeps its content. No delivery starts after this
    // returns on the executor's thread (also on destruction). Not restartable.
    void stop();

    // True once the first complete list has been stored.
    bool hasSynced() const;
    const Store &store() const;
    std::string lastSyncResourceVersion() const;
    std::optional<util::Error> lastError() const;
    // Table flavour: the latest column definitions (null before the first answer).
    ObjectPtr columnDefinitions() const;

private:
    class Private;
    std::shared_ptr<Private> d;
};

} // namespace kd::core::cache
