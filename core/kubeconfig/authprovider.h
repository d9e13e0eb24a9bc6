#pragma once

#include <core/util/result.h>

#include <optional>
#include <string>

namespace kd::core::kubeconfig {

// PEM text of a client certificate and its private key.
struct ClientCertificate
{
    std::string certificatePem;
    std::string keyPem;

    bool operator==(const ClientCertificate &) const = default;
};

// Supplies the credentials of one kubeconfig user to the transport: the Authorization header and,
// for exec plugins, a client certificate. Implementations may block (run a plugin, re-read a
// token file, refresh an OIDC token), so call them from the transport's I/O thread or a worker,
// never from the GUI thread. Shared by every request of a connection (std::shared_ptr);
// implementations are thread-safe.
class AuthProvider
{
public:
    virtual ~AuthProvider() = default;

    // "Bearer <token>" or "Basic <base64>"; empty when this provider authenticates only with a
    // client certificate.
    virtual util::Result<std::string> authorization() = 0;
    // The certificate to present, for providers that produce one; std::nullopt otherwise.
    virtual util::Result<std::optional<ClientCertificate>> clientCertificate();
    // Call after a 401 to a request sent with the header `rejected`. Drops or refreshes the
    // credentials so that the next authorization() returns new ones. Success means retrying the
    // request once is worthwhile; an error means new credentials cannot be had (a static token).
    virtual util::Result<void> handleUnauthorized(const std::string &rejected) = 0;
};

} // namespace kd::core::kubeconfig
