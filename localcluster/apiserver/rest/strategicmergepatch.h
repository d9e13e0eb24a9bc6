#pragma once

#include <core/util/result.h>

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <vector>

namespace kd::lc::apiserver {

// How a list field merges in a strategic merge patch, as the Go struct tags of the built-in
// types declare it (patchStrategy / patchMergeKey).
struct ListMergeStrategy
{
    enum class Kind {
        Replace,        // untagged lists (args, command, tolerations…): replaced whole
        MergeByKey,     // lists of objects merged element-wise by `mergeKey`
        MergePrimitive, // lists of scalars merged as a set (finalizers, podCIDRs)
    };
    Kind kind = Kind::Replace;
    std::string mergeKey;
};

// The strategy of the list at `path` (field names from the object root, array indices left out:
// {"spec","template","spec","containers"}). Built-in kinds only; a small table of upstream's tags.
ListMergeStrategy listMergeStrategy(const std::vector<std::string> &path);

// application/strategic-merge-patch+json for built-in kinds: a merge patch in which the lists
// that upstream tags patchStrategy=merge merge element-wise by their merge key, plus the
// directives kubectl sends: `$patch: replace|delete|merge`, `$setElementOrder/<list>`,
// `$retainKeys`, `$deleteFromPrimitiveList/<list>`. A malformed directive fails with BadRequest
// and nothing is returned. Pure function; any thread; never throws.
core::util::Result<nlohmann::json> applyStrategicMergePatch(const nlohmann::json &original,
                                                            const nlohmann::json &patch);

} // namespace kd::lc::apiserver
