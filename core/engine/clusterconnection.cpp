#include "clusterconnection.h"

#include <core/api/status.h>
#include <core/client/discoverycache.h>
#include <core/util/guard.h>
#include <core/util/log.h>

#include <nlohmann/json.hpp>

#include <future>
#include <mutex>

namespace kd::core::engine {

using transport::HttpRequest;
using transport::HttpResponse;
using util::Error;
using util::Result;

namespace {

const util::LogCategory lcConnection("kd.engine.connection");

constexpr std::chrono::seconds kHealthTimeout{15};

// Shared by the transport's auth hook and the connection: remembers the header last handed out
// (what a 401 rejected) and why the provider last failed, so that "Unauthorized" can say that
// the exec plugin failed rather than only what the server answered.
struct AuthBridge
{
    std::shared_ptr<kubeconfig::AuthProvider> provider;
    std::mutex mutex;
    std::string lastHeader;
    std::optional<Error> lastError;

    std::string header()
    {
        auto value = provider->authorization();
        std::lock_guard lock(mutex);
        if (!value.ok()) {
            lastError = value.error();
            lastHeader.clear();
            return {};
        }
        lastError.reset();
        lastHeader = value.value();
        return lastHeader;
    }

    bool unauthorized()
    {
        std::string rejected;
        {
            std::lock_guard lock(mutex);
            rejected = lastHeader;
        }
        // A provider that cannot refresh (a static token) says so here; that is not a failure
        // to obtain credentials, so the server's 401 remains the reason shown.
        return provider->handleUnauthorized(rejected).ok();
    }

    // Exec plugins may hand out a client certificate instead of (or with) a token.
    Result<std::optional<transport::ClientCertificatePem>> certificate()
    {
        auto value = provider->clientCertificate();
        if (!value.ok()) {
            std::lock_guard lock(mutex);
            lastError = value.error();
            return value.error();
        }
        if (!value.value())
            return std::optional<transport::ClientCertificatePem>();
        return std::optional<transport::ClientCertificatePem>(
            transport::ClientCertificatePem{value.value()->certificatePem, value.value()->keyPem});
    }

    std::optional<Error> error()
    {
        std::lock_guard lock(mutex);
        return lastError;
    }
};

transport::ConnectionConfig makeConfig(const kubeconfig::Credentials &credentials,
                                       const std::shared_ptr<AuthBridge> &bridge)
{
    transport::ConnectionConfig config;
    config.baseUrl = credentials.server;
    while (!config.baseUrl.empty() && config.baseUrl.back() == '/')
        config.baseUrl.pop_back();
    config.tls.caPem = credentials.certificateAuthorityPem;
    config.tls.insecureSkipVerify = credentials.insecureSkipTlsVerify;
    config.tls.serverName = credentials.tlsServerName;
    if (credentials.clientCertificate) {
        config.tls.clientCertPem = credentials.clientCertificate->certificatePem;
        config.tls.clientKeyPem = credentials.clientCertificate->keyPem;
    }
    config.proxyUrl = credentials.proxyUrl;
    if (bridge) {
        config.auth.authorizationHeader = [bridge] { return bridge->header(); };
        config.auth.onUnauthorized = [bridge] { return bridge->unauthorized(); };
        config.auth.clientCertificate = [bridge] { return bridge->certificate(); };
    }
    return config;
}

HttpRequest healthRequest(std::string path, const char *accept)
{
    HttpRequest request;
    request.path = std::move(path);
    request.headers.emplace_back("Accept", accept);
    request.timeout = kHealthTimeout;
    return request;
}

Error answerError(const HttpResponse &response)
{
    auto decoded = client::RestClient::decode(response);
    return decoded.ok() ? response.statusError() : decoded.error();
}

Result<ServerVersion> parseVersion(const HttpResponse &response)
{
    const nlohmann::json body = nlohmann::json::parse(response.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.contains("gitVersion")
        || !body["gitVersion"].is_string())
        return Error(Error::Code::Decode, "the answer to /version is not a Kubernetes version");
    ServerVersion version;
    version.gitVersion = body["gitVersion"].get<std::string>();
    version.major = body.value("major", std::string());
    version.minor = body.value("minor", std::string());
    version.platform = body.value("platform", std::string());
    return version;
}

} // namespace

const char *connectionStateName(ConnectionState state)
{
    switch (state) {
    case ConnectionState::Connecting:
        return "Connecting";
    case ConnectionState::Connected:
        return "Connected";
    case ConnectionState::Unauthorized:
        return "Unauthorized";
    case ConnectionState::NotReady:
        return "NotReady";
    case ConnectionState::Unreachable:
        return "Unreachable";
    }
    return "Unknown";
}

class ClusterConnection::Private : public std::enable_shared_from_this<ClusterConnection::Private>
{
public:
    // Runs /version then /readyz on the I/O thread; `done` runs there too.
    void check(std::function<void(ConnectionStatus)> done);
    void publish(const ConnectionStatus &status);
    Error unauthorizedError(const HttpResponse &response) const
    {
        if (authBridge) {
            if (auto error = authBridge->error())
                return Error(*error).prefix("the credentials could not be obtained: ");
        }
        return answerError(response);
    }

    std::string contextName;
    std::string defaultNamespace;
    std::string server;
    transport::Executor executor;
    std::shared_ptr<AuthBridge> authBridge;
    std::unique_ptr<client::RestClient> client;
    std::unique_ptr<client::Discovery> discovery;
    std::shared_ptr<client::DiscoveryCache> cache;
    RelationGraph relations;
    std::unique_ptr<MetricsPoller> metrics;

    mutable std::mutex mutex;
    ConnectionStatus status;
    std::function<void(const ConnectionStatus &)> listener;
};

void ClusterConnection::Private::check(std::function<void(ConnectionStatus)> done)
{
    auto self = shared_from_this();
    // The client outlives every callback of its I/O thread, but `client` itself is reset while
    // the connection is destroyed, so callbacks hold the HttpClient directly.
    transport::HttpClient *http = &client->http();
    auto finish = [self, done](ConnectionStatus status) {
        self->publish(status);
        done(std::move(status));
    };
    http->send(healthRequest("/version", "application/json"), [self, http, finish](
                                                                  Result<HttpResponse> answer) {
        ConnectionStatus status;
        if (!answer.ok()) {
            status.state = ConnectionState::Unreachable;
            status.lastError = answer.error();
            finish(std::move(status));
            return;
        }
        const HttpResponse &response = answer.value();
        if (response.status == 401) {
            status.state = ConnectionState::Unauthorized;
            status.lastError = self->unauthorizedError(response);
            finish(std::move(status));
            return;
        }
        // 403: authenticated but not allowed to read /version; readiness still decides.
        if (response.ok()) {
            auto version = parseVersion(response);
            if (!version.ok()) {
                status.state = ConnectionState::Unreachable;
                status.lastError = version.error();
                finish(std::move(status));
                return;
            }
            status.version = version.value();
            if (self->cache)
                self->cache->setFingerprint(status.version->gitVersion);
        } else if (response.status != 403) {
            status.state = ConnectionState::Unreachable;
            status.lastError = answerError(response);
            finish(std::move(status));
            return;
        }
        http->send(healthRequest("/readyz", "text/plain"),
                   [self, finish, status](Result<HttpResponse> ready) mutable {
                       if (!ready.ok()) {
                           status.state = ConnectionState::Unreachable;
                           status.lastError = ready.error();
                       } else if (ready->status == 401) {
                           status.state = ConnectionState::Unauthorized;
                           status.lastError = self->unauthorizedError(ready.value());
                       } else if (ready->ok() || ready->status == 403 || ready->status == 404) {
                           // Forbidden or absent /readyz (RBAC, proxies): /version answered, so the
                           // server is usable.
                           status.state = ConnectionState::Connected;
                       } else {
                           status.state = ConnectionState::NotReady;
                           Error error = ready->statusError();
                           status.lastError = error;
                       }
                       finish(std::move(status));
                   });
    });
}

void ClusterConnection::Private::publish(const ConnectionStatus &next)
{
    std::function<void(const ConnectionStatus &)> notify;
    {
        std::lock_guard lock(mutex);
        const bool changed = status.state != next.state;
        status = next;
        if (changed)
            notify = listener;
    }
    if (next.lastError)
        lcConnection.debug([&] {
            return contextName + ": " + connectionStateName(next.state) + ": "
                   + next.lastError->message();
        });
    if (notify)
        executor([notify, next] { notify(next); });
}

ClusterConnection::ClusterConnection(std::string contextName, std::string defaultNamespace,
                                     transport::ConnectionConfig config, ConnectionOptions options)
    : d(std::make_shared<Private>())
{
    d->contextName = std::move(contextName);
    d->defaultNamespace = defaultNamespace.empty() ? "default" : std::move(defaultNamespace);
    d->server = config.baseUrl;
    d->executor = options.executor ? options.executor : [](std::function<void()> f) { f(); };
    if (!options.discoveryCacheBase.empty())
        d->cache = std::make_shared<client::DiscoveryCache>(
            client::DiscoveryCache::directoryFor(options.discoveryCacheBase, config.baseUrl),
            options.discoveryTtl);
    d->client = std::make_unique<client::RestClient>(std::move(config), d->executor);
    d->discovery = std::make_unique<client::Discovery>(*d->client, d->executor, d->cache);
    // Default interval and history; it polls only once the UI starts it.
    d->metrics = std::make_unique<MetricsPoller>(*d->client, MetricsPoller::Options());
}

ClusterConnection::~ClusterConnection()
{
    // Discovery borrows the client; the client's destructor stops the I/O thread, after which
    // no callback that holds `d` can run. The poller borrows the client too.
    d->metrics.reset();
    d->discovery.reset();
    d->client.reset();
}

transport::ConnectionConfig
ClusterConnection::connectionConfig(const kubeconfig::Credentials &credentials)
{
    std::shared_ptr<AuthBridge> bridge;
    if (credentials.authProvider) {
        bridge = std::make_shared<AuthBridge>();
        bridge->provider = credentials.authProvider;
    }
    return makeConfig(credentials, bridge);
}

std::unique_ptr<ClusterConnection>
ClusterConnection::fromCredentials(const kubeconfig::Credentials &credentials,
                                   ConnectionOptions options)
{
    std::shared_ptr<AuthBridge> bridge;
    if (credentials.authProvider) {
        bridge = std::make_shared<AuthBridge>();
        bridge->provider = credentials.authProvider;
    }
    auto connection
        = std::make_unique<ClusterConnection>(credentials.contextName, credentials.namespaceName,
                                              makeConfig(credentials, bridge), std::move(options));
    connection->d->authBridge = std::move(bridge);
    return connection;
}

const std::string &ClusterConnection::contextName() const
{
    return d->contextName;
}

const std::string &ClusterConnection::defaultNamespace() const
{
    return d->defaultNamespace;
}

const std::string &ClusterConnection::server() const
{
    return d->server;
}

client::RestClient &ClusterConnection::client()
{
    return *d->client;
}

client::Discovery &ClusterConnection::discovery()
{
    return *d->discovery;
}

RelationGraph &ClusterConnection::relations()
{
    return d->relations;
}

MetricsPoller &ClusterConnection::metrics()
{
    return *d->metrics;
}

cache::SharedInformer::HandlerId ClusterConnection::trackRelations(cache::SharedInformer &informer,
                                                                   std::string group,
                                                                   std::string kind)
{
    // The graph reads nlohmann trees; the cache holds CompactJson. Objects that do not fit the
    // graph (no name, wrong field types) are skipped: the informer holds them regardless.
    auto upsert = [d = d.get(), group, kind](const cache::ObjectPtr &object) {
        auto result = d->relations.upsert(group, kind,
                                          std::make_shared<const nlohmann::json>(object->toJson()));
        if (!result.ok())
            lcConnection.debug(
                [&] { return "relation graph skipped an object: " + result.error().message(); });
    };
    cache::EventHandler handler;
    handler.onAdd = upsert;
    handler.onUpdate
        = [upsert](const cache::ObjectPtr &, const cache::ObjectPtr &object) { upsert(object); };
    handler.onDelete = [d = d.get(), group, kind](const cache::ObjectPtr &object) {
        const api::JsonView metadata = (*object)["metadata"];
        d->relations.remove(
            NodeId{group, kind, metadata["namespace"].toString(), metadata["name"].toString()});
    };
    return informer.addEventHandler(std::move(handler), std::weak_ptr<const void>(d));
}

ConnectionStatus ClusterConnection::status() const
{
    std::lock_guard lock(d->mutex);
    return d->status;
}

void ClusterConnection::setStatusListener(std::function<void(const ConnectionStatus &)> listener)
{
    std::lock_guard lock(d->mutex);
    d->listener = std::move(listener);
}

ConnectionStatus ClusterConnection::checkHealth()
{
    auto promise = std::make_shared<std::promise<ConnectionStatus>>();
    auto future = promise->get_future();
    d->check([promise](ConnectionStatus status) { promise->set_value(std::move(status)); });
    return future.get();
}

void ClusterConnection::checkHealthAsync(std::function<void(ConnectionStatus)> done,
                                         std::weak_ptr<const void> guard)
{
    const bool guarded = util::isGuardSet(guard);
    d->check(
        [executor = d->executor, done = std::move(done), guard, guarded](ConnectionStatus status) {
            executor([done, guard, guarded, status = std::move(status)] {
                if (!guarded || !guard.expired())
                    done(status);
            });
        });
}

} // namespace kd::core::engine
