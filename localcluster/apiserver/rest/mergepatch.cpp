#include "mergepatch.h"

#include <nlohmann/json.hpp>

namespace kd::lc::apiserver {

nlohmann::json applyMergePatch(const nlohmann::json &target, const nlohmann::json &patch)
{
    if (!patch.is_object())
        return patch;
    nlohmann::json result = target.is_object() ? target : nlohmann::json::object();
    for (auto it = patch.begin(); it != patch.end(); ++it) {
        if (it.value().is_null()) {
            result.erase(it.key());
            continue;
        }
        const auto existing = result.find(it.key());
        result[it.key()]
            = applyMergePatch(existing != result.end() ? *existing : nlohmann::json(), it.value());
    }
    return result;
}

} // namespace kd::lc::apiserver
