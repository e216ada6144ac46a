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

source "$(dirname "$0")/lib.sh"
bench_init
bench_build lakeflow lakeflow_native
start_simulator "$build/lakeflow" "${SCALE:-20000}" "$out/spark_simulator.log"

"$python" "$root/bench/spark_bench.py" --url "$url" --native-dir "$build/python/lakeflow_connect" \
  --repeat "${REPS:-3}" | tee "$out/spark_bench.txt"
