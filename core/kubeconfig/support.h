#pragma once

#include <core/util/result.h>

#include <string>
#include <string_view>

// Small helpers shared by the kubeconfig sources; not part of the module's public API.
// Free functions; any thread.
namespace kd::core::kubeconfig::support {

// Standard alphabet with padding as core/util/base64 decodes it, but ignoring line breaks, as
// kubectl does for the *-data fields.
util::Result<std::string> base64Decode(std::string_view text);

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
