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


def test_a_restarted_stream_loses_and_repeats_nothing(spark, home_cli, tmp_path):
    name = memory(home_cli, "mem_restart")
    sink, checkpoint = BatchFiles(tmp_path / "out"), tmp_path / "ck"
    # Stopped after one micro-batch, then resumed to the end from the checkpoint.
    run(stream(spark, name, "items"), sink, checkpoint, once=True)
    assert sink.calls == [0] and len(sink.rows(0)) == 10
    run(stream(spark, name, "items"), sink, checkpoint)
    assert sink.calls == [0, 1, 2]
    assert sorted(r["id"] for r in sink.rows()) == list(range(25))

    # Killed after planning batch 2 and before committing it: the restarted query
    # plans the batch again from the checkpoint's offsets, and the engine reads the
    # same records from the same start.
    first = sorted(r["id"] for r in sink.rows(2))
    for commit in ("2", ".2.crc"):
        (checkpoint / "commits" / commit).unlink()
    shutil.rmtree(tmp_path / "out" / "batch=2")
    run(stream(spark, name, "items"), sink, checkpoint)
    assert sink.calls == [0, 1, 2, 2]
    assert sorted(r["id"] for r in sink.rows(2)) == first == list(range(20, 25))
    assert sorted(r["id"] for r in sink.rows()) == list(range(25))

    # Caught up: one more run plans nothing.
    run(stream(spark, name, "items"), sink, checkpoint)
    assert sink.calls == [0, 1, 2, 2]


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


def test_a_replay_the_source_cannot_repeat_fails_clearly(home_cli):
    from lakeflow_connect import LakeflowError
    from lakeflow_connect.stream_reader import StreamReader
    name = memory(home_cli, "mem_replay")
    reader = StreamReader({"databricks.connection": name, "tableName": "items"})
    end = reader.latestOffset({}, reader.getDefaultReadLimit())
    assert len(reader.partitions({}, end)) == 1
    # After a restart nothing is staged: the batch is read again, and must end where
    # the checkpoint says it ended.
    restarted = StreamReader({"databricks.connection": name, "tableName": "items"})
    assert len(restarted.partitions({}, end)) == 1
    with pytest.raises(LakeflowError) as error:
        restarted.partitions({}, {"cursor": "2024-01-01T05:00:00+00:00"})
    message = str(error.value)
    assert "table 'items'" in message and "cannot be replayed" in message, message
    assert '"2024-01-01T09:00:00+00:00"' in message, message


def test_a_bad_read_limit_is_one_clear_error(spark, home_cli, tmp_path):
    name = memory(home_cli, "mem_limit")
    with pytest.raises(Exception) as error:
        run(stream(spark, name, "items", max_records_per_batch="many"), BatchFiles(tmp_path),
            tmp_path / "ck")
    assert "option 'max_records_per_batch' must be a positive integer, not 'many'" in \
        str(error.value), str(error.value)[:3000]
