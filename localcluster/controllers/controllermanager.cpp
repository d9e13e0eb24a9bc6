#include "controllermanager.h"

#include "controller.h"
#include "garbagecollector/garbagecollector.h"
#include "namespace/namespacecontroller.h"
#include "rootcacert/rootcacertpublisher.h"
#include "serialexecutor.h"
#include "serviceaccount/serviceaccountcontroller.h"

#include <core/util/log.h>

#include <algorithm>

namespace kd::lc::controllers {

using core::util::Error;
using core::util::Result;

namespace {

const core::util::LogCategory lcManager{"kd.lc.controllers"};

constexpr const char *kNamespace = "namespace";
constexpr const char *kGarbageCollector = "garbagecollector";
constexpr const char *kServiceAccount = "serviceaccount";
constexpr const char *kRootCaCertPublisher = "root-ca-cert-publisher";

} // namespace

class ControllerManager::Private
{
public:
    explicit Private(ControllerManagerOptions options)
        : options(std::move(options))
    {}

    ControllerManagerOptions options;
    // Declaration order is destruction order in reverse: controllers go first, the executor
    // and the client last.
    std::unique_ptr<SerialExecutor> executor;
    std::unique_ptr<core::client::RestClient> client;
    std::unique_ptr<core::client::Discovery> discovery;
    std::unique_ptr<InformerFactory> informers;
    std::unique_ptr<ControllerContext> context;
    std::vector<std::unique_ptr<Controller>> controllers;
    bool started = false;
};

ControllerManager::ControllerManager(ControllerManagerOptions options)
    : d(std::make_unique<Private>(std::move(options)))
{}

ControllerManager::~ControllerManager()
{
    stop();
}

std::vector<std::string> ControllerManager::knownControllers()
{
    return {kNamespace, kGarbageCollector, kServiceAccount, kRootCaCertPublisher};
}

Result<void> ControllerManager::start()
{
    if (d->started)
        return {};
    const std::vector<std::string> known = knownControllers();
    std::vector<std::string> enabled
        = d->options.controllers.empty() ? known : d->options.controllers;
    for (const std::string &name : enabled) {
        if (std::find(known.begin(), known.end(), name) == known.end())
            return Error(Error::Code::Invalid, "unknown controller \"" + name + "\"");
    }
    const auto wanted = [&enabled](const char *name) {
        return std::find(enabled.begin(), enabled.end(), name) != enabled.end();
    };

    d->executor = std::make_unique<SerialExecutor>();
    core::transport::Executor executor
        = [e = d->executor.get()](std::function<void()> task) { e->post(std::move(task)); };
    core::transport::ConnectionConfig connection = d->options.connection;
    connection.userAgent = "kubedesk-cluster/controller-manager";
    d->client = std::make_unique<core::client::RestClient>(connection, executor);
    d->discovery = std::make_unique<core::client::Discovery>(*d->client, executor);
    d->informers = std::make_unique<InformerFactory>(*d->client, executor);
    d->context = std::make_unique<ControllerContext>(ControllerContext{
        *d->client, *d->discovery, executor, *d->informers, d->options.rootCaPem});

    if (wanted(kNamespace))
        d->controllers.push_back(std::make_unique<namespace_::NamespaceController>(*d->context));
    if (wanted(kGarbageCollector))
        d->controllers.push_back(std::make_unique<garbagecollector::GarbageCollector>(
            *d->context, d->options.garbageCollectorResync));
    if (wanted(kServiceAccount))
        d->controllers.push_back(
            std::make_unique<serviceaccount::ServiceAccountController>(*d->context));
    if (wanted(kRootCaCertPublisher) && !d->options.rootCaPem.empty())
        d->controllers.push_back(std::make_unique<rootcacert::RootCaCertPublisher>(*d->context));

    d->informers->startAll();
    for (auto &controller : d->controllers)
        controller->start();
    d->started = true;
    lcManager.info("started " + std::to_string(d->controllers.size()) + " controllers");
    return {};
}

void ControllerManager::stop()
{
    if (!d->started)
        return;
    d->started = false;
    for (auto &controller : d->controllers)
        controller->stop();
    d->informers->stopAll();
    // No informer delivery runs once the executor has joined; only then may the controllers
    // whose handlers it calls go away.
    d->executor->stop();
    d->controllers.clear();
    d->context.reset();
    d->informers.reset();
    d->discovery.reset();
    d->client.reset();
    d->executor.reset();
}

} // namespace kd::lc::controllers
