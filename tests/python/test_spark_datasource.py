"""The `lakeflow_connect` PySpark data source (python/lakeflow_connect) in a real local
PySpark: the seed's batch calls through databricks.connection, equal to the `lakeflow`
command's reads; partitions read by two tasks at once; bad options as one clear error."""
import pytest

from test_postgres import sql


def github(home_cli, sim, name):
    home_cli.run("connection", "create", name, "--source", "github", "-o", f"base_url={sim.url}",
                 "-o", "owner=octo", "-o", "repo=demo")
    return name


def test_the_batch_calls_read_what_the_engine_reads(spark, home_cli, simulators):
    sim = simulators("github")
    name = github(home_cli, sim, "gh_batch")

    def load(**options):
        reader = spark.read.format("lakeflow_connect").option("databricks.connection", name)
        for key, value in options.items():
            reader = reader.option(key, value)
        return reader.load()

    tables = {r.table_name for r in load(tableName="_lakeflow_table_list").collect()}
    assert {"issues", "pull_requests", "comments"} <= tables

    meta = {r.tableName: r for r in load(tableName="_lakeflow_metadata",
                                         tableNameList="issues,commits").collect()}
    assert meta["issues"].primary_keys == ["id"] and meta["issues"].ingestion_type == "cdc"
    assert meta["commits"].ingestion_type == "append"

    issues = load(tableName="issues")
    expected = home_cli.records("read", "--connection", name, "-o", "tableName=issues")
    rows = issues.select("id", "number", "title", "updated_at").collect()
    assert sorted(r.id for r in rows) == sorted(r["id"] for r in expected)
    assert len(rows) == len(expected) > 100
    by_id = {r["id"]: r for r in expected}
    assert all(r.title == by_id[r.id]["title"] for r in rows)
    # Typed, not strings: the schema is the engine's, as a Spark StructType.
    assert dict(issues.dtypes)["updated_at"] == "timestamp"
    assert dict(issues.dtypes)["user"].startswith("struct<")


def test_partitions_are_read_by_tasks_at_once(spark, home_cli, postgres_server):
    database = postgres_server.create_database("spark_partitions")
    sql(postgres_server, database, "CREATE TABLE big (id int8 PRIMARY KEY, v text)",
        "INSERT INTO big SELECT g, 'v' || g FROM generate_series(1, 20000) g")
    home_cli.run("connection", "create", "pg_parts", "--source", "postgres",
                 *postgres_server.options(database), "--allow", "partitions")
    df = (spark.read.format("lakeflow_connect").option("databricks.connection", "pg_parts")
          .option("tableName", "public.big").option("partitions", "2").load())
    assert df.rdd.getNumPartitions() == 2
    per_task = df.rdd.mapPartitions(lambda rows: [sum(1 for _ in rows)]).collect()
    assert sorted(per_task) == [10000, 10000]
    assert sorted(r.id for r in df.select("id").collect()) == list(range(1, 20001))


def test_bad_options_raise_one_clear_error(spark, home_cli, simulators):
    with pytest.raises(Exception) as error:
        (spark.read.format("lakeflow_connect").option("databricks.connection", "missing")
         .option("tableName", "issues").load())
    assert "connection 'missing'" in str(error.value), str(error.value)[:2000]

    sim = simulators("github")
    name = github(home_cli, sim, "gh_bad")
    with pytest.raises(Exception) as error:
        (spark.read.format("lakeflow_connect").option("databricks.connection", name)
         .option("tableName", "nope").load())
    assert "nope" in str(error.value) and "LakeflowError" in str(error.value), \
        str(error.value)[:2000]


def test_the_native_module_needs_no_spark_to_read(home_cli, simulators, spark):
    import lakeflow_connect.native
    import pyarrow as pa
    sim = simulators("github")
    name = github(home_cli, sim, "gh_native")
    source = lakeflow_connect._native.Source({"databricks.connection": name,
                                              "tableName": "issues"})
    table = pa.Table.from_batches(list(lakeflow_connect.native.batches(source.read())))
    expected = home_cli.records("read", "--connection", name, "-o", "tableName=issues")
    assert table.num_rows == len(expected)


def test_a_format_registered_for_one_source(spark, home_cli, simulators):
    """register(spark, "github"), as the reference registers a source: Unity Catalog's
    injected options need no `source`; a local connection still works when it is of
    that source, and one of another source is refused."""
    import lakeflow_connect
    from test_spark_stream import memory
    sim = simulators("github")
    lakeflow_connect.register(spark, "github")
    try:
        reader = spark.read.format("lakeflow_connect")
        for key, value in {"databricks.connection": "uc_bound", "base_url": sim.url,
                           "owner": "octo", "repo": "demo", "tableName": "issues"}.items():
            reader = reader.option(key, value)
        injected = reader.load().count()
        local = github(home_cli, sim, "gh_bound")
        expected = home_cli.records("read", "--connection", local, "-o", "tableName=issues")
        assert injected == len(expected) > 100
        assert spark.read.format("lakeflow_connect").option("databricks.connection", local) \
            .option("tableName", "issues").load().count() == len(expected)
        other = memory(home_cli, "mem_bound")
        with pytest.raises(Exception, match="is a 'python' connection, but this lakeflow_connect "
                                            "format is registered for source 'github'"):
            spark.read.format("lakeflow_connect").option("databricks.connection", other) \
                .option("tableName", "items").load()
    finally:
        lakeflow_connect.register(spark)
    # Unbound again: the memory connection reads.
    assert spark.read.format("lakeflow_connect").option("databricks.connection", "mem_bound") \
        .option("tableName", "items").load().count() == 25


def test_options_injected_by_unity_catalog_need_no_local_connection(spark, simulators):
    """On Databricks the UC connection's options arrive among the read's, `source` with
    them; the connection is then not looked up in the local store."""
    sim = simulators("github")
    reader = spark.read.format("lakeflow_connect")
    for key, value in {"databricks.connection": "uc_github", "source": "github",
                       "base_url": sim.url, "owner": "octo", "repo": "demo",
                       "tableName": "issues"}.items():
        reader = reader.option(key, value)
    assert reader.load().count() > 100
