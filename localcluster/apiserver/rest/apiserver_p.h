#pragma once

// Internal to the REST layer: the state ApiServer shares between its request handlers, which are
// split over apiserver.cpp (routing, discovery, OpenAPI), readhandlers.cpp (get, list, watch) and
// writehandlers.cpp (create, update, patch, delete).

#include "apiserver.h"
#include "openapi.h"
#include "requestinfo.h"
#include "workerpool.h"

#include <localcluster/apiserver/authz/rbac.h>
#include <localcluster/apiserver/crd/customresources.h>
#include <localcluster/apiserver/registry/serviceallocator.h>
#include <localcluster/apiserver/resourcecatalog.h>
#include <localcluster/apiserver/table.h>
#include <localcluster/server/responsewriter.h>
#include <localcluster/storage/store.h>

#include <core/util/error.h>
#include <core/util/log.h>

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace kd::lc::apiserver {

inline const core::util::LogCategory lcRest{"kd.lc.apiserver.rest"};

class WatchSession;

// One request being served: what it addresses and where the answer goes.
// One request being served. Shared: a write that finishes on the store's writer thread keeps
// it alive until the answer is sent (shared_from_this()).
struct Call : std::enable_shared_from_this<Call>
{
    server::Request request;
    std::shared_ptr<server::ResponseWriter> writer;
    RequestInfo info;
    ResourceInfo resource;                    // set for Target::Resource
    std::vector<server::Header> extraHeaders; // Warning headers collected while serving

    // The namespace the object lives in ("" for cluster-scoped resources).
    std::string objectNamespace() const { return resource.namespaced ? info.ns : std::string(); }
    storage::GroupResource groupResource() const { return {resource.group, resource.resource}; }
    storage::Key key(const std::string &name) const
    {
        return {groupResource(), objectNamespace(), name};
    }
    // "configmaps", "deployments.apps": how messages name the resource.
    std::string qualifiedResource() const
    {
        return resource.group.empty() ? resource.resource
                                      : resource.resource + "." + resource.group;
    }
};

// How the client wants objects back (the Accept header).
struct OutputFormat
{
    bool table = false;
    IncludeObject includeObject = IncludeObject::Metadata;
};

class ApiServer::Private final : public std::enable_shared_from_this<Private>
{
public:
    Private(storage::Store &store, ResourceCatalog &catalog, ApiServerOptions options);

    void start();
    void shutdown();
    void dispatch(Call &call);

    // --- responses
    void respondJson(Call &call, int status, std::string body) const;
    // A Failure Status for `error`; details default to the call's object (name, group, kind) for
    // the reasons upstream attaches them to.
    void respondError(Call &call, const core::util::Error &error,
                      const std::optional<nlohmann::json> &details = std::nullopt) const;
    nlohmann::json statusDetails(const Call &call, const core::util::Error &error,
                                 const std::string &name) const;
    // The error for a failed storage call, with upstream's wording for this resource.
    core::util::Error storageError(const Call &call, const core::util::Error &error,
                                   const std::string &name) const;
    // Whether the call writes the main resource of core/v1 Services (allocation applies).
    static bool writesService(const Call &call);

    // --- reads (readhandlers.cpp)
    core::util::Result<OutputFormat> negotiateOutput(const Call &call) const;
    void handleGet(Call &call);
    void handleList(Call &call);
    void handleWatch(Call &call);
    void registerWatch(const std::shared_ptr<WatchSession> &session);
    void tickWatches();
    // Encodes one object for the client: itself, or a one-row Table.
    core::util::Result<std::string> encodeObject(const Call &call, const OutputFormat &format,
                                                 const nlohmann::json &object) const;

    // --- writes (writehandlers.cpp)
    void handleCreate(Call &call);
    void handleUpdate(Call &call);
    void handlePatch(Call &call);
    void handleDelete(Call &call);
    void handleDeleteCollection(Call &call);

    // --- subresources (scale.cpp)
    void handleScale(Call &call);
    // pods/binding and pods/eviction (writehandlers.cpp)
    void handleBinding(Call &call);
    void handleEviction(Call &call);

    // --- authorization and authentication reviews (reviews.cpp); answered, never stored
    void handleAccessReview(Call &call);
    void handleSelfSubjectReview(Call &call);
    void handleTokenRequest(Call &call);

    storage::Store &store;
    ResourceCatalog &catalog;
    const ApiServerOptions options;
    WorkerPool pool;
    // Cluster IPs and node ports of the stored Services; filled by bootstrap().
    registry::ServiceAllocator serviceAllocator;
    authz::RbacAuthorizer authorizer{store};
    // CRDs served live: catalog registration, CRD status, custom resource schemas, cleanup.
    crd::CustomResources customResources{store, catalog};
    // /openapi/v2, built on first request and again only when custom resources change.
    openapi::V2Cache openApiV2;

    std::mutex watchMutex;
    std::condition_variable watchWake;
    // Open watches; a session leaves when its tick() reports it finished.
    std::vector<std::shared_ptr<WatchSession>> watches;
    bool stopping = false;
    std::thread ticker;
};

// The parsed `?dryRun`: only "All" exists. BadRequest for anything else.
core::util::Result<bool> parseDryRun(const server::Request &request);

// The request body as a JSON object, decoded by its Content-Type (writehandlers.cpp).
core::util::Result<nlohmann::json> decodeObjectBody(const Call &call);
// The request's Content-Type without parameters, lowercased ("application/merge-patch+json").
std::string mediaType(const Call &call);

// What the call asks to do, for the authorizer.
authz::Attributes authorizationAttributes(const Call &call);

} // namespace kd::lc::apiserver
