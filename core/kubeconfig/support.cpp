#include <core/kubeconfig/support.h>

#include <core/util/base64.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kd::core::kubeconfig::support {

using util::Error;
using util::Result;

Result<std::string> base64Decode(std::string_view text)
{
    // Like Go's base64.StdEncoding, which decodes kubeconfig []byte fields: line breaks (pasted
    // PEM blobs) are ignored, everything else is decoded strictly.
    std::string compact;
    compact.reserve(text.size());
    for (char c : text) {
        if (c != '\n' && c != '\r')
            compact.push_back(c);
    }
    return util::base64::decode(compact);
}

std::string errnoText(int error)
{
    return std::generic_category().message(error);
}

Result<std::string> readFile(const std::string &path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return Error(Error::Code::Io, path + ": " + errnoText(errno));
    struct stat st
    {};
    if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        ::close(fd);
        return Error(Error::Code::Io, path + ": is a directory");
    }
    std::string content;
    char buffer[16384];
    while (true) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n == 0)
            break;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            const int err = errno;
            ::close(fd);
            return Error(Error::Code::Io, path + ": " + errnoText(err));
        }
        content.append(buffer, static_cast<size_t>(n));
    }
    ::close(fd);
    return content;
}

Result<void> writeFileAtomically(const std::string &path, std::string_view content,
                                 unsigned newFileMode)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path target = path;
    // Editing through a symlinked ~/.kube/config must change the real file, not replace the link.
    if (fs::is_symlink(target, ec)) {
        target = fs::canonical(target, ec);
        if (ec)
            return Error(Error::Code::Io, path + ": " + ec.message());
    }
    mode_t mode = static_cast<mode_t>(newFileMode);
    struct stat st
    {};
    if (::stat(target.c_str(), &st) == 0)
        mode = st.st_mode & 07777;

    const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    std::string tmpl = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
    const int fd = ::mkstemp(tmpl.data());
    if (fd < 0)
        return Error(Error::Code::Io, path + ": cannot create temporary file in " + dir.string()
                                          + ": " + errnoText(errno));
    const auto fail = [&](const std::string &what) {
        const int err = errno;
        ::close(fd);
        ::unlink(tmpl.c_str());
        return Error(Error::Code::Io, path + ": " + what + ": " + errnoText(err));
    };
    if (::fchmod(fd, mode) != 0)
        return fail("chmod");
    size_t written = 0;
    while (written < content.size()) {
        const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail("write");
        }
        written += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0)
        return fail("fsync");
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(tmpl.c_str());
        return Error(Error::Code::Io, path + ": close: " + errnoText(err));
    }
    if (::rename(tmpl.c_str(), target.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmpl.c_str());
        return Error(Error::Code::Io, path + ": rename: " + errnoText(err));
    }
    // Make the rename itself durable; failure here is not worth reporting as the data is written.
    const int dirFd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (dirFd >= 0) {
        ::fsync(dirFd);
        ::close(dirFd);
    }
    return {};
}

} // namespace kd::core::kubeconfig::support
