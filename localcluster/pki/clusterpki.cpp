#include "clusterpki.h"

#include "atomicfile.h"

#include <core/util/log.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <arpa/inet.h>
#include <ctime>
#include <memory>

namespace kd::lc::pki {

using core::util::Error;
using core::util::Result;

namespace {

const core::util::LogCategory lcPki{"kd.lc.pki"};

constexpr long kDay = 24L * 60 * 60;
constexpr int kCaValidityDays = 3650;
constexpr int kLeafValidityDays = 365;
// Leaf certificates closer than this to expiry are re-issued at start-up.
constexpr int kRenewBeforeDays = 30;
constexpr unsigned kKeyMode = 0600;
constexpr unsigned kCertMode = 0644;

struct BioFree
{
    void operator()(BIO *b) const { BIO_free_all(b); }
};
struct X509Free
{
    void operator()(X509 *x) const { X509_free(x); }
};
struct PkeyFree
{
    void operator()(EVP_PKEY *k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string opensslError()
{
    std::string text;
    while (const unsigned long code = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        if (!text.empty())
            text += "; ";
        text += buffer;
    }
    return text.empty() ? std::string("unknown OpenSSL error") : text;
}

Error cryptoError(const std::string &what)
{
    return Error(Error::Code::Internal, what + ": " + opensslError());
}

std::string bioContents(BIO *bio)
{
    char *data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

Result<std::string> certificateToPem(X509 *cert)
{
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
        return cryptoError("cannot encode certificate");
    return bioContents(bio.get());
}

Result<std::string> privateKeyToPem(EVP_PKEY *key)
{
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio
        || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        return cryptoError("cannot encode private key");
    return bioContents(bio.get());
}

Result<std::string> publicKeyToPem(EVP_PKEY *key)
{
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1)
        return cryptoError("cannot encode public key");
    return bioContents(bio.get());
}

X509Ptr parseCertificate(const std::string &pem)
{
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    ERR_clear_error();
    return cert;
}

PkeyPtr parsePrivateKey(const std::string &pem)
{
    BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    ERR_clear_error();
    return key;
}

Result<PkeyPtr> generateKey()
{
    PkeyPtr key(EVP_EC_gen("P-256"));
    if (!key)
        return cryptoError("cannot generate ECDSA P-256 key");
    return key;
}

bool isIpAddress(const std::string &host)
{
    unsigned char buffer[16];
    return inet_pton(AF_INET, host.c_str(), buffer) == 1
           || inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

struct Subject
{
    std::string commonName;
    std::vector<std::string> organizations;
};

// Issues a certificate for key, signed by issuerKey (self-signed when issuer is null).
Result<X509Ptr> issueCertificate(const Subject &subject, EVP_PKEY *key, X509 *issuer,
                                 EVP_PKEY *issuerKey, int validityDays,
                                 const std::vector<std::pair<int, std::string>> &extensions)
{
    X509Ptr cert(X509_new());
    if (!cert)
        return cryptoError("cannot allocate certificate");
    X509_set_version(cert.get(), 2);

    // RFC 5280: a positive serial of up to 20 bytes; 127 random bits keep it positive.
    std::unique_ptr<BIGNUM, decltype(&BN_free)> serial(BN_new(), &BN_free);
    if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1
        || !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())))
        return cryptoError("cannot create serial number");

    // Back-date by an hour so that a client whose clock is slightly behind accepts it.
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), kDay * validityDays);

    X509_NAME *name = X509_get_subject_name(cert.get());
    for (const std::string &org : subject.organizations)
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char *>(org.c_str()), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char *>(subject.commonName.c_str()),
                               -1, -1, 0);
    X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
    X509_set_pubkey(cert.get(), key);

    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
    for (const auto &[nid, value] : extensions) {
        X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
        if (!ext)
            return cryptoError("cannot create certificate extension " + value);
        const int added = X509_add_ext(cert.get(), ext, -1);
        X509_EXTENSION_free(ext);
        if (added != 1)
            return cryptoError("cannot add certificate extension " + value);
    }
    if (X509_sign(cert.get(), issuerKey ? issuerKey : key, EVP_sha256()) <= 0)
        return cryptoError("cannot sign certificate for " + subject.commonName);
    return cert;
}

// True when cert is signed by the CA, matches key and stays valid for a while.
bool isUsableLeaf(X509 *cert, EVP_PKEY *key, EVP_PKEY *caKey)
{
    if (X509_verify(cert, caKey) != 1 || X509_check_private_key(cert, key) != 1) {
        ERR_clear_error();
        return false;
    }
    std::time_t renewAt = std::time(nullptr) + kDay * kRenewBeforeDays;
    return X509_cmp_time(X509_get0_notAfter(cert), &renewAt) > 0
           && X509_cmp_current_time(X509_get0_notBefore(cert)) < 0;
}

bool coversHost(X509 *cert, const std::string &host)
{
    if (isIpAddress(host))
        return X509_check_ip_asc(cert, host.c_str(), 0) == 1;
    return X509_check_host(cert, host.c_str(), host.size(), X509_CHECK_FLAG_NO_WILDCARDS, nullptr)
           == 1;
}

struct KeyPair
{
    X509Ptr certificate;
    PkeyPtr key;
    std::string certificatePem;
    std::string keyPem;
};

// Reads "<base>.crt" and "<base>.key". Missing files give an empty pair; present but
// unparsable files are reported through `damaged`.
Result<KeyPair> readPair(const std::string &directory, const std::string &base, bool &damaged)
{
    KeyPair pair;
    damaged = false;
    auto cert = readFile(directory + "/" + base + ".crt");
    auto key = readFile(directory + "/" + base + ".key");
    for (const auto *r : {&cert, &key}) {
        if (!r->ok() && r->error().code() != Error::Code::NotFound)
            return r->error();
    }
    if (!cert.ok() && !key.ok())
        return pair;
    if (!cert.ok() || !key.ok()) {
        damaged = true;
        return pair;
    }
    pair.certificatePem = std::move(cert).value();
    pair.keyPem = std::move(key).value();
    pair.certificate = parseCertificate(pair.certificatePem);
    pair.key = parsePrivateKey(pair.keyPem);
    damaged = !pair.certificate || !pair.key;
    return pair;
}

Result<void> writePair(const std::string &directory, const std::string &base, KeyPair &pair)
{
    auto certPem = certificateToPem(pair.certificate.get());
    if (!certPem)
        return certPem.error();
    auto keyPem = privateKeyToPem(pair.key.get());
    if (!keyPem)
        return keyPem.error();
    // Key first: a crash in between leaves a key without certificate, which is re-issued.
    if (auto r = writeFileAtomically(directory + "/" + base + ".key", *keyPem, kKeyMode); !r)
        return r;
    if (auto r = writeFileAtomically(directory + "/" + base + ".crt", *certPem, kCertMode); !r)
        return r;
    pair.certificatePem = std::move(certPem).value();
    pair.keyPem = std::move(keyPem).value();
    return {};
}

std::string subjectAltNames(const std::vector<std::string> &hosts)
{
    std::string value;
    for (const std::string &host : hosts) {
        if (!value.empty())
            value += ',';
        value += (isIpAddress(host) ? "IP:" : "DNS:") + host;
    }
    return value;
}

} // namespace

std::vector<std::string> ClusterPki::defaultServingHosts()
{
    return {"127.0.0.1",
            "::1",
            "localhost",
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
            "kubernetes.default.svc.cluster.local",
            firstServiceIp};
}

Result<ClusterPki> ClusterPki::loadOrCreate(const std::string &directory,
                                            const std::vector<std::string> &extraHosts)
{
    if (auto r = makeDirectories(directory, 0700); !r)
        return r.error();

    bool damaged = false;
    auto ca = readPair(directory, "ca", damaged);
    if (!ca)
        return ca.error();
    if (damaged)
        return Error(Error::Code::Decode,
                     "the cluster CA in " + directory
                         + " (ca.crt, ca.key) is incomplete or unreadable; restore it or remove "
                           "the pki directory to create a new cluster identity");
    if (ca->certificate && X509_check_private_key(ca->certificate.get(), ca->key.get()) != 1) {
        ERR_clear_error();
        return Error(Error::Code::Decode,
                     "ca.crt and ca.key in " + directory + " do not belong together");
    }
    if (!ca->certificate) {
        lcPki.info("creating cluster CA in " + directory);
        auto key = generateKey();
        if (!key)
            return key.error();
        auto cert
            = issueCertificate({"kubedesk-ca", {}}, key->get(), nullptr, nullptr, kCaValidityDays,
                               {{NID_basic_constraints, "critical,CA:TRUE"},
                                {NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign"},
                                {NID_subject_key_identifier, "hash"}});
        if (!cert)
            return cert.error();
        ca->key = std::move(key).value();
        ca->certificate = std::move(cert).value();
        if (auto r = writePair(directory, "ca", *ca); !r)
            return r.error();
    }

    std::vector<std::string> hosts = defaultServingHosts();
    for (const std::string &host : extraHosts) {
        if (!host.empty() && std::find(hosts.begin(), hosts.end(), host) == hosts.end())
            hosts.push_back(host);
    }

    auto serving = readPair(directory, "apiserver", damaged);
    if (!serving)
        return serving.error();
    bool servingOk = !damaged && serving->certificate
                     && isUsableLeaf(serving->certificate.get(), serving->key.get(), ca->key.get());
    for (const std::string &host : hosts)
        servingOk = servingOk && coversHost(serving->certificate.get(), host);
    if (!servingOk) {
        lcPki.info("issuing serving certificate for " + subjectAltNames(hosts));
        auto key = generateKey();
        if (!key)
            return key.error();
        auto cert = issueCertificate({"kube-apiserver", {}}, key->get(), ca->certificate.get(),
                                     ca->key.get(), kLeafValidityDays,
                                     {{NID_basic_constraints, "critical,CA:FALSE"},
                                      {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
                                      {NID_ext_key_usage, "serverAuth"},
                                      {NID_authority_key_identifier, "keyid:always"},
                                      {NID_subject_alt_name, subjectAltNames(hosts)}});
        if (!cert)
            return cert.error();
        serving->key = std::move(key).value();
        serving->certificate = std::move(cert).value();
        if (auto r = writePair(directory, "apiserver", *serving); !r)
            return r.error();
    }

    auto admin = readPair(directory, "admin", damaged);
    if (!admin)
        return admin.error();
    if (damaged || !admin->certificate
        || !isUsableLeaf(admin->certificate.get(), admin->key.get(), ca->key.get())) {
        lcPki.info(std::string("issuing client certificate for ") + adminUser);
        auto key = generateKey();
        if (!key)
            return key.error();
        auto cert = issueCertificate({adminUser, {adminGroup}}, key->get(), ca->certificate.get(),
                                     ca->key.get(), kLeafValidityDays,
                                     {{NID_basic_constraints, "critical,CA:FALSE"},
                                      {NID_key_usage, "critical,digitalSignature"},
                                      {NID_ext_key_usage, "clientAuth"},
                                      {NID_authority_key_identifier, "keyid:always"}});
        if (!cert)
            return cert.error();
        admin->key = std::move(key).value();
        admin->certificate = std::move(cert).value();
        if (auto r = writePair(directory, "admin", *admin); !r)
            return r.error();
    }

    const std::string saKeyPath = directory + "/sa.key";
    std::string saKeyPem;
    PkeyPtr saKey;
    if (auto existing = readFile(saKeyPath); existing.ok()) {
        saKeyPem = std::move(existing).value();
        saKey = parsePrivateKey(saKeyPem);
        if (!saKey)
            return Error(Error::Code::Decode,
                         saKeyPath
                             + " is unreadable; restore it or remove it (issued "
                               "service-account tokens then stop working)");
    } else if (existing.error().code() != Error::Code::NotFound) {
        return existing.error();
    } else {
        lcPki.info("creating service-account signing key");
        auto key = generateKey();
        if (!key)
            return key.error();
        saKey = std::move(key).value();
        auto pem = privateKeyToPem(saKey.get());
        if (!pem)
            return pem.error();
        saKeyPem = std::move(pem).value();
        if (auto r = writeFileAtomically(saKeyPath, saKeyPem, kKeyMode); !r)
            return r.error();
    }
    // The public half is derived, so it is always rewritten from the private key.
    auto saPub = publicKeyToPem(saKey.get());
    if (!saPub)
        return saPub.error();
    if (auto current = readFile(directory + "/sa.pub"); !current.ok() || *current != *saPub) {
        if (auto r = writeFileAtomically(directory + "/sa.pub", *saPub, kCertMode); !r)
            return r.error();
    }

    ClusterPki pki;
    pki.m_caCertificatePem = std::move(ca->certificatePem);
    pki.m_servingCertificatePem = std::move(serving->certificatePem);
    pki.m_servingKeyPem = std::move(serving->keyPem);
    pki.m_adminCertificatePem = std::move(admin->certificatePem);
    pki.m_adminKeyPem = std::move(admin->keyPem);
    pki.m_serviceAccountKeyPem = std::move(saKeyPem);
    pki.m_serviceAccountPublicKeyPem = std::move(saPub).value();
    return pki;
}

} // namespace kd::lc::pki
