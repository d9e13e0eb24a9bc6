#pragma once

#include <core/util/result.h>

#include <string>
#include <string_view>

namespace kd::core::util::base64 {

// Base64 as Kubernetes uses it: Secret data and kubeconfig certificate fields are the standard
// alphabet with padding (RFC 4648 §4); JWTs and some tokens are the URL-safe alphabet (§5) with
// or without padding. Free functions; any thread.

std::string encode(std::string_view bytes);
std::string encodeUrl(std::string_view bytes, bool padding = true);

// Strict decoding: the input length must be a multiple of four, padding only at the end and only
// as much as needed, no whitespace, and the unused bits of the last character must be zero (as
// Go's base64.StdEncoding.Strict). Errors are Code::Decode and name the offending byte offset.
Result<std::string> decode(std::string_view text);
// The URL-safe alphabet; padding is optional but, when present, must be correct.
Result<std::string> decodeUrl(std::string_view text);

} // namespace kd::core::util::base64
