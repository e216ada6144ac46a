#!/usr/bin/env bash
# The main job, for now: build lakeflow, then run the seed's calls end to end
# against the example connector of docs/connector-guide.md (a plugin), through
# a named connection: metadata, table list, a batch read, and a checkpointed
# stream into Parquet that resumes where it stopped. (The ingestion pipeline
# into SQLite replaces this demo when it lands.)
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
scripts/setup.sh >"$log" 2>&1 || { cat "$log"; echo "demo: set-up failed" >&2; exit 1; }
rm -f "$log"

WORK=${DEMO_DIR:-$PWD/.lakeflow-demo}
rm -rf "$WORK"
mkdir -p "$WORK"
export LAKEFLOW_HOME="$WORK/home"
export LAKEFLOW_PLUGINS="$PWD/build/libplanets_connector.so"
lf() { build/lakeflow "$@"; }

echo "== connection"
lf connection create sky --source planets -o days=30 --allow page_days
lf connection show sky

echo "== metadata (_lakeflow_metadata)"
lf read --connection sky -o tableName=_lakeflow_metadata -o tableNameList=planets,observations --output table

echo "== table list (_lakeflow_table_list)"
lf read --connection sky -o tableName=_lakeflow_table_list --output table

echo "== batch read: planets"
lf read --connection sky -o tableName=planets --output table

echo "== stream: observations, available-now, into Parquet"
lf stream --connection sky -o tableName=observations -o page_days=10 \
  --checkpoint "$WORK/checkpoints/observations" --output "parquet:$WORK/observations"
ls "$WORK/observations"

echo "== stream again from the checkpoint: nothing new"
lf stream --connection sky -o tableName=observations -o page_days=10 \
  --checkpoint "$WORK/checkpoints/observations" --output "parquet:$WORK/observations"

.venv/bin/python - "$WORK/observations" <<'PY'
import sys, pyarrow.dataset as ds
table = ds.dataset(sys.argv[1], format="parquet").to_table()
print(f"observations: {table.num_rows} rows in Parquet, {len(set(table.column('planet').to_pylist()))} planets")
PY
