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

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/bench/out"
build="${BUILD_DIR:-$root/build-bench}"
python="${PYTHON:-$root/.venv/bin/python}"
mkdir -p "$out"

if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLAKEFLOW_BUILD_BENCH=ON
fi
ninja -C "$build" -j "${JOBS:-2}" lakeflow >/dev/null

"$python" "$root/bench/postgres_bench.py" --lakeflow "$build/lakeflow" --scale "${SCALE:-100}" \
  --partitions "${PARTITIONS:-2,4}" --repeat "${REPS:-3}" --python-rows "${PYTHON_ROWS:-2000000}" \
  | tee "$out/postgres_bench.txt"
