#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ in build-fuzz (clang, ASan, UBSan)
# and runs each in turn, then prints a table of executions and coverage.
# Exits non-zero when any target crashes, leaks, times out or fails a check.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     default 10
#   scripts/fuzz.sh --long                   one hour per target
#   scripts/fuzz.sh --target NAME [...]      only the named target(s)
#
# New inputs a run discovers accumulate in build-fuzz/fuzz-corpus/<target>,
# so later runs start where earlier ones stopped; the seeds in
# fuzz/corpus/<target> are read, never written. A crashing input is saved
# as build-fuzz/fuzz-artifacts/<target>-crash-<sha1>; rerun it with
#   build-fuzz/fuzz/<target> <file>
# docs/reliability.md describes the targets and longer campaigns.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh

seconds=10
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --long) seconds=3600 ;;
    --target)
      [ $# -ge 2 ] || { echo "--target needs a name" >&2; exit 2; }
      targets+=("$2")
      shift
      ;;
    -h|--help)
      sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      if ! [[ "$1" =~ ^[0-9]+$ ]] || [ "$1" -eq 0 ]; then
        echo "fuzz.sh: SECONDS_PER_TARGET must be a positive integer, not '$1'" >&2
        exit 2
      fi
      seconds="$1"
      ;;
  esac
  shift
done

all_targets=(
  needle_fuzzer volume_tail_fuzzer index_file_fuzzer super_block_fuzzer
  signed_url_fuzzer file_id_fuzzer http_range_fuzzer names_fuzzer
  key_ring_fuzzer percent_decode_fuzzer
)
if [ "${#targets[@]}" -eq 0 ]; then targets=("${all_targets[@]}"); fi
for t in "${targets[@]}"; do
  if ! [[ " ${all_targets[*]} " == *" $t "* ]]; then
    echo "fuzz.sh: unknown target '$t' (known: ${all_targets[*]})" >&2
    exit 2
  fi
done

warehouse_install_deps

build="build-fuzz"
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
if [ ! -f "$build/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja "${launcher[@]}" \
    -DWAREHOUSE_FUZZ=ON -DWAREHOUSE_BUILD_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"

mkdir -p "$build/fuzz-artifacts" "$build/fuzz-logs"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# The last value of "<name>: <number>" in a libFuzzer log.
last_stat() {
  grep -o "$1: *[0-9]*" "$2" | tail -n 1 | grep -o '[0-9]*$' || true
}

failed=()
rows=()
for t in "${targets[@]}"; do
  corpus="$build/fuzz-corpus/$t"
  log="$build/fuzz-logs/$t.log"
  mkdir -p "$corpus"
  args=(
    -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048
    -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$t-"
  )
  if [ -f "fuzz/dict/$t.dict" ]; then args+=(-dict="fuzz/dict/$t.dict"); fi
  echo "== $t: ${seconds}s"
  status=ok
  if ! "$build/fuzz/$t" "${args[@]}" "$corpus" "fuzz/corpus/$t" \
      >"$log" 2>&1; then
    status=FAILED
    failed+=("$t")
    echo "-- $t failed; the end of $log:"
    tail -n 40 "$log"
  fi
  execs=$(last_stat 'stat::number_of_executed_units' "$log")
  rate=$(last_stat 'stat::average_exec_per_sec' "$log")
  cov=$(last_stat 'cov' "$log")
  ft=$(last_stat 'ft' "$log")
  corp=$(grep -o 'corp: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || true)
  rows+=("$(printf '%-22s %12s %10s %7s %7s %7s  %s' "$t" "${execs:--}" \
    "${rate:--}" "${cov:--}" "${ft:--}" "${corp:--}" "$status")")
done

echo
printf '%-22s %12s %10s %7s %7s %7s  %s\n' target executions exec/s cov ft \
  corpus result
for row in "${rows[@]}"; do echo "$row"; done

if [ "${#failed[@]}" -ne 0 ]; then
  echo
  echo "fuzz.sh: ${failed[*]} failed; inputs in $build/fuzz-artifacts/" >&2
  exit 1
fi
