#pragma once

#include <core/util/result.h>
#include <localcluster/server/request.h>

#include <optional>

namespace kd::lc::server {

// Decides who sent a request, as the authenticators of kube-apiserver do. Returns the user, no
// opinion (std::nullopt: the next authenticator is asked) or an Error (Unauthorized: credentials
// were presented and are invalid; the request is rejected). Called on I/O threads concurrently,
// so implementations are thread-safe.
class Authenticator
{
public:
    virtual ~Authenticator() = default;
    virtual core::util::Result<std::optional<UserInfo>>
    authenticate(const Request &request) const = 0;
};

// The user of a verified client certificate: name = CN, groups = O values plus
// system:authenticated. The TLS layer has already verified the chain against the cluster CA.
class ClientCertificateAuthenticator final : public Authenticator
{
public:
    core::util::Result<std::optional<UserInfo>> authenticate(const Request &request) const override;
};

} // namespace kd::lc::server
