#pragma once

#include "fieldset.h"
#include "managedfields.h"

#include <core/util/result.h>

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>

namespace kd::lc::apiserver {

// Server-side apply (PATCH application/apply-patch+yaml): the applied configuration merged
// into the live object with managed-fields ownership, as kube-apiserver's field manager does it.
// Pure functions; any thread; nothing throws.
namespace serversideapply {

// The request body, YAML or JSON, as an object. BadRequest ("error decoding YAML: …") otherwise.
core::util::Result<nlohmann::json> parseConfiguration(std::string_view body);

// Checks the configuration against the URL's resource before anything is merged: its
// apiVersion must be `apiVersion`, its kind `kind`, and it may not carry managedFields.
// BadRequest with upstream's wording otherwise.
core::util::Result<void> checkConfiguration(const nlohmann::json &configuration,
                                            const std::string &apiVersion, const std::string &kind);

// `configuration` merged into `live`: maps field by field, keyed lists item by item (live
// order kept, new items where the configuration puts them), set lists by value, everything
// else replaced. A null in the configuration removes the field.
nlohmann::json merge(const nlohmann::json &live, const nlohmann::json &configuration,
                     const FieldSchema &schema);

// Applies `configuration` for `scope.manager` to `live` (null when the object does not exist
// yet) and returns the object to store with its managedFields. Fields this manager applied
// before and no longer applies are removed unless another manager owns them. A field another
// manager owns and this apply changes is a conflict: 409 Conflict with one FieldManagerConflict
// cause per field, unless `force`, which takes the fields over.
core::util::Result<nlohmann::json> apply(const nlohmann::json &live,
                                         const nlohmann::json &configuration,
                                         const managedfields::WriteScope &scope, bool force);

} // namespace serversideapply

} // namespace kd::lc::apiserver
