#!/usr/bin/env bash
# Runs the test suite under the sanitizers, in two parts:
#
#   1. build-asan: the whole project and every test, built by gcc with
#      AddressSanitizer and UndefinedBehaviorSanitizer; the whole ctest
#      suite runs with leak detection on, and a report fails its test.
#   2. build-tsan: only the test executables that exercise concurrency,
#      built with ThreadSanitizer; only their concurrency tests run (the
#      TSAN_TESTS list below).
#
#   scripts/sanitizers.sh            both parts
#   scripts/sanitizers.sh --asan     the ASan and UBSan part only
#   scripts/sanitizers.sh --tsan     the TSan part only
#
# Exits non-zero when a test fails or a sanitizer reports anything. Bounded:
# every test has a timeout and each part a time budget (ASAN_BUDGET and
# TSAN_BUDGET, in seconds). A build directory is configured once; delete it
# to change its flags. docs/reliability.md explains the setup and what
# each part costs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh

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

ASAN_BUDGET="${ASAN_BUDGET:-1800}"
TSAN_BUDGET="${TSAN_BUDGET:-600}"
TEST_TIMEOUT=600
jobs="$(nproc)"

# The TSan part: the executables to build, and the tests to run in them
# (ctest regular expressions, matched against "<executable>:<test case>";
# no parentheses, which ctest's regular expressions have too few of). A
# pattern that stops matching any test fails the run, so a renamed test
# cannot drop out silently.
TSAN_EXECUTABLES=(
  volume_test volume_compaction_test volume_server_test master_store_test
  common_http_test common_rpc_test
)
TSAN_TESTS=(
  '^volume_test: ?concurrent writers'
  '^volume_compaction_test: ?readers and writers carry on during compaction'
  '^volume_server_test: ?concurrent upload reports'
  '^volume_server_test: ?a failed round trip fails every report'
  '^master_store_test: ?commits from 16 threads'
  '^master_store_test: ?queued writes commit together'
  '^master_store_test: ?a failing write is rolled back while its batch'
  '^master_store_test: ?the batch size bound splits a long queue'
  # The HTTP stack's tests: its server runs a thread per connection.
  '^common_http_test:'
  '^common_rpc_test: ?a grpc server accepts only calls signed'
)

elapsed() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

warehouse_install_deps

launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

summary=()
status=0

if [ "$run_asan" -eq 1 ]; then
  start=$SECONDS
  # -Wno-maybe-uninitialized: the sanitizers' instrumentation defeats gcc's
  # flow analysis, which then warns about boost::optional inside Beast's
  # parser (gcc's manual warns of such false positives under sanitizers);
  # -Werror would make them fatal.
  flags="-fsanitize=address,undefined -fno-omit-frame-pointer"
  flags+=" -Wno-maybe-uninitialized"
  if [ ! -f build-asan/build.ninja ]; then
    cmake -S . -B build-asan -G Ninja "${launcher[@]}" \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWAREHOUSE_BUILD_TESTS=ON \
      -DCMAKE_CXX_FLAGS="$flags" \
      -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
  fi
  cmake --build build-asan -j "$jobs"
  built=$SECONDS
  echo "== ASan+UBSan: whole suite"
  if ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      timeout --signal=INT "$ASAN_BUDGET" \
      ctest --test-dir build-asan --output-on-failure -j "$jobs" \
        --timeout "$TEST_TIMEOUT" --no-tests=error; then
    result=passed
  else
    result=FAILED
    status=1
  fi
  summary+=("ASan+UBSan: $result; build $(elapsed $((built - start))), tests $(elapsed $((SECONDS - built)))")
fi

if [ "$run_tsan" -eq 1 ]; then
  start=$SECONDS
  # -Wno-tsan: gcc warns that TSan does not model the atomic_thread_fence
  # inside Boost.Asio, which -Werror would make fatal; TSan reported nothing
  # in Asio's code in these tests.
  if [ ! -f build-tsan/build.ninja ]; then
    cmake -S . -B build-tsan -G Ninja "${launcher[@]}" \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWAREHOUSE_BUILD_TESTS=ON \
      -DCMAKE_CXX_FLAGS="-fsanitize=thread -Wno-tsan" \
      -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" \
      -DCMAKE_PROJECT_INCLUDE="$PWD/scripts/tsan/annotate_absl.cmake" \
      >/dev/null
  fi
  cmake --build build-tsan -j "$jobs" --target "${TSAN_EXECUTABLES[@]}"
  built=$SECONDS

  # The numbers of the selected tests, for ctest -I.
  numbers=()
  for pattern in "${TSAN_TESTS[@]}"; do
    mapfile -t matched < <(ctest --test-dir build-tsan -N -R "$pattern" |
      sed -n 's/^ *Test *#\([0-9]*\):.*/\1/p')
    if [ "${#matched[@]}" -eq 0 ]; then
      echo "sanitizers.sh: no test matches the TSan pattern '$pattern';" \
        "update TSAN_TESTS in $0" >&2
      exit 1
    fi
    numbers+=("${matched[@]}")
  done
  selection="0,0,0,$(printf '%s\n' "${numbers[@]}" | sort -nu | paste -sd, -)"

  echo "== TSan: concurrency tests"
  if TSAN_OPTIONS="second_deadlock_stack=1 suppressions=$PWD/scripts/tsan.supp" \
      timeout --signal=INT "$TSAN_BUDGET" \
      ctest --test-dir build-tsan --output-on-failure -j "$jobs" \
        --timeout "$TEST_TIMEOUT" --no-tests=error -I "$selection"; then
    result=passed
  else
    result=FAILED
    status=1
  fi
  summary+=("TSan: $result; build $(elapsed $((built - start))), tests $(elapsed $((SECONDS - built)))")
fi

echo
for line in "${summary[@]}"; do echo "$line"; done
exit "$status"
