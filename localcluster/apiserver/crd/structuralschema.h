#pragma once

#include <core/util/error.h>

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

// The OpenAPI v3 schema of one CustomResourceDefinition version, applied to custom resources as
// kube-apiserver applies a structural schema: unknown fields pruned, defaults filled in, values
// validated with upstream's field paths and messages. The schema is the JSON of
// spec.versions[i].schema.openAPIV3Schema. Pure functions; any thread; never throw, whatever
// the schema or object holds.
namespace kd::lc::apiserver::crd {

// Whether the schema is structural and uses only what kube-apiserver accepts. `fieldPath` is
// where the schema sits in the CRD ("spec.versions[0].schema.openAPIV3Schema"); causes carry
// field paths below it. Empty when the schema is acceptable.
std::vector<core::util::Error::Cause> validateStructure(const nlohmann::json &schema,
                                                        const std::string &fieldPath);

// Removes every field the schema does not declare (apiVersion, kind and metadata at the root
// and in embedded resources are kept, x-kubernetes-preserve-unknown-fields keeps a subtree) and
// nulls of non-nullable fields without a default. Returns the removed fields' paths
// ("spec.foo") in document order, for fieldValidation Strict and Warn.
std::vector<std::string> prune(const nlohmann::json &schema, nlohmann::json &object);

// Sets `default` values for missing fields (and nulls of non-nullable fields), deepest schema
// first as upstream does: a defaulted object gets its own properties' defaults too.
void applyDefaults(const nlohmann::json &schema, nlohmann::json &object);

// The causes that make `object` invalid against the schema, in upstream's wording
// ("spec.replicas: Invalid value: \"string\": spec.replicas in body must be of type integer:
// \"string\""). metadata at the root is not checked here (it is validated like any object's).
std::vector<core::util::Error::Cause> validate(const nlohmann::json &schema,
                                               const nlohmann::json &object);

// A JSON value as Go's %#v prints the decoded value in field errors: "a" quoted, 3, true,
// []interface {}{"a", 1}, map[string]interface {}{"k":"v"}.
std::string goValue(const nlohmann::json &value);

} // namespace kd::lc::apiserver::crd
