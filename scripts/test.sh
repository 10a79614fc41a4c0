#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite.
#
# Two builds: the main one (gcc), whose tests ctest runs, and a clang build
# with -Wthread-safety that checks the locking annotations compile clean.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh

warehouse_install_deps
warehouse_build build
ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 600

CC=clang CXX=clang++ warehouse_build build-clang \
  -DWAREHOUSE_THREAD_SAFETY=ON -DWAREHOUSE_BUILD_TESTS=OFF
echo "clang -Wthread-safety build: clean"
