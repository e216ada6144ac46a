"""A pipeline spec run on Spark: the same spec as `lakeflow pipeline run`, the same
tables, written by Spark into Delta tables.

    from lakeflow_connect import pipeline
    pipeline.ingest(spark, "github-pipeline.yaml")                  # destination: delta
    pipeline.ingest(spark, "github-pipeline.yaml", path="/lake")   # any spec, into /lake

The spec is planned by the engine itself (`lakeflow pipeline validate`): the same checks,
the same keys, sequences and ingestion types. Each table is then brought up to date
with Trigger.AvailableNow streams of the `lakeflow_connect` data source:

  append, APPEND_ONLY   the Delta streaming sink (exactly once by its own log)
  cdc                   foreachBatch MERGE: upserts by key, the highest sequence wins
  cdc_with_deletes      the same, then the delete flow: MERGE ... DELETE, with tombstones
  snapshot              a batch read that becomes the table's content

These are the semantics of the native pipeline (docs/pipelines.md): a late upsert never
replaces a newer row, at an equal sequence the later arrival wins, a null sequence sorts
below every other, a delete removes rows at or below its sequence and keeps the key as a
tombstone so that a late upsert cannot bring it back. Every MERGE is idempotent, so a
micro-batch replayed after a crash leaves the table as it was.

The Spark session must have Delta Lake: on Databricks it has; elsewhere add delta-spark
(docs/spark.md). Tables land where the native Delta destination puts them: ROOT/name, or
ROOT/catalog/schema/name. Stream checkpoints and tombstones live under ROOT/_lakeflow_spark.
"""
import json
import os

from pyspark.sql import Window
from pyspark.sql import functions as F

from lakeflow_connect import _native
from lakeflow_connect._native import LakeflowError

__all__ = ["ingest"]

SEQUENCE = "__lakeflow_sequence"  # a tombstone's sequence
ARRIVAL = "__lakeflow_arrival"  # order of arrival inside a micro-batch


def ingest(spark, spec, path=None):
    """Brings every table of the pipeline spec up to date in Delta tables under `path`
    (default: the spec's delta destination). Returns {destination table: Delta path}."""
    plan = json.loads(_native.plan_pipeline(str(spec)))
    root = path or _delta_root(plan)
    from lakeflow_connect import register
    register(spark)
    tables = {}
    for table in plan["tables"]:
        flow = _TableFlow(spark, plan["connection"], table, root)
        flow.run()
        tables[table["destination"]] = flow.target
    return tables


def _delta_root(plan):
    destination = plan["destination"]
    if destination["type"] != "delta":
        raise LakeflowError(
            f"{plan['file']}: destination is {destination['type']}; lakeflow_connect.pipeline "
            "writes Delta tables: set destination {type: delta, path: ...} or pass path=")
    return destination["path"]


def _quote(path):
    """A column path (`a.b`) as SQL: each part in backticks."""
    return ".".join("`" + part.replace("`", "``") + "`" for part in path.split("."))


def _at_most(a, b):
    """SQL for `a sorts at or below b`, where null sorts below every value."""
    return f"({a} IS NULL OR ({b} IS NOT NULL AND {a} <= {b}))"


class _TableFlow:
    def __init__(self, spark, connection, table, root):
        self.spark = spark
        self.table = table
        self.name = table["destination"]
        self.target = os.path.join(root, *self.name.split("."))
        self.state = os.path.join(root, "_lakeflow_spark", self.name)
        self.options = dict(table["read_options"])
        self.keys = table["primary_keys"]
        self.sequence = table["sequence_by"]

    def run(self):
        if self.table["scd_type"] == "SCD_TYPE_2":
            raise LakeflowError(
                f"table '{self.name}': SCD_TYPE_2 is not built on Spark yet; "
                "`lakeflow pipeline run` builds it natively")
        if self.table["ingestion_type"] == "snapshot":
            self._snapshot()
        elif self.table["appends"]:
            self._append()
        else:
            self._stream("changes", self._upsert)
            if self.table["deletes"]:
                self._stream("deletes", self._delete, isDeleteFlow="true")

    # -- reads

    def _reader(self, reader, **extra):
        reader = reader.format("lakeflow_connect")
        for key, value in {**self.options, **extra}.items():
            reader = reader.option(key, value)
        return reader.load()

    def _stream(self, flow, apply, **extra):
        frame = self._reader(self.spark.readStream, **extra)
        query = (frame.writeStream.foreachBatch(apply)
                 .option("checkpointLocation", os.path.join(self.state, flow))
                 .trigger(availableNow=True).start())
        query.awaitTermination()

    def _append(self):
        frame = self._reader(self.spark.readStream)
        query = (frame.writeStream.format("delta").outputMode("append")
                 .option("checkpointLocation", os.path.join(self.state, "changes"))
                 .option("mergeSchema", "true").trigger(availableNow=True).start(self.target))
        query.awaitTermination()

    def _snapshot(self):
        frame = self._reader(self.spark.read)
        if self.table["appends"]:
            frame.write.format("delta").mode("append").option("mergeSchema", "true") \
                .save(self.target)
            return
        frame.write.format("delta").mode("overwrite").option("mergeSchema", "true") \
            .save(self.target)

    # -- merges

    def _latest(self, batch):
        """Each key's winning event in a micro-batch: the highest sequence, and at an
        equal one the later arrival."""
        order = [F.col(ARRIVAL).desc()]
        if self.sequence:
            order.insert(0, F.expr(_quote(self.sequence)).desc_nulls_last())
        window = Window.partitionBy(*[F.col(_quote(k)) for k in self.keys]).orderBy(*order)
        return (batch.withColumn(ARRIVAL, F.monotonically_increasing_id())
                .withColumn("__lakeflow_rank", F.row_number().over(window))
                .where("__lakeflow_rank = 1").drop("__lakeflow_rank", ARRIVAL))

    def _seq(self, alias):
        return f"{alias}.{_quote(self.sequence)}" if self.sequence else "NULL"

    def _on(self):
        return " AND ".join(f"t.{_quote(k)} <=> s.{_quote(k)}" for k in self.keys)

    def _exists(self, path):
        return os.path.isdir(os.path.join(path, "_delta_log"))

    def _upsert(self, batch, batch_id):
        spark = batch.sparkSession
        rows = self._latest(batch)
        tombstones = os.path.join(self.state, "tombstones")
        if self._exists(tombstones):
            # A key deleted at or after an upsert's sequence stays deleted.
            dead = spark.read.format("delta").load(tombstones).alias("d")
            on = [F.col(f"s.{_quote(k)}").eqNullSafe(F.col(f"d.{_quote(k)}")) for k in self.keys]
            cond = F.expr(_at_most(self._seq("s"), f"d.{SEQUENCE}"))
            rows = rows.alias("s").join(dead, on=[*on, cond], how="left_anti")
        if not self._exists(self.target):
            rows.limit(0).write.format("delta").save(self.target)
        view = f"lakeflow_upserts_{batch_id}"
        rows.createOrReplaceTempView(view)
        spark.sql(
            f"MERGE WITH SCHEMA EVOLUTION INTO delta.`{self.target}` t USING {view} s "
            f"ON {self._on()} "
            f"WHEN MATCHED AND {_at_most(self._seq('t'), self._seq('s'))} THEN UPDATE SET * "
            "WHEN NOT MATCHED THEN INSERT *")
        spark.catalog.dropTempView(view)

    def _delete(self, batch, batch_id):
        spark = batch.sparkSession
        keys = [F.col(_quote(k)).alias(k) for k in self.keys]
        sequence = F.expr(_quote(self.sequence)) if self.sequence else F.lit(None)
        deletes = self._latest(batch).select(*keys, sequence.alias(SEQUENCE))
        view = f"lakeflow_deletes_{batch_id}"
        deletes.createOrReplaceTempView(view)
        if self._exists(self.target):
            spark.sql(
                f"MERGE INTO delta.`{self.target}` t USING {view} s ON {self._on()} "
                f"WHEN MATCHED AND {_at_most(self._seq('t'), f's.{SEQUENCE}')} THEN DELETE")
        tombstones = os.path.join(self.state, "tombstones")
        if not self._exists(tombstones):
            deletes.limit(0).write.format("delta").save(tombstones)
        spark.sql(
            f"MERGE INTO delta.`{tombstones}` t USING {view} s ON {self._on()} "
            f"WHEN MATCHED AND {_at_most(f't.{SEQUENCE}', f's.{SEQUENCE}')} "
            f"THEN UPDATE SET t.{SEQUENCE} = s.{SEQUENCE} "
            "WHEN NOT MATCHED THEN INSERT *")
        spark.catalog.dropTempView(view)
