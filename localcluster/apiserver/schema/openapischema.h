#pragma once

#include <localcluster/apiserver/resourcecatalog.h>

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace kd::lc::apiserver::schema {

// OpenAPI v3 `components.schemas` built from the type model, in upstream's shape: one schema per
// type named by its full name, fields referring to other types through a single-entry `allOf`
// with a `$ref`, and the x-kubernetes-* extensions kubectl reads for explain and for strategic
// merge patches. Pure functions; any thread.

// The schemas of the given kinds, every type they reach and, for each kind, its list type
// (`…DeploymentList`). Kinds the model does not know are skipped.
nlohmann::json componentSchemas(const std::vector<GroupVersionKind> &kinds);

// The full schema name of a kind ("io.k8s.api.apps.v1.Deployment"); empty when not modelled.
std::string schemaName(const GroupVersionKind &gvk);

} // namespace kd::lc::apiserver::schema
