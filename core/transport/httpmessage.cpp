#include <core/transport/httpmessage.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace kd::core::transport {

namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x))
                      == std::tolower(static_cast<unsigned char>(y));
           });
}

// Parses one or more comma-separated warning-values from `text` (RFC 7234 §5.5):
// warn-code SP warn-agent SP quoted-text [SP quoted-date]. Stops at the first malformed entry.
void parseWarningValue(std::string_view text, std::vector<HttpWarning> &out)
{
    size_t pos = 0;
    auto skipSpaces = [&] {
        while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t'))
            ++pos;
    };
    auto readQuoted = [&](std::string &result) {
        if (pos >= text.size() || text[pos] != '"')
            return false;
        ++pos;
        while (pos < text.size() && text[pos] != '"') {
            if (text[pos] == '\\' && pos + 1 < text.size())
                ++pos;
            result += text[pos++];
        }
        if (pos >= text.size())
            return false;
        ++pos;
        return true;
    };
    while (true) {
        skipSpaces();
        if (pos >= text.size())
            return;
        HttpWarning warning;
        const char *begin = text.data() + pos;
        const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), warning.code);
        if (ec != std::errc() || end - begin != 3)
            return;
        pos += 3;
        if (pos >= text.size() || text[pos] != ' ')
            return;
        ++pos;
        while (pos < text.size() && text[pos] != ' ')
            warning.agent += text[pos++];
        if (warning.agent.empty() || pos >= text.size())
            return;
        ++pos;
        if (!readQuoted(warning.text))
            return;
        skipSpaces();
        if (pos < text.size() && text[pos] == '"') {
            std::string date;
            if (!readQuoted(date))
                return;
            skipSpaces();
        }
        out.push_back(std::move(warning));
        if (pos >= text.size())
            return;
        if (text[pos] != ',')
            return;
        ++pos;
    }
}

} // namespace

std::string HttpResponse::header(std::string_view name) const
{
    for (const auto &[key, value] : headers) {
        if (equalsIgnoreCase(key, name))
            return value;
    }
    return {};
}

util::Error HttpResponse::statusError() const
{
    const util::Error::Code code = util::Error::codeFor({}, status);
    util::Error error(code, status, util::Error::reasonFor(code), body);
    const std::string retryAfter = header("Retry-After");
    int seconds = 0;
    const auto [ptr, ec]
        = std::from_chars(retryAfter.data(), retryAfter.data() + retryAfter.size(), seconds);
    if (!retryAfter.empty() && ec == std::errc() && ptr == retryAfter.data() + retryAfter.size())
        error.setRetryAfterSeconds(seconds);
    return error;
}

std::vector<HttpWarning> parseWarningHeaders(const HttpHeaders &headers)
{
    std::vector<HttpWarning> warnings;
    for (const auto &[key, value] : headers) {
        if (equalsIgnoreCase(key, "Warning"))
            parseWarningValue(value, warnings);
    }
    return warnings;
}

std::string redactedHeaderValue(std::string_view name, std::string_view value)
{
    if (equalsIgnoreCase(name, "Authorization") || equalsIgnoreCase(name, "Proxy-Authorization")) {
        // Keep the scheme so a log still tells Bearer from Basic.
        const size_t space = value.find(' ');
        if (space == std::string_view::npos)
            return "<redacted>";
        return std::string(value.substr(0, space)) + " <redacted>";
    }
    if (equalsIgnoreCase(name, "Cookie") || equalsIgnoreCase(name, "Set-Cookie"))
        return "<redacted>";
    return std::string(value);
}

} // namespace kd::core::transport
