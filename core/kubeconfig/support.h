#pragma once

#include <core/util/result.h>

#include <chrono>
#include <string>
#include <string_view>

// Small helpers shared by the kubeconfig sources; not part of the module's public API. Kept here
// rather than in core/util because the shared base64/time helpers are still being written.
// Free functions; any thread.
namespace kd::core::kubeconfig::support {

std::string base64Encode(std::string_view bytes);
// Standard alphabet; whitespace (line breaks in pasted PEM blobs) is ignored, padding optional.
util::Result<std::string> base64Decode(std::string_view text);
// The JWT alphabet ('-', '_', no padding).
util::Result<std::string> base64UrlDecode(std::string_view text);

// RFC 3339 as Go's time.RFC3339 accepts it: "Z" or a ±hh:mm offset, optional fraction.
util::Result<std::chrono::system_clock::time_point> parseRfc3339(std::string_view text);

// strerror() without its thread-safety caveat.
std::string errnoText(int error);

// The whole file; Error::Code::Io naming the path and the OS reason otherwise.
util::Result<std::string> readFile(const std::string &path);

// Writes through a temporary file in the same directory and rename(2), so readers see the old or
// the new content and never a torn file. Keeps the mode of an existing file (following a symlink
// to its target); a new file gets newFileMode.
util::Result<void> writeFileAtomically(const std::string &path, std::string_view content,
                                       unsigned newFileMode = 0600);

} // namespace kd::core::kubeconfig::support
