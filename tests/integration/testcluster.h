#pragma once

#include <QString>
#include <QTemporaryDir>

#include <chrono>
#include <cstddef>
#include <memory>

namespace kd::lc::apiserver {
class ApiServer;
class ResourceCatalog;
} // namespace kd::lc::apiserver
namespace kd::lc::server {
class Server;
}
namespace kd::lc::controllers {
class ControllerManager;
}
namespace kd::lc::storage {
class Store;
}

// An in-process bundled API server for integration tests: fresh PKI, Store, catalog and
// ApiServer (bootstrapped) behind the HTTPS Server on 127.0.0.1 with a free port, plus a
// kubeconfig and PEM files for curl. Owned by one test; main thread only.
class TestCluster final
{
public:
    struct Options
    {
        std::size_t eventRingCapacity = 10000;
        std::chrono::milliseconds bookmarkInterval{1000};
        // Run the control-plane controllers (namespace, garbage collector, service accounts,
        // root CA publisher) against the server, as kubedesk-cluster serve does.
        bool controllers = true;
    };

    TestCluster();
    ~TestCluster();

    // Empty on success, else what failed.
    QString start(const Options &options);
    void stop();

    QString kubeconfig() const { return m_dir.path() + "/kubeconfig"; }
    QString caFile() const { return m_dir.path() + "/ca.crt"; }
    QString certFile() const { return m_dir.path() + "/admin.crt"; }
    QString keyFile() const { return m_dir.path() + "/admin.key"; }
    QString baseUrl() const;
    QString dir() const { return m_dir.path(); }
    kd::lc::storage::Store &store() { return *m_store; }

private:
    QTemporaryDir m_dir;
    std::unique_ptr<kd::lc::storage::Store> m_store;
    std::unique_ptr<kd::lc::apiserver::ResourceCatalog> m_catalog;
    std::shared_ptr<kd::lc::apiserver::ApiServer> m_api;
    std::unique_ptr<kd::lc::server::Server> m_server;
    std::unique_ptr<kd::lc::controllers::ControllerManager> m_controllers;
};
