#pragma once

#include <string>
#include <string_view>

namespace kd::core::util::uuid {

// RFC 4122 identifiers as Kubernetes uses them for metadata.uid: random (version 4, variant
// 10xx), lowercase, canonical 8-4-4-4-12 form. Free functions; any thread.

// Draws from OpenSSL's CSPRNG; aborts only if the CSPRNG itself cannot be seeded, which leaves
// the process without any safe source of randomness.
std::string createV4();

// True for any canonical RFC 4122 string (any version, either case), as Go's uuid.Parse accepts
// for the 36-character form.
bool isValid(std::string_view text);

} // namespace kd::core::util::uuid
