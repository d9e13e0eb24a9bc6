#pragma once

#include <core/util/result.h>

#include <string_view>

namespace kd::lc::apiserver {

// The deepest nesting of arrays and objects accepted in a JSON (or flow-style YAML) request
// body. Every consumer of a body (decoding, the three patch types, validation, serialisation)
// recurses once per level on a fixed-size thread stack, so an unbounded depth lets one small
// request crash the whole server; real objects stay below a few dozen levels. Upstream's Go
// decoder stops at 10000 on its growable stacks; the strategic merge patch overflows an 8 MiB
// stack below that, so the limit here is lower.
inline constexpr int kMaxJsonDepth = 1000;

// BadRequest when `text` nests '[' and '{' more than `maxDepth` deep (brackets inside
// double-quoted strings do not count). Scans the bytes without parsing, so it is cheap and
// cannot itself recurse; whether the text is valid JSON is left to the parser. Pure function;
// any thread.
core::util::Result<void> checkJsonDepth(std::string_view text, int maxDepth = kMaxJsonDepth);

} // namespace kd::lc::apiserver
