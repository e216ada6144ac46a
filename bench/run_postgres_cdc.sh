#!/usr/bin/env bash
# PostgreSQL change-capture benchmark (bench/postgres_cdc_bench.py): CHANGES row
# changes after a table's initial snapshot, read by `lakeflow stream` (both
# flows), beside the server decoding them alone and a psycopg baseline, on a
# server the script starts and stops.
#
#   bench/run_postgres_cdc.sh
#
# Environment: BUILD_DIR (default build-bench), PYTHON (default .venv/bin/python),
# CHANGES (default 1000000), REPS (default 3), JOBS (default 2).
set -euo pipefail

source "$(dirname "$0")/lib.sh"
bench_init
bench_build lakeflow
# The Python baseline streams with psycopg2, whose logical replication psycopg 3 lacks.
"$python" -c "import psycopg2" 2>/dev/null || "$python" -m pip install -q psycopg2-binary==2.9.13

"$python" "$root/bench/postgres_cdc_bench.py" --lakeflow "$build/lakeflow" \
  --changes "${CHANGES:-1000000}" --repeat "${REPS:-3}" | tee "$out/postgres_cdc_bench.txt"
