#pragma once

#include <core/util/result.h>

#include <string>
#include <vector>

namespace kd::lc::pki {

// The bundled cluster's key material, kept as PEM under DIR/pki:
//   ca.crt/ca.key             cluster CA (ECDSA P-256, 10 years)
//   apiserver.crt/.key        serving certificate (SANs: loopback,
//   kubernetes.default.svc…, 10.96.0.1) admin.crt/.key            client certificate
//   CN=kubedesk-admin, O=system:masters sa.key/sa.pub             service-account token signing key
//   pair
// loadOrCreate() creates what is missing and reuses what is valid; derived certificates are
// re-issued when they no longer chain to the CA, are about to expire or (for the serving
// certificate) do not name a requested host. A present but unreadable CA or SA key is an error,
// never silently replaced, because replacing it would invalidate every issued credential.
// Value type; any thread.
class ClusterPki final
{
public:
    static constexpr const char *adminUser = "kubedesk-admin";
    static constexpr const char *adminGroup = "system:masters";
    static constexpr const char *firstServiceIp = "10.96.0.1";

    // extraHosts: further IP addresses or DNS names the serving certificate must cover (the
    // listen host when it is not loopback).
    static core::util::Result<ClusterPki> loadOrCreate(const std::string &directory,
                                                       const std::vector<std::string> &extraHosts);

    const std::string &caCertificatePem() const { return m_caCertificatePem; }
    const std::string &servingCertificatePem() const { return m_servingCertificatePem; }
    const std::string &servingKeyPem() const { return m_servingKeyPem; }
    const std::string &adminCertificatePem() const { return m_adminCertificatePem; }
    const std::string &adminKeyPem() const { return m_adminKeyPem; }
    const std::string &serviceAccountKeyPem() const { return m_serviceAccountKeyPem; }
    const std::string &serviceAccountPublicKeyPem() const { return m_serviceAccountPublicKeyPem; }

    // The hosts every serving certificate names, before extraHosts.
    static std::vector<std::string> defaultServingHosts();

private:
    std::string m_caCertificatePem;
    std::string m_servingCertificatePem;
    std::string m_servingKeyPem;
    std::string m_adminCertificatePem;
    std::string m_adminKeyPem;
    std::string m_serviceAccountKeyPem;
    std::string m_serviceAccountPublicKeyPem;
};

} // namespace kd::lc::pki
