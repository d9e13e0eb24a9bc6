#include "jsonpath.h"

#include <nlohmann/json.hpp>

namespace kd::lc::apiserver {

nlohmann::json valueAt(const nlohmann::json &object, const nlohmann::json::json_pointer &pointer,
                       const nlohmann::json &fallback)
{
    try {
        return object.at(pointer);
    } catch (const nlohmann::json::exception &) {
        return fallback;
    }
}

nlohmann::json valueAt(const nlohmann::json &object, const nlohmann::json::json_pointer &pointer)
{
    return valueAt(object, pointer, nlohmann::json());
}

} // namespace kd::lc::apiserver
