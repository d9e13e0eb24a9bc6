#pragma once

#include <core/util/error.h>

#include <nlohmann/json_fwd.hpp>

#include <vector>

namespace kd::lc::apiserver {
struct ResourceInfo;
}

// Upstream's field validation for the common built-in kinds, after defaulting: what makes
// kube-apiserver answer 422 Invalid, with the same field paths and messages. Pure functions; any
// thread; never throw.
namespace kd::lc::apiserver::registry {

// The causes that make `object` invalid ({} when it is valid). `previous` is the stored object
// for an update (immutable fields are checked against it), nullptr for a create.
std::vector<core::util::Error::Cause> validate(const ResourceInfo &resource,
                                               const nlohmann::json &object,
                                               const nlohmann::json *previous);

// Whether a LabelSelector (matchLabels / matchExpressions) selects a label set.
bool selectorMatches(const nlohmann::json &selector, const nlohmann::json &labels);

// A value the way Go's %#v prints it in field errors: map[string]string{"a":"b", "c":"d"}.
std::string goStringMap(const nlohmann::json &map);

} // namespace kd::lc::apiserver::registry
