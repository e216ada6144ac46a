#!/usr/bin/env bash
# The main job: build lakeflow, start the GitHub source simulator on loopback,
# and run examples/github-pipeline.yaml into the embedded SQLite destination;
# then change the source and run again (only the changes move), and print
# every destination table with its row count and the pipeline's status.
#
# The same spec runs against api.github.com: see README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
log=$(mktemp)
scripts/setup.sh >"$log" 2>&1 || { cat "$log"; echo "demo: set-up failed" >&2; exit 1; }
rm -f "$log"

WORK=${DEMO_DIR:-$ROOT/.lakeflow-demo}
rm -rf "$WORK"
mkdir -p "$WORK"
export LAKEFLOW_HOME="$WORK/home"  # the demo's connections stay out of ~/.lakeflow
PY="$ROOT/.venv/bin/python"
lf() { "$ROOT/build/lakeflow" "$@"; }

PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$ROOT/build/lakeflow" simulate --spec-dir "$ROOT/testdata/simulator/github" --port "$PORT" \
  >"$WORK/simulator.log" 2>&1 &
SIM=$!
trap 'kill $SIM 2>/dev/null || true' EXIT
SIM_URL="http://127.0.0.1:$PORT"
"$PY" - "$SIM_URL" <<'PY'
import sys, time, urllib.request
for _ in range(300):
    try:
        urllib.request.urlopen(sys.argv[1] + "/_simulator/health", timeout=1).read()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit("demo: the GitHub simulator did not start")
PY

echo "== connection 'github': the GitHub simulator at $SIM_URL"
lf connection create github --source github -o base_url="$SIM_URL" -o owner=octo -o repo=demo

cd "$WORK"  # the spec's destination, lakeflow.db, is relative to here
SPEC="$ROOT/examples/github-pipeline.yaml"
echo "== pipeline validate"
lf pipeline validate "$SPEC"
echo "== pipeline run"
lf pipeline run "$SPEC"

echo "== the source changes: an issue retitled, a new one opened; run again"
"$PY" - "$SIM_URL" <<'PY'
import json, sys, urllib.request
def post(body):
    req = urllib.request.Request(sys.argv[1] + "/_simulator/issues/records", method="POST",
                                 data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(req).read())
first = json.loads(urllib.request.urlopen(sys.argv[1] + "/repos/octo/demo/issues?state=all&sort=created&direction=asc&per_page=1").read())[0]
post({"id": first["id"], "title": "Retitled by the demo"})
post({"title": "Opened by the demo"})
PY
lf pipeline run "$SPEC"

echo "== destination tables (lakeflow.db)"
"$PY" - lakeflow.db <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
tables = [r[0] for r in db.execute(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%\\_\\_lakeflow\\_%' ESCAPE '\\' "
    "AND name NOT LIKE '\\_lakeflow%' ESCAPE '\\' ORDER BY name")]
for t in tables:
    count = db.execute('SELECT count(*) FROM "' + t.replace('"', '""') + '"').fetchone()[0]
    print(f"{t}: {count} rows")
title = db.execute("SELECT title FROM issues_history WHERE __END_AT IS NOT NULL LIMIT 1").fetchone()
print(f"issues_history keeps the old title: {title[0]!r}")
PY

echo "== pipeline status"
lf pipeline status "$SPEC"
