"""Connectors in the styles found in the wild for the reference template
(tests/python/connectors/template_styles.py), each through every path of the
engine: `lakeflow read`, `lakeflow stream` (twice on one checkpoint, the source
changing in between), `lakeflow pipeline run` into SQLite and into Delta (twice,
the same change in between), and Spark's batch read for the snapshot styles.

Every result is compared with a small model of what the reference data source
does, run in this process over the same connector class:

- a batch read is ONE call read_table(T, None): every record it returns,
  whatever offset comes back;
- a stream starts at {}; its first micro-batch (nothing committed yet) is
  delivered whatever its end offset; after that a read whose end equals its
  start (as JSON objects) has caught up: its records are not delivered (one
  warning line names them when there are any) and the run stops; otherwise they
  are delivered and the end is the next start. A later run resumes from the
  committed end, and its first read is not "first". The delete flow is the
  same protocol over read_table_deletes;
- a pipeline's snapshot table holds exactly the batch read's rows; a cdc table
  keeps per key the row of the highest cursor (a tie: the later arrival), a
  delete removes the key when its cursor is at least the row's (and leaves a
  tombstone), a delete without a cursor removes the key's current row whatever
  its cursor; an append table gets every delivered row.
"""
import collections
import datetime
import json
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import BINARY, ROOT, Lakeflow

CONNECTORS = ROOT / "tests" / "python" / "connectors"
MODULE = CONNECTORS / "template_styles.py"
sys.path.insert(0, str(CONNECTORS))
import template_styles as ts  # noqa: E402

UTC = datetime.timezone.utc
CAUGHT_UP_WARNING = "with an offset that did not move"
SUMMARY = re.compile(r"\S+: \d+ rows in \d+ batch(es)?")


@dataclass(frozen=True)
class Style:
    cls: str
    table: str = "items"
    trigger: str = "available-now"   # the stream's trigger (once: a style that never catches up)

    @property
    def connector_class(self):
        return getattr(ts, self.cls)

    def connector(self, state):
        """A fresh instance, as the engine makes one per read (per run)."""
        return self.connector_class({"state": str(state)})

    @property
    def ingestion(self):
        return self.connector(Path("/nonexistent")).read_table_metadata(self.table, {})["ingestion_type"]

    @property
    def columns(self):
        return [f.name for f in ts.ITEMS_SCHEMA.fields] if self.table == "items" else \
            [f.name for f in ts.EVENTS_SCHEMA.fields]

    @property
    def key(self):
        return "id" if self.table == "items" else "seq"


STYLES = {
    "snapshot_empty_offset": Style("SnapshotEmptyOffset"),
    "snapshot_none_offset": Style("SnapshotNoneOffset"),
    "snapshot_echo_offset": Style("SnapshotEchoOffset"),
    # A fresh offset at every call: under available-now its stream never catches
    # up (in the model as in the engine), so its streams run --trigger once.
    "snapshot_repeats": Style("SnapshotRepeats", trigger="once"),
    "snapshot_generator": Style("SnapshotGenerator"),
    "cdc_cursor": Style("CdcCursor"),
    "cdc_page_token": Style("CdcPageToken"),
    "cdc_done": Style("CdcDone"),
    "cdc_snapshot_style": Style("CdcSnapshotStyle"),
    "deletes_key_only": Style("DeletesKeyOnly"),
    "deletes_with_cursor": Style("DeletesWithCursor"),
    "append_seq": Style("AppendSeq", table="events"),
    "noisy": Style("Noisy"),
}
SNAPSHOTS = [name for name in STYLES if name.startswith("snapshot_")]
DELETES = ["deletes_key_only", "deletes_with_cursor"]


# ---- the model --------------------------------------------------------------------------

def canonical(offset):
    return json.dumps(offset, sort_keys=True)


def through_json(offset):
    """An offset as the engine hands it back: it travels as JSON."""
    return json.loads(json.dumps(offset))


def model_batch(style, state):
    records, _ = style.connector(state).read_table(style.table, None, {})
    return list(records)


class ModelStream:
    """A stream's progress across runs: the committed end offset and whether
    anything was committed yet."""

    def __init__(self, style, deletes=False):
        self.style, self.deletes = style, deletes
        self.start, self.committed = {}, False

    def run(self, state):
        """One run with the style's trigger: (batches delivered, warnings)."""
        connector = self.style.connector(state)
        read = connector.read_table_deletes if self.deletes else connector.read_table
        batches, warnings = [], 0
        while True:
            records, end = read(self.style.table, through_json(self.start), {})
            records, end = list(records), through_json(end)
            if self.committed and canonical(end) == canonical(self.start):
                warnings += 1 if records else 0
                break
            batches.append(records)
            self.start, self.committed = end, True
            if self.style.trigger == "once":
                break
        return batches, warnings


def sequence(value):
    """A cursor value as it orders; None below every other."""
    if value is None:
        return (0, None)
    return (1, value)


class ModelTable:
    """A destination table under the pipeline's semantics (SCD_TYPE_1)."""

    def __init__(self, style):
        self.style = style
        self.kind = style.ingestion
        self.rows = {}           # key -> record (merged tables)
        self.appended = []       # append tables
        self.tombstones = {}     # key -> delete cursor

    def snapshot(self, records):
        self.rows = {r[self.style.key]: r for r in records}

    def upsert(self, record):
        if self.kind == "append":
            self.appended.append(record)
            return
        key, seq = record[self.style.key], sequence(record.get("updated_at"))
        if key in self.tombstones and seq <= sequence(self.tombstones[key]):
            return
        if key in self.rows and seq < sequence(self.rows[key].get("updated_at")):
            return
        self.rows[key] = record

    def delete(self, record):
        key, at = record[self.style.key], record.get("updated_at")
        if at is None:  # applies at the read's position, whatever the row's cursor
            self.rows.pop(key, None)
            return
        if key in self.rows and sequence(self.rows[key].get("updated_at")) <= sequence(at):
            del self.rows[key]
        if key not in self.tombstones or sequence(at) > sequence(self.tombstones[key]):
            self.tombstones[key] = at

    def contents(self):
        records = self.appended if self.kind == "append" else list(self.rows.values())
        return rows_of(self.style, records)


class ModelPipeline:
    """One table of a pipeline: its flows' progress and its destination."""

    def __init__(self, style):
        self.style = style
        self.table = ModelTable(style)
        self.upserts = ModelStream(style)
        self.deletes = ModelStream(style, deletes=True)

    def run(self, state):
        """One `pipeline run`: (rows, batches) as its summary line says them, and
        the warnings of records returned with an unmoved offset."""
        if self.table.kind == "snapshot":
            records = model_batch(self.style, state)
            self.table.snapshot(records)
            return len(records), 1, 0
        delivered, warnings = self.upserts.run(state)
        flows = [(delivered, self.table.upsert)]
        if self.table.kind == "cdc_with_deletes":
            deleted, more = self.deletes.run(state)
            flows.append((deleted, self.table.delete))
            warnings += more
        rows = batches = 0
        for delivered, apply in flows:
            for batch in delivered:
                for record in batch:
                    apply(record)
                rows, batches = rows + len(batch), batches + 1
        return rows, batches, warnings


# ---- rows, as every path gives them -----------------------------------------------------

def plain(column, value):
    """One value in a form every path agrees on: timestamps as UTC ISO text."""
    if column == "updated_at" and value is not None:
        if isinstance(value, str):
            value = datetime.datetime.fromisoformat(value)
        # Naive datetimes (Spark's collect) are local time; aware ones are converted.
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def rows_of(style, records):
    """Records as sorted tuples over the table's columns (a missing field: None)."""
    return sorted((tuple(plain(c, r.get(c)) for c in style.columns) for r in records),
                  key=repr)


def json_lines(stdout):
    """stdout parsed as JSON lines: nothing else may be there."""
    out = []
    for line in stdout.splitlines():
        value = json.loads(line)  # raises on anything that is not JSON
        assert isinstance(value, dict), line
        out.append(value)
    return out


def ordered(style, records):
    return [tuple(plain(c, r.get(c)) for c in style.columns) for r in records]


# ---- the engine -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """One LAKEFLOW_HOME and one source (the state file) for the module, and one
    connection per style, created on first use."""
    root = tmp_path_factory.mktemp("styles")
    cli = Lakeflow(root / "home")
    state = root / "state.json"
    created = set()

    class Env:
        def __init__(self):
            self.cli, self.state = cli, state

        def connection(self, name):
            if name not in created:
                cli.run("connection", "create", name, "--source", "python", "-o", f"module={MODULE}",
                        "-o", f"class={STYLES[name].cls}", "-o", f"state={state}")
                created.add(name)
            return name

        def source(self, generation):
            ts.write_state(state, generation)

    return Env()


def stream_args(name, style, checkpoint, deletes=False):
    args = ["stream", "--connection", name, "-o", f"tableName={style.table}",
            "--checkpoint", str(checkpoint), "--output", "jsonl", "--trigger", style.trigger]
    if deletes:
        args += ["-o", "isDeleteFlow=true"]
    return args


def stream_summary(stderr):
    match = re.search(r"stream: (\d+) micro-batches, (\d+) rows", stderr)
    assert match, stderr
    return int(match.group(1)), int(match.group(2))


# ---- the tests --------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(STYLES))
def test_batch_read_is_one_call(env, name):
    style = STYLES[name]
    conn = env.connection(name)
    for generation in (0, 1):
        env.source(generation)
        proc = env.cli.run("read", "--connection", conn, "-o", f"tableName={style.table}",
                           "--output", "jsonl")
        got = json_lines(proc.stdout)
        assert rows_of(style, got) == rows_of(style, model_batch(style, env.state)), \
            f"generation {generation}"


@pytest.mark.parametrize("name", list(STYLES))
def test_stream_twice_on_one_checkpoint(env, name, tmp_path):
    style = STYLES[name]
    conn = env.connection(name)
    model = ModelStream(style)
    for generation in (0, 1):
        env.source(generation)
        proc = env.cli.run(*stream_args(conn, style, tmp_path / "ck"))
        batches, warnings = model.run(env.state)
        expected = [r for batch in batches for r in batch]
        got = json_lines(proc.stdout)
        assert ordered(style, got) == ordered(style, expected), f"run {generation + 1}"
        assert stream_summary(proc.stderr) == (len(batches), len(expected)), \
            f"run {generation + 1}: {proc.stderr}"
        assert proc.stderr.count(CAUGHT_UP_WARNING) == warnings, f"run {generation + 1}: {proc.stderr}"


@pytest.mark.parametrize("name", DELETES)
def test_delete_flow_stream_twice(env, name, tmp_path):
    style = STYLES[name]
    conn = env.connection(name)
    model = ModelStream(style, deletes=True)
    for generation in (0, 1):
        env.source(generation)
        proc = env.cli.run(*stream_args(conn, style, tmp_path / "ck", deletes=True))
        batches, warnings = model.run(env.state)
        expected = [r for batch in batches for r in batch]
        assert ordered(style, json_lines(proc.stdout)) == ordered(style, expected), \
            f"run {generation + 1}"
        assert stream_summary(proc.stderr) == (len(batches), len(expected)), \
            f"run {generation + 1}: {proc.stderr}"
        assert proc.stderr.count(CAUGHT_UP_WARNING) == warnings, f"run {generation + 1}: {proc.stderr}"


def test_repeats_style_never_catches_up(env, tmp_path):
    """The fresh-offset-at-every-call style under available-now: every read
    moves, so (in the model as in the engine) every read is a micro-batch of the
    whole table and the stream never ends. Three of them are read, then the
    stream is stopped."""
    style = STYLES["snapshot_repeats"]
    conn = env.connection("snapshot_repeats")
    env.source(0)
    args = stream_args(conn, style, tmp_path / "ck")
    args[args.index("--trigger") + 1] = "available-now"
    batch = ordered(style, model_batch(style, env.state))
    proc = subprocess.Popen([str(BINARY), *args], env=env.cli.env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        got = [json.loads(proc.stdout.readline()) for _ in range(3 * len(batch))]
        assert proc.poll() is None  # still going
    finally:
        proc.kill()
        proc.wait()
    assert ordered(style, got) == batch * 3


def sqlite_contents(style, path):
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        cols = ", ".join(f'"{c}"' for c in style.columns)
        return rows_of(style, [dict(r) for r in conn.execute(f'SELECT {cols} FROM "{style.table}"')])


def delta_contents(style, path):
    from deltalake import DeltaTable
    return rows_of(style, DeltaTable(str(path / style.table)).to_pyarrow_table().to_pylist())


@pytest.mark.parametrize("name, dest", [(n, d) for n in STYLES for d in ("sqlite", "delta")],
                         ids=[f"{n}-{d}" for n in STYLES for d in ("sqlite", "delta")])
def test_pipeline_run_twice(env, name, dest, tmp_path):
    """Two runs, the source changing in between; the destination table equals
    the model's after each (deletes_key_only: a delete without a sequence removes the
    key's current row)."""
    style = STYLES[name]
    conn = env.connection(name)
    path = tmp_path / ("lake.db" if dest == "sqlite" else "lake")
    spec = tmp_path / "p.yaml"
    spec.write_text(f"connection_name: {conn}\ndestination: {{type: {dest}, path: {path}}}\n"
                    f"objects:\n  - table: {{source_table: {style.table}}}\n")
    contents = sqlite_contents if dest == "sqlite" else delta_contents
    model = ModelPipeline(style)

    before = env.cli.run("pipeline", "status", str(spec)).stdout
    assert f"{style.table}: never run" in before, before
    results = []
    for generation in (0, 1):
        env.source(generation)
        proc = env.cli.run("pipeline", "run", str(spec))
        rows, batches, warnings = model.run(env.state)
        line = f"{style.table}: {rows} rows in {batches} batch{'' if batches == 1 else 'es'}"
        assert all(SUMMARY.fullmatch(out) for out in proc.stdout.splitlines()), proc.stdout
        assert line in proc.stdout.splitlines(), \
            f"run {generation + 1}: expected {line!r}, got {proc.stdout!r}"
        assert proc.stderr.count(CAUGHT_UP_WARNING) == warnings, \
            f"run {generation + 1}: {proc.stderr}"
        status = env.cli.run("pipeline", "status", str(spec)).stdout
        assert f"{style.table}: " in status and "never run" not in status, status
        results.append((generation, contents(style, path), model.table.contents()))
    for generation, got, expected in results:
        assert got == expected, f"after run {generation + 1}"


def test_noise_stays_off_stdout(env):
    style = STYLES["noisy"]
    conn = env.connection("noisy")
    env.source(0)
    proc = env.cli.run("read", "--connection", conn, "-o", f"tableName={style.table}",
                       "--output", "jsonl")
    assert "Noisy" not in proc.stdout
    assert len(json_lines(proc.stdout)) == len(model_batch(style, env.state))
    proc = env.cli.run("read", "--connection", conn, "-o", "tableName=_lakeflow_table_list",
                       "--output", "jsonl")
    assert [r["table_name"] for r in json_lines(proc.stdout)] == ["items", "events"]


@pytest.mark.parametrize("name", SNAPSHOTS + ["cdc_cursor"])  # cdc_cursor: one page, not all
def test_spark_batch_read(spark, home_cli, env, name):
    style = STYLES[name]
    conn = f"styles_{name}"
    home_cli.run("connection", "create", conn, "--source", "python", "-o", f"module={MODULE}",
                 "-o", f"class={style.cls}", "-o", f"state={env.state}", "--replace")
    env.source(0)
    df = (spark.read.format("lakeflow_connect").option("databricks.connection", conn)
          .option("tableName", style.table).load())
    got = [r.asDict() for r in df.collect()]
    assert rows_of(style, got) == rows_of(style, model_batch(style, env.state))


@pytest.mark.parametrize("name", ["cdc_snapshot_style", "cdc_cursor", "cdc_done",
                                  "cdc_page_token"])
def test_spark_stream_twice(spark, home_cli, env, tmp_path, name):
    """readStream with Trigger.AvailableNow, twice on one checkpoint with the source changed
    between: the micro-batches Spark delivers are the model's (the first whatever its
    offset, none once the offset stops moving)."""
    style = STYLES[name]
    conn = f"styles_stream_{name}"
    home_cli.run("connection", "create", conn, "--source", "python", "-o", f"module={MODULE}",
                 "-o", f"class={style.cls}", "-o", f"state={env.state}", "--replace")
    model = ModelStream(style)
    delivered = []

    def collect(frame, batch_id):
        delivered.append([r.asDict() for r in frame.collect()])

    for generation in (0, 1):
        env.source(generation)
        want, _ = model.run(env.state)
        before = len(delivered)
        query = (spark.readStream.format("lakeflow_connect")
                 .option("databricks.connection", conn).option("tableName", style.table).load()
                 .writeStream.foreachBatch(collect)
                 .option("checkpointLocation", str(tmp_path / "ck"))
                 .trigger(availableNow=True).start())
        query.awaitTermination()
        got = [rows_of(style, b) for b in delivered[before:] if b]
        assert got == [rows_of(style, b) for b in want if b], f"generation {generation}"
