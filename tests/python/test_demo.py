"""The README's main job runs end to end: GitHub (the simulator) into SQLite."""
import os
import sqlite3
import subprocess

from conftest import ROOT


def test_demo_runs(tmp_path):
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(tmp_path),
           "DEMO_DIR": str(tmp_path / "demo")}
    # The build's optimisation level (scripts/test.sh sets it): the demo's set-up
    # must find the build as it is, not compile it again at another level.
    if "LAKEFLOW_OPTIMIZE" in os.environ:
        env["LAKEFLOW_OPTIMIZE"] = os.environ["LAKEFLOW_OPTIMIZE"]
    proc = subprocess.run([str(ROOT / "scripts" / "demo.sh")], capture_output=True, text=True,
                          timeout=900, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    first, second = out.split("== the source changes")
    assert "issues: 150 rows in 1 batch" in first
    assert "comments: 263 rows in 1 batch" in first
    assert "issues: 2 rows in 1 batch" in second       # one retitled, one opened
    assert "comments: 0 rows in 0 batches" in second   # nothing else moved
    for line in ("issues: 151 rows", "issues_history: 152 rows", "pull_requests: 37 rows",
                 "comments: 263 rows", "commits: 25 rows", "reviews: 38 rows", "branches: 4 rows"):
        assert line in second, line
    assert "issues_history keeps the old title" in second
    assert "issues: 152 rows written, batch 1 committed" in second
    db = tmp_path / "demo" / "lakeflow.db"
    with sqlite3.connect(db) as conn:
        titles = [r[0] for r in conn.execute("SELECT title FROM issues WHERE title LIKE '%by the demo'")]
    assert sorted(titles) == ["Opened by the demo", "Retitled by the demo"]


def test_example_connector_passes_conformance(lakeflow):
    proc = lakeflow.run("--plugin", str(ROOT / "build" / "libplanets_connector.so"), "test-connector",
                        "--source", "planets")
    assert proc.stdout.strip().endswith("0 failed")
