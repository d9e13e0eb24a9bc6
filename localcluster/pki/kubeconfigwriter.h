#pragma once

#include <core/util/result.h>

#include <string>

namespace kd::lc::pki {

class ClusterPki;

// Writes the kubeconfig through which the IDE, kubectl and tests reach the bundled cluster:
// context and cluster "kubedesk-local", user "kubedesk-admin" with the admin client certificate,
// the CA embedded, mode 0600, replaced atomically. Free functions; any thread.
namespace kubeconfig {

constexpr const char *contextName = "kubedesk-local";

// The kubeconfig document for server (an https URL).
std::string render(const ClusterPki &pki, const std::string &server);
core::util::Result<void> write(const std::string &path, const ClusterPki &pki,
                               const std::string &server);

} // namespace kubeconfig

} // namespace kd::lc::pki
