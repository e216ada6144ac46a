#!/usr/bin/env bash
# Builds lakeflow_connect with pip, as a user would (an isolated build through
# scikit-build-core), installs it in a fresh virtualenv, and reads a table
# through it with neither the build tree nor PYTHONPATH: the installed module
# must find Arrow in the installed pyarrow. Takes a few minutes (a full build).
#
#   scripts/check_wheel.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null

work=$(mktemp -d /tmp/lakeflow-wheel.XXXXXX)
trap 'kill "${sim_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q --upgrade pip
echo "== pip wheel ./python/lakeflow_connect"
time "$work/venv/bin/pip" wheel -q -w "$work/dist" ./python/lakeflow_connect
"$work/venv/bin/pip" install -q "$work"/dist/lakeflow_connect-*.whl

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
build/lakeflow simulate --spec-dir testdata/simulator/github --port "$port" >/dev/null 2>&1 &
sim_pid=$!
for _ in $(seq 60); do
  curl -fs "http://127.0.0.1:$port/_simulator/health" >/dev/null && break
  sleep 0.5
done
echo "== read through the installed wheel"
(cd "$work" && env -u PYTHONPATH -u LAKEFLOW_NATIVE_DIR "$work/venv/bin/python" - "$port" <<'PY'
import sys
import pyarrow as pa
import lakeflow_connect
from lakeflow_connect.native import batches, open_source
print("module:", lakeflow_connect._native.__file__)
source = open_source({"source": "github", "base_url": f"http://127.0.0.1:{sys.argv[1]}",
                      "owner": "octo", "repo": "demo", "tableName": "issues"})
table = pa.Table.from_batches(list(batches(source.read())))
assert table.num_rows > 100, table.num_rows
print(f"read {table.num_rows} issues through the wheel")
PY
)
