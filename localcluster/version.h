#pragma once

#include <string>

namespace kd::lc {

// Build facts of kubedesk-cluster, reported by --version and the API server's /version.
struct BuildInfo
{
    std::string kubedeskVersion;   // "0.1.0"
    std::string kubernetesVersion; // "v1.33.1": the Kubernetes API level the cluster implements
    std::string major;             // "1"
    std::string minor;             // "33"
    std::string compiler;
    std::string platform; // "linux/amd64"
};

const BuildInfo &buildInfo();

} // namespace kd::lc
