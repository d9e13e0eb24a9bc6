#pragma once

#include <localcluster/controllers/informerfactory.h>

#include <core/cache/sharedinformer.h>
#include <core/client/discovery.h>
#include <core/client/restclient.h>
#include <core/transport/httpmessage.h>

#include <memory>
#include <string>

namespace kd::lc::controllers {

// What every controller is built from: the manager's client connection, its discovery, the
// executor informer events are delivered on and the shared informers. Everything outlives the
// controllers.
struct ControllerContext
{
    core::client::RestClient &client;
    core::client::Discovery &discovery;
    core::transport::Executor executor;
    InformerFactory &informers;
    // The cluster CA (PEM) that the root CA publisher puts in every namespace.
    std::string rootCaPem;
};

// One control loop of the bundled cluster. Constructed by the ControllerManager, which registers
// its informer handlers in the constructor, starts the informers, then calls start(); stop() is
// called before the informers stop. start()/stop() on the manager's thread.
class Controller
{
public:
    virtual ~Controller() = default;
    virtual void start() = 0;
    virtual void stop() = 0;
};

} // namespace kd::lc::controllers
