#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ in build-asan (clang, ASan, UBSan;
# see scripts/checks.sh) and runs each in turn, then prints a table of
# executions and coverage. Exits non-zero when any target crashes, leaks,
# times out or fails a check.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     default 60
#   scripts/fuzz.sh --long                   one hour per target
#   scripts/fuzz.sh --target NAME [...]      only the named target(s)
#
# scripts/test.sh runs every target for a few seconds; this script is for
# longer runs. New inputs a run discovers accumulate in
# build-asan/fuzz-corpus/<target>, so later runs start where earlier ones
# stopped; the seeds in fuzz/corpus/<target> are read, never written. A
# crashing input is saved as build-asan/fuzz-artifacts/<target>-crash-<sha1>;
# rerun it with
#   build-asan/fuzz/<target> <file>
# docs/reliability.md describes the targets and longer campaigns.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
source scripts/checks.sh

seconds=60
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
      sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
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

if [ "${#targets[@]}" -eq 0 ]; then targets=("${FUZZ_TARGETS[@]}"); fi
for t in "${targets[@]}"; do
  if ! [[ " ${FUZZ_TARGETS[*]} " == *" $t "* ]]; then
    echo "fuzz.sh: unknown target '$t' (known: ${FUZZ_TARGETS[*]})" >&2
    exit 2
  fi
done

warehouse_install_deps
warehouse_build_asan "${targets[@]}"
warehouse_fuzz "$seconds" "${targets[@]}"
