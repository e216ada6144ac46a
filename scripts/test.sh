#!/usr/bin/env bash
# Everything CI runs: set-up and build, the format check, the C++ tests (ctest), the Python and
# command-line tests (pytest), then the unit tests again under AddressSanitizer
# and UndefinedBehaviorSanitizer.
#
#   scripts/test.sh               all of it
#   SKIP_SANITIZERS=1 scripts/test.sh   without the sanitizer build
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
  echo "== unit tests under ASan + UBSan"
  BUILD_DIR=build-asan BUILD_TYPE=Debug CMAKE_ARGS="-DLAKEFLOW_SANITIZE=ON -DLAKEFLOW_BUILD_BENCH=OFF" \
    BUILD_TARGETS="lakeflow_unit_tests lakeflow_conformance_tests" scripts/setup.sh
  # Arrow's libraries are not instrumented; leak checks stay on for our code
  # (the embedded Python, never finalized, is suppressed: tests/sanitizers/lsan.supp).
  ASAN_OPTIONS=detect_odr_violation=0 LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp" \
    UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j2
fi
