#pragma once

#include <localcluster/apiserver/resourcecatalog.h>

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace kd::lc::apiserver::schema {

// Strict field validation of built-in kinds against the type model. Pure functions; any thread.

// True when the model knows the kind, so that unknownFields() can judge its objects.
bool hasSchema(const GroupVersionKind &gvk);

// The fields of `object` its kind does not declare, as upstream's strict decoder names them:
// "spec.template.spec.containers[0].foo", "metadata.foo", "foo". Objects of open types
// (RawExtension, a CRD's JSON schema) are not looked into; values of the wrong JSON type are
// skipped (type errors are validation's business). Empty when the kind is not modelled.
std::vector<std::string> unknownFields(const GroupVersionKind &gvk, const nlohmann::json &object);

// The same for a JSON merge patch or strategic merge patch body: patch directives ("$patch",
// "$setElementOrder/…", "$retainKeys", "$deleteFromPrimitiveList/…") are not fields, and a null
// (which deletes a field) is never reported, so that a stray field can always be removed.
std::vector<std::string> unknownPatchFields(const GroupVersionKind &gvk,
                                            const nlohmann::json &patch);

} // namespace kd::lc::apiserver::schema
