#pragma once

// Private to core/transport: the libcurl set-up shared by HttpClient and WebSocket so that TLS,
// proxy and tls-server-name handling are one code path. Never include from a public header.

#include <core/transport/connectionconfig.h>
#include <core/util/result.h>

#include <curl/curl.h>

#include <string>
#include <string_view>

namespace kd::core::transport::detail {

// Where a request goes: the URL curl uses, and when tls.serverName is set the CONNECT_TO entry
// and Host header that keep the original address on the wire.
struct CurlTarget
{
    std::string url;
    std::string connectTo;
    std::string hostHeader;
};

// Idempotent; safe from any thread.
void ensureCurlGlobalInit();

util::Result<CurlTarget> resolveTarget(const ConnectionConfig &config, std::string_view path);

// Owns the curl_slist of CONNECT_TO entries for the lifetime of the easy handle.
class CurlSlist final
{
public:
    CurlSlist() = default;
    ~CurlSlist() { curl_slist_free_all(m_list); }
    CurlSlist(const CurlSlist &) = delete;
    CurlSlist &operator=(const CurlSlist &) = delete;

    bool append(const std::string &entry);
    void clear();
    curl_slist *get() const { return m_list; }

private:
    curl_slist *m_list = nullptr;
};

// Applies TLS, proxy, connect timeout and target options to `easy`. `connectTo` must outlive the
// handle's use.
util::Result<void> applyConnectionOptions(CURL *easy, const ConnectionConfig &config,
                                          const CurlTarget &target, CurlSlist &connectTo);

// Transport (or Timeout) error for a failed curl call, with curl's own words.
util::Error curlError(CURLcode code, const char *errorBuffer, std::string_view context);

} // namespace kd::core::transport::detail
