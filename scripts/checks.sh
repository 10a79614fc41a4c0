#!/usr/bin/env bash
# The sanitizer and fuzzing checks, shared by test.sh (what CI runs, short),
# sanitizers.sh and fuzz.sh (the same checks, for longer runs). Sourced
# after deps.sh, from the repository root. docs/reliability.md describes
# the builds and what each check costs.
#
# Two build directories:
#
#   build-asan  clang, the whole project and its tests, with -Wthread-safety,
#               AddressSanitizer, UndefinedBehaviorSanitizer and libFuzzer's
#               coverage instrumentation (-DWAREHOUSE_FUZZ=ON), so the one
#               build checks the lock annotations, runs the whole suite
#               under ASan and UBSan, and links the fuzz targets. Library
#               headers are precompiled once for all of it
#               (cmake/precompiled_headers.cmake).
#   build-tsan  gcc with ThreadSanitizer, only the test executables that
#               exercise concurrency (TSAN_EXECUTABLES).
#
# Both use -O1 and line tables only: enough for readable reports, and much
# cheaper to compile than -O2 with full debug information. Asserts are on.
# A build directory is configured once; delete it to change its flags.

WAREHOUSE_ASAN_DIR=build-asan
WAREHOUSE_TSAN_DIR=build-tsan

# The TSan part: the executables to build, and the tests to run in them
# (ctest regular expressions, matched against "<executable>:<test case>";
# no parentheses, which ctest's regular expressions have too few of). A
# pattern that stops matching any test fails the run, so a renamed test
# cannot drop out silently.
TSAN_EXECUTABLES=(
  volume_test volume_compaction_test volume_server_test master_store_test
  master_cluster_test common_http_test common_rpc_test sdk_client_test
)
TSAN_TESTS=(
  '^volume_test: ?concurrent writers'
  '^volume_test: ?verification goes on beside writes'
  '^volume_compaction_test: ?readers and writers carry on during compaction'
  '^volume_server_test: ?concurrent upload reports'
  '^volume_server_test: ?a failed round trip fails every report'
  '^volume_server_test: ?the lead passes from caller to caller'
  '^master_store_test: ?commits from 16 threads'
  '^master_store_test: ?queued writes commit together'
  '^master_store_test: ?a failing write is rolled back while its batch'
  '^master_store_test: ?the batch size bound splits a long queue'
  # Pending rows in memory: commits, the row writer and its wake-ups.
  '^master_store_test: ?commits racing the pending row writer'
  '^master_store_test: ?the row writer waits for the first due row'
  # The consistency check against an upload stopped mid-way.
  '^master_store_test: ?an upload that took its needle id just before'
  # The HTTP stack's tests: its server runs a thread per connection, and
  # the metrics registry is updated from all of them.
  '^common_http_test:'
  '^common_rpc_test: ?a grpc server accepts only calls signed'
  # The master's Cluster service: uploads waiting for a volume, commands
  # resent, with heartbeat streams on gRPC's threads.
  '^master_cluster_test: ?an upload with no writable volume waits'
  '^master_cluster_test: ?unacknowledged commands are sent again'
  # A request waiting on a command's answer, and the automatic compactor's
  # thread, against the streams' threads.
  '^master_cluster_test: ?an operator marks a volume read-only on its server'
  '^master_cluster_test: ?volumes with enough garbage are compacted by themselves'
  # The automatic verifier's threads, one per verification.
  '^master_cluster_test: ?a verification that cannot reach its server'
  # One SDK client (its url cache and HTTP connection pool) shared by 16
  # threads against a real master and volume server.
  '^sdk_client_test: ?sixteen threads share one client'
)

# Every libFuzzer target in fuzz/.
FUZZ_TARGETS=(
  needle_fuzzer volume_tail_fuzzer index_file_fuzzer super_block_fuzzer
  signed_url_fuzzer file_id_fuzzer http_range_fuzzer names_fuzzer
  key_ring_fuzzer percent_decode_fuzzer
)

# ccache, when installed; the sloppiness lets it cache files compiled
# against build-asan's precompiled header.
warehouse_ccache_launcher() {
  if command -v ccache >/dev/null 2>&1; then
    echo "-DCMAKE_CXX_COMPILER_LAUNCHER=env;CCACHE_SLOPPINESS=pch_defines,time_macros;ccache"
  fi
}

# Configures (once) and builds build-asan: everything, or the given targets.
#   warehouse_build_asan [target...]
warehouse_build_asan() {
  local dir="$WAREHOUSE_ASAN_DIR"
  if [ ! -f "$dir/build.ninja" ]; then
    CC=clang CXX=clang++ cmake -S . -B "$dir" -G Ninja \
      $(warehouse_ccache_launcher) \
      -DWAREHOUSE_THREAD_SAFETY=ON -DWAREHOUSE_FUZZ=ON \
      -DWAREHOUSE_PRECOMPILED_HEADERS=ON -DWAREHOUSE_BUILD_TESTS=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" >/dev/null
  fi
  local targets=()
  if [ $# -gt 0 ]; then targets=(--target "$@"); fi
  cmake --build "$dir" -j "$(nproc)" "${targets[@]}"
}

# Runs the whole ctest suite of build-asan; a memory error, a leak or
# undefined behaviour fails the test it happens in. Stops after BUDGET
# seconds (default 1800); each test times out after 600 s.
#   warehouse_test_asan [BUDGET]
warehouse_test_asan() {
  local budget="${1:-1800}"
  local reports
  reports=$(warehouse_fresh_reports_dir "$WAREHOUSE_ASAN_DIR")
  local status=0
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$reports/asan" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan" \
    timeout --signal=INT "$budget" \
    ctest --test-dir "$WAREHOUSE_ASAN_DIR" --output-on-failure \
      -j "$(nproc)" --timeout 600 --no-tests=error || status=$?
  warehouse_check_reports "$reports" || status=1
  return "$status"
}

# An empty directory for the sanitizers' reports of one run: the tests'
# own, and those of the servers they start, whose output the tests do not
# show. Prints its path.
warehouse_fresh_reports_dir() {
  local reports="$PWD/$1/sanitizer-reports"
  rm -rf "$reports"
  mkdir -p "$reports"
  echo "$reports"
}

# Fails, printing them, when a run left sanitizer reports behind.
warehouse_check_reports() {
  local files=("$1"/*)
  if [ ! -e "${files[0]}" ]; then return 0; fi
  echo "sanitizer reports (from the tests or the servers they start):" >&2
  local f
  for f in "${files[@]}"; do
    echo "--- $f" >&2
    head -n 80 "$f" >&2
  done
  return 1
}

# Configures (once) and builds the TSAN_EXECUTABLES in build-tsan.
warehouse_build_tsan() {
  local dir="$WAREHOUSE_TSAN_DIR"
  # -Wno-tsan: gcc warns that TSan does not model the atomic_thread_fence
  # inside Boost.Asio, which -Werror would make fatal; TSan reported nothing
  # in Asio's code in these tests.
  if [ ! -f "$dir/build.ninja" ]; then
    cmake -S . -B "$dir" -G Ninja $(warehouse_ccache_launcher) \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWAREHOUSE_BUILD_TESTS=ON \
      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
      -DCMAKE_CXX_FLAGS="-fsanitize=thread -Wno-tsan" \
      -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" \
      -DCMAKE_PROJECT_INCLUDE="$PWD/scripts/tsan/annotate_absl.cmake" \
      >/dev/null
  fi
  cmake --build "$dir" -j "$(nproc)" --target "${TSAN_EXECUTABLES[@]}"
}

# Runs the TSAN_TESTS of build-tsan. Stops after BUDGET seconds (default
# 600); each test times out after 600 s.
#   warehouse_test_tsan [BUDGET]
warehouse_test_tsan() {
  local budget="${1:-600}"
  local dir="$WAREHOUSE_TSAN_DIR"
  # The numbers of the selected tests, for ctest -I.
  local numbers=() matched=() pattern
  for pattern in "${TSAN_TESTS[@]}"; do
    mapfile -t matched < <(ctest --test-dir "$dir" -N -R "$pattern" |
      sed -n 's/^ *Test *#\([0-9]*\):.*/\1/p')
    if [ "${#matched[@]}" -eq 0 ]; then
      echo "no test matches the TSan pattern '$pattern';" \
        "update TSAN_TESTS in scripts/checks.sh" >&2
      return 1
    fi
    numbers+=("${matched[@]}")
  done
  local selection
  selection="0,0,0,$(printf '%s\n' "${numbers[@]}" | sort -nu | paste -sd, -)"
  echo "TSan: $(printf '%s\n' "${numbers[@]}" | sort -nu | wc -l) tests"
  local reports
  reports=$(warehouse_fresh_reports_dir "$dir")
  local status=0
  TSAN_OPTIONS="second_deadlock_stack=1 suppressions=$PWD/scripts/tsan.supp log_path=$reports/tsan" \
    timeout --signal=INT "$budget" \
    ctest --test-dir "$dir" --output-on-failure -j "$(nproc)" \
      --timeout 600 --no-tests=error -I "$selection" || status=$?
  warehouse_check_reports "$reports" || status=1
  return "$status"
}

# Runs each named fuzz target of build-asan (built beforehand) for SECONDS
# from the committed seeds plus what earlier runs found, then prints a
# table of executions and coverage. Returns non-zero when any target
# crashes, leaks, hangs for 30 s or fails a check, after printing the end
# of its log. New inputs accumulate in build-asan/fuzz-corpus/<target>;
# the seeds in fuzz/corpus/<target> are only read; a crashing input is
# saved as build-asan/fuzz-artifacts/<target>-crash-<sha1>.
#   warehouse_fuzz SECONDS target...
warehouse_fuzz() {
  local seconds="$1"
  shift
  local dir="$WAREHOUSE_ASAN_DIR"
  mkdir -p "$dir/fuzz-artifacts" "$dir/fuzz-logs"
  local failed=() rows=() t
  for t in "$@"; do
    local corpus="$dir/fuzz-corpus/$t" log="$dir/fuzz-logs/$t.log"
    mkdir -p "$corpus"
    local args=(
      -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048
      -print_final_stats=1 -artifact_prefix="$dir/fuzz-artifacts/$t-"
    )
    if [ -f "fuzz/dict/$t.dict" ]; then args+=(-dict="fuzz/dict/$t.dict"); fi
    local status=ok
    if ! ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}" \
        UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
        "$dir/fuzz/$t" "${args[@]}" "$corpus" "fuzz/corpus/$t" \
        >"$log" 2>&1; then
      status=FAILED
      failed+=("$t")
      echo "-- $t failed; the end of $log:"
      tail -n 40 "$log"
    fi
    rows+=("$(printf '%-22s %12s %10s %7s %7s %7s  %s' "$t" \
      "$(warehouse_fuzz_stat 'stat::number_of_executed_units' "$log")" \
      "$(warehouse_fuzz_stat 'stat::average_exec_per_sec' "$log")" \
      "$(warehouse_fuzz_stat 'cov' "$log")" \
      "$(warehouse_fuzz_stat 'ft' "$log")" \
      "$(warehouse_fuzz_stat 'corp' "$log")" "$status")")
  done
  printf '%-22s %12s %10s %7s %7s %7s  %s\n' target executions exec/s cov \
    ft corpus result
  printf '%s\n' "${rows[@]}"
  if [ "${#failed[@]}" -ne 0 ]; then
    echo "fuzzing: ${failed[*]} failed; inputs in $dir/fuzz-artifacts/" >&2
    return 1
  fi
}

# The last value of "<name>: <number>" in a libFuzzer log, or "-".
warehouse_fuzz_stat() {
  local value
  value=$(grep -o "$1: *[0-9]*" "$2" | tail -n 1 | grep -o '[0-9]*$' || true)
  echo "${value:--}"
}

# Runs a command as a named stage of a script, and records its time for
# warehouse_print_stages. Returns the command's status.
#   warehouse_stage NAME command...
WAREHOUSE_STAGES=()
warehouse_stage() {
  local name="$1"
  shift
  echo "== $name"
  local start=$SECONDS status=0
  "$@" || status=$?
  local took=$((SECONDS - start)) result=ok
  if [ "$status" -ne 0 ]; then result=FAILED; fi
  WAREHOUSE_STAGES+=("$(printf '%-44s %3dm%02ds  %s' "$name" \
    $((took / 60)) $((took % 60)) "$result")")
  return "$status"
}

warehouse_print_stages() {
  echo
  printf '%s\n' "${WAREHOUSE_STAGES[@]}"
}
