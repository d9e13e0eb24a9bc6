#include "sharedinformer.h"

#include <core/util/guard.h>
#include <core/util/threadname.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace kd::core::cache {

namespace {

// Whether a receiver guard was given at all: an empty weak_ptr means "no receiver to outlive".
struct Registration
{
    SharedInformer::HandlerId id = 0;
    EventHandler handler;
    std::weak_ptr<const void> guard;
    bool guarded = false;
    std::atomic<bool> removed{false};
    // Shared by all registrations of one informer: set by stop().
    std::shared_ptr<std::atomic<bool>> stopped;

    bool live() const
    {
        return !removed.load() && !stopped->load() && (!guarded || !guard.expired());
    }
};

using Registrations = std::vector<std::shared_ptr<Registration>>;

void deliver(const Registration &target, const std::vector<Delta> &deltas)
{
    for (const Delta &delta : deltas) {
        // Checked per delta: a handler may remove itself or its receiver mid-batch.
        if (!target.live())
            return;
        switch (delta.type) {
        case Delta::Type::Added:
            if (target.handler.onAdd)
                target.handler.onAdd(delta.object);
            break;
        case Delta::Type::Updated:
            if (target.handler.onUpdate)
                target.handler.onUpdate(delta.oldObject, delta.object);
            break;
        case Delta::Type::Deleted:
            if (target.handler.onDelete)
                target.handler.onDelete(delta.object);
            break;
        }
    }
}

} // namespace

class SharedInformer::Private
{
public:
    Private(transport::Executor executor, Indexers indexers, std::chrono::milliseconds resync)
        : executor(std::move(executor))
        , store(std::move(indexers))
        , resyncPeriod(resync)
    {}

    // Called with dispatchMutex held, so batches are queued in the order they were applied.
    void post(const Registrations &targets, std::vector<Delta> deltas)
    {
        if (targets.empty() || deltas.empty())
            return;
        auto batch = std::make_shared<const std::vector<Delta>>(std::move(deltas));
        executor([targets, batch] {
            for (const auto &target : targets)
                deliver(*target, *batch);
        });
    }

    void replace(std::vector<ObjectPtr> objects)
    {
        std::lock_guard lock(dispatchMutex);
        post(handlers, store.replace(std::move(objects)));
        synced.store(true);
    }

    void apply(std::vector<ObjectEvent> changes)
    {
        std::lock_guard lock(dispatchMutex);
        std::vector<Delta> deltas;
        deltas.reserve(changes.size());
        for (auto &change : changes) {
            if (change.type == client::WatchEvent::Type::Deleted) {
                if (auto delta = store.remove(change.object)) {
                    // The server's final state is newer than what the cache held.
                    delta->object = std::move(change.object);
                    deltas.push_back(std::move(*delta));
                }
            } else if (auto delta = store.upsert(std::move(change.object))) {
                deltas.push_back(std::move(*delta));
            }
        }
        post(handlers, std::move(deltas));
    }

    void columnsChanged(ObjectPtr definitions)
    {
        std::lock_guard lock(dispatchMutex);
        columns = definitions;
        if (handlers.empty())
            return;
        executor([targets = handlers, definitions] {
            for (const auto &target : targets) {
                if (target->live() && target->handler.onColumnsChanged)
                    target->handler.onColumnsChanged(definitions);
            }
        });
    }

    void resyncLoop()
    {
        std::unique_lock lock(resyncMutex);
        while (!resyncStop) {
            if (resyncWake.wait_for(lock, resyncPeriod, [this] { return resyncStop; }))
                return;
            std::lock_guard dispatch(dispatchMutex);
            if (!synced.load())
                continue;
            std::vector<Delta> deltas;
            for (auto &object : store.list())
                deltas.push_back({Delta::Type::Updated, object, object});
            post(handlers, std::move(deltas));
        }
    }

    transport::Executor executor;
    Store store;
    const std::chrono::milliseconds resyncPeriod;
    std::unique_ptr<Reflector> reflector;
    std::atomic<bool> synced{false};
    const std::shared_ptr<std::atomic<bool>> stopped = std::make_shared<std::atomic<bool>>(false);

    mutable std::mutex dispatchMutex;
    Registrations handlers;
    HandlerId nextId = 1;
    ObjectPtr columns;

    std::mutex resyncMutex;
    std::condition_variable resyncWake;
    bool resyncStop = false;
    std::thread resyncThread;
};

SharedInformer::SharedInformer(client::RestClient &client, ReflectorOptions options,
                               transport::Executor executor, Indexers indexers,
                               std::chrono::milliseconds resyncPeriod)
    : d(std::make_shared<Private>(std::move(executor), std::move(indexers), resyncPeriod))
{
    Private *p = d.get();
    ReflectorSink sink;
    sink.replace = [p](std::vector<ObjectPtr> objects, const std::string &) {
        p->replace(std::move(objects));
    };
    sink.apply = [p](std::vector<ObjectEvent> changes) { p->apply(std::move(changes)); };
    sink.columnsChanged = [p](ObjectPtr definitions) { p->columnsChanged(std::move(definitions)); };
    d->reflector = std::make_unique<Reflector>(client, std::move(options), std::move(sink));
}

SharedInformer::~SharedInformer()
{
    stop();
}

SharedInformer::HandlerId SharedInformer::addEventHandler(EventHandler handler,
                                                          std::weak_ptr<const void> guard)
{
    auto registration = std::make_shared<Registration>();
    registration->handler = std::move(handler);
    registration->guarded = util::isGuardSet(guard);
    registration->guard = std::move(guard);
    registration->stopped = d->stopped;
    std::lock_guard lock(d->dispatchMutex);
    registration->id = d->nextId++;
    // Catch-up adds are queued before any later batch, so the handler sees a consistent history.
    std::vector<Delta> current;
    for (auto &object : d->store.list())
        current.push_back({Delta::Type::Added, std::move(object), nullptr});
    d->post({registration}, std::move(current));
    if (d->columns && registration->handler.onColumnsChanged) {
        d->executor([registration, definitions = d->columns] {
            if (registration->live())
                registration->handler.onColumnsChanged(definitions);
        });
    }
    d->handlers.push_back(registration);
    return registration->id;
}

void SharedInformer::removeEventHandler(HandlerId id)
{
    std::lock_guard lock(d->dispatchMutex);
    for (auto it = d->handlers.begin(); it != d->handlers.end(); ++it) {
        if ((*it)->id == id) {
            (*it)->removed.store(true);
            d->handlers.erase(it);
            return;
        }
    }
}

void SharedInformer::start()
{
    d->reflector->start();
    std::lock_guard lock(d->resyncMutex);
    if (d->resyncPeriod.count() > 0 && !d->resyncThread.joinable() && !d->resyncStop)
        d->resyncThread = std::thread([p = d.get()] {
            util::setCurrentThreadName("kd-resync");
            p->resyncLoop();
        });
}

void SharedInformer::stop()
{
    d->reflector->stop();
    d->stopped->store(true);
    {
        std::lock_guard lock(d->resyncMutex);
        d->resyncStop = true;
        d->resyncWake.notify_all();
    }
    if (d->resyncThread.joinable())
        d->resyncThread.join();
}

bool SharedInformer::hasSynced() const
{
    return d->synced.load();
}

const Store &SharedInformer::store() const
{
    return d->store;
}

std::string SharedInformer::lastSyncResourceVersion() const
{
    return d->reflector->lastSyncResourceVersion();
}

std::optional<util::Error> SharedInformer::lastError() const
{
    return d->reflector->lastError();
}

ObjectPtr SharedInformer::columnDefinitions() const
{
    std::lock_guard lock(d->dispatchMutex);
    return d->columns;
}

} // namespace kd::core::cache
