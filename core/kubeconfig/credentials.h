#pragma once

#include <core/kubeconfig/authprovider.h>
#include <core/kubeconfig/kubeconfig.h>
#include <core/util/result.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace kd::core::kubeconfig {

// Everything a transport needs to talk to the cluster of one context.
struct Credentials
{
    std::string contextName;
    std::string clusterName;
    std::string userName;
    std::string server;
    // The context's namespace; empty means "default".
    std::string namespaceName;
    // PEM bytes from certificate-authority or certificate-authority-data; empty means the system
    // trust store.
    std::string certificateAuthorityPem;
    bool insecureSkipTlsVerify = false;
    std::string tlsServerName;
    std::string proxyUrl;
    bool disableCompression = false;
    // From client-certificate(-data) and client-key(-data), already checked to match.
    std::optional<ClientCertificate> clientCertificate;
    // Token, token file, basic auth, exec plugin or OIDC; null when the user has none of them.
    std::shared_ptr<AuthProvider> authProvider;
};

struct ResolveOptions
{
    // How long an exec credential plugin may run.
    std::chrono::milliseconds execTimeout{std::chrono::seconds(60)};
    // Directories searched for an exec command without a slash; empty means the login shell's PATH
    // (loginShellPath()).
    std::string execSearchPath;
    // How long an OIDC token endpoint may take.
    std::chrono::milliseconds oidcTimeout{std::chrono::seconds(30)};
};

// Resolves a context into Credentials: reads the referenced files, checks the CA and the client
// key pair with OpenSSL, validates the proxy URL and builds the AuthProvider. Does not run exec
// plugins or contact an OIDC issuer yet; that happens on the first authorization().
// Any thread; reads files.
util::Result<Credentials> resolveCredentials(const Kubeconfig &config,
                                             const std::string &contextName,
                                             const ResolveOptions &options = {});

// Checks that both PEM blobs parse and that the key belongs to the certificate (RSA, ECDSA,
// Ed25519 and anything else OpenSSL knows). Error::Code::Invalid says which part is wrong.
util::Result<void> verifyClientCertificate(const ClientCertificate &certificate);

} // namespace kd::core::kubeconfig
