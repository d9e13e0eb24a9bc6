#pragma once

#include <core/util/result.h>

#include <memory>
#include <string>

namespace kd::lc::storage {

// An exclusive flock() on <data-dir>/state.lock, held for the Store's lifetime so that a second
// kubedesk-cluster (or a second Store in this process) cannot open the same state.db. The kernel
// drops the lock when the process dies, so a killed cluster never leaves a stale lock behind.
// Owned by the Store; not thread-safe (acquired and released once).
class DataDirLock final
{
public:
    static core::util::Result<std::unique_ptr<DataDirLock>> acquire(const std::string &dataDir);
    ~DataDirLock();
    DataDirLock(const DataDirLock &) = delete;
    DataDirLock &operator=(const DataDirLock &) = delete;

private:
    explicit DataDirLock(int fd)
        : m_fd(fd)
    {}
    int m_fd = -1;
};

} // namespace kd::lc::storage
