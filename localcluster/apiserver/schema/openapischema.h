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
// (`…DeploymentList`), plus the named `types` and what they reach (custom resources need
// ObjectMeta and ListMeta). Kinds and types the model does not know are skipped.
nlohmann::json componentSchemas(const std::vector<GroupVersionKind> &kinds,
                                const std::vector<std::string> &types = {});

// The /openapi/v2 `definitions` of every modelled kind, their lists and every type they reach:
// the same schemas as componentSchemas() in Swagger 2.0 form (toV2()).
nlohmann::json definitionsV2();

// An OpenAPI v3 schema in Swagger 2.0 form, as kube-openapi publishes it: `$ref`s point into
// `#/definitions/`, a single-entry `allOf` becomes the `$ref` itself, and what 2.0 cannot say
// (oneOf, anyOf, not, nullable) is left out; Quantity and IntOrString become strings. Works on
// any JSON value (CRD schemas included).
nlohmann::json toV2(const nlohmann::json &schema);

// Custom resources, named as upstream names them: the group reversed, then version and kind
// ("stable.example.com", "v1", "CronTab" -> "com.example.stable.v1.CronTab").
std::string customSchemaName(const GroupVersionKind &gvk);
// A CRD version's openAPIV3Schema completed as kube-apiserver publishes it (v3 form): apiVersion,
// kind and metadata (a reference to ObjectMeta) added, and x-kubernetes-group-version-kind.
nlohmann::json customResourceSchema(const nlohmann::json &openAPIV3Schema,
                                    const GroupVersionKind &gvk);
// The list of a custom resource (`listKind`), items referring to customSchemaName(gvk).
nlohmann::json customResourceListSchema(const GroupVersionKind &gvk, const std::string &listKind);

// The full schema name of a kind ("io.k8s.api.apps.v1.Deployment"); empty when not modelled.
std::string schemaName(const GroupVersionKind &gvk);

} // namespace kd::lc::apiserver::schema
