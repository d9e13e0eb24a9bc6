#include <core/kubeconfig/oidcauth.h>

#include <core/kubeconfig/kubeconfig.h>
#include <core/kubeconfig/support.h>
#include <core/util/base64.h>
#include <core/util/log.h>

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include <cctype>

namespace kd::core::kubeconfig {

using util::Error;
using util::Result;

namespace {

const util::LogCategory lcOidc{"kd.kubeconfig.oidc"};

// client-go refreshes tokens that expire within this margin, so that a request in flight does
// not arrive with a token that has just expired.
constexpr auto kExpirySkew = std::chrono::seconds(10);

struct HttpAnswer
{
    long status = 0;
    std::string body;
};

size_t collect(char *data, size_t size, size_t count, void *user)
{
    static_cast<std::string *>(user)->append(data, size * count);
    return size * count;
}

std::string formEncode(const std::string &text)
{
    static const char *hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

// One small blocking request to the issuer. libcurl's easy interface is enough here: refreshes
// are rare and never on the GUI thread.
Result<HttpAnswer> httpRequest(const std::string &url, const std::string *formBody,
                               const std::string &basicAuth, const std::string &caPem,
                               std::chrono::milliseconds timeout)
{
    CURL *curl = curl_easy_init();
    if (!curl)
        return Error(Error::Code::Internal, "curl_easy_init failed");
    HttpAnswer answer;
    char errorBuffer[CURL_ERROR_SIZE] = {};
    curl_slist *headers = nullptr;
    headers = curl_slist_append(headers, "Accept: application/json");
    if (!basicAuth.empty())
        headers = curl_slist_append(headers, ("Authorization: Basic " + basicAuth).c_str());
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errorBuffer);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &answer.body);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_blob blob{};
    if (!caPem.empty()) {
        blob.data = const_cast<char *>(caPem.data());
        blob.len = caPem.size();
        blob.flags = CURL_BLOB_COPY;
        curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (formBody) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, formBody->c_str());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(formBody->size()));
    }
    const CURLcode code = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &answer.status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (code != CURLE_OK)
        return Error(code == CURLE_OPERATION_TIMEDOUT ? Error::Code::Timeout
                                                      : Error::Code::Transport,
                     url + ": " + (errorBuffer[0] ? errorBuffer : curl_easy_strerror(code)));
    return answer;
}

// The exp claim of a JWT, without verifying the signature: that is the server's job; we only
// want to know whether sending it is pointless.
std::optional<std::chrono::system_clock::time_point> jwtExpiry(const std::string &token)
{
    const size_t first = token.find('.');
    const size_t second = first == std::string::npos ? first : token.find('.', first + 1);
    if (second == std::string::npos)
        return std::nullopt;
    auto payload = util::base64::decodeUrl(token.substr(first + 1, second - first - 1));
    if (!payload)
        return std::nullopt;
    try {
        const nlohmann::json claims = nlohmann::json::parse(*payload);
        const auto exp = claims.find("exp");
        if (exp == claims.end() || !exp->is_number())
            return std::nullopt;
        return std::chrono::system_clock::time_point(
            std::chrono::seconds(static_cast<long long>(exp->get<double>())));
    } catch (const nlohmann::json::exception &) {
        return std::nullopt;
    }
}

} // namespace

OidcAuth::OidcAuth(std::string userName, std::string sourceFile,
                   std::map<std::string, std::string> config, std::chrono::milliseconds timeout)
    : m_userName(std::move(userName))
    , m_sourceFile(std::move(sourceFile))
    , m_timeout(timeout)
    , m_config(std::move(config))
{}

bool OidcAuth::idTokenValidLocked() const
{
    const auto it = m_config.find("id-token");
    if (it == m_config.end() || it->second.empty())
        return false;
    const auto expiry = jwtExpiry(it->second);
    // A token whose expiry we cannot read is sent as is; the server decides.
    return !expiry || std::chrono::system_clock::now() + kExpirySkew < *expiry;
}

Result<void> OidcAuth::refreshLocked()
{
    const auto get = [&](const char *key) {
        const auto it = m_config.find(key);
        return it == m_config.end() ? std::string() : it->second;
    };
    const std::string issuer = get("idp-issuer-url");
    const std::string refreshToken = get("refresh-token");
    const std::string clientId = get("client-id");
    const std::string what = "oidc (user \"" + m_userName + "\"): ";
    if (refreshToken.empty())
        return Error(Error::Code::Unauthorized,
                     what + "the id-token has expired and there is no refresh-token; log in again");
    if (issuer.empty() || clientId.empty())
        return Error(Error::Code::Invalid,
                     what + "idp-issuer-url and client-id are needed to refresh the id-token");

    std::string caPem;
    if (const std::string data = get("idp-certificate-authority-data"); !data.empty()) {
        auto decoded = support::base64Decode(data);
        if (!decoded)
            return Error(decoded.error()).prefix(what + "idp-certificate-authority-data: ");
        caPem = std::move(decoded).value();
    } else if (const std::string path = get("idp-certificate-authority"); !path.empty()) {
        auto read = support::readFile(path);
        if (!read)
            return Error(read.error()).prefix(what + "idp-certificate-authority ");
        caPem = std::move(read).value();
    }

    std::string base = issuer;
    while (!base.empty() && base.back() == '/')
        base.pop_back();
    auto discovery
        = httpRequest(base + "/.well-known/openid-configuration", nullptr, {}, caPem, m_timeout);
    if (!discovery)
        return Error(discovery.error()).prefix(what);
    if (discovery->status != 200)
        return Error(Error::Code::Unauthorized, what + "OpenID discovery at " + base
                                                    + " answered HTTP "
                                                    + std::to_string(discovery->status));
    std::string tokenEndpoint;
    try {
        tokenEndpoint = nlohmann::json::parse(discovery->body).value("token_endpoint", "");
    } catch (const nlohmann::json::exception &e) {
        return Error(Error::Code::Decode, what + "OpenID discovery document: " + e.what());
    }
    if (tokenEndpoint.empty())
        return Error(Error::Code::Decode, what
                                              + "the issuer's discovery document has no "
                                                "token_endpoint");

    // RFC 6749 §2.3.1: a confidential client authenticates with HTTP Basic; a public one names
    // itself in the body.
    std::string body = "grant_type=refresh_token&refresh_token=" + formEncode(refreshToken);
    std::string basic;
    if (const std::string secret = get("client-secret"); !secret.empty())
        basic = util::base64::encode(formEncode(clientId) + ":" + formEncode(secret));
    else
        body += "&client_id=" + formEncode(clientId);
    auto answer = httpRequest(tokenEndpoint, &body, basic, caPem, m_timeout);
    if (!answer)
        return Error(answer.error()).prefix(what);
    std::string idToken, newRefreshToken;
    try {
        const nlohmann::json json = nlohmann::json::parse(answer->body);
        if (answer->status != 200) {
            std::string reason = json.value("error", "");
            if (const std::string description = json.value("error_description", "");
                !description.empty())
                reason += ": " + description;
            return Error(Error::Code::Unauthorized,
                         what + "token refresh failed (HTTP " + std::to_string(answer->status)
                             + (reason.empty() ? "" : ", " + reason) + ")");
        }
        idToken = json.value("id_token", "");
        newRefreshToken = json.value("refresh_token", "");
    } catch (const nlohmann::json::exception &e) {
        return Error(Error::Code::Decode, what + "token endpoint answered HTTP "
                                              + std::to_string(answer->status)
                                              + " with a body that is not JSON: " + e.what());
    }
    if (idToken.empty())
        return Error(Error::Code::Decode, what + "the token response has no id_token");

    std::map<std::string, std::string> update{{"id-token", idToken}};
    if (!newRefreshToken.empty())
        update["refresh-token"] = newRefreshToken;
    for (const auto &[key, value] : update)
        m_config[key] = value;

    // Persist into the file the user came from, re-read now so that edits made since we loaded it
    // are kept. Failing to persist costs only another refresh next time.
    Kubeconfig file = Kubeconfig::loadFile(m_sourceFile);
    auto persisted = file.setAuthProviderConfig(m_userName, update);
    if (persisted)
        persisted = file.save();
    if (!persisted)
        lcOidc.warning(what + "cannot store the refreshed token: " + persisted.error().message());
    return {};
}

Result<std::string> OidcAuth::authorization()
{
    std::lock_guard lock(m_mutex);
    if (!idTokenValidLocked()) {
        if (auto refreshed = refreshLocked(); !refreshed)
            return refreshed.error();
    }
    return "Bearer " + m_config["id-token"];
}

Result<void> OidcAuth::handleUnauthorized(const std::string &rejected)
{
    std::lock_guard lock(m_mutex);
    if ("Bearer " + m_config["id-token"] != rejected)
        return {}; // already refreshed after an earlier 401
    return refreshLocked();
}

} // namespace kd::core::kubeconfig
