#include "version.h"

namespace kd::lc {

namespace {

std::string platformName()
{
#if defined(__x86_64__)
    return "linux/amd64";
#elif defined(__aarch64__)
    return "linux/arm64";
#else
    return "linux/unknown";
#endif
}

BuildInfo makeBuildInfo()
{
    BuildInfo info;
    info.kubedeskVersion = KD_VERSION;
    info.kubernetesVersion = KD_KUBERNETES_VERSION;
    // "v1.33.1" -> major "1", minor "33"
    const std::string v = info.kubernetesVersion.substr(1);
    const auto firstDot = v.find('.');
    const auto secondDot = v.find('.', firstDot + 1);
    info.major = v.substr(0, firstDot);
    info.minor = v.substr(firstDot + 1, secondDot - firstDot - 1);
#if defined(__clang__)
    info.compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
    info.compiler = "gcc " __VERSION__;
#endif
    info.platform = platformName();
    return info;
}

} // namespace

const BuildInfo &buildInfo()
{
    static const BuildInfo info = makeBuildInfo();
    return info;
}

} // namespace kd::lc
