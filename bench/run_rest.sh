#!/usr/bin/env bash
# REST benchmark, side by side: GitHub issues served by the simulator at
# --scale SCALE (1,000,000 records, 100 per page), read end to end into Arrow
# by the `github` source, beside the Python baseline that reads the same
# simulator the reference project's way (requests, resp.json(), parse_value
# per field into pyspark Rows).
#
#   bench/run_rest.sh
#
# Builds lakeflow and rest_bench in a Release tree (build-bench/), starts the
# simulator on a free port, waits for /_simulator/health, warms it (the first
# request of a query sorts the corpus), runs rest_bench (HTTP only, HTTP +
# scan, end to end, end to end converting each page as fetched, parallel pages,
# and scan + convert of 100k records held in memory (no HTTP); each the best of REPS full reads), runs
# the Python baseline on the first BASELINE_RECORDS records (the full million
# would take many minutes in Python; its rate is flat over the listing), stops
# the simulator, and prints one table.
#
# The simulator and the client share the machine's cores: on a 2-core box the
# server takes about one of them while a read runs.
#
# Environment: BUILD_DIR (default build-bench), PYTHON (default .venv/bin/python),
# SCALE (default 1000000), REPS (default 3), IN_FLIGHT (default 8),
# MAX_RECORDS_PER_BATCH (default 10000, the engine's default), BASELINE_RECORDS
# (default 100000), BASELINE_REPEAT (default 2), JOBS (default 2).
set -euo pipefail

source "$(dirname "$0")/lib.sh"
bench_init
scale="${SCALE:-1000000}"

if ! "$python" -c "import requests" 2>/dev/null; then
  echo "requests is missing from $python: run scripts/setup.sh (requirements-dev.txt)" >&2
  exit 1
fi

bench_build rest_bench
# The simulator: the Release tree's lakeflow; should it not build there (g++ 12
# -O3 -Werror=restrict false positives in src/lakeflow/simulator), the dev
# build's (build/, RelWithDebInfo). SIMULATOR overrides both.
simulator="${SIMULATOR:-}"
if [[ -z "$simulator" ]]; then
  if ninja -C "$build" -j "${JOBS:-2}" lakeflow >"$out/rest_build_lakeflow.log" 2>&1; then
    simulator="$build/lakeflow"
  elif [[ -x "$root/build/lakeflow" ]]; then
    simulator="$root/build/lakeflow"
    echo "lakeflow does not build in $build (see $out/rest_build_lakeflow.log);" \
      "serving with $simulator" >&2
  else
    echo "no lakeflow binary to serve with (see $out/rest_build_lakeflow.log)" >&2
    exit 1
  fi
fi

start_simulator "$simulator" "$scale" "$out/rest_simulator.log"
# Warm: the first page of each query sorts the corpus (about a second at 1M).
first="$url/repos/o/r/issues?state=all&sort=updated&direction=asc&per_page=100"
curl -sf "$first" >/dev/null
curl -sf "$first&page=1" >/dev/null

echo "running rest_bench against $url (scale $scale, ${REPS:-3} repetitions)..." >&2
"$build/bench/rest_bench" --url="$url" --reps="${REPS:-3}" --in-flight="${IN_FLIGHT:-8}" \
  --max-records-per-batch="${MAX_RECORDS_PER_BATCH:-10000}" --server-pid="$sim_pid" \
  >"$out/rest_bench.txt"

echo "running the Python baseline (${BASELINE_RECORDS:-100000} records)..." >&2
"$python" "$root/bench/rest_baseline.py" "$url" --records "${BASELINE_RECORDS:-100000}" \
  --repeat "${BASELINE_REPEAT:-2}" >"$out/rest_baseline.txt"

stop_simulator
trap - EXIT

"$python" - "$out/rest_bench.txt" "$out/rest_baseline.txt" <<'EOF'
import json
import sys

def tagged(path, tag):
    line = next(l for l in open(path) if l.startswith(tag + " "))
    return json.loads(line[len(tag) + 1:])

bench = tagged(sys.argv[1], "RESULT")
base = tagged(sys.argv[2], "BASELINE")
py_rps = base["records_per_second"]
records = bench["scan"]["records"]

def rate(run):
    rps = run["records"] / run["seconds"]
    return rps, run["bytes"] / run["seconds"] / 1e6

print(f"{records} records, {bench['scan']['pages']} pages, {bench['scan']['bytes'] / 1e6:.0f} MB of responses")
print(f"{'':62} {'records/s':>10} {'MB/s':>7} {'client CPU':>11} {'server CPU':>11} {'vs Python':>10}")
rows = [
    ("HTTP only (HttpClient, Link rel=next)", "http"),
    ("HTTP + scan (PageScanner, simdjson On-Demand)", "scan"),
    ("end to end: github read_table -> Arrow, one thread", "e2e"),
    ("  same work, each page converted as fetched, one thread", "inline"),
    (f"end to end, parallel pages ({bench['in_flight']} in flight, fetch thread)", "parallel"),
    (f"no HTTP: scan + convert of {bench['convert']['records'] if 'convert' in bench else 0} held records, one thread",
     "convert"),
]
for label, key in rows:
    if key not in bench:
        continue
    run = bench[key]
    rps, mbs = rate(run)
    ratio = f"{rps / py_rps:9.1f}x" if key in ("e2e", "inline", "parallel", "convert") else ""
    print(f"{label:62} {rps:10.0f} {mbs:7.1f} {run['client_cpu']:10.2f}s {run['server_cpu']:10.2f}s {ratio:>10}")
print(f"{'Python: requests + resp.json() + parse_value (' + str(base['records']) + ' rec)':62} "
      f"{py_rps:10.0f} {base['mb_per_second']:7.1f} {'':>11} {'':>11} {1:9.1f}x")

http, scan, e2e = bench["http"]["seconds"], bench["scan"]["seconds"], bench["e2e"]["seconds"]
print()
print(f"split of the one-thread end to end ({e2e:.2f} s, best runs): HTTP {http:.2f} s ({http / e2e:.0%}), "
      f"parse {scan - http:.2f} s ({(scan - http) / e2e:.0%}), build {e2e - scan:.2f} s ({(e2e - scan) / e2e:.0%})")
total = base["http_seconds"] + base["json_seconds"] + base["rows_seconds"]
print(f"split of the Python pass ({base['seconds']:.2f} s): HTTP {base['http_seconds']:.2f} s "
      f"({base['http_seconds'] / total:.0%}), json {base['json_seconds']:.2f} s ({base['json_seconds'] / total:.0%}), "
      f"rows {base['rows_seconds']:.2f} s ({base['rows_seconds'] / total:.0%})")
EOF
