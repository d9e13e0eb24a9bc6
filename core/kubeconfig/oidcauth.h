#pragma once

#include <core/kubeconfig/authprovider.h>

#include <chrono>
#include <map>
#include <mutex>
#include <string>

namespace kd::core::kubeconfig {

// users[].user.auth-provider with name "oidc": sends the id-token as a bearer token and, when it
// has expired (JWT exp, 10 s early) or the server answers 401, redeems the refresh-token at the
// issuer's token endpoint (found through /.well-known/openid-configuration). New tokens are
// written back into the kubeconfig file the user came from, as kubectl does, so the next start
// does not refresh again. The issuer is contacted with its own TLS settings
// (idp-certificate-authority(-data)), independent of the cluster's. Thread-safe; a refresh
// blocks the caller.
class OidcAuth final : public AuthProvider
{
public:
    OidcAuth(std::string userName, std::string sourceFile,
             std::map<std::string, std::string> config, std::chrono::milliseconds timeout);

    util::Result<std::string> authorization() override;
    util::Result<void> handleUnauthorized(const std::string &rejected) override;

private:
    util::Result<void> refreshLocked();
    bool idTokenValidLocked() const;

    const std::string m_userName;
    const std::string m_sourceFile;
    const std::chrono::milliseconds m_timeout;
    std::mutex m_mutex;
    std::map<std::string, std::string> m_config;
};

} // namespace kd::core::kubeconfig
