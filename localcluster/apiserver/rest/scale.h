#pragma once

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace kd::lc::apiserver {

struct ResourceInfo;

// The autoscaling/v1 Scale view of the workloads that have a scale subresource (deployments,
// replicasets, statefulsets, replicationcontrollers). Pure functions; any thread; never throw.
namespace scale {

// The label selector as a selector string, the way upstream prints it for Scale.status.selector:
// requirements sorted by key, "k=v", "k in (a,b)", "k notin (a,b)", "k", "!k". A core/v1
// map selector (replicationcontrollers) is printed as its equality requirements.
std::string selectorString(const nlohmann::json &selector);

// The Scale for a parent object: identity metadata of the parent, spec.replicas and
// status.replicas / status.selector from it.
nlohmann::json fromParent(const nlohmann::json &parent);

} // namespace scale

} // namespace kd::lc::apiserver
