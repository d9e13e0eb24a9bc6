#include <core/transport/curlsetup_p.h>

#include <memory>
#include <mutex>
#include <optional>

namespace kd::core::transport::detail {

namespace {

struct UrlDeleter
{
    void operator()(CURLU *url) const { curl_url_cleanup(url); }
};
struct CurlStringDeleter
{
    void operator()(char *text) const { curl_free(text); }
};
using CurlString = std::unique_ptr<char, CurlStringDeleter>;

util::Result<void> setBlob(CURL *easy, CURLoption option, const std::string &pem,
                           std::string_view what)
{
    curl_blob blob{const_cast<char *>(pem.data()), pem.size(), CURL_BLOB_COPY};
    const CURLcode rc = curl_easy_setopt(easy, option, &blob);
    if (rc != CURLE_OK)
        return curlError(rc, nullptr, what);
    return {};
}

} // namespace

void ensureCurlGlobalInit()
{
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

util::Result<CurlTarget> resolveTarget(const ConnectionConfig &config, std::string_view path)
{
    std::string base = config.baseUrl;
    while (!base.empty() && base.back() == '/')
        base.pop_back();
    if (base.empty())
        return util::Error(util::Error::Code::Invalid, "no server URL configured");
    std::string full = base;
    if (!path.empty() && path.front() != '/')
        full += '/';
    full += path;

    CurlTarget target;
    target.url = full;
    if (config.tls.serverName.empty())
        return target;

    // tls-server-name: address the request to the given name so curl sends it as SNI and checks
    // the certificate against it, while CONNECT_TO sends the bytes to the real host.
    std::unique_ptr<CURLU, UrlDeleter> url(curl_url());
    if (!url || curl_url_set(url.get(), CURLUPART_URL, full.c_str(), 0) != CURLUE_OK)
        return util::Error(util::Error::Code::Invalid, "invalid server URL: " + base);
    char *hostRaw = nullptr;
    char *portRaw = nullptr;
    if (curl_url_get(url.get(), CURLUPART_HOST, &hostRaw, 0) != CURLUE_OK)
        return util::Error(util::Error::Code::Invalid, "server URL has no host: " + base);
    CurlString host(hostRaw);
    if (curl_url_get(url.get(), CURLUPART_PORT, &portRaw, CURLU_DEFAULT_PORT) != CURLUE_OK)
        return util::Error(util::Error::Code::Invalid, "server URL has no port: " + base);
    CurlString port(portRaw);
    if (curl_url_set(url.get(), CURLUPART_HOST, config.tls.serverName.c_str(), 0) != CURLUE_OK)
        return util::Error(util::Error::Code::Invalid,
                           "invalid TLS server name: " + config.tls.serverName);
    char *rewritten = nullptr;
    if (curl_url_get(url.get(), CURLUPART_URL, &rewritten, 0) != CURLUE_OK)
        return util::Error(util::Error::Code::Invalid, "invalid server URL: " + base);
    CurlString rewrittenUrl(rewritten);
    target.url = rewrittenUrl.get();
    target.connectTo
        = config.tls.serverName + ":" + port.get() + ":" + host.get() + ":" + port.get();
    target.hostHeader = std::string(host.get());
    char *explicitPort = nullptr;
    std::unique_ptr<CURLU, UrlDeleter> original(curl_url());
    if (original && curl_url_set(original.get(), CURLUPART_URL, full.c_str(), 0) == CURLUE_OK
        && curl_url_get(original.get(), CURLUPART_PORT, &explicitPort, 0) == CURLUE_OK) {
        CurlString explicitPortText(explicitPort);
        target.hostHeader += ':';
        target.hostHeader += explicitPortText.get();
    }
    return target;
}

bool CurlSlist::append(const std::string &entry)
{
    curl_slist *next = curl_slist_append(m_list, entry.c_str());
    if (!next)
        return false;
    m_list = next;
    return true;
}

void CurlSlist::clear()
{
    curl_slist_free_all(m_list);
    m_list = nullptr;
}

util::Result<void> applyConnectionOptions(CURL *easy, const ConnectionConfig &config,
                                          const CurlTarget &target, CurlSlist &connectTo)
{
    curl_easy_setopt(easy, CURLOPT_URL, target.url.c_str());
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(config.connectTimeout.count()));
    // An empty proxy string disables curl's use of http_proxy/https_proxy from the environment:
    // the configuration is the single source of truth.
    curl_easy_setopt(easy, CURLOPT_PROXY, config.proxyUrl.c_str());
    if (!config.userAgent.empty())
        curl_easy_setopt(easy, CURLOPT_USERAGENT, config.userAgent.c_str());

    connectTo.clear();
    if (!target.connectTo.empty()) {
        if (!connectTo.append(target.connectTo))
            return util::Error(util::Error::Code::Internal, "out of memory");
        curl_easy_setopt(easy, CURLOPT_CONNECT_TO, connectTo.get());
    }

    const TlsConfig &tls = config.tls;
    const std::string *certPem = &tls.clientCertPem;
    const std::string *keyPem = &tls.clientKeyPem;
    std::optional<ClientCertificatePem> dynamic;
    if (config.auth.clientCertificate) {
        auto current = config.auth.clientCertificate();
        if (!current)
            return current.error();
        dynamic = std::move(current).value();
        if (dynamic) {
            certPem = &dynamic->certificatePem;
            keyPem = &dynamic->keyPem;
        }
    }
    if (!tls.caPem.empty()) {
        if (auto r = setBlob(easy, CURLOPT_CAINFO_BLOB, tls.caPem, "setting CA certificates"); !r)
            return r;
        // Only the configured CA is trusted, as kubectl does with certificate-authority-data.
        curl_easy_setopt(easy, CURLOPT_CAPATH, nullptr);
    }
    // Blobs are copied by curl (CURL_BLOB_COPY): `dynamic` may go once they are set.
    if (!certPem->empty()) {
        if (auto r
            = setBlob(easy, CURLOPT_SSLCERT_BLOB, *certPem, "setting the client certificate");
            !r)
            return r;
        curl_easy_setopt(easy, CURLOPT_SSLCERTTYPE, "PEM");
    }
    if (!keyPem->empty()) {
        if (auto r = setBlob(easy, CURLOPT_SSLKEY_BLOB, *keyPem, "setting the client key"); !r)
            return r;
        curl_easy_setopt(easy, CURLOPT_SSLKEYTYPE, "PEM");
    }
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, tls.insecureSkipVerify ? 0L : 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, tls.insecureSkipVerify ? 0L : 2L);
    return {};
}

util::Error curlError(CURLcode code, const char *errorBuffer, std::string_view context)
{
    std::string message(context);
    message += ": ";
    message += (errorBuffer && *errorBuffer) ? errorBuffer : curl_easy_strerror(code);
    const util::Error::Code kind = code == CURLE_OPERATION_TIMEDOUT ? util::Error::Code::Timeout
                                                                    : util::Error::Code::Transport;
    return util::Error(kind, std::move(message));
}

} // namespace kd::core::transport::detail
