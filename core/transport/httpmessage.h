#pragma once

#include <core/util/error.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kd::core::transport {

// Runs a delivery closure on the receiver's thread. The UI passes one that queues onto the GUI
// thread; tests pass an inline or a manual one.
using Executor = std::function<void(std::function<void()>)>;

// Header names compare case-insensitively; order and repetition are kept as sent.
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// One request as the caller describes it. Plain value type.
struct HttpRequest
{
    std::string method = "GET";
    // Path and query relative to ConnectionConfig::baseUrl ("/api/v1/pods?watch=1"), already
    // percent-encoded.
    std::string path;
    HttpHeaders headers;
    std::string body;
    // Whole-request limit for ordinary requests; 0 means none. Not applied to streams.
    std::chrono::milliseconds timeout{0};
    // For streams: fail with Timeout when no byte arrives for this long; 0 means never.
    std::chrono::milliseconds idleTimeout{0};
};

// A parsed `Warning: 299 - "text"` response header (RFC 7234 §5.5), as the API server sends for
// deprecated APIs and admission warnings.
struct HttpWarning
{
    int code = 0;
    std::string agent;
    std::string text;

    bool operator==(const HttpWarning &) const = default;
};

// An HTTP answer of any status. Plain value type.
struct HttpResponse
{
    int status = 0;
    HttpHeaders headers;
    std::string body; // decoded (gzip is undone); empty for streams
    std::vector<HttpWarning> warnings;
    // 1 for HTTP/1.x, 2 for HTTP/2, as negotiated.
    int httpVersion = 0;

    bool ok() const { return status >= 200 && status < 300; }
    // First value of a header, case-insensitive; empty when absent.
    std::string header(std::string_view name) const;
    // The Error for a non-2xx status: code from the status, message the raw body (a caller that
    // understands metav1.Status decodes the body itself), Retry-After copied.
    util::Error statusError() const;
};

// Parses the values of Warning headers; entries that do not follow the grammar are skipped.
std::vector<HttpWarning> parseWarningHeaders(const HttpHeaders &headers);

// The header value as it may appear in logs: credentials replaced by "<redacted>" for
// Authorization, Proxy-Authorization, Cookie and Set-Cookie (keeping the auth scheme word).
std::string redactedHeaderValue(std::string_view name, std::string_view value);

} // namespace kd::core::transport
