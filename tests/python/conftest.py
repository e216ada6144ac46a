"""Shared fixtures: the built `lakeflow` binary, run with the test connector
plugin loaded and a private LAKEFLOW_HOME."""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("LAKEFLOW_BUILD_DIR", ROOT / "build"))
BINARY = BUILD / "lakeflow"
PLUGIN = BUILD / "liblakeflow_test_plugin.so"

# Spark's Python workers inherit the environment of the JVM, which the first
# SparkSession of this process starts, whichever test that is: what the
# lakeflow_connect data source needs is set before any test runs. Its
# connections live in SPARK_LAKEFLOW_HOME (the `lakeflow` fixture's own
# commands get their LAKEFLOW_HOME explicitly).
SPARK_LAKEFLOW_HOME = Path(tempfile.mkdtemp(prefix="lakeflow-spark-home-"))
os.environ["LAKEFLOW_HOME"] = str(SPARK_LAKEFLOW_HOME)
os.environ["LAKEFLOW_NATIVE_DIR"] = str(BUILD / "python" / "lakeflow_connect")
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the venv's, with pyarrow
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in [str(ROOT / "python" / "lakeflow_connect" / "src"), os.environ.get("PYTHONPATH")]
    if p)


class Lakeflow:
    def __init__(self, home: Path):
        self.home = home
        self.env = dict(os.environ, LAKEFLOW_HOME=str(home), LAKEFLOW_PLUGINS=str(PLUGIN))

    def run(self, *args, check=True, env=None, timeout=60):
        proc = subprocess.run([str(BINARY), *args], capture_output=True, text=True,
                              env=dict(self.env, **(env or {})), timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"lakeflow {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
        return proc

    def records(self, *args, **kw):
        out = self.run(*args, **kw).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.fixture
def lakeflow(tmp_path):
    assert BINARY.exists(), f"build first: {BINARY} is missing"
    return Lakeflow(tmp_path / "home")


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Simulator:
    """`lakeflow simulate` as a subprocess on a free port, until stop()."""

    def __init__(self, api, *flags):
        import time
        import urllib.request
        assert BINARY.exists(), f"build first: {BINARY} is missing"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        spec = ROOT / "testdata" / "simulator" / api
        self.proc = subprocess.Popen(
            [str(BINARY), "simulate", "--spec-dir", str(spec), "--port", str(self.port), *flags],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while True:
            assert self.proc.poll() is None, self.proc.stderr.read().decode()
            try:
                with urllib.request.urlopen(self.url + "/_simulator/health", timeout=5) as r:
                    if json.loads(r.read())["status"] == "ok":
                        return
            except OSError:
                pass
            assert time.monotonic() < deadline, "simulator did not become healthy"
            time.sleep(0.05)

    def control(self, method, path, body=None):
        import urllib.request
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + "/_simulator/" + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            text = r.read()
            return json.loads(text) if text else None

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def simulators():
    """Starts simulators on demand: simulators("github", "--faults", "0.1")."""
    started = []

    def start(api, *flags):
        sim = Simulator(api, *flags)
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture(scope="session")
def postgres_server():
    """One real PostgreSQL server for the session (tests/python/postgres_server.py)."""
    from postgres_server import PostgresServer
    server = PostgresServer(free_port())
    yield server
    server.stop()


@pytest.fixture
def pg(postgres_server, request):
    """A fresh database for one test: (server, database name)."""
    import re
    name = "t_" + re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:50]
    return postgres_server, postgres_server.create_database(name)


@pytest.fixture(scope="session")
def spark():
    """One local Spark for every test, with Delta Lake (the jars scripts/setup.sh
    fetches) and the lakeflow_connect data source registered."""
    native = BUILD / "python" / "lakeflow_connect"
    assert native.exists(), f"build first: {native} is missing"
    jars = sorted((ROOT / ".venv" / "jars").glob("delta-*.jar"))
    assert len(jars) == 2, "the Delta jars are missing: run scripts/setup.sh"
    sys.path.insert(0, str(ROOT / "python" / "lakeflow_connect" / "src"))
    from pyspark.sql import SparkSession
    session = (SparkSession.builder.master("local[2]").appName("lakeflow-connect-tests")
               .config("spark.jars", ",".join(str(j) for j in jars))
               .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
               .config("spark.sql.catalog.spark_catalog",
                       "org.apache.spark.sql.delta.catalog.DeltaCatalog")
               .config("spark.databricks.delta.snapshotPartitions", "2")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .getOrCreate())
    import lakeflow_connect
    lakeflow_connect.register(session)
    yield session
    session.stop()


@pytest.fixture
def home_cli():
    """The `lakeflow` command on the LAKEFLOW_HOME Spark's workers read (conftest.py)."""
    return Lakeflow(SPARK_LAKEFLOW_HOME)
