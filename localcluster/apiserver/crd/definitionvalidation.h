#pragma once

#include <core/util/error.h>

#include <nlohmann/json_fwd.hpp>

#include <vector>

// What kube-apiserver checks on an apiextensions.k8s.io/v1 CustomResourceDefinition before it is
// stored, and the defaults it sets. Pure functions; any thread; never throw.
namespace kd::lc::apiserver::crd {

// Upstream's defaults: names.singular (kind lowercased), names.listKind (kind + "List") and
// conversion.strategy None.
void applyDefinitionDefaults(nlohmann::json &crd);

// The causes that make a CRD invalid, worded and placed as upstream's validation does:
// metadata.name must be <plural>.<group>, group a domain with a dot (protected groups need the
// api-approved.kubernetes.io annotation), names DNS-1035 labels, scope Namespaced or Cluster,
// versions unique with exactly one storage version, every version a structural schema, printer
// columns with a known type and a jsonPath, scale paths under .spec/.status. `previous` is the
// stored CRD for an update (group and scope are then immutable), nullptr for a create.
std::vector<core::util::Error::Cause> validateDefinition(const nlohmann::json &crd,
                                                         const nlohmann::json *previous);

} // namespace kd::lc::apiserver::crd
