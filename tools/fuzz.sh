#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (in build-fuzz/, or $TASKMOE_FUZZ_BUILD_DIR)
# and runs each for SECONDS (default 60), starting from the seed inputs in fuzz/corpus/TARGET and
# what earlier runs found (build-fuzz/corpus/TARGET). Prints one line per target with its
# executions and crashes; a crashing input is kept in build-fuzz/crashes/TARGET/ and the script
# exits with status 1.
#
#   tools/fuzz.sh 5        the brief run CI does (the `fuzz_smoke` test)
#   tools/fuzz.sh 600      ten minutes per target
set -euo pipefail
seconds=${1:-60}
cd "$(dirname "$0")/.."
build=${TASKMOE_FUZZ_BUILD_DIR:-build-fuzz}
if [ ! -f "$build/build.ninja" ]; then
  mkdir -p "$build"
  CXX=${FUZZ_CXX:-clang++} cmake -S fuzz -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > "$build/configure.log" 2>&1 \
    || { tail -20 "$build/configure.log" >&2; exit 2; }
fi
cmake --build "$build" > "$build/build.log" 2>&1 || { tail -40 "$build/build.log" >&2; exit 2; }

failed=0
for target in fuzz_mo fuzz_po fuzz_tsv fuzz_moses fuzz_config fuzz_modelfile; do
  # Crashes of earlier runs are gone when fixed: a crashing input worth keeping belongs in
  # fuzz/corpus/TARGET, where every run tries it again.
  rm -rf "$build/crashes/$target"
  mkdir -p "$build/corpus/$target" "$build/crashes/$target"
  log="$build/$target.log"
  status=0
  "$build/$target" -max_total_time="$seconds" -print_final_stats=1 -max_len=16384 -rss_limit_mb=2048 \
    -artifact_prefix="$build/crashes/$target/" "$build/corpus/$target" "fuzz/corpus/$target" > "$log" 2>&1 || status=$?
  executions=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
  crashes=$(find "$build/crashes/$target" -type f | wc -l)
  echo "$target: ${executions:-0} executions in ${seconds} s, $crashes crashing input(s)"
  if [ "$status" -ne 0 ] || [ "$crashes" -gt 0 ]; then
    failed=1
    grep -m 5 -E "ERROR|SUMMARY|terminate|what\(\)" "$log" >&2 || tail -20 "$log" >&2
  fi
done
exit $failed
