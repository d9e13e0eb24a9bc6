#pragma once

#include <localcluster/server/handler.h>

#include <core/util/result.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace kd::lc::storage {
class Store;
}

namespace kd::lc::apiserver {

class ResourceCatalog;

struct ApiServerOptions
{
    // Threads that run request handling (storage writes block one of them until committed).
    int workerThreads = 32;
    // How many of them compute at once (threads waiting for a commit do not count); 0: twice
    // the cores, at least 4. More only adds thread switches once the cores are busy.
    int runningWorkers = 0;
    // How often a watch with allowWatchBookmarks=true gets a BOOKMARK (upstream: about a minute).
    std::chrono::milliseconds bookmarkInterval{60000};
    // The port clients reach the server on: the `kubernetes` Service's targetPort in bootstrap().
    std::uint16_t servingPort = 6443;
    // The cluster's service-account signing key (PEM, ECDSA P-256) for TokenRequest
    // (serviceaccounts/NAME/token); without it that subresource is not served.
    std::string serviceAccountKeyPem;
    // The `iss` of issued tokens and their default audience: what the server's
    // ServiceAccountTokenAuthenticator accepts.
    std::string serviceAccountIssuer = "https://kubernetes.default.svc.cluster.local";
};

// The REST layer of kubedesk-cluster: discovery, OpenAPI, and get/list/watch/create/update/
// patch/delete of every resource in the catalog over the Store, with Kubernetes' wire semantics
// (Status errors, resourceVersions, continue tokens, selectors, server-side Tables, watch
// streams with bookmarks, finalizers and graceful deletion).
//
// Owned by the serve command through a shared_ptr, which it also hands to Server::setHandler():
//     auto api = std::make_shared<ApiServer>(*store, catalog, options);
//     if (auto ok = api->bootstrap(); !ok) …;
//     server.setHandler(api);
// The Store and the catalog must outlive it. handle() is called on the server's I/O threads and
// never blocks: the work runs on the API server's own worker threads, which answer through the
// ResponseWriter. Destroying it ends every open watch.
class ApiServer final : public server::Handler
{
public:
    ApiServer(storage::Store &store, ResourceCatalog &catalog, ApiServerOptions options = {});
    ~ApiServer() override;
    ApiServer(const ApiServer &) = delete;
    ApiServer &operator=(const ApiServer &) = delete;

    void handle(server::Request request, std::shared_ptr<server::ResponseWriter> writer) override;

    // Creates what a fresh cluster must have and is missing: the namespaces default,
    // kube-system, kube-public and kube-node-lease and the `kubernetes` Service in default.
    // Blocking; call once before the server starts serving.
    core::util::Result<void> bootstrap();

    class Private;

private:
    std::shared_ptr<Private> d;
};

} // namespace kd::lc::apiserver
