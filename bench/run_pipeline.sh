#!/usr/bin/env bash
# Pipeline benchmark, side by side: CDC events applied to a destination table
# by the engine (bench/cdc_bench.cc, through the Destination interface the
# pipeline uses) and by the Python baselines (bench/cdc_baseline.py: sqlite3
# UPSERTs, and the `deltalake` package's MERGE), then the memory of a long
# ingestion.
#
#   bench/run_pipeline.sh
#
# Cases: a table of ROWS rows is loaded, then EVENTS events (30% updates, 5%
# deletes, 65% new keys) arrive in microbatches of BATCH; each case runs in its
# own process, so its peak RSS is its own. Then MEMORY_ROWS rows are ingested
# into each destination in microbatches of 10,000 (the pipeline's default), for
# the peak RSS of a long run.
#
# Environment: BUILD_DIR (default build-bench), PYTHON (default .venv/bin/python),
# ROWS (default 1000000), EVENTS (default 1000000), BATCH (default 100000),
# MEMORY_ROWS (default 10000000), WORK (default /tmp/lakeflow-bench-pipeline).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build-bench}"
python="${PYTHON:-$root/.venv/bin/python}"
rows="${ROWS:-1000000}"
events="${EVENTS:-1000000}"
batch="${BATCH:-100000}"
memory_rows="${MEMORY_ROWS:-10000000}"
work="${WORK:-/tmp/lakeflow-bench-pipeline}"
out="$root/bench/out"
mkdir -p "$out"

if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLAKEFLOW_BUILD_BENCH=ON \
    -DLAKEFLOW_PYTHON="$python"
fi
ninja -C "$build" -j "${JOBS:-2}" cdc_bench >/dev/null

results="$out/pipeline.jsonl"
: >"$results"
run() {  # NAME COMMAND...: one case in a fresh directory
  local name=$1
  shift
  rm -rf "$work/$name"
  mkdir -p "$work/$name"
  echo "== $name" >&2
  "$@" | tee -a "$results"
  rm -rf "$work/$name"
}

for history in scd1 scd2; do
  run "sqlite_$history" "$build/bench/cdc_bench" --destination sqlite --history "$history" \
    --dir "$work/sqlite_$history" --rows "$rows" --events "$events" --batch "$batch"
done
run python_sqlite "$python" "$root/bench/cdc_baseline.py" sqlite "$work/python_sqlite" \
  "$rows" "$events" "$batch"
for history in scd1 scd2; do
  run "delta_$history" "$build/bench/cdc_bench" --destination delta --history "$history" \
    --dir "$work/delta_$history" --rows "$rows" --events "$events" --batch "$batch"
done
run python_delta "$python" "$root/bench/cdc_baseline.py" delta "$work/python_delta" \
  "$rows" "$events" "$batch"
for destination in sqlite delta; do
  run "memory_$destination" "$build/bench/cdc_bench" --destination "$destination" --history scd1 \
    --dir "$work/memory_$destination" --rows "$memory_rows" --events 0 --batch 10000
done

"$python" - "$results" <<'PY'
import json, sys
print("| case | load rows/s | events/s | peak RSS MB |")
print("|---|---:|---:|---:|")
for line in open(sys.argv[1]):
    r = json.loads(line)
    events = f"{r['events_per_s']:,}" if r["events"] else "-"
    print(f"| {r['destination']} {r['history']} ({r['rows']:,} rows, {r['events']:,} events,"
          f" batches of {r['batch']:,}) | {round(r['rows'] / r['load_s']):,} | {events} |"
          f" {r['peak_rss_mb']} |")
PY
