#pragma once

// Private to core: builds CompactJson documents straight from a simdjson DOM, so that the
// informer pipeline never materialises a nlohmann tree for what it caches. Includes simdjson;
// never include this from a public header.

#include <core/api/compactjson.h>

#include <simdjson.h>

#include <initializer_list>
#include <string_view>

namespace kd::core::api::detail {

// One member of an object assembled from parts of a parsed answer. `omit` names a member of
// `value` (an object) to leave out, e.g. "managedFields" of a metadata object.
struct CompactMember
{
    std::string_view key;
    simdjson::dom::element value;
    std::string_view omit = {};
};

// The whole element; nullptr only when a string is longer than 256 MB.
CompactJsonPtr compact(simdjson::dom::element value);
// An object of the given members in that order (members whose value is absent are skipped by
// the caller).
CompactJsonPtr compactObject(std::initializer_list<CompactMember> members);

} // namespace kd::core::api::detail
