#pragma once

#include <localcluster/server/authenticator.h>

#include <memory>
#include <string>

namespace kd::lc::server {

// Bearer tokens of service accounts: JWTs signed ES256 with the cluster's service-account key
// (DIR/pki/sa.key), as pods present them from their projected token. Checks the signature, the
// issuer, exp/nbf and (when present) that the audience names the issuer; the user is the token's
// subject "system:serviceaccount:<ns>:<name>" in system:serviceaccounts and
// system:serviceaccounts:<ns>. A request without a bearer token gets no opinion; an invalid token
// is rejected. Whether the account still exists is the API server's business, not checked here.
// Immutable after create(); any thread.
class ServiceAccountTokenAuthenticator final : public Authenticator
{
public:
    static constexpr const char *defaultIssuer = "https://kubernetes.default.svc.cluster.local";

    static core::util::Result<std::shared_ptr<ServiceAccountTokenAuthenticator>>
    create(const std::string &publicKeyPem, std::string issuer = defaultIssuer);
    ~ServiceAccountTokenAuthenticator() override;

    core::util::Result<std::optional<UserInfo>> authenticate(const Request &request) const override;

private:
    ServiceAccountTokenAuthenticator();
    class Private;
    std::unique_ptr<Private> d;
};

} // namespace kd::lc::server
