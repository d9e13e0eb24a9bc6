#include "kubeconfigwriter.h"

#include "atomicfile.h"
#include "clusterpki.h"

#include <openssl/evp.h>

#include <initializer_list>
#include <string_view>

namespace kd::lc::pki::kubeconfig {

namespace {

std::string base64(const std::string &data)
{
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(out.data()),
                                  reinterpret_cast<const unsigned char *>(data.data()),
                                  static_cast<int>(data.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

} // namespace

std::string render(const ClusterPki &pki, const std::string &server)
{
    // Every value is a fixed name, a URL without quotes or base64, so plain YAML scalars are safe.
    const std::string_view context = contextName;
    const std::string_view user = ClusterPki::adminUser;
    std::string yaml;
    auto line = [&yaml](std::initializer_list<std::string_view> parts) {
        for (const std::string_view part : parts)
            yaml.append(part);
        yaml.push_back('\n');
    };
    line({"apiVersion: v1"});
    line({"kind: Config"});
    line({"clusters:"});
    line({"- name: ", context});
    line({"  cluster:"});
    line({"    server: ", server});
    line({"    certificate-authority-data: ", base64(pki.caCertificatePem())});
    line({"users:"});
    line({"- name: ", user});
    line({"  user:"});
    line({"    client-certificate-data: ", base64(pki.adminCertificatePem())});
    line({"    client-key-data: ", base64(pki.adminKeyPem())});
    line({"contexts:"});
    line({"- name: ", context});
    line({"  context:"});
    line({"    cluster: ", context});
    line({"    user: ", user});
    line({"current-context: ", context});
    line({"preferences: {}"});
    return yaml;
}

core::util::Result<void> write(const std::string &path, const ClusterPki &pki,
                               const std::string &server)
{
    return writeFileAtomically(path, render(pki, server), 0600);
}

} // namespace kd::lc::pki::kubeconfig
