// kubedesk-cluster: the bundled single-node cluster.

#include <localcluster/version.h>

#include <cstdio>
#include <cstring>
#include <string_view>

namespace {

constexpr const char *kUsage = R"(Usage: kubedesk-cluster <command> [options]

The Kubedesk bundled cluster: a single-node Kubernetes-compatible cluster in one process.

Options:
  -h, --help    Show this help and exit.
  --version     Print the Kubedesk and Kubernetes versions and exit.
)";

void printVersion()
{
    const auto &info = kd::lc::buildInfo();
    std::printf("kubedesk-cluster %s (Kubernetes %s, %s, %s)\n", info.kubedeskVersion.c_str(),
                info.kubernetesVersion.c_str(), info.platform.c_str(), info.compiler.c_str());
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2) {
        std::fputs(kUsage, stderr);
        return 2;
    }
    const std::string_view arg = argv[1];
    if (arg == "-h" || arg == "--help" || arg == "help") {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (arg == "--version" || arg == "version") {
        printVersion();
        return 0;
    }
    std::fprintf(stderr, "kubedesk-cluster: unknown command \"%s\"\n\n%s", argv[1], kUsage);
    return 2;
}
