"""The `python` source: connectors written against the reference template run
unchanged on the engine, through the five calls, the conformance suite,
checkpointed streams and pipelines; and each way of getting the template wrong
is one clear line."""
import sqlite3

import pytest

from conftest import ROOT

CONNECTORS = ROOT / "tests" / "python" / "connectors"
MEMORY = str(CONNECTORS / "memory_connector.py")
BROKEN = str(CONNECTORS / "broken_connectors.py")


@pytest.fixture
def memory(lakeflow):
    lakeflow.run("connection", "create", "mem", "--source", "python", "-o", f"module={MEMORY}",
                 "-o", "class=LakeflowConnect", "-o", "items=25", "-o", "page_size=10")
    return "mem"


def test_the_five_calls(lakeflow, memory):
    meta = lakeflow.records("read", "--connection", memory, "-o", "tableName=_lakeflow_metadata",
                            "-o", "tableNameList=items,events,colors")
    assert meta == [
        {"tableName": "items", "primary_keys": ["id"], "cursor_field": "updated_at",
         "ingestion_type": "cdc_with_deletes"},
        {"tableName": "events", "primary_keys": ["seq"], "cursor_field": "seq",
         "ingestion_type": "append"},
        {"tableName": "colors", "primary_keys": ["name"], "cursor_field": None,
         "ingestion_type": "snapshot"}]
    tables = lakeflow.records("read", "--connection", memory, "-o", "tableName=_lakeflow_table_list")
    assert [t["table_name"] for t in tables] == ["items", "events", "colors"]
    items = lakeflow.records("read", "--connection", memory, "-o", "tableName=items")
    assert [r["id"] for r in items] == list(range(25))
    assert items[3] == {"id": 3, "name": "item 3", "price": 0.75, "tags": ["t0"],
                        "updated_at": "2024-01-01T03:00:00Z"}


def test_conformance_suite_passes(lakeflow, memory):
    proc = lakeflow.run("test-connector", "--connection", memory)
    assert proc.stdout.strip().endswith("0 failed"), proc.stdout


def test_streams_resume_from_their_checkpoint(lakeflow, memory, tmp_path):
    ck = str(tmp_path / "ck")
    first = lakeflow.run("stream", "--connection", memory, "-o", "tableName=items",
                         "--checkpoint", ck, "--output", "jsonl")
    ids = [line for line in first.stdout.splitlines() if line]
    assert len(ids) == 25 and "3 micro-batches, 25 rows" in first.stderr
    again = lakeflow.run("stream", "--connection", memory, "-o", "tableName=items",
                         "--checkpoint", ck, "--output", "jsonl")
    assert again.stdout.strip() == "" and "0 micro-batches" in again.stderr
    deletes = lakeflow.records("stream", "--connection", memory, "-o", "tableName=items",
                               "-o", "isDeleteFlow=true", "--checkpoint", str(tmp_path / "ckd"))
    assert [d["id"] for d in deletes] == [0, 5, 10, 15, 20]


def test_a_pipeline_into_sqlite(lakeflow, memory, tmp_path):
    db = tmp_path / "lake.db"
    spec = tmp_path / "p.yaml"
    spec.write_text(f"connection_name: {memory}\ndestination: {{type: sqlite, path: {db}}}\n"
                    "objects:\n  - table: {source_table: items}\n"
                    "  - table: {source_table: events}\n  - table: {source_table: colors}\n")
    out = lakeflow.run("pipeline", "run", str(spec)).stdout
    assert "items: 30 rows in 4 batches" in out  # 25 upserts in pages of 10, then 5 deletes
    with sqlite3.connect(db) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM items ORDER BY id")]
        assert ids == [i for i in range(25) if i % 5]
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 40
        assert conn.execute("SELECT hex FROM colors WHERE name = 'red'").fetchone()[0] == "#f00"


@pytest.mark.parametrize("cls, expected", [
    ("Raises", "python connector Raises.read_table('t'): ValueError: the API said no"),
    ("BadOffset", "TypeError: read_table returned an offset of type str, not a dict"),
    ("NotADict", "NotADict.read_table: table 't', record 1: a list, not a dict"),
    ("NotAStructType", "get_table_schema returned a dict, not a pyspark StructType"),
    ("UnknownType", "unknown Spark type 'interval'"),
    ("FailsToStart", "python connector FailsToStart.__init__: RuntimeError: missing option token"),
    ("Nope", "python connector Nope.loading: AttributeError: module"),
    ("Nope", "has no class 'Nope'"),
    ("NanOffset", "read_table returned an offset that is not JSON: Out of range float values"),
    ("NanPartition", "get_partitions returned a partition that is not JSON: Out of range float"),
])
def test_a_broken_connector_is_one_line(lakeflow, cls, expected):
    proc = lakeflow.run("read", "--source", "python", "-o", f"module={BROKEN}", "-o", f"class={cls}",
                        "-o", "tableName=t", check=False)
    assert proc.returncode == 3
    assert expected in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "Traceback" not in proc.stderr


def test_verbose_shows_the_traceback(lakeflow):
    proc = lakeflow.run("read", "--source", "python", "-o", f"module={BROKEN}", "-o", "class=Raises",
                        "-o", "tableName=t", check=False, env={"LAKEFLOW_VERBOSE": "1"})
    assert "Traceback" in proc.stderr and "broken_connectors.py" in proc.stderr


def test_missing_module_option_is_named(lakeflow):
    proc = lakeflow.run("read", "--source", "python", "-o", "tableName=t", check=False)
    assert proc.returncode == 2
    assert "source 'python' needs option 'module'" in proc.stderr


def test_partition_mixins_are_used_when_the_class_has_them(lakeflow, tmp_path):
    trace = tmp_path / "trace"
    lakeflow.run("connection", "create", "parts", "--source", "python", "-o", f"module={MEMORY}",
                 "-o", "class=PartitionedLakeflowConnect", "-o", f"trace={trace}")
    batch = lakeflow.records("read", "--connection", "parts", "-o", "tableName=events")
    assert sorted(r["seq"] for r in batch) == list(range(40))
    assert trace.read_text().count("read_partition") == 6  # 40 rows in partitions of 7
    trace.unlink()
    ck = str(tmp_path / "ck")
    stream = lakeflow.run("stream", "--connection", "parts", "-o", "tableName=events",
                          "--checkpoint", ck, "--output", "jsonl")
    seqs = sorted(int(line.split(":")[1].split(",")[0]) for line in stream.stdout.splitlines())
    assert seqs == list(range(40))  # each row once, over microbatches of 15
    assert "3 micro-batches, 40 rows" in stream.stderr
    assert "read_partition" in trace.read_text()
    # Tables the class does not partition go through read_table.
    items = lakeflow.records("read", "--connection", "parts", "-o", "tableName=items")
    assert len(items) == 25
    proc = lakeflow.run("test-connector", "--connection", "parts")
    assert proc.stdout.strip().endswith("0 failed"), proc.stdout


def test_start_offsets_follow_the_template(lakeflow, tmp_path):
    """A batch read is one call from None, as the reference data source makes it; a
    stream starts from {}."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from pyspark.sql.types import LongType, StructField, StructType\n"
        "class Probe:\n"
        "    def __init__(self, options): self.log = options['log']\n"
        "    def list_tables(self): return ['t']\n"
        "    def get_table_schema(self, t, o): return StructType([StructField('id', LongType())])\n"
        "    def read_table_metadata(self, t, o):\n"
        "        return {'primary_keys': ['id'], 'cursor_field': 'id', 'ingestion_type': 'cdc'}\n"
        "    def read_table(self, t, start, o):\n"
        "        open(self.log, 'a').write(repr(start) + '\\n')\n"
        "        if start: return iter([]), start\n"
        "        return iter([{'id': 1}]), {'id': 1}\n")
    log = tmp_path / "log"
    common = ["--source", "python", "-o", f"module={probe}", "-o", "class=Probe",
              "-o", f"log={log}", "-o", "tableName=t"]
    lakeflow.run("read", *common)
    assert log.read_text().splitlines() == ["None"]
    log.unlink()
    lakeflow.run("stream", *common, "--checkpoint", str(tmp_path / "ck"))
    assert log.read_text().splitlines()[0] == "{}"


def test_the_venv_site_packages_come_before_the_base_installations(lakeflow):
    """The embedded interpreter orders sys.path as the venv's python does: the standard
    library, then the project venv's site-packages, then any other site-packages."""
    probe = str(CONNECTORS / "path_probe.py")
    rows = lakeflow.records("read", "--source", "python", "-o", f"module={probe}",
                            "-o", "class=PathProbe", "-o", "tableName=paths")
    paths = [r["path"] for r in rows if r["kind"] == "sys.path"]
    venv = str(ROOT / ".venv" / "lib")
    venv_at = [i for i, p in enumerate(paths) if p.startswith(venv) and p.endswith("site-packages")]
    others = [i for i, p in enumerate(paths) if not p.startswith(venv)
              and p.rstrip("/").endswith(("site-packages", "dist-packages"))]
    assert venv_at, paths
    assert all(venv_at[0] < i for i in others), paths
    pyarrow_file = next(r["path"] for r in rows if r["kind"] == "pyarrow")
    assert pyarrow_file.startswith(venv), pyarrow_file
