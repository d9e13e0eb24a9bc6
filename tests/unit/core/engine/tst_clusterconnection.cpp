// Qt 6.4's moc cannot parse <compare> (pulled in by core/api/groupversion.h) unless <string> was
// included before it.
#include <string>

#include <core/engine/clusterconnection.h>
#include <core/kubeconfig/tokenauth.h>

#include "../transport/testserver.h"

#include <nlohmann/json.hpp>

#include <QTest>

#include <atomic>
#include <future>

using namespace kd::core::engine;
using kd::core::kubeconfig::AuthProvider;
using kd::core::kubeconfig::ClientCertificate;
using kd::core::kubeconfig::Credentials;
using kd::core::util::Error;
using kd::core::util::Result;

namespace {

void inlineExecutor(std::function<void()> f)
{
    f();
}

QByteArray versionBody()
{
    return QByteArray::fromStdString(nlohmann::json{
        {"major", "1"},
        {"minor", "33"},
        {"gitVersion", "v1.33.1"},
        {"platform", "linux/amd64"}}.dump());
}

QByteArray unauthorizedBody()
{
    return QByteArray::fromStdString(nlohmann::json{
        {"kind", "Status"},
        {"apiVersion", "v1"},
        {"status", "Failure"},
        {"message", "Unauthorized"},
        {"reason", "Unauthorized"},
        {"code", 401}}.dump());
}

// Answers /version and /readyz like kube-apiserver, but only for requests carrying the token
// `Bearer good`; `ready` chooses the /readyz answer.
TestHandler apiServer(std::shared_ptr<std::atomic<int>> readyStatus,
                      std::shared_ptr<std::vector<QByteArray>> seen = {})
{
    return [readyStatus, seen](const TestRequest &request, QTcpSocket *socket, QByteArray &) {
        if (seen)
            seen->push_back(request.header("Authorization"));
        if (request.header("Authorization") != "Bearer good") {
            socket->write(
                httpResponse(401, unauthorizedBody(), {"Content-Type: application/json"}));
        } else if (request.path == "/version") {
            socket->write(httpResponse(200, versionBody(), {"Content-Type: application/json"}));
        } else if (request.path == "/readyz") {
            const int code = readyStatus->load();
            socket->write(httpResponse(code,
                                       code == 200 ? "ok" : "[-]etcd failed\nreadyz check failed",
                                       {"Content-Type: text/plain"}));
        } else {
            socket->write(httpResponse(404, "{}"));
        }
        return false;
    };
}

Credentials credentialsFor(quint16 port, std::shared_ptr<AuthProvider> auth)
{
    Credentials credentials;
    credentials.contextName = "test";
    credentials.server = "http://127.0.0.1:" + std::to_string(port) + "/";
    credentials.authProvider = std::move(auth);
    return credentials;
}

std::unique_ptr<ClusterConnection> openConnection(const Credentials &credentials,
                                                  kd::core::transport::Executor executor
                                                  = inlineExecutor)
{
    auto config = ClusterConnection::connectionConfig(credentials);
    config.retry.maxRetries = 0; // a refused connection is final at once
    ConnectionOptions options;
    options.executor = std::move(executor);
    return std::make_unique<ClusterConnection>(credentials.contextName, credentials.namespaceName,
                                               std::move(config), std::move(options));
}

// A credential plugin whose first token has expired: a 401 makes it fetch a new one.
class RotatingAuth final : public AuthProvider
{
public:
    Result<std::string> authorization() override
    {
        return std::string(m_rotated ? "Bearer good" : "Bearer stale");
    }
    Result<void> handleUnauthorized(const std::string &rejected) override
    {
        m_rejected = rejected;
        m_rotated = true;
        return {};
    }
    std::atomic<bool> m_rotated{false};
    std::string m_rejected;
};

// A credential plugin that cannot run (the cloud CLI is missing).
class BrokenAuth final : public AuthProvider
{
public:
    Result<std::string> authorization() override
    {
        return Error(Error::Code::Io, "exec: gke-gcloud-auth-plugin: not found");
    }
    Result<void> handleUnauthorized(const std::string &) override
    {
        return Error(Error::Code::Unauthorized, "cannot refresh");
    }
};

// Serves one ReplicaSet and the Pod it owns (LIST), and holds watches open without events.
TestHandler workloadServer()
{
    return [](const TestRequest &request, QTcpSocket *socket, QByteArray &) {
        if (request.path.contains("watch=true")) {
            socket->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n");
            return false;
        }
        nlohmann::json list;
        if (request.path.startsWith("/api/v1/pods")) {
            list = {{"kind", "PodList"},
                    {"apiVersion", "v1"},
                    {"metadata", {{"resourceVersion", "10"}}},
                    {"items",
                     {{{"metadata",
                        {{"name", "web-1"},
                         {"namespace", "default"},
                         {"uid", "pod-uid"},
                         {"resourceVersion", "9"},
                         {"ownerReferences",
                          {{{"apiVersion", "apps/v1"},
                            {"kind", "ReplicaSet"},
                            {"name", "web"},
                            {"uid", "rs-uid"},
                            {"controller", true}}}}}},
                       {"spec", {{"nodeName", "node-a"}}}}}}};
        } else if (request.path.startsWith("/apis/apps/v1/replicasets")) {
            list = {{"kind", "ReplicaSetList"},
                    {"apiVersion", "apps/v1"},
                    {"metadata", {{"resourceVersion", "10"}}},
                    {"items",
                     {{{"metadata",
                        {{"name", "web"},
                         {"namespace", "default"},
                         {"uid", "rs-uid"},
                         {"resourceVersion", "8"}}}}}}};
        } else {
            socket->write(httpResponse(404, "{}", {"Content-Type: application/json"}));
            return false;
        }
        socket->write(httpResponse(200, QByteArray::fromStdString(list.dump()),
                                   {"Content-Type: application/json"}));
        return false;
    };
}

kd::core::cache::ReflectorOptions informerOptions(std::string group, std::string version,
                                                  std::string resource)
{
    kd::core::cache::ReflectorOptions options;
    options.resource = kd::core::client::ResourceRef{
        kd::core::api::GroupVersionResource{std::move(group), std::move(version),
                                            std::move(resource)},
        true,
        {},
        {},
        {}};
    return options;
}

} // namespace

class TestClusterConnection final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void credentialsMapOntoTransport()
    {
        Credentials credentials;
        credentials.server = "https://10.0.0.1:6443/";
        credentials.certificateAuthorityPem = "CA PEM";
        credentials.insecureSkipTlsVerify = true;
        credentials.tlsServerName = "kubernetes.default";
        credentials.proxyUrl = "socks5://proxy:1080";
        credentials.clientCertificate = ClientCertificate{"CERT PEM", "KEY PEM"};
        auto plain = ClusterConnection::connectionConfig(credentials);
        QCOMPARE(plain.baseUrl, std::string("https://10.0.0.1:6443"));
        QCOMPARE(plain.tls.caPem, std::string("CA PEM"));
        QVERIFY(plain.tls.insecureSkipVerify);
        QCOMPARE(plain.tls.serverName, std::string("kubernetes.default"));
        QCOMPARE(plain.proxyUrl, std::string("socks5://proxy:1080"));
        QCOMPARE(plain.tls.clientCertPem, std::string("CERT PEM"));
        QCOMPARE(plain.tls.clientKeyPem, std::string("KEY PEM"));
        QVERIFY(!plain.auth.authorizationHeader);

        credentials.authProvider = std::make_shared<kd::core::kubeconfig::StaticTokenAuth>("abc");
        auto withToken = ClusterConnection::connectionConfig(credentials);
        QVERIFY(withToken.auth.authorizationHeader);
        QCOMPARE(withToken.auth.authorizationHeader(), std::string("Bearer abc"));
        QVERIFY(!withToken.auth.onUnauthorized()); // a static token cannot be refreshed
    }

    void connectedWithVersion()
    {
        auto ready = std::make_shared<std::atomic<int>>(200);
        TestServer server(apiServer(ready));
        auto credentials = credentialsFor(
            server.port(), std::make_shared<kd::core::kubeconfig::StaticTokenAuth>("good"));
        credentials.namespaceName = "";
        auto connection = ClusterConnection::fromCredentials(credentials, {inlineExecutor, {}, {}});
        QCOMPARE(connection->status().state, ConnectionState::Connecting);
        QCOMPARE(connection->defaultNamespace(), std::string("default"));
        std::vector<ConnectionState> changes;
        connection->setStatusListener(
            [&changes](const ConnectionStatus &s) { changes.push_back(s.state); });

        const ConnectionStatus status = connection->checkHealth();
        QCOMPARE(status.state, ConnectionState::Connected);
        QVERIFY(status.version);
        QCOMPARE(status.version->gitVersion, std::string("v1.33.1"));
        QCOMPARE(status.version->minor, std::string("33"));
        QVERIFY(!status.lastError);
        QCOMPARE(connection->status().state, ConnectionState::Connected);

        // The same result again is no change.
        QCOMPARE(connection->checkHealth().state, ConnectionState::Connected);
        QCOMPARE(changes, std::vector<ConnectionState>{ConnectionState::Connected});

        // Readiness lost: NotReady, with the server's text.
        ready->store(500);
        const ConnectionStatus notReady = connection->checkHealth();
        QCOMPARE(notReady.state, ConnectionState::NotReady);
        QVERIFY(notReady.lastError);
        QCOMPARE(notReady.lastError->httpStatus(), 500);
        QCOMPARE(changes.size(), size_t(2));
    }

    void rejectedTokenIsUnauthorized()
    {
        auto ready = std::make_shared<std::atomic<int>>(200);
        TestServer server(apiServer(ready));
        auto connection = openConnection(credentialsFor(
            server.port(), std::make_shared<kd::core::kubeconfig::StaticTokenAuth>("wrong")));
        const ConnectionStatus status = connection->checkHealth();
        QCOMPARE(status.state, ConnectionState::Unauthorized);
        QVERIFY(status.lastError);
        QCOMPARE(status.lastError->code(), Error::Code::Unauthorized);
        QVERIFY(!status.version);
    }

    void failingCredentialPluginExplainsUnauthorized()
    {
        auto ready = std::make_shared<std::atomic<int>>(200);
        TestServer server(apiServer(ready));
        ConnectionOptions options;
        options.executor = inlineExecutor;
        auto connection = ClusterConnection::fromCredentials(
            credentialsFor(server.port(), std::make_shared<BrokenAuth>()), options);
        const ConnectionStatus status = connection->checkHealth();
        QCOMPARE(status.state, ConnectionState::Unauthorized);
        QVERIFY(QString::fromStdString(status.lastError->message())
                    .contains("gke-gcloud-auth-plugin: not found"));
    }

    void expiredTokenIsRefreshedAfter401()
    {
        auto ready = std::make_shared<std::atomic<int>>(200);
        auto seen = std::make_shared<std::vector<QByteArray>>();
        TestServer server(apiServer(ready, seen));
        auto auth = std::make_shared<RotatingAuth>();
        auto connection = openConnection(credentialsFor(server.port(), auth));
        QCOMPARE(connection->checkHealth().state, ConnectionState::Connected);
        QCOMPARE(auth->m_rejected, std::string("Bearer stale"));
        QCOMPARE(seen->front(), QByteArray("Bearer stale"));
        QCOMPARE(seen->back(), QByteArray("Bearer good"));
    }

    void refusedIsUnreachable()
    {
        quint16 port = 0;
        {
            QTcpServer probe;
            QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
            port = probe.serverPort();
        }
        auto connection = openConnection(credentialsFor(port, nullptr));
        const ConnectionStatus status = connection->checkHealth();
        QCOMPARE(status.state, ConnectionState::Unreachable);
        QVERIFY(status.lastError);
        QCOMPARE(status.lastError->code(), Error::Code::Transport);
    }

    void somethingElseIsUnreachable()
    {
        TestServer server([](const TestRequest &, QTcpSocket *socket, QByteArray &) {
            socket->write(
                httpResponse(200, "<html>router login</html>", {"Content-Type: text/html"}));
            return false;
        });
        auto connection = openConnection(credentialsFor(server.port(), nullptr));
        const ConnectionStatus status = connection->checkHealth();
        QCOMPARE(status.state, ConnectionState::Unreachable);
        QCOMPARE(status.lastError->code(), Error::Code::Decode);
    }

    void asyncCheckGoesThroughExecutor()
    {
        auto ready = std::make_shared<std::atomic<int>>(200);
        TestServer server(apiServer(ready));
        std::atomic<int> queued{0};
        auto connection = openConnection(
            credentialsFor(server.port(),
                           std::make_shared<kd::core::kubeconfig::StaticTokenAuth>("good")),
            [&queued](std::function<void()> f) {
                ++queued;
                f();
            });
        std::promise<ConnectionStatus> promise;
        auto future = promise.get_future();
        connection->checkHealthAsync(
            [&promise](ConnectionStatus status) { promise.set_value(std::move(status)); });
        QVERIFY(future.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
        QCOMPARE(future.get().state, ConnectionState::Connected);
        QCOMPARE(queued.load(), 1); // no listener set: only the result was queued
    }

    void trackedInformersFeedTheRelationGraph()
    {
        TestServer server(workloadServer());
        auto connection = openConnection(credentialsFor(server.port(), nullptr));
        kd::core::cache::SharedInformer pods(connection->client(),
                                             informerOptions("", "v1", "pods"), inlineExecutor);
        kd::core::cache::SharedInformer replicaSets(
            connection->client(), informerOptions("apps", "v1", "replicasets"), inlineExecutor);
        connection->trackRelations(pods, "", "Pod");
        connection->trackRelations(replicaSets, "apps", "ReplicaSet");
        pods.start();
        replicaSets.start();
        QTRY_VERIFY_WITH_TIMEOUT(pods.hasSynced() && replicaSets.hasSynced(), 10000);

        const NodeId replicaSet{"apps", "ReplicaSet", "default", "web"};
        const NodeId pod{"", "Pod", "default", "web-1"};
        QTRY_COMPARE_WITH_TIMEOUT(connection->relations().size(), std::size_t(2), 10000);
        const auto dependents = connection->relations().dependents(replicaSet);
        QCOMPARE(dependents.size(), std::size_t(1));
        QCOMPARE(dependents.front().node.name, std::string("web-1"));
        QVERIFY(!dependents.front().missing);
        const auto runsOn = connection->relations().outgoing(pod, RelationType::RunsOn);
        QCOMPARE(runsOn.size(), std::size_t(1));
        QCOMPARE(runsOn.front().node.name, std::string("node-a"));
        pods.stop();
        replicaSets.stop();
    }

    void metricsPollerUsesTheConnection()
    {
        // No metrics-server: the API answers 404, which is a state, not an error.
        TestServer server(workloadServer());
        auto connection = openConnection(credentialsFor(server.port(), nullptr));
        QCOMPARE(connection->metrics().state(), MetricsPoller::State::Unknown);
        QVERIFY(connection->metrics().pollOnce().ok());
        QCOMPARE(connection->metrics().state(), MetricsPoller::State::Unavailable);
        QVERIFY(connection->metrics().pollCount() >= 1);
    }
};

QTEST_GUILESS_MAIN(TestClusterConnection)
#include "tst_clusterconnection.moc"
