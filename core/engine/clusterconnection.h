#pragma once

#include <core/cache/sharedinformer.h>
#include <core/client/discovery.h>
#include <core/client/restclient.h>
#include <core/engine/metrics.h>
#include <core/engine/relations.h>
#include <core/kubeconfig/credentials.h>
#include <core/transport/connectionconfig.h>
#include <core/util/result.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace kd::core::engine {

// What a health check found. Connecting until the first check completes.
enum class ConnectionState {
    Connecting,
    Connected,
    // The server rejected the credentials (401), even after the auth provider refreshed them.
    Unauthorized,
    // The server answers /version but reports itself not ready (/readyz not ok).
    NotReady,
    // No usable answer: refused, DNS, TLS, timeout, or something that is not an API server.
    Unreachable,
};

const char *connectionStateName(ConnectionState state);

// The server's /version.
struct ServerVersion
{
    std::string major;
    std::string minor;
    std::string gitVersion; // "v1.33.0"
    std::string platform;   // "linux/amd64"
};

struct ConnectionStatus
{
    ConnectionState state = ConnectionState::Connecting;
    std::optional<util::Error> lastError;
    std::optional<ServerVersion> version;
};

struct ConnectionOptions
{
    // Where results go: the UI's queues onto the GUI thread, tests pass an inline one.
    transport::Executor executor;
    // Base directory of discovery caches ("~/.cache/kubedesk/discovery"); each server gets its
    // own subdirectory. Empty: discovery is kept in memory only.
    std::string discoveryCacheBase;
    std::chrono::seconds discoveryTtl = std::chrono::hours(6);
};

// The live connection of one kubeconfig context: its REST client (with the I/O thread), its
// discovery, and the health the UI shows next to the context. The UI's models and the bundled
// cluster's controllers get their clients and, later, informers from here.
// Owned by whoever opened the context (the catalog, a controller manager). Every member may be
// called from any thread; checkHealth() blocks and is for non-GUI threads, checkHealthAsync()
// delivers through the executor.
class ClusterConnection final
{
public:
    ClusterConnection(std::string contextName, std::string defaultNamespace,
                      transport::ConnectionConfig config, ConnectionOptions options);
    ~ClusterConnection();
    ClusterConnection(const ClusterConnection &) = delete;
    ClusterConnection &operator=(const ClusterConnection &) = delete;

    // Maps resolved kubeconfig credentials onto the transport: server, CA, client certificate,
    // insecure flag, TLS server name, proxy, and an auth hook that asks the AuthProvider for
    // the header and lets it refresh after a 401.
    static transport::ConnectionConfig connectionConfig(const kubeconfig::Credentials &credentials);
    static std::unique_ptr<ClusterConnection>
    fromCredentials(const kubeconfig::Credentials &credentials, ConnectionOptions options);

    const std::string &contextName() const;
    // The context's namespace, "default" when it has none.
    const std::string &defaultNamespace() const;
    const std::string &server() const;

    client::RestClient &client();
    client::Discovery &discovery();
    // The ownership and usage graph of what the tracked informers hold.
    RelationGraph &relations();
    // metrics.k8s.io usage of nodes and pods; whoever shows usage starts it.
    MetricsPoller &metrics();
    // Feeds every change of the informer (objects of `group`/`kind`; lists carry no kind) into
    // relations(), the objects it already holds included. The informer must outlive the
    // connection or remove the handler first; deliveries stop when the connection is destroyed.
    cache::SharedInformer::HandlerId trackRelations(cache::SharedInformer &informer,
                                                    std::string group, std::string kind);

    ConnectionStatus status() const;
    // Called through the executor whenever the state changes (not for repeated equal results).
    void setStatusListener(std::function<void(const ConnectionStatus &)> listener);

    // GET /version, then /readyz; updates status() and tells the listener.
    ConnectionStatus checkHealth();
    void checkHealthAsync(std::function<void(ConnectionStatus)> done,
                          std::weak_ptr<const void> guard = {});

private:
    class Private;
    std::shared_ptr<Private> d;
};

} // namespace kd::core::engine
