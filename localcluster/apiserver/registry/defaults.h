#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace kd::lc::apiserver {
struct ResourceInfo;
}

// Upstream's per-kind defaulting (the SetDefaults_* functions of the built-in API groups plus the
// admission plugins that always run on a pod create), so that stored objects look like what
// kube-apiserver stores and tools find the fields they read. Pure functions; any thread; never
// throw (values of the wrong JSON type are left alone for validation to report).
namespace kd::lc::apiserver::registry {

// Defaults for an object of `resource` about to be written (create, update or patch), after the
// server set metadata.uid. Idempotent: fields the client set are never changed.
void applyDefaults(const ResourceInfo &resource, nlohmann::json &object);

// The defaults every PodSpec gets (pods and every pod template): restartPolicy, dnsPolicy,
// terminationGracePeriodSeconds, schedulerName, securityContext and the per-container ones.
void applyPodSpecDefaults(nlohmann::json &podSpec);

// Defaults only a Pod itself gets (from SetDefaults_Pod and the admission plugins upstream always
// enables): enableServiceLinks, serviceAccountName, priority, preemptionPolicy.
void applyPodDefaults(nlohmann::json &pod);

// Always for an image whose tag is `latest` or absent (and that has no digest), else IfNotPresent.
std::string defaultImagePullPolicy(const std::string &image);

} // namespace kd::lc::apiserver::registry
