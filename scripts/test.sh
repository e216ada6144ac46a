#!/usr/bin/env bash
# Everything CI runs: set-up and build, the format check, the C++ tests (ctest), the Python and
# command-line tests (pytest), then the unit tests again under AddressSanitizer
# and UndefinedBehaviorSanitizer (clang), the fuzz regression inputs, and each
# fuzz target for a short run (scripts/fuzz.sh).
#
#   scripts/test.sh               all of it
#   SKIP_SANITIZERS=1 scripts/test.sh   without the sanitizer build and the fuzzing
#   FUZZ_SECONDS=60 scripts/test.sh     longer fuzz runs
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

echo "== clang-format"
git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror

echo "== ctest"
ctest --test-dir build --output-on-failure -j2

echo "== pytest"
.venv/bin/python -m pytest -q tests/python

if [ "${SKIP_SANITIZERS:-0}" != "1" ]; then
  # One clang build with ASan and UBSan serves the unit and conformance tests,
  # the lakeflow binary and the libFuzzer targets (LAKEFLOW_FUZZ).
  echo "== unit tests under ASan + UBSan (clang)"
  if [ -f build-asan/CMakeCache.txt ] && ! grep -q '^CMAKE_CXX_COMPILER:.*clang' build-asan/CMakeCache.txt; then
    rm -rf build-asan  # configured by g++ before: a compiler is chosen once per build folder
  fi
  CXX=clang++-14 BUILD_DIR=build-asan BUILD_TYPE=Debug \
    CMAKE_ARGS="-DLAKEFLOW_FUZZ=ON -DLAKEFLOW_BUILD_BENCH=OFF" \
    BUILD_TARGETS="lakeflow_unit_tests lakeflow_conformance_tests lakeflow lakeflow_fuzz" scripts/setup.sh
  # Arrow's libraries are not instrumented; leak checks stay on for our code
  # (the embedded Python, never finalized, is suppressed: tests/sanitizers/lsan.supp).
  ASAN_OPTIONS=detect_odr_violation=0 LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp" \
    UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j2

  echo "== fuzzing: every regression input, then each target ${FUZZ_SECONDS:-20} s"
  BUILD_DIR=build-asan SKIP_BUILD=1 scripts/fuzz.sh replay
  BUILD_DIR=build-asan SKIP_BUILD=1 scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
fi
