#include "informerfactory.h"

#include <map>
#include <tuple>

namespace kd::lc::controllers {

class InformerFactory::Private
{
public:
    using Key = std::tuple<core::api::GroupVersionResource, core::cache::Flavour, std::string>;

    Private(core::client::RestClient &client, core::transport::Executor executor)
        : client(client)
        , executor(std::move(executor))
    {}

    core::client::RestClient &client;
    core::transport::Executor executor;
    std::mutex mutex;
    std::map<Key, std::shared_ptr<core::cache::SharedInformer>> informers;
    bool started = false;
};

InformerFactory::InformerFactory(core::client::RestClient &client,
                                 core::transport::Executor executor)
    : d(std::make_unique<Private>(client, std::move(executor)))
{}

InformerFactory::~InformerFactory()
{
    stopAll();
}

std::shared_ptr<core::cache::SharedInformer>
InformerFactory::informer(const core::api::GroupVersionResource &gvr, bool namespaced,
                          core::cache::Flavour flavour, const std::string &fieldSelector)
{
    std::lock_guard lock(d->mutex);
    auto &slot = d->informers[{gvr, flavour, fieldSelector}];
    if (!slot) {
        core::cache::ReflectorOptions options;
        options.resource.gvr = gvr;
        options.resource.namespaced = namespaced;
        options.flavour = flavour;
        options.fieldSelector = fieldSelector;
        slot = std::make_shared<core::cache::SharedInformer>(d->client, options, d->executor);
        if (d->started)
            slot->start();
    }
    return slot;
}

void InformerFactory::startAll()
{
    std::lock_guard lock(d->mutex);
    d->started = true;
    for (auto &[key, informer] : d->informers)
        informer->start();
}

void InformerFactory::stopAll()
{
    std::lock_guard lock(d->mutex);
    for (auto &[key, informer] : d->informers)
        informer->stop();
}

} // namespace kd::lc::controllers
