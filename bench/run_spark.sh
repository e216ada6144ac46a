#!/usr/bin/env bash
# Spark benchmark (bench/spark_bench.py): the GitHub simulator's issues at SCALE
# read through PySpark by the lakeflow_connect data source (the native engine,
# Arrow batches) and by the reference project's Python data source (rows built
# per field), side by side in one local Spark session.
#
#   bench/run_spark.sh
#
# Environment: BUILD_DIR (default build-bench), PYTHON (default .venv/bin/python),
# SCALE (default 20000 issues), REPS (default 3), JOBS (default 2).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/bench/out"
build="${BUILD_DIR:-$root/build-bench}"
python="${PYTHON:-$root/.venv/bin/python}"
mkdir -p "$out"

if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLAKEFLOW_BUILD_BENCH=ON
fi
ninja -C "$build" -j "${JOBS:-2}" lakeflow lakeflow_native >/dev/null

port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
"$build/lakeflow" simulate --spec-dir "$root/testdata/simulator/github" --port "$port" \
  --scale "${SCALE:-20000}" >"$out/spark_simulator.log" 2>&1 &
sim_pid=$!
trap 'kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if curl -sf "$url/_simulator/health" >/dev/null; then break; fi
  if ! kill -0 "$sim_pid" 2>/dev/null; then
    echo "the simulator exited; see $out/spark_simulator.log" >&2
    exit 1
  fi
  sleep 0.1
done

"$python" "$root/bench/spark_bench.py" --url "$url" --native-dir "$build/python/lakeflow_connect" \
  --repeat "${REPS:-3}" | tee "$out/spark_bench.txt"
