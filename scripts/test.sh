#!/usr/bin/env bash
# Installs dependencies, builds, and runs the whole test suite; what CI runs.
#
#   1. build (gcc, -O2 -g1): the project and the tests that start its real
#      programs (end-to-end, crash, binary, SDK, CLI and browser tests),
#      which ctest runs against what ships.
#   2. build-asan (clang): the project, its tests and the fuzz targets, with
#      -Wthread-safety (the lock annotations must compile clean),
#      AddressSanitizer and UndefinedBehaviorSanitizer; the whole suite runs
#      under them, then each fuzz target runs FUZZ_SECONDS (default 5) from
#      the committed seeds.
#   3. build-tsan (gcc): only the concurrency tests, under ThreadSanitizer.
#
# Stops at the first failing stage and prints each stage's time.
# scripts/sanitizers.sh and scripts/fuzz.sh run the same checks longer;
# docs/reliability.md gives what each stage costs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
source scripts/checks.sh

FUZZ_SECONDS="${FUZZ_SECONDS:-5}"
trap warehouse_print_stages EXIT

warehouse_install_deps
# Line tables only (-g1), as in the sanitizer builds: enough for a
# backtrace, and a sixth less to compile than full debug information.
# The in-process tests run once, under the sanitizers: building them with
# gcc too cost a third of this build.
warehouse_stage "gcc: build" warehouse_build build \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
  -DWAREHOUSE_UNIT_TESTS=OFF
warehouse_stage "gcc: tests of the real programs" \
  ctest --test-dir build --output-on-failure -j "$(nproc)" --timeout 600
warehouse_stage "clang -Wthread-safety, ASan+UBSan, fuzz: build" \
  warehouse_build_asan
warehouse_stage "ASan+UBSan: tests" warehouse_test_asan
warehouse_stage "fuzz: ${FUZZ_SECONDS}s per target" \
  warehouse_fuzz "$FUZZ_SECONDS" "${FUZZ_TARGETS[@]}"
warehouse_stage "TSan: build" warehouse_build_tsan
warehouse_stage "TSan: tests" warehouse_test_tsan
