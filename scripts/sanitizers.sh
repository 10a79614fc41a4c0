#!/usr/bin/env bash
# Runs the test suite under the sanitizers, in two parts (the builds are
# described in scripts/checks.sh):
#
#   1. build-asan: the whole project and every test, built by clang with
#      AddressSanitizer and UndefinedBehaviorSanitizer; the whole ctest
#      suite runs with leak detection on, and a report fails its test.
#   2. build-tsan: only the test executables that exercise concurrency,
#      built with ThreadSanitizer; only their concurrency tests run (the
#      TSAN_TESTS list in scripts/checks.sh).
#
#   scripts/sanitizers.sh            both parts
#   scripts/sanitizers.sh --asan     the ASan and UBSan part only
#   scripts/sanitizers.sh --tsan     the TSan part only
#
# scripts/test.sh runs both parts too; this script runs them alone, with
# larger budgets. Exits non-zero when a test fails or a sanitizer reports
# anything. Bounded: every test has a timeout and each part a time budget
# (ASAN_BUDGET and TSAN_BUDGET, in seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
source scripts/checks.sh

run_asan=1
run_tsan=1
case "${1:-}" in
  "") ;;
  --asan) run_tsan=0 ;;
  --tsan) run_asan=0 ;;
  -h|--help)
    sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "sanitizers.sh: unknown argument '$1' (try --help)" >&2
    exit 2
    ;;
esac

trap warehouse_print_stages EXIT
warehouse_install_deps
status=0
if [ "$run_asan" -eq 1 ]; then
  warehouse_stage "ASan+UBSan: build" warehouse_build_asan
  warehouse_stage "ASan+UBSan: tests" \
    warehouse_test_asan "${ASAN_BUDGET:-1800}" || status=1
fi
if [ "$run_tsan" -eq 1 ]; then
  warehouse_stage "TSan: build" warehouse_build_tsan
  warehouse_stage "TSan: tests" \
    warehouse_test_tsan "${TSAN_BUDGET:-600}" || status=1
fi
exit "$status"
