#pragma once

#include <core/util/result.h>
#include <localcluster/apiserver/resourcecatalog.h>

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

// The strategy of the list at `path` of the built-in kind `gvk` (field names from the object
// root, array indices left out: {"spec","template","spec","containers"}), from the type model's
// patchStrategy/patchMergeKey (schema/typemodel.h). Replace when the kind or path is unknown.
ListMergeStrategy listMergeStrategy(const GroupVersionKind &gvk,
                                    const std::vector<std::string> &path);
// The same without a kind: the first built-in kind (by type name) that declares a merging list
// at `path`. Paths mean the same in every kind that has them, except where noted in the model.
ListMergeStrategy listMergeStrategy(const std::vector<std::string> &path);

// application/strategic-merge-patch+json for built-in kinds: a merge patch in which the lists
// that upstream tags patchStrategy=merge merge element-wise by their merge key, plus the
// directives kubectl sends: `$patch: replace|delete|merge`, `$setElementOrder/<list>`,
// `$retainKeys`, `$deleteFromPrimitiveList/<list>`. The list strategies are those of the kind
// `original`'s apiVersion and kind name. A malformed directive fails with BadRequest and nothing
// is returned. Pure function; any thread; never throws.
core::util::Result<nlohmann::json> applyStrategicMergePatch(const nlohmann::json &original,
                                                            const nlohmann::json &patch);

} // namespace kd::lc::apiserver
