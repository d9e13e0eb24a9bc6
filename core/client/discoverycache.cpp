#include "discoverycache.h"

#include "discovery.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

namespace kd::core::client {

using util::Error;
using util::Result;

namespace {

// Bumped whenever the file's layout changes, so that an old file is refetched, not misread.
constexpr int kFileVersion = 1;
constexpr const char *kFileName = "discovery.json";

std::int64_t nowSeconds()
{
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Error ioError(const std::string &what, const std::string &path, int error)
{
    return Error(Error::Code::Io, what + " " + path + ": " + std::strerror(error));
}

} // namespace

DiscoveryCache::DiscoveryCache(std::string directory, std::chrono::seconds ttl)
    : m_directory(std::move(directory))
    , m_ttl(ttl)
{}

std::string DiscoveryCache::directoryFor(std::string_view baseDirectory, std::string_view serverUrl)
{
    std::string_view rest = serverUrl;
    if (const size_t scheme = rest.find("://"); scheme != std::string_view::npos)
        rest.remove_prefix(scheme + 3);
    if (const size_t slash = rest.find('/'); slash != std::string_view::npos)
        rest = rest.substr(0, slash);
    std::string name;
    for (char c : rest) {
        const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                          || c == '.' || c == '-';
        name += keep ? c : '_';
    }
    if (name.empty() || name == "." || name == "..")
        name = "_";
    std::string out(baseDirectory);
    if (!out.empty() && out.back() != '/')
        out += '/';
    return out + name;
}

std::string DiscoveryCache::filePath() const
{
    return m_directory + '/' + kFileName;
}

void DiscoveryCache::setFingerprint(std::string fingerprint)
{
    std::lock_guard lock(m_mutex);
    m_fingerprint = std::move(fingerprint);
}

std::string DiscoveryCache::fingerprint() const
{
    std::lock_guard lock(m_mutex);
    return m_fingerprint;
}

Result<DiscoverySnapshot> DiscoveryCache::load() const
{
    std::lock_guard lock(m_mutex);
    const std::string path = filePath();
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (errno == ENOENT)
            return Error(Error::Code::NotFound, "no discovery cache at " + path);
        return ioError("cannot read", path, errno);
    }
    std::stringstream text;
    text << in.rdbuf();
    const nlohmann::json file = nlohmann::json::parse(text.str(), nullptr, false);
    if (file.is_discarded() || !file.is_object() || file.value("version", 0) != kFileVersion
        || !file.contains("savedAt") || !file["savedAt"].is_number_integer())
        return Error(Error::Code::Decode, path + " is not a discovery cache file");
    const std::int64_t age = nowSeconds() - file["savedAt"].get<std::int64_t>();
    if (age < 0 || age >= m_ttl.count())
        return Error(Error::Code::Gone, path + " has expired");
    if (file.value("fingerprint", std::string()) != m_fingerprint)
        return Error(Error::Code::Gone, path + " belongs to another server version");
    const auto snapshot = file.find("snapshot");
    if (snapshot == file.end())
        return Error(Error::Code::Decode, path + " has no snapshot");
    auto parsed = DiscoverySnapshot::fromJson(*snapshot);
    if (!parsed.ok())
        return Error(parsed.error()).prefix(path + ": ");
    return parsed;
}

Result<void> DiscoveryCache::save(const DiscoverySnapshot &snapshot) const
{
    std::lock_guard lock(m_mutex);
    std::error_code ec;
    std::filesystem::create_directories(m_directory, ec);
    if (ec)
        return Error(Error::Code::Io, "cannot create " + m_directory + ": " + ec.message());
    const nlohmann::json file = {{"version", kFileVersion},
                                 {"savedAt", nowSeconds()},
                                 {"fingerprint", m_fingerprint},
                                 {"snapshot", snapshot.toJson()}};
    const std::string text = file.dump();
    const std::string path = filePath();
    // Temporary file in the same directory, then rename: a reader sees the old or the new file,
    // never half of one, even when two Kubedesk processes refresh the same server.
    std::string temp = path + ".XXXXXX";
    const int fd = mkstemp(temp.data());
    if (fd < 0)
        return ioError("cannot create a file next to", path, errno);
    size_t written = 0;
    while (written < text.size()) {
        const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const int error = errno;
            ::close(fd);
            ::unlink(temp.c_str());
            return ioError("cannot write", temp, error);
        }
        written += static_cast<size_t>(n);
    }
    ::close(fd);
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        const int error = errno;
        ::unlink(temp.c_str());
        return ioError("cannot replace", path, error);
    }
    return {};
}

Result<void> DiscoveryCache::invalidate() const
{
    std::lock_guard lock(m_mutex);
    const std::string path = filePath();
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        return ioError("cannot remove", path, errno);
    return {};
}

} // namespace kd::core::client
