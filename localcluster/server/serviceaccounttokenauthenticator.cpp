#include "serviceaccounttokenauthenticator.h"

#include <nlohmann/json.hpp>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <chrono>
#include <strings.h>

namespace kd::lc::server {

using core::util::Error;
using core::util::Result;

namespace {

// Tolerated clock difference for exp/nbf, as kube-apiserver's JWT validation allows.
constexpr std::int64_t kLeewaySeconds = 60;

std::optional<std::string> base64UrlDecode(std::string_view text)
{
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t accumulator = 0;
    int bits = 0;
    for (const char c : text) {
        int value;
        if (c >= 'A' && c <= 'Z')
            value = c - 'A';
        else if (c >= 'a' && c <= 'z')
            value = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            value = c - '0' + 52;
        else if (c == '-')
            value = 62;
        else if (c == '_')
            value = 63;
        else
            return std::nullopt; // JWTs use unpadded base64url only
        accumulator = (accumulator << 6) | static_cast<std::uint32_t>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((accumulator >> bits) & 0xff);
        }
    }
    return out;
}

Error invalidToken()
{
    // The client learns only "Unauthorized", as from kube-apiserver; details go to the log.
    return Error(Error::Code::Unauthorized, 401, "Unauthorized", "invalid bearer token");
}

} // namespace

class ServiceAccountTokenAuthenticator::Private
{
public:
    ~Private() { EVP_PKEY_free(key); }

    EVP_PKEY *key = nullptr;
    std::string issuer;

    // ES256: the signature is r||s, 32 bytes each; OpenSSL verifies DER.
    bool verify(std::string_view signedPart, const std::string &signature) const
    {
        if (signature.size() != 64)
            return false;
        ECDSA_SIG *sig = ECDSA_SIG_new();
        BIGNUM *r
            = BN_bin2bn(reinterpret_cast<const unsigned char *>(signature.data()), 32, nullptr);
        BIGNUM *s = BN_bin2bn(reinterpret_cast<const unsigned char *>(signature.data()) + 32, 32,
                              nullptr);
        if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
            BN_free(r);
            BN_free(s);
            ECDSA_SIG_free(sig);
            return false;
        }
        unsigned char *der = nullptr;
        const int derLength = i2d_ECDSA_SIG(sig, &der);
        ECDSA_SIG_free(sig);
        if (derLength <= 0)
            return false;
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        const bool ok
            = ctx && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1
              && EVP_DigestVerify(ctx, der, static_cast<std::size_t>(derLength),
                                  reinterpret_cast<const unsigned char *>(signedPart.data()),
                                  signedPart.size())
                     == 1;
        EVP_MD_CTX_free(ctx);
        OPENSSL_free(der);
        ERR_clear_error();
        return ok;
    }
};

ServiceAccountTokenAuthenticator::ServiceAccountTokenAuthenticator()
    : d(std::make_unique<Private>())
{}

ServiceAccountTokenAuthenticator::~ServiceAccountTokenAuthenticator() = default;

Result<std::shared_ptr<ServiceAccountTokenAuthenticator>>
ServiceAccountTokenAuthenticator::create(const std::string &publicKeyPem, std::string issuer)
{
    BIO *bio = BIO_new_mem_buf(publicKeyPem.data(), static_cast<int>(publicKeyPem.size()));
    EVP_PKEY *key = bio ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr) : nullptr;
    BIO_free(bio);
    ERR_clear_error();
    if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC) {
        EVP_PKEY_free(key);
        return Error(Error::Code::Decode, "service-account public key is not an EC public key");
    }
    std::shared_ptr<ServiceAccountTokenAuthenticator> authenticator(
        new ServiceAccountTokenAuthenticator());
    authenticator->d->key = key;
    authenticator->d->issuer = std::move(issuer);
    return authenticator;
}

Result<std::optional<UserInfo>>
ServiceAccountTokenAuthenticator::authenticate(const Request &request) const
{
    const auto authorization = request.header("Authorization");
    if (!authorization)
        return std::optional<UserInfo>();
    std::string_view value = *authorization;
    if (value.size() < 7 || strncasecmp(value.data(), "Bearer ", 7) != 0)
        return std::optional<UserInfo>();
    const std::string_view token = value.substr(7);

    const auto firstDot = token.find('.');
    const auto secondDot = token.find('.', firstDot == std::string_view::npos ? 0 : firstDot + 1);
    if (firstDot == std::string_view::npos || secondDot == std::string_view::npos
        || token.find('.', secondDot + 1) != std::string_view::npos)
        return invalidToken();
    const auto header = base64UrlDecode(token.substr(0, firstDot));
    const auto payload = base64UrlDecode(token.substr(firstDot + 1, secondDot - firstDot - 1));
    const auto signature = base64UrlDecode(token.substr(secondDot + 1));
    if (!header || !payload || !signature)
        return invalidToken();

    try {
        const auto headerJson = nlohmann::json::parse(*header);
        if (headerJson.value("alg", "") != "ES256")
            return invalidToken();
        if (!d->verify(token.substr(0, secondDot), *signature))
            return invalidToken();
        const auto claims = nlohmann::json::parse(*payload);
        if (claims.value("iss", "") != d->issuer)
            return invalidToken();
        const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
        if (claims.contains("exp") && claims["exp"].get<std::int64_t>() + kLeewaySeconds < now)
            return invalidToken();
        if (claims.contains("nbf") && claims["nbf"].get<std::int64_t>() - kLeewaySeconds > now)
            return invalidToken();
        if (claims.contains("aud")) {
            const auto &aud = claims["aud"];
            bool matches = false;
            if (aud.is_string())
                matches = aud.get<std::string>() == d->issuer;
            for (const auto &entry : aud.is_array() ? aud : nlohmann::json::array())
                matches = matches || (entry.is_string() && entry.get<std::string>() == d->issuer);
            if (!matches)
                return invalidToken();
        }
        // "system:serviceaccount:<namespace>:<name>"
        const std::string subject = claims.value("sub", "");
        constexpr std::string_view prefix = "system:serviceaccount:";
        const auto colon = subject.find(':', prefix.size());
        if (subject.compare(0, prefix.size(), prefix) != 0 || colon == std::string::npos
            || colon == prefix.size() || colon + 1 == subject.size())
            return invalidToken();
        const std::string ns = subject.substr(prefix.size(), colon - prefix.size());
        UserInfo user;
        user.name = subject;
        if (const auto it = claims.find("kubernetes.io"); it != claims.end() && it->is_object()) {
            if (const auto sa = it->find("serviceaccount"); sa != it->end() && sa->is_object())
                user.uid = sa->value("uid", "");
        }
        user.groups
            = {"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"};
        return std::optional<UserInfo>(std::move(user));
    } catch (const nlohmann::json::exception &) {
        return invalidToken();
    }
}

} // namespace kd::lc::server
