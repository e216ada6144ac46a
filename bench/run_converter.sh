#!/usr/bin/env bash
# JSON -> Arrow converter benchmark, side by side:
#   simdjson On-Demand touching every value (the limit), JsonConverter building
#   Arrow batches, and the Python baseline (json.loads + parse_value per field).
#
#   bench/run_converter.sh
#
# Generates bench/out/issues.jsonl (~220 MB of GitHub issue pages) when absent,
# builds converter_bench in a Release tree (build-bench/), runs it with
# repetitions, runs the Python baseline on the first BASELINE_MB of the same
# pages, and prints one table. Every figure is the best of its repetitions:
# the machine may be shared, and noise only ever adds time.
#
# Environment: BUILD_DIR (default build-bench), PYTHON (default .venv/bin/python),
# REPS (default 10), BASELINE_MB (default 50), BASELINE_REPEAT (default 5).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/bench/out"
build="${BUILD_DIR:-$root/build-bench}"
python="${PYTHON:-$root/.venv/bin/python}"
data="$out/issues.jsonl"
mkdir -p "$out"

if [[ ! -s "$data" ]]; then
  "$python" "$root/bench/gen_issues.py" "$data"
fi

if [[ ! -f "$build/build.ninja" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLAKEFLOW_BUILD_BENCH=ON
fi
ninja -C "$build" converter_bench >/dev/null

echo "running converter_bench (${REPS:-10} repetitions)..." >&2
"$build/bench/converter_bench" --issues="$data" \
  --benchmark_repetitions="${REPS:-10}" --benchmark_min_time=0.5 \
  --benchmark_out="$out/converter_bench.json" --benchmark_out_format=json >"$out/converter_bench.txt"

echo "running the Python baseline (${BASELINE_MB:-50} MB)..." >&2
"$python" "$root/bench/converter_baseline.py" "$data" --mb "${BASELINE_MB:-50}" \
  --repeat "${BASELINE_REPEAT:-5}" | tee "$out/converter_baseline.txt" >&2

"$python" - "$out/converter_bench.json" "$out/converter_baseline.txt" <<'EOF'
import json
import sys

bench = json.load(open(sys.argv[1]))
best = {}
for run in bench["benchmarks"]:
    if run.get("run_type") != "iteration":
        continue
    name = run["run_name"].split("/")[0]
    if name not in best or run["real_time"] < best[name]["real_time"]:
        best[name] = run
baseline_line = next(l for l in open(sys.argv[2]) if l.startswith("BASELINE "))
baseline = json.loads(baseline_line[len("BASELINE "):])

rows = [
    ("simdjson On-Demand, touch every value (limit)", best["BM_SimdjsonOnDemandTouchAll"]),
    ("JsonConverter -> Arrow batches", best["BM_JsonConverter"]),
]
limit_mb = rows[0][1]["bytes_per_second"] / 1e6
python_mb = baseline["mb_per_second"]
print(f"{'':48} {'MB/s':>9} {'records/s':>11} {'vs limit':>9} {'vs Python':>10}")
for label, run in rows:
    mb = run["bytes_per_second"] / 1e6
    print(f"{label:48} {mb:9.1f} {run['items_per_second']:11.0f} {mb / limit_mb:8.0%} {mb / python_mb:9.1f}x")
print(f"{'Python baseline (json.loads + parse_value)':48} {python_mb:9.1f} "
      f"{baseline['records_per_second']:11.0f} {python_mb / limit_mb:8.1%} {1:9.1f}x")
EOF
