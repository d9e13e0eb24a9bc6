#include "datadirlock.h"

#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace kd::lc::storage {

using core::util::Error;
using core::util::Result;

namespace {

std::string readPid(int fd)
{
    char buffer[32] = {};
    const ssize_t n = ::pread(fd, buffer, sizeof(buffer) - 1, 0);
    if (n <= 0)
        return {};
    std::string text(buffer, static_cast<std::size_t>(n));
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.pop_back();
    return text;
}

} // namespace

Result<std::unique_ptr<DataDirLock>> DataDirLock::acquire(const std::string &dataDir)
{
    const std::string path = dataDir + "/state.lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return Error(Error::Code::Io,
                     "cannot open lock file " + path + ": " + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        const std::string holder = readPid(fd);
        ::close(fd);
        if (err == EWOULDBLOCK) {
            return Error(Error::Code::Io,
                         "data directory " + dataDir + " is in use by another kubedesk-cluster"
                             + (holder.empty() ? std::string() : " (pid " + holder + ")")
                             + "; lock file " + path);
        }
        return Error(Error::Code::Io, "cannot lock " + path + ": " + std::strerror(err));
    }
    // The pid is only a hint for the message above; the flock is what excludes.
    const std::string pid = std::to_string(::getpid()) + "\n";
    const bool hintWritten
        = ::ftruncate(fd, 0) == 0
          && ::pwrite(fd, pid.data(), pid.size(), 0) == static_cast<ssize_t>(pid.size());
    static_cast<void>(hintWritten);
    return std::unique_ptr<DataDirLock>(new DataDirLock(fd));
}

DataDirLock::~DataDirLock()
{
    if (m_fd >= 0)
        ::close(m_fd); // releases the flock
}

} // namespace kd::lc::storage
