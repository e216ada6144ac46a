#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, one per parser of outside input) with
# clang, ASan and UBSan, then runs each over its seed corpus, one after the
# other, printing one line per target. Fails if any target crashes, leaks,
# times out or breaks a promise it checks.
#
#   scripts/fuzz.sh [SECONDS]        fuzz every target SECONDS (default 60), in build-fuzz
#   scripts/fuzz.sh replay           run every seed and regression input once
#   scripts/fuzz.sh mutate SECONDS   blind mutations of those inputs for SECONDS each: the
#                                    targets built without libFuzzer (fuzz/replay_main.cc)
#   FUZZ_TARGETS="ddl offset" scripts/fuzz.sh 30
#   BUILD_DIR=build-asan SKIP_BUILD=1 scripts/fuzz.sh mutate 3   (CI: g++'s sanitizer build)
#
# A crashing input is left in BUILD_DIR/fuzz/work/NAME/crashes/. Fix the code,
# then keep the input in fuzz/regressions/NAME/ so the replay runs it forever.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-60}
MUTATE_SECONDS=${2:-5}
BUILD_DIR=${BUILD_DIR:-build-fuzz}
TARGETS=${FUZZ_TARGETS:-$(ls fuzz/corpus)}

if [ "${SKIP_BUILD:-0}" != "1" ]; then
  CXX=${CXX:-clang++-14} BUILD_DIR="$BUILD_DIR" BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} \
    CMAKE_ARGS="-DLAKEFLOW_FUZZ=ON -DLAKEFLOW_BUILD_BENCH=OFF -DLAKEFLOW_BUILD_TESTS=OFF" \
    BUILD_TARGETS=lakeflow_fuzz scripts/setup.sh
fi

# The pyarrow wheel's libraries are not instrumented (hence no ODR check).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_odr_violation=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

# One line from libFuzzer's log: "NAME: N runs (R/s), cov C, ft F, corpus K".
summary() {
  local name=$1 log=$2
  local runs rate cov ft corp
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  corp=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  echo "$name: ok, ${runs:-?} runs (${rate:-?}/s), cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}"
}

failed=0
for name in $TARGETS; do
  bin="$BUILD_DIR/fuzz/fuzz_$name"
  work="$BUILD_DIR/fuzz/work/$name"
  mkdir -p "$work/corpus" "$work/crashes"
  log="$work/log"
  inputs=("fuzz/corpus/$name")
  [ -d "fuzz/regressions/$name" ] && inputs+=("fuzz/regressions/$name")
  if [ "$MODE" = "replay" ]; then
    # Files as arguments: each is run once, no fuzzing.
    mapfile -t files < <(find "${inputs[@]}" -type f | sort)
    if "$bin" "${files[@]}" >"$log" 2>&1; then
      echo "$name: ok, ${#files[@]} inputs replayed"
    else
      echo "$name: FAILED replaying (see $log)"
      failed=1
    fi
    continue
  fi
  if [ "$MODE" = "mutate" ]; then
    if "$bin" --mutate "$MUTATE_SECONDS" --crash-file "$work/crashes/crash" "${inputs[@]}" \
      >"$log" 2>&1; then
      echo "$name: ok, $(tail -1 "$log")"
    else
      echo "$name: CRASH $work/crashes/crash (see $log)"
      cat "$log"
      failed=1
    fi
    continue
  fi
  # The first folder receives the inputs found; the seeds stay as they are.
  if "$bin" -max_total_time="$MODE" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/crashes/" "$work/corpus" "${inputs[@]}" >"$log" 2>&1; then
    summary "$name" "$log"
  else
    artifact=$(grep -o "Test unit written to [^ ]*" "$log" | tail -1 | cut -d' ' -f5)
    echo "$name: CRASH ${artifact:-} (see $log)"
    failed=1
  fi
done
exit $failed
