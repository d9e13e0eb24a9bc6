#pragma once

#include <nlohmann/json_fwd.hpp>

namespace kd::lc::apiserver {

// RFC 7386 JSON merge patch (application/merge-patch+json): objects merge recursively, null
// removes a member, anything else (arrays included) replaces the target value whole. What kubectl
// label, annotate, scale and patch --type=merge send. Pure function; any thread; never throws.
nlohmann::json applyMergePatch(const nlohmann::json &target, const nlohmann::json &patch);

} // namespace kd::lc::apiserver
