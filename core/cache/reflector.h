#pragma once

#include <core/cache/backoff.h>
#include <core/cache/store.h>
#include <core/client/requestoptions.h>
#include <core/client/resourceref.h>
#include <core/client/restclient.h>
#include <core/transport/httpmessage.h>
#include <core/util/error.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kd::core::cache {

// What an informer caches of each object.
enum class Flavour {
    // The whole object as the server sends it.
    Full,
    // Only metadata (PartialObjectMetadata's content): each cached item is {"metadata"}, enough for
    // trees, owners and labels at a fraction of the memory. managedFields are dropped unless asked
    // for.
    Metadata,
    // Server-side Table rows (what kubectl get prints) for kinds we know nothing about: each
    // cached item is {"metadata","cells"[,"conditions"]}, and the column definitions are reported
    // separately.
    Table,
};

struct ReflectorOptions
{
    // The collection to list and watch: its resource, scope and namespace ("" for all).
    client::ResourceRef resource;
    std::string labelSelector;
    std::string fieldSelector;
    Flavour flavour = Flavour::Full;
    // LIST page size; the server may ignore it (RV "0" is served from its cache unpaged).
    std::int64_t pageSize = 500;
    // Start with a watch-list (sendInitialEvents=true) instead of LIST; falls back to LIST for good
    // when the server rejects it or ends the stream without the initial-events-end bookmark.
    bool useWatchList = false;
    // Each watch asks for a random timeoutSeconds in [min, max], so that many informers do not
    // reconnect together.
    std::chrono::seconds minWatchTimeout{300};
    std::chrono::seconds maxWatchTimeout{600};
    Backoff::Options backoff;
    // Metadata and Table flavours drop metadata.managedFields before caching (client-go's
    // SetTransform idea; the IDE never shows them from the cache) unless this is set. Full
    // objects are kept as sent.
    bool keepManagedFields = false;
};

// One watch change as the reflector hands it over: Added, Modified or Deleted, with the object
// in the informer's flavour.
struct ObjectEvent
{
    client::WatchEvent::Type type = client::WatchEvent::Type::Added;
    ObjectPtr object;
};

// Where a reflector's results go; called on the reflector's thread, in order.
struct ReflectorSink
{
    // The complete content at `resourceVersion` (after a LIST or a watch-list's initial events).
    std::function<void(std::vector<ObjectPtr> objects, const std::string &resourceVersion)> replace;
    // Watch changes (Added, Modified, Deleted only; bookmarks are consumed), in server order.
    std::function<void(std::vector<ObjectEvent> changes)> apply;
    // Table flavour: the column definitions (a JSON array) whenever an answer carries new ones.
    std::function<void(ObjectPtr columnDefinitions)> columnsChanged;
};

// client-go's Reflector: LIST, then WATCH from the list's resourceVersion with bookmarks and a
// randomised timeout; re-watches from the last seen resourceVersion when a watch ends, relists
// (consistently) on 410 Expired, backs off exponentially on errors. Runs its loop on a thread of
// its own, which is the only thread calling the sink. Owned by an informer; start()/stop() and
// the accessors may be called from any thread, except stop() from a sink callback.
class Reflector final
{
public:
    Reflector(client::RestClient &client, ReflectorOptions options, ReflectorSink sink);
    ~Reflector();
    Reflector(const Reflector &) = delete;
    Reflector &operator=(const Reflector &) = delete;

    void start();
    // Cancels what is in flight and joins the thread; the sink is not called after it returns.
    void stop();

    // The resourceVersion the cache reflects (list or last event/bookmark); empty before a list.
    std::string lastSyncResourceVersion() const;
    // The most recent failure (cleared by the next successful list or watch event).
    std::optional<util::Error> lastError() const;

    // The requests the reflector sends for the options (pure; exposed for tests).
    static transport::HttpRequest listRequest(const ReflectorOptions &options,
                                              const client::ListOptions &list);
    static transport::HttpRequest watchRequest(const ReflectorOptions &options,
                                               const client::ListOptions &watch);

private:
    class Private;
    std::shared_ptr<Private> d;
};

} // namespace kd::core::cache
