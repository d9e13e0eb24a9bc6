#pragma once

#include <core/util/result.h>

#include <string>
#include <string_view>

namespace kd::lc::pki {

// Writes a whole file so that readers see either the old or the new content, never a mix:
// temporary file in the same directory, fsync, rename, fsync of the directory. Used for keys,
// certificates and the kubeconfig, which the IDE may read while the cluster is starting.
// Free function; any thread.
core::util::Result<void> writeFileAtomically(const std::string &path, std::string_view data,
                                             unsigned mode);

// Reads a whole file; Error::Code::NotFound when it does not exist, Io for other failures.
core::util::Result<std::string> readFile(const std::string &path);

// Creates a directory and its parents with the given mode for the ones it creates.
core::util::Result<void> makeDirectories(const std::string &path, unsigned mode);

} // namespace kd::lc::pki
