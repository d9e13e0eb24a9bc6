#include "serviceaccounttoken.h"

#include <nlohmann/json.hpp>

#include <openssl/bio.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <memory>
#include <vector>

namespace kd::lc::apiserver {

using core::util::Error;
using core::util::Result;
using nlohmann::json;

namespace {

std::string base64Url(const unsigned char *data, std::size_t size)
{
    static constexpr char kAlphabet[]
        = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < size; i += 3) {
        const unsigned v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    if (i + 1 == size) {
        const unsigned v = data[i] << 16;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
    } else if (i + 2 == size) {
        const unsigned v = (data[i] << 16) | (data[i + 1] << 8);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
    }
    return out;
}

std::string base64Url(const std::string &text)
{
    return base64Url(reinterpret_cast<const unsigned char *>(text.data()), text.size());
}

struct KeyDeleter
{
    void operator()(EVP_PKEY *key) const { EVP_PKEY_free(key); }
};
struct ContextDeleter
{
    void operator()(EVP_MD_CTX *context) const { EVP_MD_CTX_free(context); }
};
struct SignatureDeleter
{
    void operator()(ECDSA_SIG *signature) const { ECDSA_SIG_free(signature); }
};

} // namespace

Result<std::string> signServiceAccountToken(const std::string &privateKeyPem, const json &claims)
{
    BIO *bio = BIO_new_mem_buf(privateKeyPem.data(), static_cast<int>(privateKeyPem.size()));
    if (!bio)
        return Error(Error::Code::Internal, "cannot read the service-account key");
    std::unique_ptr<EVP_PKEY, KeyDeleter> key(
        PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
    BIO_free(bio);
    if (!key || EVP_PKEY_base_id(key.get()) != EVP_PKEY_EC)
        return Error(Error::Code::Internal, "the service-account key is not an ECDSA private key");

    unsigned char *der = nullptr;
    const int derSize = i2d_PUBKEY(key.get(), &der);
    if (derSize <= 0)
        return Error(Error::Code::Internal, "cannot encode the service-account public key");
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(der, static_cast<std::size_t>(derSize), digest);
    OPENSSL_free(der);

    const json header = {{"alg", "ES256"}, {"kid", base64Url(digest, sizeof digest)}};
    const std::string signingInput = base64Url(header.dump()) + "." + base64Url(claims.dump());

    std::unique_ptr<EVP_MD_CTX, ContextDeleter> context(EVP_MD_CTX_new());
    std::size_t size = 0;
    if (!context
        || EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1
        || EVP_DigestSign(context.get(), nullptr, &size,
                          reinterpret_cast<const unsigned char *>(signingInput.data()),
                          signingInput.size())
               != 1)
        return Error(Error::Code::Internal, "cannot sign the service-account token");
    std::vector<unsigned char> signature(size);
    if (EVP_DigestSign(context.get(), signature.data(), &size,
                       reinterpret_cast<const unsigned char *>(signingInput.data()),
                       signingInput.size())
        != 1)
        return Error(Error::Code::Internal, "cannot sign the service-account token");

    // JWS wants r and s as two 32-byte big-endian numbers, not OpenSSL's DER sequence.
    const unsigned char *cursor = signature.data();
    std::unique_ptr<ECDSA_SIG, SignatureDeleter> parsed(
        d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(size)));
    if (!parsed)
        return Error(Error::Code::Internal, "cannot decode the token signature");
    const BIGNUM *r = nullptr;
    const BIGNUM *s = nullptr;
    ECDSA_SIG_get0(parsed.get(), &r, &s);
    unsigned char raw[64];
    if (BN_bn2binpad(r, raw, 32) != 32 || BN_bn2binpad(s, raw + 32, 32) != 32)
        return Error(Error::Code::Internal, "the token signature is not a P-256 signature");
    return signingInput + "." + base64Url(raw, sizeof raw);
}

} // namespace kd::lc::apiserver
