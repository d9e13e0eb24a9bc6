#pragma once

#include <nlohmann/json_fwd.hpp>

namespace kd::lc::apiserver {

// The value at `pointer` in `object`, or `fallback` when the path does not resolve (a missing
// member, or a member of the wrong type on the way). Never throws: request bodies are untrusted.
nlohmann::json valueAt(const nlohmann::json &object, const nlohmann::json::json_pointer &pointer,
                       const nlohmann::json &fallback);
nlohmann::json valueAt(const nlohmann::json &object, const nlohmann::json::json_pointer &pointer);

} // namespace kd::lc::apiserver
