#!/usr/bin/env bash
# TaskMoE Workbench: one script for set-up, build, run and test on Debian 12.
#
#   ./build.sh run    install what is missing, build, build the synthetic corpus into the
#                     default store and open the workbench on it, which queues the quickstart
#                     experiment there when the store has no runs yet
#   ./build.sh test   install what is missing, build, run the whole test suite (CTest)
#
# Both are idempotent: a second call installs nothing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")"

mode=${1:-}
case "$mode" in
  run|test|build) ;;
  *) echo "usage: ./build.sh run|test|build" >&2; exit 2 ;;
esac

# Every dependency is a Debian package, installed by name. libopenblas0-pthread matters:
# without it LibTorch multiplies matrices about 50x slower (reference BLAS). clang and
# libclang-rt-14-dev (libFuzzer) build the fuzz targets the test suite runs briefly.
packages=(cmake g++ ninja-build ccache pkgconf qt6-base-dev libqt6sql6-sqlite libsqlite3-dev
          libtorch-dev libsentencepiece-dev nlohmann-json3-dev libqcustomplot-dev libopenblas0-pthread libgloo-dev
          libicu-dev
          clang libclang-rt-14-dev
          xvfb xauth)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "build.sh: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}"
fi

build_dir=${TASKMOE_BUILD_DIR:-build}
if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$build_dir"

case "$mode" in
  test)
    exec ctest --test-dir "$build_dir" --output-on-failure -j 2
    ;;
  run)
    # The main job: the quickstart experiment on the quick synthetic corpus (queued by the
    # workbench when the store has no runs yet; a store with runs just opens).
    "$build_dir/bin/taskmoe" --version
    "$build_dir/bin/taskmoe" corpus synth
    minutes=${TASKMOE_QUICKSTART_MINUTES:-8}
    if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
      exec "$build_dir/bin/taskmoe-workbench" --quickstart "$minutes"
    fi
    shot="$build_dir/workbench.png"
    echo "build.sh: no display here; the workbench runs offscreen until the quickstart experiment ends (about 40 minutes on 2 cores), then saves a screenshot to $shot" >&2
    QT_QPA_PLATFORM=offscreen "$build_dir/bin/taskmoe-workbench" --quickstart "$minutes" --exit-when-done --screenshot "$shot"
    ;;
esac
