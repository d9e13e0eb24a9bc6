#pragma once

#include <core/util/result.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace kd::lc::server {

class Authenticator;
class Handler;

struct ServerOptions
{
    std::string host = "127.0.0.1"; // an IP address literal
    std::uint16_t port = 6443;      // 0 picks a free port; see Server::port()
    std::string certificatePem;     // serving certificate (chain) and its key
    std::string privateKeyPem;
    std::string clientCaPem; // client certificates are optional, verified against this CA
    int threads = 2;
    std::size_t maxBodyBytes = 3 * 1024 * 1024; // kube-apiserver's limit; larger gets 413
    std::size_t maxHeaderBytes = 1024 * 1024;   // Go's http.DefaultMaxHeaderBytes
    std::size_t maxConnections = 4096;
    // Large answers are gzipped for clients that accept it, except for peers on this machine:
    // over loopback there is no bandwidth to save, only CPU on both ends (a 10k-pod list spends
    // more time compressing than sending). Tests of the compression itself turn this on.
    bool compressForLoopback = false;
    // Handshake plus request headers must arrive within this after connecting or after the
    // previous response (this also bounds idle keep-alive connections).
    std::chrono::seconds requestHeaderTimeout{30};
    std::chrono::seconds requestBodyTimeout{60};
    // A client that accepts no bytes for this long while we write is dropped.
    std::chrono::seconds writeTimeout{60};
    // How long stop() lets in-flight requests finish before closing connections hard.
    std::chrono::milliseconds shutdownGracePeriod{5000};
};

// The bundled cluster's HTTPS endpoint: TLS 1.2+, HTTP/1.1 with keep-alive, optional client
// certificates, fully asynchronous on an io_context run by a small thread pool (long-lived watch
// connections do not hold threads). Answers /healthz, /livez, /readyz (and ?verbose, /<check>)
// and /version itself; every other authenticated request goes to the Handler. Anonymous requests
// outside those endpoints get 401.
// Owned by the serve command (or a test). Configure (setHandler, add*) before start(); start()
// and stop() from one controlling thread; port() and ready() from any thread.
class Server final
{
public:
    explicit Server(ServerOptions options);
    ~Server(); // stops
    Server(const Server &) = delete;
    Server &operator=(const Server &) = delete;

    void setHandler(std::shared_ptr<Handler> handler);
    // Asked in order; the first one with an opinion decides.
    void addAuthenticator(std::shared_ptr<Authenticator> authenticator);

    enum class Probe { Health = 1, Live = 2, Ready = 4, All = 7 };
    // A named check shown as "[+]name ok" / "[-]name failed" by the probes in `probes`.
    // The check runs on an I/O thread and must be quick and thread-safe.
    void addHealthCheck(std::string name, std::function<bool()> check, Probe probes = Probe::All);

    core::util::Result<void> start();
    // Stops accepting, ends streams with their terminating chunk, lets complete responses
    // finish within the grace period, then closes everything and joins the threads.
    void stop();

    std::uint16_t port() const;
    // What /readyz would answer: every readiness check passes and the server is not stopping.
    bool ready() const;

private:
    class Private;
    std::unique_ptr<Private> d;
};

} // namespace kd::lc::server
