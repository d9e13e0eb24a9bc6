#pragma once

#include <core/util/result.h>

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace kd::lc::storage {
class Store;
class Watcher;
} // namespace kd::lc::storage

namespace kd::lc::apiserver {

class ResourceCatalog;
struct ResourceInfo;

namespace crd {

// The finalizer every deleted CustomResourceDefinition holds until its objects are gone.
inline constexpr const char *kCleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io";

// Serves CustomResourceDefinitions live: follows the stored CRDs through a Store watch and keeps
// the ResourceCatalog in step (a CRD whose names were accepted is in discovery as soon as its
// write is acknowledged, because the Store notifies watchers before it acknowledges), checks and
// completes CRD writes (validation, defaults, status with NamesAccepted/Established), applies
// the structural schema to custom resource writes and stores them in the storage version,
// answers in the requested version, maps the scale subresource, and empties a deleted CRD's
// resource (waiting for its objects' finalizers) before its cleanup finalizer goes.
//
// Owned by the API server (one per Store and catalog, which must outlive it). Every public
// function is thread-safe; the cleanup of deleted CRDs runs on a thread of its own.
class CustomResources final
{
public:
    CustomResources(storage::Store &store, ResourceCatalog &catalog);
    ~CustomResources();
    CustomResources(const CustomResources &) = delete;
    CustomResources &operator=(const CustomResources &) = delete;

    // Registers every stored CRD and follows CRD writes from then on. Call once.
    core::util::Result<void> start();
    // Ends the watch and the cleanup thread; idempotent.
    void stop();

    static bool isDefinition(const ResourceInfo &resource);

    // The write hook for both kinds of object this class knows, called once the generic
    // handlers prepared `object` (name, metadata, status rules applied) and before it is stored:
    // - a CustomResourceDefinition (main resource): defaults, validation (Invalid with upstream's
    //   causes) and status (acceptedNames, storedVersions, NamesAccepted, Established);
    // - a custom resource (main resource or /status): unknown fields pruned (fieldValidation
    //   Strict: BadRequest; Warn: one warning per field in `warnings`), schema defaults,
    //   schema validation (Invalid, list-type set/map duplicates included), then apiVersion
    //   set to the storage version. A create while the CRD is terminating is MethodNotAllowed.
    //   `previous` is the stored object for an update.
    // Other resources pass untouched.
    core::util::Result<void> admit(const ResourceInfo &resource, std::string_view subresource,
                                   nlohmann::json &object, const nlohmann::json *previous,
                                   std::string_view fieldValidation,
                                   std::vector<std::string> &warnings) const;

    // The autoscaling/v1 Scale of a custom resource object, read through the CRD's
    // specReplicasPath / statusReplicasPath / labelSelectorPath.
    nlohmann::json scaleOf(const ResourceInfo &resource, const nlohmann::json &object) const;
    // The JSON pointer of the CRD's specReplicasPath ("/spec/replicas"), where a Scale write
    // stores the replicas. Empty when the resource has no scale subresource.
    std::string specReplicasPointer(const ResourceInfo &resource) const;

    // A response body about `resource` (one object, a list, or a Table whose rows embed
    // objects) with every object of it in the version the request named. Objects are stored
    // in the CRD's storage version, and conversion strategy None changes only apiVersion, as
    // upstream's nopConverter does. A CRD with Webhook conversion fails with Internal when an
    // object would need converting: this server does not call conversion webhooks. Bodies of
    // other kinds (Status, Scale) pass untouched.
    core::util::Result<std::string> served(const ResourceInfo &resource, std::string body) const;
    // The Warning header values a request to this version gets: the version's
    // deprecationWarning, or upstream's default text when it is deprecated without one.
    std::vector<std::string> warnings(const ResourceInfo &resource) const;

private:
    struct Definition;
    struct Follower;

    static void drain(Follower &follower);
    void apply(const nlohmann::json &crd, bool deleted);
    void cleanupLoop();
    // One pass of the cleanup of a deleted CRD; false while objects remain (finalizers), so
    // that the loop tries again later.
    bool cleanup(const std::string &name);
    std::shared_ptr<const Definition> definition(const ResourceInfo &resource) const;
    void completeStatus(nlohmann::json &crd, const nlohmann::json *previous) const;

    storage::Store &m_store;
    ResourceCatalog &m_catalog;

    mutable std::shared_mutex m_definitionsMutex;
    std::map<std::string, std::shared_ptr<const Definition>> m_definitions; // "plural.group"

    // Shared with the Store's notify callback, which may still run while this object stops.
    std::shared_ptr<Follower> m_follower;

    std::mutex m_cleanupMutex;
    std::condition_variable m_cleanupWake;
    std::deque<std::string> m_cleanupQueue;
    bool m_stopping = false;
    // When the cleanup of a CRD first found objects left; cleanup thread only.
    std::map<std::string, std::chrono::steady_clock::time_point> m_cleanupWaiting;
    std::thread m_cleanupThread;
};

} // namespace crd

} // namespace kd::lc::apiserver
