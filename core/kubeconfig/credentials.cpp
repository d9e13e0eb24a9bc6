#include <core/kubeconfig/credentials.h>

#include <core/kubeconfig/execauth.h>
#include <core/kubeconfig/oidcauth.h>
#include <core/kubeconfig/support.h>
#include <core/kubeconfig/tokenauth.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>

namespace kd::core::kubeconfig {

using util::Error;
using util::Result;

namespace {

// Never let OpenSSL prompt on a terminal for the passphrase of an encrypted key.
int noPassphrase(char *, int, int, void *)
{
    return -1;
}

std::string openSslError()
{
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0)
        return "no PEM data";
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    return buffer;
}

struct BioDeleter
{
    void operator()(BIO *bio) const { BIO_free(bio); }
};
struct X509Deleter
{
    void operator()(X509 *cert) const { X509_free(cert); }
};
struct KeyDeleter
{
    void operator()(EVP_PKEY *key) const { EVP_PKEY_free(key); }
};

std::unique_ptr<BIO, BioDeleter> memoryBio(const std::string &pem)
{
    return std::unique_ptr<BIO, BioDeleter>(
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// At least one certificate, and every PEM block a certificate.
Result<void> verifyCertificateBundle(const std::string &pem)
{
    ERR_clear_error();
    auto bio = memoryBio(pem);
    int count = 0;
    while (true) {
        std::unique_ptr<X509, X509Deleter> cert(
            PEM_read_bio_X509(bio.get(), nullptr, noPassphrase, nullptr));
        if (!cert)
            break;
        ++count;
    }
    ERR_clear_error();
    if (count == 0)
        return Error(Error::Code::Invalid, "no PEM certificate found");
    return {};
}

Result<std::string> fileOrData(const std::string &path, const std::string &data, const char *key)
{
    if (!data.empty())
        return data;
    if (path.empty())
        return std::string();
    auto read = support::readFile(path);
    if (!read)
        return Error(read.error()).prefix(std::string(key) + " ");
    return read;
}

Result<void> validateProxyUrl(const std::string &url)
{
    const size_t colon = url.find("://");
    std::string scheme = colon == std::string::npos ? std::string() : url.substr(0, colon);
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (scheme != "http" && scheme != "https" && scheme != "socks5" && scheme != "socks5h")
        return Error(Error::Code::Invalid, "proxy-url \"" + url
                                               + "\": the scheme must be http, https, socks5 or "
                                                 "socks5h");
    if (colon + 3 >= url.size())
        return Error(Error::Code::Invalid, "proxy-url \"" + url + "\" has no host");
    return {};
}

} // namespace

Result<void> verifyClientCertificate(const ClientCertificate &certificate)
{
    ERR_clear_error();
    auto certBio = memoryBio(certificate.certificatePem);
    std::unique_ptr<X509, X509Deleter> cert(
        PEM_read_bio_X509(certBio.get(), nullptr, noPassphrase, nullptr));
    if (!cert)
        return Error(Error::Code::Invalid, "client certificate: " + openSslError());
    auto keyBio = memoryBio(certificate.keyPem);
    std::unique_ptr<EVP_PKEY, KeyDeleter> key(
        PEM_read_bio_PrivateKey(keyBio.get(), nullptr, noPassphrase, nullptr));
    if (!key)
        return Error(Error::Code::Invalid, "client key: " + openSslError());
    if (X509_check_private_key(cert.get(), key.get()) != 1) {
        ERR_clear_error();
        return Error(Error::Code::Invalid, "the client key does not belong to the client "
                                           "certificate");
    }
    return {};
}

Result<Credentials> resolveCredentials(const Kubeconfig &config, const std::string &contextName,
                                       const ResolveOptions &options)
{
    const Context *context = config.context(contextName);
    if (!context)
        return Error(Error::Code::NotFound, "context \"" + contextName + "\" not found");
    if (context->error)
        return *context->error;
    const Cluster *cluster = config.cluster(context->cluster);
    if (!cluster) // rebuild() sets context->error for this; kept for safety
        return Error(Error::Code::NotFound, "cluster \"" + context->cluster + "\" not found");
    const std::string what = "context \"" + contextName + "\": ";

    Credentials result;
    result.contextName = context->name;
    result.clusterName = cluster->name;
    result.userName = context->user;
    result.namespaceName = context->namespaceName;
    result.server = cluster->server;
    if (result.server.empty())
        return Error(Error::Code::Invalid,
                     what + "cluster \"" + cluster->name + "\" has no server");
    // client-go accepts "host:port" and means https.
    if (result.server.find("://") == std::string::npos)
        result.server = "https://" + result.server;
    result.insecureSkipTlsVerify = cluster->insecureSkipTlsVerify;
    result.tlsServerName = cluster->tlsServerName;
    result.disableCompression = cluster->disableCompression;
    result.proxyUrl = cluster->proxyUrl;
    if (!result.proxyUrl.empty()) {
        if (auto valid = validateProxyUrl(result.proxyUrl); !valid)
            return Error(valid.error()).prefix(what);
    }
    auto ca = fileOrData(cluster->certificateAuthority, cluster->certificateAuthorityData,
                         "certificate-authority");
    if (!ca)
        return Error(ca.error()).prefix(what);
    if (!ca->empty()) {
        if (auto valid = verifyCertificateBundle(*ca); !valid)
            return Error(valid.error()).prefix(what + "certificate-authority: ");
        if (result.insecureSkipTlsVerify)
            return Error(Error::Code::Invalid,
                         what
                             + "insecure-skip-tls-verify and a certificate authority are both set");
    }
    result.certificateAuthorityPem = std::move(ca).value();

    if (context->user.empty())
        return result;
    const User *user = config.user(context->user);
    if (!user)
        return Error(Error::Code::NotFound, what + "user \"" + context->user + "\" not found");

    auto cert
        = fileOrData(user->clientCertificate, user->clientCertificateData, "client-certificate");
    if (!cert)
        return Error(cert.error()).prefix(what);
    auto key = fileOrData(user->clientKey, user->clientKeyData, "client-key");
    if (!key)
        return Error(key.error()).prefix(what);
    if (cert->empty() != key->empty())
        return Error(Error::Code::Invalid,
                     what + "user \"" + user->name + "\" has a "
                         + (cert->empty() ? "client key" : "client certificate")
                         + " without the other half");
    if (!cert->empty()) {
        ClientCertificate pair{std::move(cert).value(), std::move(key).value()};
        if (auto valid = verifyClientCertificate(pair); !valid)
            return Error(valid.error()).prefix(what);
        result.clientCertificate = std::move(pair);
    }

    const bool hasBasic = !user->username.empty() || !user->password.empty();
    const bool hasToken = !user->token.empty() || !user->tokenFile.empty();
    if (user->exec && user->authProvider)
        return Error(Error::Code::Invalid,
                     what + "user \"" + user->name + "\" sets both exec and auth-provider");
    if (hasBasic && hasToken)
        return Error(Error::Code::Invalid, what + "user \"" + user->name
                                               + "\" sets both a token and a username/password");
    if (user->exec) {
        result.authProvider = std::make_shared<ExecAuth>(
            *user->exec, *cluster, options.execSearchPath, options.execTimeout);
    } else if (user->authProvider) {
        if (user->authProvider->name != "oidc")
            return Error(Error::Code::Invalid,
                         what + "auth-provider \"" + user->authProvider->name
                             + "\" is no longer supported; use the provider's exec plugin");
        result.authProvider = std::make_shared<OidcAuth>(
            user->name, user->sourceFile, user->authProvider->config, options.oidcTimeout);
    } else if (!user->token.empty()) {
        result.authProvider = std::make_shared<StaticTokenAuth>(user->token);
    } else if (!user->tokenFile.empty()) {
        auto provider = std::make_shared<TokenFileAuth>(user->tokenFile);
        // Read it now so that a missing file shows on the context, not on the first request.
        if (auto first = provider->authorization(); !first)
            return Error(first.error()).prefix(what);
        result.authProvider = std::move(provider);
    } else if (hasBasic) {
        result.authProvider = std::make_shared<BasicAuth>(user->username, user->password);
    }
    return result;
}

} // namespace kd::core::kubeconfig
