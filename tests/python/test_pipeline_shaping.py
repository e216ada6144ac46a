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
    ("{cluster_by: [nope]}", "cluster_by: 'nope' is not a top-level column of the destination"),
    ("{exclude_columns: [name], cluster_by: [name]}", "cluster_by: 'name' is not a top-level"),
    ("{cluster_by: [tags]}", "cluster_by: 'tags' has type list<"),
    ("{cluster_by: [price]}", "'price' has type decimal128(10, 2)"),
    ("{cluster_by: [id, name, id]}", "cluster_by: 'id' is given twice"),
    ("{cluster_by: [a, b, c, d, e]}", "cluster_by: 5 columns, at most 4 may be given"),
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


def sqlite_cluster_index(db, table):
    """The columns of the table's clustering index, or None."""
    with sqlite3.connect(db) as conn:
        names = [r[1] for r in conn.execute(f"PRAGMA index_list({table})")]
        name = f"{table}__lakeflow_cluster"
        if name not in names:
            return None
        return [r[2] for r in conn.execute(f"PRAGMA index_info('{name}')")]


def test_cluster_by_is_an_index_in_sqlite(lakeflow, tmp_path):
    db = tmp_path / "lake.db"
    destination = f"{{type: sqlite, path: {db}}}"

    def objects(config):
        return f"objects:\n  - table: {{source_table: items, table_configuration: {config}}}\n"

    run(lakeflow, tmp_path, destination, objects("{cluster_by: [name, updated_at]}"))
    assert sqlite_cluster_index(db, "items") == ["name", "updated_at"]
    # SQLite's planner uses it for a query on those columns.
    with sqlite3.connect(db) as conn:
        plan = " ".join(r[3] for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM items WHERE name = 'item 3'"))
        assert "items__lakeflow_cluster" in plan, plan
    spec = tmp_path / "p.yaml"  # run() wrote it; the connection exists now
    spec.write_text(f"connection_name: mem\ndestination: {destination}\n"
                    + objects("{cluster_by: id}"))
    lakeflow.run("pipeline", "run", str(spec))
    assert sqlite_cluster_index(db, "items") == ["id"]
    spec.write_text(f"connection_name: mem\ndestination: {destination}\n" + objects("{}"))
    lakeflow.run("pipeline", "run", str(spec))
    assert sqlite_cluster_index(db, "items") is None
    with sqlite3.connect(db) as conn:
        assert [r[0] for r in conn.execute("SELECT id FROM items ORDER BY id")] == \
            [i for i in range(25) if i % 5]


def test_cluster_by_lays_out_delta_files_and_records_the_columns(lakeflow, tmp_path):
    import json

    import pyarrow.parquet as pq
    root = tmp_path / "delta"
    objects = ("objects:\n  - table: {source_table: items, "
               "table_configuration: {cluster_by: [name]}}\n")
    run(lakeflow, tmp_path, f"{{type: delta, path: {root}}}", objects)
    # The same rows as unclustered: every item but the deleted multiples of 5.
    items = delta_rows(root, "items")
    assert sorted(r["id"] for r in items) == [i for i in range(25) if i % 5]
    log = root / "items" / "_delta_log"
    actions = [json.loads(line) for f in sorted(log.glob("*.json"))
               for line in f.read_text().splitlines()]
    protocol = [a["protocol"] for a in actions if "protocol" in a][-1]
    assert protocol["minWriterVersion"] == 7
    assert {"clustering", "domainMetadata"} <= set(protocol["writerFeatures"])
    domains = [a["domainMetadata"] for a in actions if "domainMetadata" in a]
    assert [json.loads(d["configuration"]) for d in domains] == [{"clusteringColumns": [["name"]]}]
    # Every live data file is sorted by name ("item 10" before "item 2": not the ids' order).
    live = set()
    for a in actions:
        if "add" in a:
            live.add(a["add"]["path"])
        if "remove" in a:
            live.discard(a["remove"]["path"])
    assert live
    for path in live:
        names = pq.read_table(root / "items" / path).column("name").to_pylist()
        assert names == sorted(names), path
