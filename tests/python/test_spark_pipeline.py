"""lakeflow_connect.pipeline.ingest: the same pipeline spec run on Spark builds the same
Delta tables as `lakeflow pipeline run` (a differential test, read back with `deltalake`),
for cdc, cdc_with_deletes, append and snapshot tables, through a change of the source;
what it cannot build is one clear error."""
import json

import pytest

from conftest import ROOT
from test_pipeline_delta import delta_rows
from test_spark_stream import memory

GITHUB = {"issues": "id", "commits": "sha", "branches": "name", "main.github.comments": "id"}
MEMORY = {"items": "id", "events": "seq", "colors": "name"}


def spec(tmp_path, connection, tables, scd=None):
    """A pipeline spec file, written as JSON (which YAML reads too), so that a test can
    also hand ingest the same spec as a dict."""
    objects = []
    for name in tables:
        parts = name.split(".")
        table = {"source_table": parts[-1]}
        if len(parts) > 1:
            table.update(destination_catalog=parts[0], destination_schema=parts[1])
        if scd:
            table["table_configuration"] = {"scd_type": scd}
        objects.append({"table": table})
    path = tmp_path / "pipeline.yaml"
    path.write_text(json.dumps({"connection_name": connection, "objects": objects,
                                "destination": {"type": "delta",
                                                "path": str(tmp_path / "native")}}))
    return path


def assert_same_tables(tmp_path, keys):
    for table, key in keys.items():
        native = sorted(delta_rows(tmp_path / "native", table), key=lambda r: r[key])
        spark = sorted(delta_rows(tmp_path / "spark", table), key=lambda r: r[key])
        assert len(spark) == len(native) > 0, table
        assert spark == native, table


def run_both(spark, home_cli, path, tmp_path):
    from lakeflow_connect import pipeline
    home_cli.run("pipeline", "run", str(path))
    return pipeline.ingest(spark, path, path=str(tmp_path / "spark"))


def test_github_tables_equal_the_native_pipelines(spark, home_cli, simulators, tmp_path):
    from test_spark_datasource import github
    sim = simulators("github")
    name = github(home_cli, sim, "gh_pipeline")
    path = spec(tmp_path, name, GITHUB)
    run_both(spark, home_cli, path, tmp_path)
    assert_same_tables(tmp_path, GITHUB)

    # The source changes: an issue retitled and closed, a new one; both runs again.
    issue = home_cli.records("read", "--connection", name, "-o", "tableName=issues")[0]
    sim.control("POST", "issues/records", {"id": issue["id"], "title": "retitled",
                                           "state": "closed"})
    sim.control("POST", "issues/records", {"title": "brand new"})
    run_both(spark, home_cli, path, tmp_path)
    assert_same_tables(tmp_path, GITHUB)
    issues = {r["id"]: r for r in delta_rows(tmp_path / "spark", "issues")}
    assert issues[issue["id"]]["title"] == "retitled"
    assert sum(r["title"] == "brand new" for r in issues.values()) == 1


def test_deletes_and_snapshots_equal_the_native_pipelines(spark, home_cli, tmp_path):
    name = memory(home_cli, "mem_pipeline")
    path = spec(tmp_path, name, MEMORY)
    run_both(spark, home_cli, path, tmp_path)
    assert_same_tables(tmp_path, MEMORY)
    items = sorted(r["id"] for r in delta_rows(tmp_path / "spark", "items"))
    assert items == [i for i in range(25) if i % 5]
    # Caught up: a second run changes nothing; the spec may be a dict, as the reference's is.
    from lakeflow_connect import pipeline
    home_cli.run("pipeline", "run", str(path))
    pipeline.ingest(spark, json.loads(path.read_text()), path=str(tmp_path / "spark"))
    assert_same_tables(tmp_path, MEMORY)
    # Each run let go of the destination's lock when it ended.
    import fcntl
    import os
    fd = os.open(tmp_path / "spark" / ".lakeflow-lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(fd)


def test_what_spark_cannot_build_is_one_clear_error(spark, home_cli, tmp_path):
    from lakeflow_connect import LakeflowError, pipeline
    name = memory(home_cli, "mem_pipeline_errors")
    sqlite = tmp_path / "sqlite.yaml"
    sqlite.write_text(f"connection_name: {name}\nobjects:\n  - table: {{source_table: items}}\n")
    with pytest.raises(LakeflowError, match="destination is sqlite"):
        pipeline.ingest(spark, sqlite)
    with pytest.raises(LakeflowError, match="nope"):
        pipeline.ingest(spark, spec(tmp_path, name, ["nope"]), path=str(tmp_path / "spark"))


def test_a_destination_another_run_is_writing_is_refused(spark, home_cli, tmp_path):
    """Spark's runs take the native pipeline's lock on the Delta root: while another
    run holds it, ingest writes nothing and names the holder."""
    import fcntl
    import os
    from lakeflow_connect import LakeflowError, pipeline
    name = memory(home_cli, "mem_pipeline_lock")
    path = spec(tmp_path, name, ["items"])
    root = tmp_path / "spark"
    root.mkdir()
    fd = os.open(root / ".lakeflow-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, b"pid 4242, since 2026-01-01T00:00:00Z: lakeflow pipeline run\n")
        with pytest.raises(LakeflowError, match="being written by another run .pid 4242"):
            pipeline.ingest(spark, path, path=str(root))
        assert not (root / "items").exists()
    finally:
        os.close(fd)


@pytest.mark.parametrize("scd", ["SCD_TYPE_1", "SCD_TYPE_2"])
def test_shuffled_events_merge_as_the_native_pipeline_merges(spark, home_cli, tmp_path, scd):
    """Late, repeated and tied upserts and racing deletes; null sequences too: of upserts
    and deletes in SCD1, of deletes in SCD2 (which refuses an upsert without one)."""
    name = f"shuffled_{scd}"
    connector = ROOT / "tests" / "python" / "connectors" / "shuffled_events_connector.py"
    home_cli.run("connection", "create", name, "--source", "python", "-o", f"module={connector}",
                 "-o", "class=LakeflowConnect", "-o", "seed=1",
                 "-o", f"null_sequences={'true' if scd == 'SCD_TYPE_1' else 'deletes'}")
    path = spec(tmp_path, name, ["accounts"], scd=scd)
    run_both(spark, home_cli, path, tmp_path)

    def rows(engine):
        return sorted(delta_rows(tmp_path / engine, "accounts"),
                      key=lambda r: (r["id"], r.get("__START_AT")))
    native = rows("native")
    assert 0 < len(native) < 8 if scd == "SCD_TYPE_1" else len(native) > 8
    assert native == rows("spark")


def test_history_equals_the_native_pipelines(spark, home_cli, simulators, tmp_path):
    """SCD_TYPE_2 of GitHub issues, through a change of the source."""
    from test_spark_datasource import github
    sim = simulators("github")
    name = github(home_cli, sim, "gh_history")
    path = spec(tmp_path, name, ["issues"], scd="SCD_TYPE_2")
    run_both(spark, home_cli, path, tmp_path)
    issue = home_cli.records("read", "--connection", name, "-o", "tableName=issues")[0]
    sim.control("POST", "issues/records", {"id": issue["id"], "title": "retitled"})
    run_both(spark, home_cli, path, tmp_path)

    def rows(engine):
        return sorted(delta_rows(tmp_path / engine, "issues"),
                      key=lambda r: (r["id"], r["__START_AT"]))
    native = rows("native")
    assert sum(r["id"] == issue["id"] for r in native) == 2
    assert native == rows("spark")


def test_postgres_cdc_lands_as_the_native_pipeline_lands_it(spark, home_cli, pg, tmp_path):
    """A real PostgreSQL table through logical replication: the initial snapshot, then
    inserts, updates, a key change and deletes. Each engine has its own slot, so `_pg_lsn`
    of the snapshot's rows differs; every other column must be equal, and equal the source."""
    from lakeflow_connect import pipeline
    from test_postgres import sql
    from test_postgres_cdc import ACCOUNTS, ACCOUNTS_QUERY, PUBLICATION, source_rows
    server, database = pg
    sql(*pg, *ACCOUNTS, f"CREATE PUBLICATION {PUBLICATION} FOR TABLE accounts")
    specs = {}
    for engine in ("native", "spark"):
        home_cli.run("connection", "create", f"pg_{engine}", "--source", "postgres",
                     *server.options(database, publication=PUBLICATION, slot_name=engine))
        specs[engine] = tmp_path / f"{engine}.yaml"
        specs[engine].write_text(
            f"connection_name: pg_{engine}\ndestination: {{type: delta, path: {tmp_path / engine}}}\n"
            "objects:\n  - table: {source_table: public.accounts, destination_table: accounts}\n")

    def run_and_compare():
        home_cli.run("pipeline", "run", str(specs["native"]))
        pipeline.ingest(spark, specs["spark"])
        expected = [(r[0], r[1], str(r[2])) for r in source_rows(pg, ACCOUNTS_QUERY)]
        for engine in ("native", "spark"):
            rows = sorted(delta_rows(tmp_path / engine, "accounts"), key=lambda r: r["id"])
            assert [(r["id"], r["owner"], str(r["balance"])) for r in rows] == expected, engine

    run_and_compare()
    sql(*pg, "INSERT INTO accounts SELECT g, 'new ' || g, g FROM generate_series(3001, 3100) g",
        "UPDATE accounts SET balance = balance + 1 WHERE id % 7 = 0",
        "UPDATE accounts SET id = 5000 WHERE id = 10",
        "DELETE FROM accounts WHERE id % 11 = 0")
    run_and_compare()


def test_snapshot_history_equals_the_native_pipelines(spark, home_cli, tmp_path):
    """SCD_TYPE_2 of a snapshot table: a version per run of snapshots holding the same
    values, through a new key, a changed one, a vanished one and one that comes back."""
    colors = tmp_path / "colors.json"
    name = memory(home_cli, "mem_snapshots", "LakeflowConnect", "-o", f"colors_file={colors}")
    path = spec(tmp_path, name, ["colors"], scd="SCD_TYPE_2")
    snapshots = [{"red": "#f00", "green": "#0f0"},
                 {"red": "#f00", "green": "#0f1", "blue": "#00f"},
                 {"green": "#0f1", "blue": "#00f"},
                 {"green": "#0f1", "blue": "#00f"},
                 {"red": "#f00", "blue": "#00f"}]
    for snapshot in snapshots:
        colors.write_text(json.dumps([{"name": k, "hex": v} for k, v in snapshot.items()]))
        run_both(spark, home_cli, path, tmp_path)

    def rows(engine):
        return sorted((r["name"], r["hex"], r["__START_AT"], r["__END_AT"])
                      for r in delta_rows(tmp_path / engine, "colors"))
    assert rows("native") == [("blue", "#00f", 2, None), ("green", "#0f0", 1, 2),
                              ("green", "#0f1", 2, 5), ("red", "#f00", 1, 3),
                              ("red", "#f00", 5, None)]
    assert rows("spark") == rows("native")


def test_shaped_and_clustered_tables_equal_the_native_pipelines(spark, home_cli, tmp_path):
    """include_columns / exclude_columns, row_filter and cluster_by, run natively and on
    Spark: the same rows and columns, and the same clustering columns, which Spark reads
    back from either table."""
    name = memory(home_cli, "mem_shaped")
    configs = {
        "items": {"exclude_columns": ["tags"], "cluster_by": ["name", "updated_at"],
                  "row_filter": "price >= 2.5 AND name <> 'item 12'"},
        "events": {"include_columns": '["seq"]', "row_filter": "kind IN ('click')"},
        "colors": {"row_filter": "hex LIKE '#f%' OR name IS NULL", "cluster_by": "name"},
    }
    objects = [{"table": {"source_table": t, "table_configuration": c}}
               for t, c in configs.items()]
    path = tmp_path / "pipeline.yaml"
    path.write_text(json.dumps({"connection_name": name, "objects": objects,
                                "destination": {"type": "delta",
                                                "path": str(tmp_path / "native")}}))
    run_both(spark, home_cli, path, tmp_path)
    assert_same_tables(tmp_path, MEMORY)
    items = delta_rows(tmp_path / "spark", "items")
    assert sorted(r["id"] for r in items) == [i for i in range(10, 25) if i != 12 and i % 5]
    assert "tags" not in items[0]
    assert set(delta_rows(tmp_path / "spark", "events")[0]) == {"seq"}
    for side in ("native", "spark"):
        for table, columns in (("items", ["name", "updated_at"]), ("colors", ["name"])):
            detail = spark.sql(
                f"DESCRIBE DETAIL delta.`{tmp_path / side / table}`").first().asDict()
            assert list(detail["clusteringColumns"]) == columns, (side, table, detail)
