#pragma once

#include <core/util/result.h>

#include <nlohmann/json_fwd.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace kd::lc::apiserver {

// RFC 6901 JSON pointer ("/spec/containers/0/image", "~1" = "/", "~0" = "~") split into
// unescaped tokens. "" is the whole document. BadRequest for a pointer not starting with "/".
core::util::Result<std::vector<std::string>> parseJsonPointer(std::string_view pointer);

// RFC 6902 JSON patch (application/json-patch+json): add, remove, replace, move, copy and test,
// applied in order to a copy of `document`; all or nothing. A malformed patch document (not an
// array, an operation without "op"/"path", an unknown op) fails with BadRequest; an operation
// that does not apply (missing path, failed test, index out of range) fails with Invalid (422),
// as kube-apiserver answers them. Pure function; any thread; never throws.
core::util::Result<nlohmann::json> applyJsonPatch(const nlohmann::json &document,
                                                  const nlohmann::json &patch);

} // namespace kd::lc::apiserver
