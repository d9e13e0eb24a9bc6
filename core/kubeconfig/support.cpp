#include <core/kubeconfig/support.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kd::core::kubeconfig::support {

using util::Error;
using util::Result;

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

Result<std::string> decodeWith(std::string_view text, bool url)
{
    std::array<int, 256> table{};
    table.fill(-1);
    for (int i = 0; i < 64; ++i)
        table[static_cast<unsigned char>(kAlphabet[i])] = i;
    if (url) {
        table['+'] = -1;
        table['/'] = -1;
        table['-'] = 62;
        table['_'] = 63;
    }
    std::string out;
    out.reserve(text.size() * 3 / 4);
    unsigned buffer = 0;
    int bits = 0;
    size_t symbols = 0;
    bool padding = false;
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '=') {
            padding = true;
            continue;
        }
        if (padding || table[u] < 0)
            return Error(Error::Code::Decode, "invalid base64 data");
        buffer = (buffer << 6) | static_cast<unsigned>(table[u]);
        bits += 6;
        ++symbols;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xff));
        }
    }
    if (symbols % 4 == 1)
        return Error(Error::Code::Decode, "invalid base64 data: truncated");
    return out;
}

} // namespace

std::string base64Encode(std::string_view bytes)
{
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16)
                           | (static_cast<unsigned char>(bytes[i + 1]) << 8)
                           | static_cast<unsigned char>(bytes[i + 2]);
        out.push_back(kAlphabet[(v >> 18) & 63]);
        out.push_back(kAlphabet[(v >> 12) & 63]);
        out.push_back(kAlphabet[(v >> 6) & 63]);
        out.push_back(kAlphabet[v & 63]);
    }
    if (i < bytes.size()) {
        unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
        if (i + 1 < bytes.size())
            v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        out.push_back(kAlphabet[(v >> 18) & 63]);
        out.push_back(kAlphabet[(v >> 12) & 63]);
        out.push_back(i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=');
        out.push_back('=');
    }
    return out;
}

Result<std::string> base64Decode(std::string_view text)
{
    return decodeWith(text, false);
}

Result<std::string> base64UrlDecode(std::string_view text)
{
    return decodeWith(text, true);
}

Result<std::chrono::system_clock::time_point> parseRfc3339(std::string_view text)
{
    const auto bad = [&] {
        return Error(Error::Code::Decode, "invalid RFC 3339 time \"" + std::string(text) + "\"");
    };
    // 2006-01-02T15:04:05[.frac](Z|±hh:mm)
    if (text.size() < 20)
        return bad();
    const auto digits = [&](size_t pos, size_t n, int &value) {
        value = 0;
        for (size_t i = pos; i < pos + n; ++i) {
            if (i >= text.size() || text[i] < '0' || text[i] > '9')
                return false;
            value = value * 10 + (text[i] - '0');
        }
        return true;
    };
    int year, month, day, hour, minute, second;
    if (!digits(0, 4, year) || text[4] != '-' || !digits(5, 2, month) || text[7] != '-'
        || !digits(8, 2, day) || (text[10] != 'T' && text[10] != 't') || !digits(11, 2, hour)
        || text[13] != ':' || !digits(14, 2, minute) || text[16] != ':' || !digits(17, 2, second))
        return bad();
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
        return bad();
    size_t pos = 19;
    long long nanos = 0;
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        long long scale = 100000000;
        const size_t start = pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            nanos += (text[pos] - '0') * scale;
            scale /= 10;
            ++pos;
        }
        if (pos == start)
            return bad();
    }
    int offsetSeconds = 0;
    if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
        ++pos;
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
        int oh, om;
        if (!digits(pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':'
            || !digits(pos + 4, 2, om))
            return bad();
        offsetSeconds = (oh * 3600 + om * 60) * (text[pos] == '-' ? -1 : 1);
        pos += 6;
    } else {
        return bad();
    }
    if (pos != text.size())
        return bad();
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    const time_t seconds = timegm(&tm) - offsetSeconds;
    return std::chrono::system_clock::from_time_t(seconds)
           + std::chrono::duration_cast<std::chrono::system_clock::duration>(
               std::chrono::nanoseconds(nanos));
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
