#include "atomicfile.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kd::lc::pki {

using core::util::Error;
using core::util::Result;

namespace {

Error ioError(const std::string &what, const std::string &path, int err)
{
    return Error(Error::Code::Io, what + " " + path + ": " + std::strerror(err));
}

std::string parentDirectory(const std::string &path)
{
    const auto slash = path.rfind('/');
    if (slash == std::string::npos)
        return ".";
    if (slash == 0)
        return "/";
    return path.substr(0, slash);
}

} // namespace

Result<void> writeFileAtomically(const std::string &path, std::string_view data, unsigned mode)
{
    std::string tmpl = path + ".tmp.XXXXXX";
    const int fd = ::mkstemp(tmpl.data());
    if (fd < 0)
        return ioError("cannot create temporary file for", path, errno);
    auto fail = [&](const char *what) {
        const int err = errno;
        ::close(fd);
        ::unlink(tmpl.c_str());
        return ioError(what, path, err);
    };
    if (::fchmod(fd, static_cast<mode_t>(mode)) != 0)
        return fail("cannot set mode of");
    std::size_t written = 0;
    while (written < data.size()) {
        const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail("cannot write");
        }
        written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0)
        return fail("cannot sync");
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(tmpl.c_str());
        return ioError("cannot close", path, err);
    }
    if (::rename(tmpl.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmpl.c_str());
        return ioError("cannot rename temporary file to", path, err);
    }
    // The rename is only durable once the directory entry is on disk.
    const int dirFd = ::open(parentDirectory(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd >= 0) {
        ::fsync(dirFd);
        ::close(dirFd);
    }
    return {};
}

Result<std::string> readFile(const std::string &path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        if (err == ENOENT)
            return Error(Error::Code::NotFound, path + " does not exist");
        return ioError("cannot open", path, err);
    }
    std::string content;
    char buffer[16384];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            const int err = errno;
            ::close(fd);
            return ioError("cannot read", path, err);
        }
        if (n == 0)
            break;
        content.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return content;
}

Result<void> makeDirectories(const std::string &path, unsigned mode)
{
    if (path.empty())
        return Error(Error::Code::Io, "empty directory path");
    std::size_t pos = 0;
    while (pos != std::string::npos) {
        pos = path.find('/', pos + 1);
        const std::string part = path.substr(0, pos);
        if (part.empty())
            continue;
        if (::mkdir(part.c_str(), static_cast<mode_t>(mode)) != 0 && errno != EEXIST)
            return ioError("cannot create directory", part, errno);
    }
    struct stat st
    {};
    if (::stat(path.c_str(), &st) != 0)
        return ioError("cannot access", path, errno);
    if (!S_ISDIR(st.st_mode))
        return Error(Error::Code::Io, path + " exists and is not a directory");
    return {};
}

} // namespace kd::lc::pki
