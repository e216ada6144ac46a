"""What a pipeline spec keeps of a source table: include_columns / exclude_columns and a
row_filter, as managed ingestion offers them. The filter sees every source column and is
applied before writing; deletes always apply; the destination has the kept columns only.
Into SQLite and Delta (read back with `deltalake`), and the spec errors as one line."""
import sqlite3

import pytest

from conftest import ROOT
from test_pipeline_delta import delta_rows

MEMORY = str(ROOT / "tests" / "python" / "connectors" / "memory_connector.py")

TABLES = """
objects:
  - table:
      source_table: items
      table_configuration:
        exclude_columns: [tags]
        row_filter: "price >= 2.5 AND name <> 'item 12' AND updated_at < TIMESTAMP '2030-01-01'"
  - table:
      source_table: events
      table_configuration: {include_columns: '["seq"]', row_filter: "kind IN ('click')"}
  - table:
      source_table: colors
      table_configuration: {row_filter: "hex LIKE '#f%' OR name IS NULL"}
"""


def run(lakeflow, tmp_path, destination, objects=TABLES, check=True):
    lakeflow.run("connection", "create", "mem", "--source", "python", "-o", f"module={MEMORY}",
                 "-o", "class=LakeflowConnect", "-o", "items=25", "-o", "page_size=10")
    spec = tmp_path / "p.yaml"
    spec.write_text(f"connection_name: mem\ndestination: {destination}\n{objects}")
    return lakeflow.run("pipeline", "run", str(spec), check=check)


# ids 10..24 pass the price (i/4 >= 2.5); 12 is filtered by name; multiples of 5 deleted.
ITEMS = [i for i in range(10, 25) if i != 12 and i % 5]


def test_into_sqlite(lakeflow, tmp_path):
    db = tmp_path / "lake.db"
    run(lakeflow, tmp_path, f"{{type: sqlite, path: {db}}}")
    with sqlite3.connect(db) as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(items)")]
        assert "tags" not in columns and {"id", "name", "price", "updated_at"} <= set(columns)
        assert [r[0] for r in conn.execute("SELECT id FROM items ORDER BY id")] == ITEMS
        assert [r[1] for r in conn.execute("PRAGMA table_info(events)")
                if not r[1].startswith("_")] == ["seq"]
        assert [r[0] for r in conn.execute("SELECT seq FROM events ORDER BY seq")] == \
            list(range(1, 40, 2))
        assert conn.execute("SELECT name FROM colors").fetchall() == [("red",)]


def test_into_delta(lakeflow, tmp_path):
    root = tmp_path / "delta"
    run(lakeflow, tmp_path, f"{{type: delta, path: {root}}}")
    items = delta_rows(root, "items")
    assert sorted(r["id"] for r in items) == ITEMS
    assert "tags" not in items[0]
    events = delta_rows(root, "events")
    assert sorted(r["seq"] for r in events) == list(range(1, 40, 2))
    assert set(events[0]) == {"seq"}
    assert [r["name"] for r in delta_rows(root, "colors")] == ["red"]


@pytest.mark.parametrize("config, words", [
    ("{exclude_columns: [id]}", "exclude_columns: the primary key 'id' must be kept"),
    ("{exclude_columns: [updated_at]}", "the sequence column 'updated_at' must be kept"),
    ("{include_columns: [name]}", "include_columns: the primary key 'id' must be kept"),
    ("{exclude_columns: [nope]}", "exclude_columns: 'nope' is not a column of source table"),
    ("{include_columns: [id, updated_at], exclude_columns: [tags]}", "give one or the other"),
    ('{row_filter: "lower(name) = \'x\'"}', "functions are not supported ('lower(')"),
    ('{row_filter: "nope = 1"}', "no column 'nope' in the source table"),
    ('{row_filter: "id = \'ten\'"}', "'ten' is not a int64 value for column 'id'"),
    ('{row_filter: "id = 1 AND"}', "expected a column or a value"),
    ('{row_filter: "price > 1 OR"}', "expected a column or a value (at the end)"),
    ('{row_filter: "price > 1 name"}', "unexpected 'name' (at character 11)"),
    ("{cluster_by: [id]}", "clustering is not supported yet"),
])
def test_a_bad_shape_is_one_line(lakeflow, tmp_path, config, words):
    objects = f"objects:\n  - table: {{source_table: items, table_configuration: {config}}}\n"
    proc = run(lakeflow, tmp_path, f"{{type: sqlite, path: {tmp_path / 'x.db'}}}", objects,
               check=False)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], proc.stderr
    assert not (tmp_path / "x.db").exists() or sqlite3.connect(tmp_path / "x.db").execute(
        "SELECT count(*) FROM sqlite_master WHERE name = 'items'").fetchone()[0] == 0
