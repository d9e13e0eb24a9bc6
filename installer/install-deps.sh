#!/usr/bin/env bash
# Installs, idempotently, the Debian 12 packages that Kubedesk needs. Only what is missing is
# installed; nothing is upgraded or removed. Works as root or through sudo.
#
#   installer/install-deps.sh [--build] [--run] [--test]    (default: all three)
#
#   --build   compilers, CMake, Qt 6 and the C++ libraries
#   --run     what the programs need at run time (Podman with runc, busybox-static for images)
#   --test    what the test suite drives for real (kubectl, Python client, Xvfb, openssl, curl)
set -euo pipefail

want_build=0 want_run=0 want_test=0
for arg in "$@"; do
    case "$arg" in
        --build) want_build=1 ;;
        --run) want_run=1 ;;
        --test) want_test=1 ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install-deps: unknown option '$arg' (see --help)" >&2; exit 2 ;;
    esac
done
if [ $((want_build + want_run + want_test)) -eq 0 ]; then
    want_build=1 want_run=1 want_test=1
fi

build_packages=(
    build-essential cmake ninja-build pkg-config ccache clang-format
    qt6-base-dev qt6-charts-dev qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools libgl-dev libqt6opengl6-dev
    libvterm-dev libyaml-cpp-dev nlohmann-json3-dev libcurl4-openssl-dev libssl-dev
    libsqlite3-dev zlib1g-dev libboost1.81-dev libsimdjson-dev
)
run_packages=(
    podman runc busybox-static uidmap
    qt6-qpa-plugins libqt6svg6 qt6-translations-l10n
)
test_packages=(
    xvfb xauth x11-apps openssl curl python3-kubernetes
    clang libclang-rt-14-dev  # the request-body fuzzer (tests/fuzz): clang++ with libFuzzer
)

packages=()
[ "$want_build" = 1 ] && packages+=("${build_packages[@]}")
[ "$want_run" = 1 ] && packages+=("${run_packages[@]}")
[ "$want_test" = 1 ] && packages+=("${test_packages[@]}")

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "install-deps: installing packages needs root; run as root or install sudo" >&2
    exit 1
fi

is_installed() {
    dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed
}

missing=()
for package in "${packages[@]}"; do
    is_installed "$package" || missing+=("$package")
done

apt_updated=0
apt_install() {
    if [ "$apt_updated" = 0 ]; then
        "${as_root[@]}" apt-get update -qq
        apt_updated=1
    fi
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "$@"
}

if [ "${#missing[@]}" -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    apt_install "${missing[@]}"
else
    echo "install-deps: all ${#packages[@]} packages already installed"
fi

# The integration tests drive kubectl 1.27 through 1.33: the versioned binaries that the
# google-cloud-cli 'kubectl' package installs beside its dispatcher. Debian's own
# kubernetes-client is far older and cannot stand in for them.
if [ "$want_test" = 1 ]; then
    kubectl_dir=""
    if command -v kubectl >/dev/null 2>&1; then
        kubectl_dir="$(dirname "$(readlink -f "$(command -v kubectl)")")"
    fi
    if [ -z "$kubectl_dir" ] || [ ! -x "$kubectl_dir/kubectl.1.33" ]; then
        echo "install-deps: installing kubectl (versioned binaries 1.27-1.33)"
        if ! apt_install kubectl; then
            echo "install-deps: kubectl 1.27-1.33 are needed by the tests but could not be" \
                 "installed: add Google's cloud-sdk apt repository, which ships the 'kubectl'" \
                 "package with kubectl.1.27 ... kubectl.1.33" >&2
            exit 1
        fi
    fi
fi

# Podman's Docker-compatible API needs the runc runtime on Debian 12: crun rejects the hybrid
# cgroup layout these kernels use.
if [ "$want_run" = 1 ]; then
    conf=/etc/containers/containers.conf.d/50-kubedesk-runc.conf
    if [ ! -f "$conf" ]; then
        "${as_root[@]}" mkdir -p "$(dirname "$conf")"
        printf '# Written by Kubedesk install-deps.sh: crun fails on hybrid cgroups.\n[engine]\nruntime = "runc"\n' \
            | "${as_root[@]}" tee "$conf" >/dev/null
    fi
fi
