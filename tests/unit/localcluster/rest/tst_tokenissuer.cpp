// Tokens the API server issues for TokenRequest are accepted by the server's own
// ServiceAccountTokenAuthenticator (real keys from ClusterPki), and rejected when tampered with.

#include <localcluster/apiserver/rest/serviceaccounttoken.h>
#include <localcluster/pki/clusterpki.h>
#include <localcluster/server/serviceaccounttokenauthenticator.h>

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QTest>

#include <chrono>

using nlohmann::json;
namespace lc = kd::lc;

class TestTokenIssuer final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    static json claims(std::int64_t expiresIn, const json &audience)
    {
        const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count();
        return {{"aud", audience},
                {"exp", now + expiresIn},
                {"iat", now},
                {"nbf", now},
                {"iss", lc::server::ServiceAccountTokenAuthenticator::defaultIssuer},
                {"sub", "system:serviceaccount:team:robot"},
                {"kubernetes.io",
                 {{"namespace", "team"}, {"serviceaccount", {{"name", "robot"}, {"uid", "u-1"}}}}}};
    }

    static lc::server::Request bearer(const std::string &token)
    {
        lc::server::Request request;
        request.headers.push_back({"Authorization", "Bearer " + token});
        return request;
    }

private Q_SLOTS:
    void issuedTokensAuthenticate()
    {
        auto pki = lc::pki::ClusterPki::loadOrCreate(m_dir.path().toStdString(), {});
        QVERIFY2(pki, pki ? "" : pki.error().message().c_str());
        auto authenticator = lc::server::ServiceAccountTokenAuthenticator::create(
            pki->serviceAccountPublicKeyPem());
        QVERIFY(authenticator);

        auto token = lc::apiserver::signServiceAccountToken(
            pki->serviceAccountKeyPem(),
            claims(3600,
                   json::array({lc::server::ServiceAccountTokenAuthenticator::defaultIssuer})));
        QVERIFY(token);
        auto user = (*authenticator)->authenticate(bearer(*token));
        QVERIFY(user);
        QVERIFY(user->has_value());
        QCOMPARE(QString::fromStdString((*user)->name),
                 QString("system:serviceaccount:team:robot"));
        QCOMPARE(QString::fromStdString((*user)->uid), QString("u-1"));

        // Expired, for another audience, or altered: rejected.
        auto expired = lc::apiserver::signServiceAccountToken(
            pki->serviceAccountKeyPem(),
            claims(-3600,
                   json::array({lc::server::ServiceAccountTokenAuthenticator::defaultIssuer})));
        QVERIFY(expired);
        QVERIFY(!(*authenticator)->authenticate(bearer(*expired)));
        auto foreign = lc::apiserver::signServiceAccountToken(pki->serviceAccountKeyPem(),
                                                              claims(3600, json::array({"vault"})));
        QVERIFY(foreign);
        QVERIFY(!(*authenticator)->authenticate(bearer(*foreign)));
        std::string tampered = *token;
        tampered[tampered.find('.') + 5] ^= 1;
        QVERIFY(!(*authenticator)->authenticate(bearer(tampered)));
    }

    void badKeyIsAnError()
    {
        QVERIFY(!lc::apiserver::signServiceAccountToken("not a key", json::object()));
    }
};

QTEST_GUILESS_MAIN(TestTokenIssuer)
#include "tst_tokenissuer.moc"
