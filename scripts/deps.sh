#!/usr/bin/env bash
# Installs the Debian packages Warehouse builds with, only those missing.
# Sourced by quickstart.sh and test.sh; quiet when everything is present.
set -euo pipefail

WAREHOUSE_PACKAGES=(
  cmake ninja-build g++ clang pkg-config ccache
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libsqlite3-dev libcli11-dev libspdlog-dev catch2 libssl-dev
  libisal-dev libboost-dev chromium
  libclang-rt-14-dev  # libFuzzer and the sanitizer runtimes for clang
)

warehouse_install_deps() {
  local missing=()
  local pkg
  for pkg in "${WAREHOUSE_PACKAGES[@]}" "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
        grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    return 0
  fi
  echo "Installing: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
}

# Configures (once) and builds one build directory: every target, or only
# those named after "--".
#   warehouse_build DIR [cmake args...] [-- target...]
warehouse_build() {
  local dir="$1"
  shift
  local configure=() targets=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    configure+=("$1")
    shift
  done
  if [ $# -gt 0 ]; then
    shift
    targets=("$@")
  fi
  if command -v ccache >/dev/null 2>&1; then
    configure+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  if [ ! -f "$dir/build.ninja" ]; then
    cmake -S . -B "$dir" -G Ninja "${configure[@]}" >/dev/null
  fi
  if [ "${#targets[@]}" -eq 0 ]; then
    cmake --build "$dir" -j "$(nproc)"
  else
    cmake --build "$dir" -j "$(nproc)" --target "${targets[@]}"
  fi
}
