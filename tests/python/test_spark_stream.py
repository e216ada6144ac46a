"""`readStream` through the lakeflow_connect data source in a real local PySpark: the
seed's two stream calls (changes, and deletes with isDeleteFlow=true); Spark's max-rows
read limit; a stream stopped, or killed between planning and committing a micro-batch,
restarted from its checkpoint, losing and repeating nothing; streams a connector plans
in partitions, read by the tasks; and replays that cannot be honoured failing clearly."""
import shutil

import pyarrow.parquet as pq
import pytest

from conftest import ROOT
from test_spark_datasource import github

MEMORY = str(ROOT / "tests" / "python" / "connectors" / "memory_connector.py")


def memory(home_cli, name, cls="LakeflowConnect", *options):
    home_cli.run("connection", "create", name, "--source", "python", "-o", f"module={MEMORY}",
                 "-o", f"class={cls}", "-o", "items=25", "-o", "page_size=10", *options)
    return name


def stream(spark, connection, table, **options):
    reader = (spark.readStream.format("lakeflow_connect")
              .option("databricks.connection", connection).option("tableName", table))
    for key, value in options.items():
        reader = reader.option(key, value)
    return reader.load()


class BatchFiles:
    """A foreachBatch sink that writes micro-batch N to its own parquet directory,
    replacing it when N is replayed: exactly once per batch id, as a Delta MERGE
    keyed by batch id would be."""

    def __init__(self, root):
        self.root = root
        self.calls = []

    def __call__(self, frame, batch_id):
        self.calls.append(batch_id)
        frame.write.mode("overwrite").parquet(str(self.root / f"batch={batch_id}"))

    def rows(self, batch_id=None):
        paths = sorted(self.root.glob("batch=*")) if batch_id is None else \
            [self.root / f"batch={batch_id}"]
        return [row for path in paths for row in pq.read_table(path).to_pylist()]


def run(frame, sink, checkpoint, **trigger):
    query = (frame.writeStream.foreachBatch(sink).option("checkpointLocation", str(checkpoint))
             .trigger(**(trigger or {"availableNow": True})).start())
    query.awaitTermination()
    return query


def test_stream_reads_changes_and_deletes(spark, home_cli, tmp_path):
    name = memory(home_cli, "mem_stream")
    changes = BatchFiles(tmp_path / "changes")
    run(stream(spark, name, "items"), changes, tmp_path / "ck")
    # Three reads of the connector (pages of 10), three micro-batches.
    assert changes.calls == [0, 1, 2]
    assert [len(changes.rows(i)) for i in range(3)] == [10, 10, 5]
    rows = sorted(changes.rows(), key=lambda r: r["id"])
    assert [r["id"] for r in rows] == list(range(25))
    assert rows[3]["name"] == "item 3" and rows[3]["tags"] == ["t0"]
    assert str(rows[3]["price"]) == "0.75"

    deletes = BatchFiles(tmp_path / "deletes")
    run(stream(spark, name, "items", isDeleteFlow="true"), deletes, tmp_path / "ckd")
    assert sorted(r["id"] for r in deletes.rows()) == [0, 5, 10, 15, 20]


def test_max_rows_bound_each_micro_batch(spark, home_cli, simulators, tmp_path):
    sim = simulators("github")
    name = github(home_cli, sim, "gh_stream_limit")
    expected = home_cli.records("read", "--connection", name, "-o", "tableName=issues")
    sink = BatchFiles(tmp_path / "out")
    run(stream(spark, name, "issues", max_records_per_batch="100"), sink, tmp_path / "ck")
    sizes = [len(sink.rows(i)) for i in sink.calls]
    assert len(sizes) >= len(expected) // 100 and max(sizes) <= 100, sizes
    assert sorted(r["id"] for r in sink.rows()) == sorted(r["id"] for r in expected)


def moving(spark, items, **options):
    """A stream of the memory connector's items, opened by source rather than by a
    connection, so that a restart can see more items than the run before it."""
    return stream_by_source(spark, "items", source="python", module=MEMORY,
                            **{"class": "LakeflowConnect"}, items=str(items), page_size="10",
                            **options)


def stream_by_source(spark, table, **options):
    reader = spark.readStream.format("lakeflow_connect").option("tableName", table)
    for key, value in options.items():
        reader = reader.option(key, value)
    return reader.load()


def kill_before_commit(checkpoint, sink, batch_id):
    """As if the query died after planning `batch_id` and before committing it."""
    for name in (str(batch_id), f".{batch_id}.crc"):
        (checkpoint / "commits" / name).unlink()
    shutil.rmtree(sink.root / f"batch={batch_id}")


def test_a_restarted_stream_loses_and_repeats_nothing(spark, tmp_path):
    sink, checkpoint = BatchFiles(tmp_path / "out"), tmp_path / "ck"
    staging = str(tmp_path / "staging")
    # Stopped after one micro-batch, then resumed to the end from the checkpoint.
    run(moving(spark, 25, stagingLocation=staging), sink, checkpoint, once=True)
    assert sink.calls == [0] and len(sink.rows(0)) == 10
    run(moving(spark, 25, stagingLocation=staging), sink, checkpoint)
    assert sink.calls == [0, 1, 2]
    assert sorted(r["id"] for r in sink.rows()) == list(range(25))

    # Killed after planning batch 2 and before committing it, while the source moved
    # on (five more items): the restarted query delivers batch 2 exactly as planned,
    # from the staging location, and the new items come in the batch after it.
    kill_before_commit(checkpoint, sink, 2)
    run(moving(spark, 30, stagingLocation=staging), sink, checkpoint)
    assert sink.calls == [0, 1, 2, 2, 3]
    assert sorted(r["id"] for r in sink.rows(2)) == list(range(20, 25))
    assert sorted(r["id"] for r in sink.rows(3)) == list(range(25, 30))
    assert sorted(r["id"] for r in sink.rows()) == list(range(30))

    # Caught up: one more run plans nothing.
    run(moving(spark, 30, stagingLocation=staging), sink, checkpoint)
    assert sink.calls == [0, 1, 2, 2, 3]


def test_without_staging_a_replay_reads_again_or_fails_clearly(spark, tmp_path):
    sink, checkpoint = BatchFiles(tmp_path / "out"), tmp_path / "ck"
    run(moving(spark, 25), sink, checkpoint)
    assert sink.calls == [0, 1, 2]
    # The source unchanged: batch 2 is read again from its start, the same records.
    kill_before_commit(checkpoint, sink, 2)
    run(moving(spark, 25), sink, checkpoint)
    assert sink.calls == [0, 1, 2, 2]
    assert sorted(r["id"] for r in sink.rows(2)) == list(range(20, 25))
    # The source moved on: the read from batch 2's start ends elsewhere.
    kill_before_commit(checkpoint, sink, 2)
    with pytest.raises(Exception) as error:
        run(moving(spark, 30), sink, checkpoint)
    message = str(error.value)
    assert "table 'items'" in message and "cannot be replayed after the restart" in message, \
        message[:3000]
    assert 'now ends at {"cursor":"2024-01-02T05:00:00+00:00"}' in message, message[:3000]


def test_partitioned_streams_are_read_by_the_tasks(spark, home_cli, tmp_path):
    trace = tmp_path / "trace"
    name = memory(home_cli, "mem_partitioned", "PartitionedLakeflowConnect", "-o",
                  f"trace={trace}", "--allow", "trace")
    sink = BatchFiles(tmp_path / "out")
    frame = stream(spark, name, "events")
    run(frame, sink, tmp_path / "ck")
    # latest_offset moves 15 at a time up to 40; each batch is planned in partitions of 7.
    assert [len(sink.rows(i)) for i in sink.calls] == [15, 15, 10]
    assert sorted(r["seq"] for r in sink.rows()) == list(range(40))
    assert trace.read_text().count("read_partition") == 3 + 3 + 2


def test_a_bad_read_limit_is_one_clear_error(spark, home_cli, tmp_path):
    name = memory(home_cli, "mem_limit")
    with pytest.raises(Exception) as error:
        run(stream(spark, name, "items", max_records_per_batch="many"), BatchFiles(tmp_path),
            tmp_path / "ck")
    assert "option 'max_records_per_batch' must be a positive integer, not 'many'" in \
        str(error.value), str(error.value)[:3000]
