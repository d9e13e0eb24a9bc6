#pragma once

#include <core/kubeconfig/authprovider.h>
#include <core/kubeconfig/kubeconfig.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

namespace kd::core::kubeconfig {

// users[].user.exec: runs a client.authentication.k8s.io/v1 or v1beta1 credential plugin and
// caches its ExecCredential until status.expirationTimestamp (forever when it has none) or until
// a 401. Never interactive: Kubedesk has no terminal to lend, so interactiveMode Always is an
// error and IfAvailable runs without one. Thread-safe; concurrent callers wait for one run.
class ExecAuth final : public AuthProvider
{
public:
    // cluster is used for provideClusterInfo (spec.cluster in KUBERNETES_EXEC_INFO).
    // searchPath: where to look for a command without a slash, also the plugin's PATH; empty
    // means the login shell's PATH (loginShellPath()), looked up when the plugin first runs.
    ExecAuth(ExecConfig config, Cluster cluster, std::string searchPath,
             std::chrono::milliseconds timeout);

    util::Result<std::string> authorization() override;
    util::Result<std::optional<ClientCertificate>> clientCertificate() override;
    util::Result<void> handleUnauthorized(const std::string &rejected) override;

    // The KUBERNETES_EXEC_INFO value the plugin receives.
    std::string execInfoJson() const;

private:
    struct Credential
    {
        std::string token;
        std::optional<ClientCertificate> certificate;
        std::optional<std::chrono::system_clock::time_point> expiry;
    };
    util::Result<void> ensureFreshLocked();
    util::Result<Credential> run() const;
    util::Result<std::string> resolveCommand(const std::string &searchPath) const;

    const ExecConfig m_config;
    const Cluster m_cluster;
    const std::string m_searchPath;
    const std::chrono::milliseconds m_timeout;
    std::mutex m_mutex;
    std::optional<Credential> m_cached;
};

} // namespace kd::core::kubeconfig
