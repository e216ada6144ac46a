#!/usr/bin/env bash
# Python-connector benchmark, side by side in one run:
#
#  1. Conversion: GitHub issues as Python dicts -> Arrow, one json.dumps per
#     page parsed back by the JSON converter (the bridge before) beside
#     PyRecordConverter walking the dicts (bench/python_convert_bench.cc).
#  2. End to end: the template-style GitHub connector
#     (tests/python/connectors/github_connector.py, unchanged) reading the
#     simulator's `issues` at --scale SCALE: alone in Python, on the engine
#     (`lakeflow read --source python`), and under PySpark's Python data source
#     with the reference's per-field parse_value (bench/python_connector_bench.py).
#
#   bench/run_python.sh
#
# Environment: BUILD_DIR (default build-bench), PYTHON (default .venv/bin/python),
# SCALE (default 20000 issues), REPS (default 3), CONVERT_MB (default 40), JOBS (default 2).
set -euo pipefail

source "$(dirname "$0")/lib.sh"
bench_init
scale="${SCALE:-20000}"
data="$out/issues.jsonl"
bench_build lakeflow python_convert_bench
if [[ ! -s "$data" ]]; then
  "$python" "$root/bench/gen_issues.py" "$data"
fi

echo "running python_convert_bench (${CONVERT_MB:-40} MB of issues)..." >&2
"$build/bench/python_convert_bench" --issues="$data" --mb="${CONVERT_MB:-40}" \
  --reps="${REPS:-3}" >"$out/python_convert_bench.txt"

start_simulator "$build/lakeflow" "$scale" "$out/python_simulator.log"
curl -sf "$url/repos/octo/bench/issues?state=all&sort=updated&direction=asc&per_page=100" >/dev/null

echo "running the end-to-end read (scale $scale, ${REPS:-3} repetitions each)..." >&2
"$python" "$root/bench/python_connector_bench.py" --url "$url" --lakeflow "$build/lakeflow" \
  --repeat "${REPS:-3}" >"$out/python_connector_bench.txt" 2>"$out/python_connector_bench.log"

stop_simulator
trap - EXIT

"$python" - "$out/python_convert_bench.txt" "$out/python_connector_bench.txt" <<'PY'
import json
import sys

def tagged(path):
    line = next(l for l in open(path) if l.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])

conv, e2e = tagged(sys.argv[1]), tagged(sys.argv[2])
n = conv["records"]
print(f"Conversion of {n} GitHub issues (Python dicts -> Arrow), pages of 4096, best runs:")
print(f"{'':48} {'records/s':>10} {'us/record':>10}")
for label, key in [("json.dumps per page", "json_dumps"),
                   ("JsonConverter on the dumped pages", "json_convert"),
                   ("one JSON serialisation per page (both)", "json"),
                   ("PyRecordConverter walking the dicts", "walk")]:
    s = conv[key]
    print(f"{label:48} {n / s:10.0f} {s * 1e6 / n:10.2f}")
print(f"walking is {conv['json'] / conv['walk']:.1f}x the serialisation path")
print()
records = e2e["records"]
ref = e2e["reference"]["records_per_second"]
print(f"End to end: github_connector.py reading {records} issues from the simulator, best runs:")
print(f"{'':48} {'records/s':>10} {'seconds':>8} {'vs reference':>13}")
for label, key in [("the connector alone (Python, no conversion)", "connector"),
                   ("engine: lakeflow read --source python", "engine"),
                   ("reference: PySpark data source + parse_value", "reference")]:
    run = e2e[key]
    print(f"{label:48} {run['records_per_second']:10.0f} {run['seconds']:8.2f} "
          f"{run['records_per_second'] / ref:12.1f}x")
PY
