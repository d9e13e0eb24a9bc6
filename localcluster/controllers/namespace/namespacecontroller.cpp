#include "namespacecontroller.h"

#include <localcluster/controllers/objectmeta.h>

#include <core/api/compactjson.h>
#include <core/util/log.h>
#include <core/util/time.h>

#include <nlohmann/json.hpp>

#include <set>

namespace kd::lc::controllers::namespace_ {

using core::util::Error;
using core::util::Result;
using nlohmann::json;

namespace {

const core::util::LogCategory lcNamespace{"kd.lc.controllers.namespace"};

// The finalizer the API server puts in every namespace's spec; this controller owns it.
constexpr const char *kKubernetesFinalizer = "kubernetes";
// How soon a namespace whose content is still going away is looked at again.
constexpr std::chrono::milliseconds kRecheckDelay{1000};

const core::api::GroupVersionResource kNamespaces{"", "v1", "namespaces"};

core::client::ResourceRef namespaceRef(const std::string &name, const std::string &subresource = {})
{
    core::client::ResourceRef ref;
    ref.gvr = kNamespaces;
    ref.namespaced = false;
    ref.name = name;
    ref.subresource = subresource;
    return ref;
}

json condition(const char *type, bool status, const char *reason, std::string message)
{
    return {{"type", type},
            {"status", status ? "True" : "False"},
            {"reason", reason},
            {"message", std::move(message)}};
}

std::string joined(const std::vector<std::string> &parts)
{
    std::string out;
    for (const std::string &part : parts)
        out += (out.empty() ? "" : ", ") + part;
    return out;
}

bool specHasKubernetesFinalizer(const json &ns)
{
    const json finalizers = ns.value("/spec/finalizers"_json_pointer, json::array());
    if (!finalizers.is_array())
        return false;
    for (const json &f : finalizers) {
        if (f == kKubernetesFinalizer)
            return true;
    }
    return false;
}

} // namespace

json deletionConditions(const json &existing, const DeletionReport &report, const std::string &now)
{
    std::vector<json> wanted;
    if (report.discoveryFailures.empty())
        wanted.push_back(condition("NamespaceDeletionDiscoveryFailure", false,
                                   "ResourcesDiscovered", "All resources successfully discovered"));
    else
        wanted.push_back(condition("NamespaceDeletionDiscoveryFailure", true, "DiscoveryFailed",
                                   "Discovery failed for some groups, "
                                       + std::to_string(report.discoveryFailures.size())
                                       + " failing: " + joined(report.discoveryFailures)));
    wanted.push_back(condition("NamespaceDeletionGroupVersionParsingFailure", false,
                               "ParsedGroupVersions", "All legacy kube types successfully parsed"));
    if (report.contentFailures.empty())
        wanted.push_back(condition("NamespaceDeletionContentFailure", false, "ContentDeleted",
                                   "All content successfully deleted, may be waiting on "
                                   "finalization"));
    else
        wanted.push_back(condition("NamespaceDeletionContentFailure", true, "ContentDeletionFailed",
                                   "Failed to delete all resource types, "
                                       + std::to_string(report.contentFailures.size())
                                       + " remaining: " + joined(report.contentFailures)));
    if (report.remaining.empty()) {
        wanted.push_back(condition("NamespaceContentRemaining", false, "ContentRemoved",
                                   "All content successfully removed"));
    } else {
        std::vector<std::string> parts;
        for (const auto &[resource, count] : report.remaining)
            parts.push_back(resource + " has " + std::to_string(count) + " resource instances");
        wanted.push_back(condition("NamespaceContentRemaining", true, "SomeResourcesRemain",
                                   "Some resources are remaining: " + joined(parts)));
    }
    if (report.finalizers.empty()) {
        wanted.push_back(condition("NamespaceFinalizersRemaining", false, "ContentHasNoFinalizers",
                                   "All content-preserving finalizers finished"));
    } else {
        std::vector<std::string> parts;
        for (const auto &[finalizer, count] : report.finalizers)
            parts.push_back(finalizer + " in " + std::to_string(count) + " resource instances");
        wanted.push_back(
            condition("NamespaceFinalizersRemaining", true, "SomeFinalizersRemain",
                      "Some content in the namespace has finalizers remaining: " + joined(parts)));
    }

    json result = json::array();
    std::set<std::string> handled;
    for (json &c : wanted) {
        const std::string type = c["type"];
        handled.insert(type);
        c["lastTransitionTime"] = now;
        if (existing.is_array()) {
            for (const json &old : existing) {
                if (old.is_object() && old.value("type", "") == type
                    && old.value("status", "") == c["status"] && old.contains("lastTransitionTime"))
                    c["lastTransitionTime"] = old["lastTransitionTime"];
            }
        }
        result.push_back(std::move(c));
    }
    // Conditions of other writers are kept as they are.
    if (existing.is_array()) {
        for (const json &old : existing) {
            if (old.is_object() && !handled.contains(old.value("type", "")))
                result.push_back(old);
        }
    }
    return result;
}

NamespaceController::NamespaceController(ControllerContext &context)
    : m_context(context)
    , m_namespaces(context.informers.informer(kNamespaces, false, core::cache::Flavour::Full))
    , m_worker("namespace", [this](const core::api::ObjectKey &key) { return sync(key); })
{
    const auto enqueue = [this](const core::cache::ObjectPtr &object) {
        if (object && isBeingDeleted(*object))
            m_worker.queue().add({"", metadataString(*object, "name")});
    };
    core::cache::EventHandler handler;
    handler.onAdd = enqueue;
    handler.onUpdate = [enqueue](const core::cache::ObjectPtr &,
                                 const core::cache::ObjectPtr &now) { enqueue(now); };
    m_namespaces->addEventHandler(std::move(handler), m_guard);
}

NamespaceController::~NamespaceController()
{
    stop();
}

void NamespaceController::start()
{
    m_worker.start(1);
}

void NamespaceController::stop()
{
    m_guard.reset();
    m_worker.stop();
}

Result<SyncOutcome> NamespaceController::sync(const core::api::ObjectKey &key)
{
    auto got = m_context.client.get(namespaceRef(key.name));
    if (!got)
        return isNotFound(got.error()) ? Result<SyncOutcome>(SyncOutcome{}) : got.error();
    const json &ns = *got->body;
    if (!isBeingDeleted(ns))
        return SyncOutcome{};
    if (!specHasKubernetesFinalizer(ns)) {
        // Finalized already (perhaps by an earlier pass that stopped before the DELETE): remove
        // the namespace once nobody else holds it.
        const json specFinalizers = ns.value("/spec/finalizers"_json_pointer, json::array());
        if ((!specFinalizers.is_array() || specFinalizers.empty()) && finalizersOf(ns).empty()) {
            auto removed = m_context.client.remove(namespaceRef(key.name));
            if (!removed && !isNotFound(removed.error()))
                return removed.error();
        }
        return SyncOutcome{};
    }

    const DeletionReport report = deleteContent(key.name);
    reportConditions(ns, report);
    if (!report.complete()) {
        lcNamespace.debug([&] {
            return "namespace " + key.name + ": " + std::to_string(report.remaining.size())
                   + " resources still have content";
        });
        if (!report.discoveryFailures.empty() || !report.contentFailures.empty())
            return Error(Error::Code::Internal,
                         "namespace " + key.name + " could not be emptied: "
                             + joined(report.discoveryFailures.empty() ? report.contentFailures
                                                                       : report.discoveryFailures));
        return SyncOutcome{kRecheckDelay};
    }
    if (auto finalized = finalize(ns); !finalized)
        return finalized.error();
    lcNamespace.info("namespace " + key.name + " emptied and finalized");
    return SyncOutcome{};
}

DeletionReport NamespaceController::deleteContent(const std::string &namespace_)
{
    DeletionReport report;
    // Always fresh: a CRD created a moment ago must have its objects deleted too.
    auto snapshot = m_context.discovery.refresh();
    if (!snapshot) {
        report.discoveryFailures.push_back(snapshot.error().message());
        return report;
    }
    std::set<std::string> seen; // group resources, each deleted through its first version
    for (const core::client::DiscoveredGroup &group : (*snapshot)->groups()) {
        for (const core::client::DiscoveredVersion &version : group.versions) {
            if (version.error) {
                report.discoveryFailures.push_back(
                    core::api::GroupVersion{group.name, version.version}.apiVersion() + ": "
                    + version.error->message());
                continue;
            }
            for (const core::client::DiscoveredResource &resource : version.resources) {
                if (!resource.namespaced || !resource.hasVerb("list")
                    || !resource.hasVerb("delete"))
                    continue;
                const std::string groupResource = resource.gvr.resource + "." + group.name;
                if (!seen.insert(groupResource).second)
                    continue;
                const core::client::ResourceRef collection = refFor(resource, namespace_);
                core::client::DeleteOptions options;
                options.propagationPolicy = core::client::DeleteOptions::Propagation::Background;
                if (resource.hasVerb("deletecollection")) {
                    auto removed = m_context.client.remove(collection, options);
                    if (!removed && !isNotFound(removed.error()))
                        report.contentFailures.push_back(groupResource + ": "
                                                         + removed.error().message());
                }
                auto listed = m_context.client.list(collection);
                if (!listed) {
                    if (!isNotFound(listed.error()))
                        report.contentFailures.push_back(groupResource + ": "
                                                         + listed.error().message());
                    continue;
                }
                const json items = listed->body->value("items", json::array());
                if (!items.is_array() || items.empty())
                    continue;
                for (const json &item : items) {
                    // Without deletecollection every object is deleted on its own; objects
                    // already terminating only wait for their finalizers or grace period.
                    if (!resource.hasVerb("deletecollection") && !isBeingDeleted(item)) {
                        auto removed = m_context.client.remove(
                            refFor(resource, namespace_, metadataString(item, "name")), options);
                        if (!removed && !isNotFound(removed.error()))
                            report.contentFailures.push_back(groupResource + ": "
                                                             + removed.error().message());
                    }
                    for (const std::string &finalizer : finalizersOf(item))
                        ++report.finalizers[finalizer];
                }
                report.remaining[groupResource] += static_cast<int>(items.size());
            }
        }
    }
    return report;
}

void NamespaceController::reportConditions(const json &namespaceObject,
                                           const DeletionReport &report)
{
    const json existing = namespaceObject.value("/status/conditions"_json_pointer, json::array());
    const std::string now = core::util::formatRfc3339(core::util::Clock::now());
    const json conditions = deletionConditions(existing, report, now);
    if (conditions == existing)
        return;
    json updated = namespaceObject;
    updated["status"]["conditions"] = conditions;
    const std::string name = metadataString(namespaceObject, "name");
    auto written = m_context.client.update(namespaceRef(name, "status"), updated);
    // A conflict means the namespace changed; the next pass reports again.
    if (!written && !isNotFound(written.error()) && written.error().code() != Error::Code::Conflict)
        lcNamespace.warning("namespace " + name + ": cannot update the deletion conditions: "
                            + written.error().message());
}

Result<void> NamespaceController::finalize(const json &namespaceObject)
{
    const std::string name = metadataString(namespaceObject, "name");
    json finalized = namespaceObject;
    json kept = json::array();
    for (const json &f : namespaceObject.value("/spec/finalizers"_json_pointer, json::array())) {
        if (f != kKubernetesFinalizer)
            kept.push_back(f);
    }
    finalized["spec"]["finalizers"] = kept;
    // The status update above may have moved the resourceVersion on; the finalize endpoint
    // changes nothing but spec.finalizers, so no precondition is needed.
    finalized["metadata"].erase("resourceVersion");
    auto written = m_context.client.update(namespaceRef(name, "finalize"), finalized);
    if (!written)
        return isNotFound(written.error()) ? Result<void>() : written.error();
    const json &now = *written->body;
    const json specFinalizers = now.value("/spec/finalizers"_json_pointer, json::array());
    if (specFinalizers.is_array() && !specFinalizers.empty())
        return {}; // another finalizer still holds the namespace
    if (!finalizersOf(now).empty())
        return {}; // metadata finalizers (foregroundDeletion, orphan) are the GC's
    auto removed = m_context.client.remove(namespaceRef(name));
    if (!removed && !isNotFound(removed.error()))
        return removed.error();
    return {};
}

} // namespace kd::lc::controllers::namespace_
