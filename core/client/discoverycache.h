#pragma once

#include <core/util/result.h>

#include <chrono>
#include <mutex>
#include <string>
#include <string_view>

namespace kd::core::client {

class DiscoverySnapshot;

// The disk copy of one server's discovery, so that opening a context does not cost a round of
// discovery requests every time. One JSON file in a directory of its own per server (as kubectl
// keeps ~/.kube/cache/discovery/<host_port>/), written atomically. A copy is fresh while younger
// than the TTL and saved under the same fingerprint (the caller passes something that changes
// when the server's API surface may have changed, such as its gitVersion). Corrupt or foreign
// files are reported as Decode errors and simply overwritten by the next save.
// Owned by Discovery through a shared_ptr; any thread (one file, guarded by a mutex).
class DiscoveryCache final
{
public:
    explicit DiscoveryCache(std::string directory,
                            std::chrono::seconds ttl = std::chrono::hours(6));

    // "<base>/<host>_<port>" for a server URL, every character outside [A-Za-z0-9.-] of the
    // host and port replaced by '_' ("https://10.0.0.1:6443" -> "<base>/10.0.0.1_6443").
    static std::string directoryFor(std::string_view baseDirectory, std::string_view serverUrl);

    const std::string &directory() const { return m_directory; }
    std::string filePath() const;

    void setFingerprint(std::string fingerprint);
    std::string fingerprint() const;

    // NotFound when there is no file, Gone when it is older than the TTL or was saved under
    // another fingerprint, Decode when it is not a cache file.
    util::Result<DiscoverySnapshot> load() const;
    util::Result<void> save(const DiscoverySnapshot &snapshot) const;
    // Removes the file; a missing file is not an error.
    util::Result<void> invalidate() const;

private:
    const std::string m_directory;
    const std::chrono::seconds m_ttl;
    mutable std::mutex m_mutex;
    std::string m_fingerprint;
};

} // namespace kd::core::client
