#include <localcluster/pki/clusterpki.h>
#include <localcluster/server/serviceaccounttokenauthenticator.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace kd::lc;

namespace {

QByteArray base64Url(const QByteArray &data)
{
    return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

// Signs header.payload with ES256 the way a JWT issuer does (raw r||s), using the real key.
QByteArray sign(const std::string &privateKeyPem, const QByteArray &signingInput)
{
    BIO *bio = BIO_new_mem_buf(privateKeyPem.data(), int(privateKeyPem.size()));
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    std::size_t length = 0;
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key);
    EVP_DigestSign(ctx, nullptr, &length,
                   reinterpret_cast<const unsigned char *>(signingInput.constData()),
                   std::size_t(signingInput.size()));
    QByteArray der(qsizetype(length), '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char *>(der.data()), &length,
                   reinterpret_cast<const unsigned char *>(signingInput.constData()),
                   std::size_t(signingInput.size()));
    der.resize(qsizetype(length));
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    const unsigned char *p = reinterpret_cast<const unsigned char *>(der.constData());
    ECDSA_SIG *sig = d2i_ECDSA_SIG(nullptr, &p, long(der.size()));
    QByteArray raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char *>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char *>(raw.data()) + 32, 32);
    ECDSA_SIG_free(sig);
    return raw;
}

QByteArray makeToken(const std::string &privateKeyPem, const QJsonObject &claims,
                     const QByteArray &alg = "ES256")
{
    const QByteArray header = base64Url(R"({"alg":")" + alg + R"(","kid":"k"})");
    const QByteArray payload = base64Url(QJsonDocument(claims).toJson(QJsonDocument::Compact));
    const QByteArray input = header + "." + payload;
    return input + "." + base64Url(sign(privateKeyPem, input));
}

server::Request withAuthorization(const QByteArray &value)
{
    server::Request request;
    request.headers.push_back({"Authorization", value.toStdString()});
    return request;
}

} // namespace

class TestServiceAccountToken : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QTemporaryDir m_otherDir;
    std::optional<pki::ClusterPki> m_pki;
    std::optional<pki::ClusterPki> m_otherPki;
    std::shared_ptr<server::ServiceAccountTokenAuthenticator> m_authenticator;

    QJsonObject validClaims() const
    {
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        return QJsonObject{
            {"iss", server::ServiceAccountTokenAuthenticator::defaultIssuer},
            {"sub", "system:serviceaccount:team-a:builder"},
            {"aud", QJsonArray{server::ServiceAccountTokenAuthenticator::defaultIssuer}},
            {"iat", now},
            {"nbf", now},
            {"exp", now + 3600},
            {"kubernetes.io",
             QJsonObject{{"namespace", "team-a"},
                         {"serviceaccount", QJsonObject{{"name", "builder"}, {"uid", "u-1"}}}}}};
    }

private slots:
    void initTestCase()
    {
        auto pki = pki::ClusterPki::loadOrCreate((m_dir.path() + "/pki").toStdString(), {});
        auto other = pki::ClusterPki::loadOrCreate((m_otherDir.path() + "/pki").toStdString(), {});
        QVERIFY(pki.ok() && other.ok());
        m_pki = *pki;
        m_otherPki = *other;
        auto authenticator
            = server::ServiceAccountTokenAuthenticator::create(m_pki->serviceAccountPublicKeyPem());
        QVERIFY(authenticator.ok());
        m_authenticator = *authenticator;
    }

    void badKeyIsAnError()
    {
        QVERIFY(!server::ServiceAccountTokenAuthenticator::create("not a key").ok());
    }

    void validTokenIdentifiesServiceAccount()
    {
        const QByteArray token = makeToken(m_pki->serviceAccountKeyPem(), validClaims());
        auto result = m_authenticator->authenticate(withAuthorization("Bearer " + token));
        QVERIFY(result.ok());
        QVERIFY(result.value().has_value());
        const server::UserInfo &user = *result.value();
        QCOMPARE(user.name, std::string("system:serviceaccount:team-a:builder"));
        QCOMPARE(user.uid, std::string("u-1"));
        QCOMPARE(user.groups, (std::vector<std::string>{"system:serviceaccounts",
                                                        "system:serviceaccounts:team-a",
                                                        "system:authenticated"}));
    }

    void noBearerTokenIsNoOpinion()
    {
        auto none = m_authenticator->authenticate(server::Request{});
        QVERIFY(none.ok() && !none.value().has_value());
        auto basic = m_authenticator->authenticate(withAuthorization("Basic dXNlcjpwYXNz"));
        QVERIFY(basic.ok() && !basic.value().has_value());
    }

    void invalidTokensAreRejected_data()
    {
        QTest::addColumn<QByteArray>("authorization");
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        const std::string key = m_pki->serviceAccountKeyPem();
        auto with = [&](const char *claim, const QJsonValue &value) {
            QJsonObject claims = validClaims();
            claims[claim] = value;
            return "Bearer " + makeToken(key, claims);
        };
        QTest::newRow("expired") << with("exp", now - 3600);
        QTest::newRow("not yet valid") << with("nbf", now + 3600);
        QTest::newRow("other issuer") << with("iss", "https://example.com");
        QTest::newRow("other audience") << with("aud", QJsonArray{"vault"});
        QTest::newRow("not a service account") << with("sub", "admin");
        QTest::newRow("empty name") << with("sub", "system:serviceaccount:team-a:");
        QTest::newRow("other cluster's key")
            << "Bearer " + makeToken(m_otherPki->serviceAccountKeyPem(), validClaims());
        QTest::newRow("alg none") << "Bearer " + makeToken(key, validClaims(), "none");
        QByteArray tampered = makeToken(key, validClaims());
        const auto parts = tampered.split('.');
        QJsonObject elevated = validClaims();
        elevated["sub"] = "system:serviceaccount:kube-system:admin";
        tampered = parts[0] + "."
                   + base64Url(QJsonDocument(elevated).toJson(QJsonDocument::Compact)) + "."
                   + parts[2];
        QTest::newRow("tampered payload") << "Bearer " + tampered;
        QTest::newRow("garbage") << QByteArray("Bearer not-a-jwt");
        QTest::newRow("four parts") << QByteArray("Bearer a.b.c.d");
        QTest::newRow("bad base64") << QByteArray("Bearer a*.b.c");
        QTest::newRow("payload not json")
            << "Bearer " + base64Url(R"({"alg":"ES256"})") + "." + base64Url("[") + ".AAAA";
    }

    void invalidTokensAreRejected()
    {
        QFETCH(QByteArray, authorization);
        auto result = m_authenticator->authenticate(withAuthorization(authorization));
        QVERIFY(!result.ok());
        QCOMPARE(result.error().httpStatus(), 401);
        QCOMPARE(result.error().reason(), std::string("Unauthorized"));
    }
};

QTEST_GUILESS_MAIN(TestServiceAccountToken)
#include "tst_serviceaccounttoken.moc"
