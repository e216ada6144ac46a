#!/usr/bin/env bash
# Installs what lakeflow needs on a fresh Debian 12 machine and builds it.
# Idempotent: packages already present and a current build are left alone.
#
#   scripts/setup.sh            install + configure + build (build/)
#   BUILD_DIR=... BUILD_TYPE=... CMAKE_ARGS="..." scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libsimdjson-dev nlohmann-json3-dev libcurl4-openssl-dev libyaml-cpp-dev libcli11-dev
  libspdlog-dev libfmt-dev libsqlite3-dev libpq-dev postgresql libcpp-httplib-dev pybind11-dev
  libssl-dev zlib1g-dev libbrotli-dev
  libgtest-dev libgmock-dev libbenchmark-dev clang-format curl
)

# The libFuzzer build (scripts/fuzz.sh, the sanitizer step of scripts/test.sh) is clang's.
if [[ "${CMAKE_ARGS:-}" == *-DLAKEFLOW_FUZZ=ON* ]]; then
  APT_PACKAGES+=(clang-14 libclang-rt-14-dev)
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The Python environment: pyarrow (which also supplies Arrow C++ when the
# system has none), pytest and pyspark for the tests.
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements-installed
if [ ! -f "$stamp" ] || ! cmp -s requirements-dev.txt "$stamp"; then
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -r requirements-dev.txt
  cp requirements-dev.txt "$stamp"
fi

# Delta Lake for Spark (lakeflow_connect.pipeline and the Delta read-back tests):
# delta-spark and delta-storage from Maven Central, checked against SHA-256s
# pinned here (a checksum fetched from the same host as the jar proves nothing).
DELTA_VERSION=4.4.0
declare -A DELTA_SHA256=(
  [delta-spark_4.2_2.13]=27d4fd8b1f879535c573ed1c718177d6a27f24d3e626ba02e216369725721ead
  [delta-storage]=c46735481fa8e326b0957be02b4420cbcab4b325bb08009b7f2045a95133f1cc
)
for jar in delta-spark_4.2_2.13 delta-storage; do
  file=".venv/jars/$jar-$DELTA_VERSION.jar"
  [ -f "$file" ] && continue
  url="https://repo1.maven.org/maven2/io/delta/$jar/$DELTA_VERSION/$jar-$DELTA_VERSION.jar"
  mkdir -p .venv/jars
  curl -fsSL --proto '=https' --retry 3 -o "$file.part" "$url"
  echo "${DELTA_SHA256[$jar]}  $file.part" | sha256sum -c --quiet
  mv "$file.part" "$file"
done

BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo}
# shellcheck disable=SC2086
# -g1: line tables and functions, enough for backtraces and profiles, at a
# fraction of full debug information's compile time. LAKEFLOW_OPTIMIZE picks
# the optimisation level (CI builds its test binaries at -O1: they measure
# nothing, and the benchmarks build at -O2 in a folder of their own).
OPTIMIZE=${LAKEFLOW_OPTIMIZE:--O2}
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DLAKEFLOW_WERROR=ON \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$OPTIMIZE -g1 -DNDEBUG" \
  -DLAKEFLOW_PYTHON="$PWD/.venv/bin/python" ${CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD_DIR" ${BUILD_TARGETS:+--target $BUILD_TARGETS}
