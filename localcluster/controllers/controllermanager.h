#pragma once

#include <core/transport/connectionconfig.h>
#include <core/util/result.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace kd::lc::controllers {

struct ControllerManagerOptions
{
    // How to reach the API server: the serve command passes the admin client certificate from
    // its PKI, in memory.
    core::transport::ConnectionConfig connection;
    // The cluster CA (PEM) the root CA publisher distributes; empty: that controller is not run.
    std::string rootCaPem;
    // Which controllers run (names as knownControllers() lists them); empty: all.
    std::vector<std::string> controllers;
    std::chrono::seconds garbageCollectorResync{30};
};

// The bundled cluster's kube-controller-manager: one client connection to the API server, shared
// informers, and the control loops (namespace, garbagecollector, serviceaccount,
// root-ca-cert-publisher), each an ordinary API client. Threads: the connection's I/O thread, one
// executor thread delivering every informer event (handlers only enqueue), one reflector thread
// per informer, and each controller's worker threads. Owned by the serve command (or a test);
// start()/stop() from the owner's thread.
class ControllerManager final
{
public:
    explicit ControllerManager(ControllerManagerOptions options);
    ~ControllerManager();
    ControllerManager(const ControllerManager &) = delete;
    ControllerManager &operator=(const ControllerManager &) = delete;

    static std::vector<std::string> knownControllers();

    // Invalid for an unknown controller name; the controllers then keep retrying on their own
    // (an API server that is not answering yet is not an error here).
    core::util::Result<void> start();
    // Stops every controller and informer and joins their threads. Idempotent.
    void stop();

private:
    class Private;
    std::unique_ptr<Private> d;
};

} // namespace kd::lc::controllers
