#include "strategicmergepatch.h"

#include <localcluster/apiserver/schema/typemodel.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <optional>
#include <string_view>

namespace kd::lc::apiserver {

using core::util::Error;
using core::util::Result;
using nlohmann::json;

namespace {

constexpr std::string_view kPatch = "$patch";
constexpr std::string_view kRetainKeys = "$retainKeys";
constexpr std::string_view kSetElementOrder = "$setElementOrder/";
constexpr std::string_view kDeleteFromPrimitiveList = "$deleteFromPrimitiveList/";

// The field names from the root to the value being merged, and the kind whose schema decides
// how lists merge.
struct PatchPath : std::vector<std::string>
{
    GroupVersionKind kind;
};

ListMergeStrategy strategyAt(const PatchPath &path)
{
    return schema::findKind(path.kind) ? listMergeStrategy(path.kind, path)
                                       : listMergeStrategy(path);
}

Error badPatch(std::string message)
{
    return Error(Error::Code::BadRequest, "invalid strategic merge patch: " + std::move(message));
}

// The outcome of merging one map: the merged value, or "delete this map" ($patch: delete).
struct Merged
{
    json value;
    bool deleted = false;
};

Result<Merged> mergeMap(const json &original, const json &patch, PatchPath &path);

// A value from the patch that has nothing to merge with still has its directives processed, so
// that no "$patch" or "$setElementOrder" key is ever stored.
Result<json> cleanValue(const json &value, PatchPath &path)
{
    if (value.is_object()) {
        auto merged = mergeMap(json::object(), value, path);
        if (!merged)
            return merged.error();
        return merged->deleted ? json() : std::move(merged->value);
    }
    if (value.is_array()) {
        json out = json::array();
        for (const json &element : value) {
            if (element.is_object() && element.contains(kPatch))
                continue;
            auto cleaned = cleanValue(element, path);
            if (!cleaned)
                return cleaned.error();
            out.push_back(std::move(*cleaned));
        }
        return out;
    }
    return value;
}

const json *keyOf(const json &element, const std::string &mergeKey)
{
    if (!element.is_object())
        return nullptr;
    auto it = element.find(mergeKey);
    return it == element.end() ? nullptr : &*it;
}

Result<json> mergeList(const json &original, const json &patch, const ListMergeStrategy &strategy,
                       PatchPath &path)
{
    // {"$patch":"replace"} as an element replaces the whole list with the other elements.
    for (const json &element : patch) {
        if (element.is_object() && element.contains(kPatch)) {
            const json &directive = element[std::string(kPatch)];
            if (directive == "replace")
                return cleanValue(patch, path);
            if (directive != "delete" && directive != "merge")
                return badPatch("unknown $patch value " + directive.dump() + " in list "
                                + path.back());
        }
    }
    json result = original.is_array() ? original : json::array();
    if (strategy.kind == ListMergeStrategy::Kind::MergePrimitive) {
        for (const json &value : patch) {
            if (std::find(result.begin(), result.end(), value) == result.end())
                result.push_back(value);
        }
        return result;
    }
    for (const json &element : patch) {
        const json *key = keyOf(element, strategy.mergeKey);
        if (!key)
            return badPatch("an element of " + path.back() + " has no merge key \""
                            + strategy.mergeKey + "\": " + element.dump());
        auto existing = std::find_if(result.begin(), result.end(), [&](const json &item) {
            const json *itemKey = keyOf(item, strategy.mergeKey);
            return itemKey && *itemKey == *key;
        });
        if (element.contains(kPatch) && element[std::string(kPatch)] == "delete") {
            result.erase(std::remove_if(result.begin(), result.end(),
                                        [&](const json &item) {
                                            const json *itemKey = keyOf(item, strategy.mergeKey);
                                            return itemKey && *itemKey == *key;
                                        }),
                         result.end());
            continue;
        }
        auto merged
            = mergeMap(existing != result.end() ? *existing : json::object(), element, path);
        if (!merged)
            return merged.error();
        if (existing != result.end())
            *existing = std::move(merged->value);
        else
            result.push_back(std::move(merged->value));
    }
    return result;
}

// Reorders `list` as `order` says; elements the order does not name keep their relative
// position after the named ones, as the server-only items of upstream's normalisation do.
json applyElementOrder(const json &list, const json &order, const ListMergeStrategy &strategy)
{
    if (!list.is_array() || !order.is_array())
        return list;
    json ordered = json::array();
    std::vector<bool> used(list.size(), false);
    for (const json &wanted : order) {
        for (std::size_t i = 0; i < list.size(); ++i) {
            if (used[i])
                continue;
            const bool same
                = strategy.kind == ListMergeStrategy::Kind::MergeByKey
                      ? (keyOf(list[i], strategy.mergeKey) && keyOf(wanted, strategy.mergeKey)
                         && *keyOf(list[i], strategy.mergeKey) == *keyOf(wanted, strategy.mergeKey))
                      : list[i] == wanted;
            if (same) {
                ordered.push_back(list[i]);
                used[i] = true;
                break;
            }
        }
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
        if (!used[i])
            ordered.push_back(list[i]);
    }
    return ordered;
}

Result<Merged> mergeMap(const json &original, const json &patch, PatchPath &path)
{
    if (!patch.is_object())
        return Merged{patch, false};
    json result = original.is_object() ? original : json::object();

    if (auto directive = patch.find(kPatch); directive != patch.end()) {
        if (*directive == "delete")
            return Merged{json(), true};
        if (*directive == "replace") {
            json replacement = patch;
            replacement.erase(std::string(kPatch));
            auto cleaned = mergeMap(json::object(), replacement, path);
            if (!cleaned)
                return cleaned.error();
            return cleaned;
        }
        if (*directive != "merge")
            return badPatch("unknown $patch value " + directive->dump());
    }

    std::vector<std::pair<std::string, json>> orders;
    std::vector<std::pair<std::string, json>> deletions;
    std::optional<json> retainKeys;
    for (auto it = patch.begin(); it != patch.end(); ++it) {
        const std::string &key = it.key();
        const json &value = it.value();
        if (key == kPatch)
            continue;
        if (key == kRetainKeys) {
            if (!value.is_array())
                return badPatch("$retainKeys must be a list of field names");
            retainKeys = value;
            continue;
        }
        if (key.starts_with(kSetElementOrder)) {
            orders.emplace_back(key.substr(kSetElementOrder.size()), value);
            continue;
        }
        if (key.starts_with(kDeleteFromPrimitiveList)) {
            if (!value.is_array())
                return badPatch(key + " must be a list");
            deletions.emplace_back(key.substr(kDeleteFromPrimitiveList.size()), value);
            continue;
        }
        if (value.is_null()) {
            result.erase(key);
            continue;
        }
        path.push_back(key);
        const auto existing = result.find(key);
        const bool hasExisting = existing != result.end();
        if (value.is_object()) {
            auto merged = mergeMap(hasExisting ? *existing : json::object(), value, path);
            if (!merged) {
                path.pop_back();
                return merged.error();
            }
            if (merged->deleted)
                result.erase(key);
            else
                result[key] = std::move(merged->value);
        } else if (value.is_array()) {
            const ListMergeStrategy strategy = strategyAt(path);
            auto merged
                = strategy.kind == ListMergeStrategy::Kind::Replace
                      ? cleanValue(value, path)
                      : mergeList(hasExisting ? *existing : json::array(), value, strategy, path);
            if (!merged) {
                path.pop_back();
                return merged.error();
            }
            result[key] = std::move(*merged);
        } else {
            result[key] = value;
        }
        path.pop_back();
    }

    for (const auto &[field, values] : deletions) {
        auto list = result.find(field);
        if (list == result.end() || !list->is_array())
            continue;
        json kept = json::array();
        for (const json &item : *list) {
            if (std::find(values.begin(), values.end(), item) == values.end())
                kept.push_back(item);
        }
        *list = std::move(kept);
    }
    for (const auto &[field, order] : orders) {
        auto list = result.find(field);
        if (list == result.end())
            continue;
        path.push_back(field);
        *list = applyElementOrder(*list, order, strategyAt(path));
        path.pop_back();
    }
    if (retainKeys) {
        for (auto it = result.begin(); it != result.end();) {
            if (std::find(retainKeys->begin(), retainKeys->end(), it.key()) == retainKeys->end())
                it = result.erase(it);
            else
                ++it;
        }
    }
    return Merged{std::move(result), false};
}

} // namespace

ListMergeStrategy listMergeStrategy(const GroupVersionKind &gvk,
                                    const std::vector<std::string> &path)
{
    using Kind = ListMergeStrategy::Kind;
    const schema::FieldDef *field = schema::fieldAt(gvk, path);
    if (!field || field->type.shape != schema::TypeExpr::Shape::Array)
        return {};
    if (field->patchStrategy.find("merge") == std::string::npos)
        return {};
    if (field->type.element->shape != schema::TypeExpr::Shape::Ref)
        return {Kind::MergePrimitive, {}};
    if (field->patchMergeKey.empty())
        return {};
    return {Kind::MergeByKey, field->patchMergeKey};
}

ListMergeStrategy listMergeStrategy(const std::vector<std::string> &path)
{
    // Types in name order make the answer deterministic where two kinds disagree.
    for (const schema::TypeDef *type : schema::allTypes()) {
        for (const GroupVersionKind &gvk : type->kinds) {
            const ListMergeStrategy strategy = listMergeStrategy(gvk, path);
            if (strategy.kind != ListMergeStrategy::Kind::Replace)
                return strategy;
        }
    }
    return {};
}

Result<json> applyStrategicMergePatch(const json &original, const json &patch)
{
    if (!patch.is_object())
        return badPatch("the patch must be a JSON object");
    PatchPath path;
    if (original.is_object()) {
        const std::string apiVersion = original.value("apiVersion", std::string());
        const std::string kind = original.value("kind", std::string());
        const auto slash = apiVersion.find('/');
        path.kind = slash == std::string::npos
                        ? GroupVersionKind{"", apiVersion, kind}
                        : GroupVersionKind{apiVersion.substr(0, slash),
                                           apiVersion.substr(slash + 1), kind};
    }
    auto merged = mergeMap(original, patch, path);
    if (!merged)
        return merged.error();
    if (merged->deleted)
        return badPatch("$patch: delete cannot remove the whole object");
    return std::move(merged->value);
}

} // namespace kd::lc::apiserver
