#!/usr/bin/env bash
# PostgreSQL snapshot benchmark (bench/postgres_bench.py): pgbench_accounts at
# SCALE (default 100: 10,000,000 rows) read by `lakeflow read --source postgres`
# in one partition and in PARTITIONS key ranges, beside psql's binary COPY into
# /dev/null and a psycopg baseline, on a server the script starts and stops.
#
#   bench/run_postgres.sh
#
# Environment: BUILD_DIR (default build-bench), PYTHON (default .venv/bin/python),
# SCALE (default 100), PARTITIONS (default 2,4), REPS (default 3),
# PYTHON_ROWS (default 2000000), JOBS (default 2).
set -euo pipefail

source "$(dirname "$0")/lib.sh"
bench_init
bench_build lakeflow

"$python" "$root/bench/postgres_bench.py" --lakeflow "$build/lakeflow" --scale "${SCALE:-100}" \
  --partitions "${PARTITIONS:-2,4}" --repeat "${REPS:-3}" --python-rows "${PYTHON_ROWS:-2000000}" \
  | tee "$out/postgres_bench.txt"
