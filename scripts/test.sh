#!/usr/bin/env bash
# Everything CI runs: set-up and build, the format check, the Python and
# command-line tests (pytest), then one build with AddressSanitizer and
# UndefinedBehaviorSanitizer that runs the C++ tests (ctest), the command-line
# tests that drive every command and destination against its `lakeflow`, and
# every fuzz seed and regression input through the fuzz targets, then a few
# seconds of blind mutations of them each. Coverage-guided fuzzing needs clang
# and time: scripts/fuzz.sh (docs/reliability.md).
#
#   scripts/test.sh                     all of it
#   SKIP_SANITIZERS=1 scripts/test.sh   without the sanitizer build
#
# The plain build skips the GoogleTest binaries (LAKEFLOW_BUILD_GTESTS=OFF):
# they run in the sanitizer build, or, with SKIP_SANITIZERS=1, are built and
# run here. It skips the benchmarks too, which bench/ scripts build.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step's heading says when it started, so a slow CI run shows where its time went.
step() { echo "== $1 (at $((SECONDS / 60))m$((SECONDS % 60))s)"; }

step "set-up and build"
# The tests measure no speed, so CI compiles them at -O1, a sixth faster than
# -O2. At -O1 g++ 12 warns of "maybe uninitialized" variables it cannot follow
# (a std::optional<std::variant> in record_stream.cc): that check stays with the
# -O2 builds of everyone else, where it is reliable. Exported: the main job's
# test (scripts/demo.sh) runs setup.sh again, which must find the build as
# configured here rather than rebuild it.
export LAKEFLOW_OPTIMIZE=${LAKEFLOW_OPTIMIZE:-"-O1 -Wno-maybe-uninitialized"}
if [ "${SKIP_SANITIZERS:-0}" = "1" ]; then
  CMAKE_ARGS="-DLAKEFLOW_BUILD_GTESTS=ON" scripts/setup.sh
else
  # The benchmarks are built by bench/ scripts (and by setup.sh alone).
  CMAKE_ARGS="-DLAKEFLOW_BUILD_GTESTS=OFF -DLAKEFLOW_BUILD_BENCH=OFF" scripts/setup.sh
fi

step "clang-format"
git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror

step "pytest"
.venv/bin/python -m pytest -q tests/python

if [ "${SKIP_SANITIZERS:-0}" = "1" ]; then
  step "ctest"
  ctest --test-dir build --output-on-failure -j2
  exit 0
fi

# One build with ASan and UBSan serves the unit and conformance tests, the
# lakeflow binary (and the test connector plugin it loads) and the fuzz
# targets, linked to replay their inputs (fuzz/replay_main.cc).
step "sanitizer build (ASan + UBSan)"
if [ -f build-asan/CMakeCache.txt ] && grep -q '^CMAKE_CXX_COMPILER:.*clang' build-asan/CMakeCache.txt; then
  rm -rf build-asan  # configured by clang before: a compiler is chosen once per build folder
fi
BUILD_DIR=build-asan BUILD_TYPE=Debug \
  CMAKE_ARGS="-DLAKEFLOW_SANITIZE=ON -DLAKEFLOW_BUILD_BENCH=OFF -DLAKEFLOW_BUILD_GTESTS=ON -DCMAKE_CXX_FLAGS_DEBUG=-g1" \
  BUILD_TARGETS="lakeflow_unit_tests lakeflow_conformance_tests lakeflow lakeflow_test_plugin lakeflow_fuzz" \
  scripts/setup.sh

step "ctest under ASan + UBSan"
# Arrow's libraries are not instrumented; leak checks stay on for our code
# (the embedded Python, never finalized, is suppressed: tests/sanitizers/lsan.supp).
ASAN_OPTIONS=detect_odr_violation=0 LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp" \
  UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j2

step "command-line tests against the sanitized lakeflow"
# Reads, streams and pipelines into both destinations from REST, Python and
# PostgreSQL sources, errors and hostile servers: the paths where outside data
# meets the engine end to end (the conformance suite and the simulator run
# under the sanitizers in ctest already). A report from either sanitizer fails
# the step even where the test expected an error exit: each is written under
# $reports and checked after the run.
reports=$(mktemp -d)
LAKEFLOW_BUILD_DIR=build-asan \
  ASAN_OPTIONS="detect_odr_violation=0:detect_leaks=0:log_path=$reports/asan" \
  UBSAN_OPTIONS="print_stacktrace=1:log_path=$reports/ubsan" \
  .venv/bin/python -m pytest -q -k "not spark and not native" \
  tests/python/test_cli_read.py tests/python/test_cli_stream.py tests/python/test_cli_errors.py \
  tests/python/test_pipeline_run.py tests/python/test_pipeline_delta.py \
  tests/python/test_pipeline_shaping.py tests/python/test_security.py \
  tests/python/test_python_connectors.py tests/python/test_postgres_cdc.py::test_a_pipeline_follows_inserts_updates_key_changes_and_deletes
if compgen -G "$reports/*" >/dev/null; then
  echo "sanitizer reports from the command-line tests:"
  cat "$reports"/*
  exit 1
fi

step "fuzz targets: every seed and regression input, then 2 s of mutations each, under ASan + UBSan"
ASAN_OPTIONS=detect_odr_violation=0 UBSAN_OPTIONS=print_stacktrace=1 \
  BUILD_DIR=build-asan SKIP_BUILD=1 scripts/fuzz.sh replay
ASAN_OPTIONS=detect_odr_violation=0 UBSAN_OPTIONS=print_stacktrace=1 \
  BUILD_DIR=build-asan SKIP_BUILD=1 scripts/fuzz.sh mutate 2
step "done"
