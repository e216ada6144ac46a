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
  SCD_TYPE_2            foreachBatch: each affected key's history computed again from
                        its versions, its deletes and the micro-batch, then one MERGE;
                        of a snapshot table: versions numbered by snapshot, one MERGE

These are the semantics of the native pipeline (docs/pipelines.md): a late upsert never
replaces a newer row, at an equal sequence the later arrival wins, a null sequence sorts
below every other, a delete removes rows at or below its sequence and keeps the key as a
tombstone so that a late upsert cannot bring it back. A delete without a sequence applies
at the read's position: it takes its key's current sequence, so it removes the current row
(of SCD_TYPE_2: the current version), and changes nothing for a key without one. Every MERGE
is idempotent, so a micro-batch replayed after a crash leaves the table as it was.

The Spark session must have Delta Lake: on Databricks it has; elsewhere add delta-spark
(docs/spark.md). Tables land where the native Delta destination puts them: ROOT/name, or
ROOT/catalog/schema/name. Stream checkpoints and tombstones live under ROOT/_lakeflow_spark.
"""
import contextlib
import datetime
import fcntl
import json
import os
import sys

import pyarrow.fs
from pyspark.errors import AnalysisException
from pyspark.sql import Window
from pyspark.sql import functions as F

from lakeflow_connect import _native
from lakeflow_connect._native import LakeflowError
from lakeflow_connect.native import file_system

__all__ = ["ingest"]

SEQUENCE = "__lakeflow_sequence"  # a tombstone's sequence
ARRIVAL = "__lakeflow_arrival"  # order of arrival inside a micro-batch
START, END = "__START_AT", "__END_AT"  # an SCD_TYPE_2 version's span
IS_DELETE = "__lakeflow_is_delete"  # SCD_TYPE_2: an event that ends a version
CURRENT = "__lakeflow_current"  # a key's current sequence, for deletes without one
HAS_ROW = "__lakeflow_has_row"


def ingest(spark, spec, path=None):
    """Brings every table of the pipeline spec up to date in Delta tables under `path`
    (default: the spec's delta destination). The spec is a file (YAML or JSON) or, as
    the reference's ingest takes it, a dict. Returns {destination table: Delta path}."""
    if isinstance(spec, dict):
        plan = json.loads(_native.plan_pipeline("<pipeline spec dict>", json.dumps(spec)))
    else:
        plan = json.loads(_native.plan_pipeline(str(spec)))
    root = path or _delta_root(plan)
    from lakeflow_connect import register
    register(spark)
    with _destination_lock(root):
        flows = [_TableFlow(spark, table, root) for table in plan["tables"]]
        for flow in flows:
            flow.run()
    return {flow.name: flow.target for flow in flows}


@contextlib.contextmanager
def _destination_lock(root):
    """The native pipeline's lock on a Delta destination (ROOT/.lakeflow-lock), held for
    the whole run, so that two runs into one root, Spark's or `lakeflow pipeline run`'s,
    never plan and write the same micro-batches at once. Only a local root can be locked;
    on an object store, Delta's commit protocol is the only guard."""
    if "://" in root and not root.startswith("file://"):
        yield
        return
    folder = root[len("file://"):] if root.startswith("file://") else root
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, ".lakeflow-lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode(errors="replace").split("\n")[0]
            raise LakeflowError(
                f"Delta destination {root} is being written by another run "
                f"({holder or 'holder unknown'}); wait for it to finish, or stop it (its lock "
                f"{path} goes with its process)") from None
        since = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, since {since}: {' '.join(sys.argv)} "
                      "(lakeflow_connect.pipeline)\n".encode(), 0)
        yield
    finally:
        os.close(fd)


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


def _table(path):
    """A Delta table at `path`, as SQL."""
    return "delta.`" + path.replace("`", "``") + "`"


def _merge(source, into, on, clauses, evolve=False):
    """MERGE INTO the Delta table `into` (as t) USING `source` (as s)."""
    spark = source.sparkSession
    view = "lakeflow_merge_source"
    source.createOrReplaceTempView(view)
    try:
        spark.sql(f"MERGE {'WITH SCHEMA EVOLUTION ' if evolve else ''}INTO {_table(into)} t "
                  f"USING {view} s ON {on} {clauses}")
    finally:
        spark.catalog.dropTempView(view)


def _assign(columns):
    """SQL setting each of `columns` of t to s's."""
    return ", ".join(f"t.{_quote(c)} = s.{_quote(c)}" for c in columns)


def _insert(columns):
    """SQL inserting s's `columns`."""
    names = ", ".join(_quote(c) for c in columns)
    return f"({names}) VALUES ({', '.join('s.' + _quote(c) for c in columns)})"


def _cols(names):
    """Columns by name (a dotted name is a path), each keeping its name."""
    return [F.col(_quote(n)).alias(n) for n in names]


def _with_columns(frame, columns, types):
    """`frame` with each of `columns` it lacks, as nulls of its DataType in `types`
    (a DataType, not its text: Spark cannot parse back every struct field name)."""
    for c in columns:
        if c not in frame.columns:
            frame = frame.withColumn(c, F.lit(None).cast(types[c]))
    return frame


def _at_most(a, b):
    """SQL for `a sorts at or below b`, where null sorts below every value."""
    return f"({a} IS NULL OR ({b} IS NOT NULL AND {a} <= {b}))"


class _TableFlow:
    def __init__(self, spark, table, root):
        self.spark = spark
        self.table = table
        self.name = table["destination"]
        self.target = os.path.join(root, *self.name.split("."))
        self.state = os.path.join(root, "_lakeflow_spark", self.name)
        self.options = dict(table["read_options"])
        self.keys = table["primary_keys"]
        self.sequence = table["sequence_by"]

    def _keeps_history(self):
        return self.table["scd_type"] == "SCD_TYPE_2" and not self.table["appends"]

    def run(self):
        history = self._keeps_history()
        if self.table["ingestion_type"] == "snapshot":
            self._snapshot()
        elif self.table["appends"]:
            self._append()
        elif history:
            self._stream("changes", lambda b, i: self._versions(b, deletes=False))
            if self.table["deletes"]:
                self._stream("deletes", lambda b, i: self._versions(b, deletes=True),
                             isDeleteFlow="true")
        else:
            self._stream("changes", self._upsert)
            if self.table["deletes"]:
                self._stream("deletes", self._delete, isDeleteFlow="true")
        self._cluster()

    def _cluster(self):
        """The spec's cluster_by as the table's clustering columns (liquid clustering,
        CLUSTER BY), set when they differ from the table's; none given leaves a clustered
        table with none (CLUSTER BY NONE), as the native pipeline does. Rows are
        clustered by OPTIMIZE, as on Databricks."""
        wanted = self.table.get("cluster_by") or []
        if not self._exists(self.target):
            return  # no rows were ever read: the table does not exist yet
        detail = self.spark.sql(f"DESCRIBE DETAIL {_table(self.target)}").first()
        info = detail.asDict() if detail else {}
        recorded = list(info.get("clusteringColumns") or [])
        clustered = "clustering" in (info.get("tableFeatures") or [])
        if recorded == wanted or (not wanted and not clustered):
            return
        columns = ", ".join(_quote(c) for c in wanted) if wanted else None
        self.spark.sql(f"ALTER TABLE {_table(self.target)} CLUSTER BY "
                       + (f"({columns})" if columns else "NONE"))

    # -- reads

    def _reader(self, reader, **extra):
        """The table's rows as its spec shapes them: row_filter (not on the delete
        flow, whose records name keys), then the columns the spec keeps."""
        reader = reader.format("lakeflow_connect")
        for key, value in {**self.options, **extra}.items():
            reader = reader.option(key, value)
        frame = reader.load()
        if self.table.get("row_filter") and extra.get("isDeleteFlow") != "true":
            frame = frame.filter(F.expr(self.table["row_filter"]))
        columns = self.table.get("columns")
        if columns and columns != frame.columns:
            frame = frame.select(*[F.col(_quote(c)) for c in columns])
        return frame

    def _stream(self, flow, apply, **extra):
        frame = self._reader(self.spark.readStream, **extra,
                             stagingLocation=os.path.join(self.state, "staged", flow))

        def apply_rows(batch, batch_id):
            if not batch.isEmpty():  # an empty micro-batch changes nothing: no commit
                apply(batch, batch_id)

        query = (frame.writeStream.foreachBatch(apply_rows)
                 .option("checkpointLocation", os.path.join(self.state, flow))
                 .trigger(availableNow=True).start())
        query.awaitTermination()

    def _append(self):
        frame = self._reader(self.spark.readStream,
                             stagingLocation=os.path.join(self.state, "staged", "changes"))
        query = (frame.writeStream.format("delta").outputMode("append")
                 .option("checkpointLocation", os.path.join(self.state, "changes"))
                 .option("mergeSchema", "true").trigger(availableNow=True).start(self.target))
        query.awaitTermination()

    def _snapshot(self):
        frame = self._reader(self.spark.read)
        if self._keeps_history():
            self._snapshot_versions(frame)
            return
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

    def _on(self, *columns):
        """The MERGE condition: the keys, and `columns`, equal (null-safe)."""
        return " AND ".join(f"t.{_quote(c)} <=> s.{_quote(c)}" for c in [*self.keys, *columns])

    def _exists(self, path):
        """Whether a Delta table is at `path` (local or any file system Spark reads)."""
        try:
            self.spark.read.format("delta").load(path)
            return True
        except AnalysisException:
            return False

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
        _merge(rows, self.target, self._on(),
               f"WHEN MATCHED AND {_at_most(self._seq('t'), self._seq('s'))} THEN UPDATE SET * "
               "WHEN NOT MATCHED THEN INSERT *", evolve=True)

    def _placed(self, deletes, current, sequence):
        """`deletes` (keys and `sequence`) with a null sequence replaced by the key's in
        `current` (keys and its sequence as CURRENT); those of keys not in `current` go.
        Computed now: `current` reads the table the merges that follow change."""
        current = current.withColumn(HAS_ROW, F.lit(True))
        return (deletes.join(current, self.keys, "left")
                .withColumn(sequence, F.coalesce(F.expr(_quote(sequence)), F.col(CURRENT)))
                .where(F.col(HAS_ROW).isNotNull())
                .drop(CURRENT, HAS_ROW)).localCheckpoint(eager=True)

    def _delete(self, batch, batch_id):
        keys = [F.col(_quote(k)).alias(k) for k in self.keys]
        if self.sequence:
            # Without a sequence, at the read's position: the current row's.
            seq = _quote(self.sequence)
            if self._exists(self.target):
                current = self.spark.read.format("delta").load(self.target).select(
                    *keys, F.expr(seq).alias(CURRENT))
            else:
                current = batch.select(*keys, F.expr(seq).alias(CURRENT)).limit(0)
            placed = self._placed(batch.where(F.expr(seq).isNull()), current, self.sequence)
            batch = batch.where(F.expr(seq).isNotNull()).unionByName(placed)
        sequence = F.expr(_quote(self.sequence)) if self.sequence else F.lit(None)
        deletes = self._latest(batch).select(*keys, sequence.alias(SEQUENCE))
        # Tombstones first: a replay after a crash between the two merges finds the
        # rows gone (a delete without a sequence then has nothing to place) but its
        # tombstones kept.
        tombstones = os.path.join(self.state, "tombstones")
        if not self._exists(tombstones):
            deletes.limit(0).write.format("delta").save(tombstones)
        _merge(deletes, tombstones, self._on(),
               f"WHEN MATCHED AND {_at_most(f't.{SEQUENCE}', f's.{SEQUENCE}')} "
               f"THEN UPDATE SET t.{SEQUENCE} = s.{SEQUENCE} WHEN NOT MATCHED THEN INSERT *")
        if self._exists(self.target):
            _merge(deletes, self.target, self._on(),
                   f"WHEN MATCHED AND {_at_most(self._seq('t'), f's.{SEQUENCE}')} THEN DELETE")

    # -- SCD_TYPE_2

    def _versions(self, batch, deletes):
        """Applies a micro-batch to the history: every key it touches gets its versions
        computed again from all its events (its current versions, its past deletes,
        kept beside the table, and the micro-batch), and one MERGE writes the
        difference. A key's events, one per sequence (a delete wins a tie, else the
        last upsert to arrive), each upsert a version ending at the key's next event."""
        table = self._history_table(batch)
        if deletes:
            # A delete without a sequence is one at its key's current version's start.
            seq = _quote(self.sequence)
            current = table.where(F.col(END).isNull()).select(
                *[F.col(_quote(k)) for k in self.keys], F.col(START).alias(CURRENT))
            unplaced = batch.where(F.expr(seq).isNull())
            placed = self._placed(unplaced, current, self.sequence)
            batch = batch.where(F.expr(seq).isNotNull()).unionByName(placed)
        elif batch.where(F.expr(_quote(self.sequence)).isNull()).limit(1).count():
            raise LakeflowError(
                f"table '{self.name}': SCD_TYPE_2 needs a sequence_by value and a row has "
                f"none in '{self.sequence}'")
        columns = [c for c in table.columns if c not in (START, END)]
        types = {f.name: f.dataType for f in table.schema.fields}
        key_cols = [F.col(_quote(k)) for k in self.keys]
        events = self._batch_events(batch, columns, types, deletes)
        touched = events.select(*key_cols).distinct()
        history = table.join(touched, self.keys, "left_semi")
        past = self._past_deletes(table, columns, types).join(touched, self.keys, "left_semi")
        every = history.drop(END).withColumn(IS_DELETE, F.lit(False)) \
            .withColumn(ARRIVAL, F.lit(-1).cast("long")).unionByName(past).unionByName(events)
        one = Window.partitionBy(*key_cols, F.col(START)).orderBy(
            F.col(IS_DELETE).desc(), F.col(ARRIVAL).desc())
        winners = every.withColumn("__lakeflow_rank", F.row_number().over(one)) \
            .where("__lakeflow_rank = 1").drop("__lakeflow_rank", ARRIVAL)
        following = Window.partitionBy(*key_cols).orderBy(F.col(START))
        versions = winners.withColumn(END, F.lead(START).over(following)) \
            .where(~F.col(IS_DELETE)).drop(IS_DELETE).withColumn("__lakeflow_op", F.lit("upsert"))
        gone = history.join(versions.select(*self.keys, START), [*self.keys, START], "left_anti") \
            .withColumn("__lakeflow_op", F.lit("delete"))
        names = [*columns, START, END]
        if deletes:
            # Kept before the merge: a replay after a crash finds the versions they
            # end gone, but the deletes themselves recorded.
            self._keep_deletes(events)
        _merge(versions.unionByName(gone), self.target, self._on(START),
               "WHEN MATCHED AND s.__lakeflow_op = 'delete' THEN DELETE "
               f"WHEN MATCHED THEN UPDATE SET {_assign(names)} "
               f"WHEN NOT MATCHED AND s.__lakeflow_op = 'upsert' THEN INSERT {_insert(names)}")

    def _history_table(self, batch):
        """The history table, created empty from the micro-batch's columns the first time."""
        if not self._exists(self.target):
            start = F.expr(_quote(self.sequence))
            batch.select(*_cols(batch.columns), start.alias(START), start.alias(END)).limit(0) \
                .write.format("delta").save(self.target)
        return self.spark.read.format("delta").load(self.target)

    def _batch_events(self, batch, columns, types, deletes):
        """The micro-batch as events: its rows with START their sequence, in arrival order,
        and every data column (null where the batch has none)."""
        start = F.expr(_quote(self.sequence)).alias(START)
        rows = batch.withColumn(ARRIVAL, F.monotonically_increasing_id())
        present = self.keys if deletes else [c for c in columns if c in batch.columns]
        events = rows.select(*_cols(present), start, F.col(ARRIVAL))
        return _with_columns(events, columns, types).select(*_cols(columns), START, ARRIVAL) \
            .withColumn(IS_DELETE, F.lit(deletes))

    def _past_deletes(self, table, columns, types):
        """Every delete applied so far, as events (they end versions that arrive late)."""
        path = os.path.join(self.state, "deletes")
        kept = self.spark.read.format("delta").load(path) if self._exists(path) else \
            table.select(*self.keys, START).limit(0)
        return _with_columns(kept, columns, types).select(*_cols(columns), START) \
            .withColumn(IS_DELETE, F.lit(True)).withColumn(ARRIVAL, F.lit(-1).cast("long"))

    def _keep_deletes(self, events):
        """Records the deletes of a micro-batch, for the versions that arrive after them."""
        path = os.path.join(self.state, "deletes")
        kept = events.select(*self.keys, START).distinct()
        if not self._exists(path):
            kept.limit(0).write.format("delta").save(path)
        _merge(kept, path, self._on(START), "WHEN NOT MATCHED THEN INSERT *")

    # -- SCD_TYPE_2 of a snapshot table

    def _snapshot_versions(self, frame):
        """Applies snapshot number N (1, 2, ... one per run): keys new in it open a
        version at N, keys whose values changed close theirs at N and open another,
        keys missing from it close theirs at N."""
        spark = self.spark
        number = self._snapshots_taken() + 1
        columns = frame.columns
        if not self._exists(self.target):
            frame.limit(0).withColumn(START, F.lit(None).cast("long")) \
                .withColumn(END, F.lit(None).cast("long")).write.format("delta").save(self.target)
        current = spark.read.format("delta").load(self.target).where(F.col(END).isNull())
        same = [F.col(f"n.{_quote(c)}").eqNullSafe(F.col(f"c.{_quote(c)}")) for c in columns]
        keys = [F.col(f"n.{_quote(k)}").eqNullSafe(F.col(f"c.{_quote(k)}")) for k in self.keys]
        unchanged = frame.alias("n").join(current.alias("c"), on=same, how="left_semi")
        opened = frame.join(unchanged, on=[*self.keys], how="left_anti") \
            .withColumn(START, F.lit(number).cast("long")).withColumn("__lakeflow_op", F.lit("open"))
        closed = current.alias("c").join(unchanged.alias("n"), on=keys, how="left_anti") \
            .select(*[F.col(f"c.{_quote(c)}") for c in columns], F.col(START)) \
            .withColumn("__lakeflow_op", F.lit("close"))
        _merge(opened.unionByName(closed).withColumn(END, F.lit(None).cast("long")),
               self.target, self._on(START),
               f"WHEN MATCHED AND s.__lakeflow_op = 'close' THEN UPDATE SET t.{END} = {number} "
               f"WHEN MATCHED THEN UPDATE SET {_assign(columns)} "
               f"WHEN NOT MATCHED AND s.__lakeflow_op = 'open' "
               f"THEN INSERT {_insert([*columns, START, END])}")
        self._snapshots_taken(number)

    def _snapshots_taken(self, number=None):
        """The number of the last snapshot applied, kept beside the table (or records it).
        A run that dies between the MERGE and this record applies its number again,
        which leaves the same versions."""
        fs, path = file_system(os.path.join(self.state, "snapshots"))
        if number is not None:
            fs.create_dir(path.rsplit("/", 1)[0], recursive=True)
            with fs.open_output_stream(path) as out:
                out.write(str(number).encode())
            return number
        if fs.get_file_info(path).type != pyarrow.fs.FileType.File:
            return 0
        with fs.open_input_stream(path) as f:
            return int(f.read().decode())
