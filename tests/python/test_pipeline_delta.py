"""The Delta destination end to end: the GitHub pipeline into Delta tables that
the `deltalake` package and Spark (with delta-spark) read back, holding what
the SQLite destination holds for the same source and the same changes."""
import json
import sqlite3

import pytest

OBJECTS = """\
  - table: {source_table: issues}
  - table:
      source_table: issues
      destination_table: issues_history
      table_configuration: {scd_type: SCD_TYPE_2}
  - table: {source_table: commits}
  - table: {source_table: branches}
  - table: {source_table: comments, destination_catalog: main, destination_schema: github}
"""
KEYS = {"issues": "id", "issues_history": "id", "commits": "sha", "branches": "name",
        "main.github.comments": "id"}


@pytest.fixture
def lakes(lakeflow, simulators, tmp_path):
    """Runs the same spec into SQLite and into Delta, twice, the source
    changing in between; returns (sqlite path, delta root)."""
    sim = simulators("github")
    lakeflow.run("connection", "create", "github", "--source", "github",
                 "-o", f"base_url={sim.url}", "-o", "owner=octo", "-o", "repo=demo")
    specs = {}
    for kind, path in (("sqlite", tmp_path / "lake.db"), ("delta", tmp_path / "lake")):
        specs[kind] = tmp_path / f"{kind}.yaml"
        specs[kind].write_text(f"connection_name: github\ndestination: {{type: {kind}, path: {path}}}\n"
                               f"objects:\n{OBJECTS}")
    for spec in specs.values():
        lakeflow.run("pipeline", "run", str(spec))
    issues = json.loads(lakeflow.run("read", "--connection", "github", "-o", "tableName=issues",
                                     "--output", "jsonl").stdout.splitlines()[0])
    sim.control("POST", "issues/records", {"id": issues["id"], "title": "retitled", "state": "closed"})
    sim.control("POST", "issues/records", {"title": "brand new"})
    for spec in specs.values():
        lakeflow.run("pipeline", "run", str(spec))
    return tmp_path / "lake.db", tmp_path / "lake"


def delta_dir(root, table):
    return root.joinpath(*table.split("."))


def delta_rows(root, table):
    from deltalake import DeltaTable
    return DeltaTable(str(delta_dir(root, table))).to_pyarrow_table().to_pylist()


def sqlite_rows(db, table):
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(f'SELECT * FROM "{table}"')]


def test_delta_tables_hold_what_sqlite_holds(lakes):
    db, root = lakes
    for table, key in KEYS.items():
        delta, sql = delta_rows(root, table), sqlite_rows(db, table)
        assert len(delta) == len(sql) > 0, table
        if table == "issues_history":
            assert sorted((r["id"], r["title"], r["__END_AT"] is None) for r in delta) == \
                sorted((r["id"], r["title"], r["__END_AT"] is None) for r in sql)
            continue
        assert sorted(r[key] for r in delta) == sorted(r[key] for r in sql), table
    issues = {r["id"]: r for r in delta_rows(root, "issues")}
    assert [r["title"] for r in issues.values()].count("brand new") == 1
    retitled = [r for r in issues.values() if r["title"] == "retitled"]
    assert len(retitled) == 1 and retitled[0]["state"] == "closed"
    # Typed columns: timestamps are timestamps, nested values structs.
    import datetime
    assert isinstance(retitled[0]["updated_at"], datetime.datetime)
    assert isinstance(retitled[0]["user"], dict) and "login" in retitled[0]["user"]


def test_spark_reads_the_delta_tables(lakes, spark):
    _, root = lakes
    for table, key in KEYS.items():
        df = spark.read.format("delta").load(str(delta_dir(root, table)))
        got = sorted(r[0] for r in df.select(key).collect())
        assert got == sorted(r[key] for r in delta_rows(root, table)), table
    history = spark.read.format("delta").load(str(delta_dir(root, "issues_history")))
    current = history.where("__END_AT IS NULL").count()
    assert current == len(delta_rows(root, "issues"))
    closed = history.where("__END_AT IS NOT NULL").collect()
    assert len(closed) == 1 and closed[0]["__END_AT"] > closed[0]["__START_AT"]
    assert dict(history.dtypes)["__START_AT"] == "timestamp"
