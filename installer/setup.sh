#!/usr/bin/env bash
# One-command set-up for a Debian 12 machine.
#
#   installer/setup.sh run     install what is missing, build (release), start the IDE
#   installer/setup.sh test    install what is missing, build (ci preset), run every test
#   installer/setup.sh build   install build dependencies and build (release) only
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
jobs="$(nproc)"

configure_and_build() {
    local preset="$1"
    cmake --preset "$preset"
    cmake --build --preset "$preset" -j "$jobs"
}

case "${1:-}" in
    run)
        "$root/installer/install-deps.sh" --build --run
        configure_and_build release
        exec "$root/build/release/app/kubedesk" "${@:2}"
        ;;
    build)
        "$root/installer/install-deps.sh" --build --run
        configure_and_build release
        ;;
    test)
        "$root/installer/install-deps.sh" --build --run --test
        configure_and_build ci
        # Tests that need a display run offscreen; nothing here may depend on the caller's one.
        unset DISPLAY WAYLAND_DISPLAY
        export QT_QPA_PLATFORM=offscreen
        ctest --preset ci -j "$jobs" "${@:2}"
        ;;
    *)
        sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2
        exit 2
        ;;
esac
