"""One writer per destination and per stream checkpoint: two runs started together on
the same destination never double a row; the one that finds it taken stops with one line
naming the holder; a lock never outlives its process."""
import os
import signal
import sqlite3
import subprocess

import pytest

from conftest import BINARY

OBJECTS = """\
  - table: {source_table: issues, destination_table: issues_log, table_configuration: {scd_type: APPEND_ONLY}}
  - table: {source_table: issues}
  - table: {source_table: commits}
"""


def append_rows(destination, path):
    if destination == "delta":
        from deltalake import DeltaTable
        t = DeltaTable(str(path / "issues_log")).to_pyarrow_table(columns=["id"])
        return t.column("id").to_pylist()
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM issues_log")]


@pytest.mark.parametrize("destination", ["sqlite", "delta"])
def test_two_runs_started_together_leave_no_duplicate(lakeflow, simulators, tmp_path,
                                                      destination):
    sim = simulators("github", "--scale", "3000")
    lakeflow.run("connection", "create", "gh", "--source", "github", "-o", f"base_url={sim.url}",
                 "-o", "owner=octo", "-o", "repo=demo", "-o", "max_records_per_batch=200")
    path = tmp_path / ("lake" if destination == "delta" else "lake.db")
    spec = tmp_path / "p.yaml"
    spec.write_text(f"connection_name: gh\ndestination: {{type: {destination}, path: {path}}}\n"
                    f"objects:\n{OBJECTS}")
    for _ in range(3):
        procs = [subprocess.Popen([str(BINARY), "pipeline", "run", str(spec)], env=lakeflow.env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        results = [(p, *p.communicate(timeout=300)) for p in procs]
        ok = [p for p, _, _ in results if p.returncode == 0]
        assert ok, [err for _, _, err in results]
        for p, _, err in results:
            if p.returncode == 0:
                continue
            # The loser names the winner and stops before touching anything.
            other = next(q for q in procs if q is not p)
            assert p.returncode == 4, err
            lines = err.strip().splitlines()
            assert len(lines) == 1, err
            assert "is being written by another run (pid " + str(other.pid) in lines[0], err
        ids = append_rows(destination, path)
        assert len(ids) == len(set(ids)) == 3000


def test_a_killed_run_leaves_no_lock(lakeflow, simulators, tmp_path):
    sim = simulators("github", "--scale", "3000")
    lakeflow.run("connection", "create", "gh", "--source", "github", "-o", f"base_url={sim.url}",
                 "-o", "owner=octo", "-o", "repo=demo", "-o", "max_records_per_batch=100")
    db = tmp_path / "lake.db"
    spec = tmp_path / "p.yaml"
    spec.write_text(f"connection_name: gh\ndestination: {{type: sqlite, path: {db}}}\n"
                    f"objects:\n{OBJECTS}")
    proc = subprocess.Popen([str(BINARY), "pipeline", "run", str(spec)], env=lakeflow.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:  # killed once it holds the lock and has committed
        if ": committed," in line:
            break
    assert proc.poll() is None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    lakeflow.run("pipeline", "run", str(spec), timeout=300)
    ids = append_rows("sqlite", db)
    assert len(ids) == len(set(ids)) == 3000


def test_two_streams_on_one_checkpoint(lakeflow, simulators, tmp_path):
    sim = simulators("github", "--scale", "3000")
    lakeflow.run("connection", "create", "gh", "--source", "github", "-o", f"base_url={sim.url}",
                 "-o", "owner=octo", "-o", "repo=demo", "-o", "max_records_per_batch=100")
    common = [str(BINARY), "stream", "--connection", "gh", "-o", "tableName=issues",
              "--checkpoint", str(tmp_path / "ck"), "--output", "jsonl"]
    procs = [subprocess.Popen(common, env=lakeflow.env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in procs]
    ids = [line for out, _ in results for line in out.splitlines() if line.strip()]
    import json
    ids = [json.loads(line)["id"] for line in ids]
    assert len(ids) == len(set(ids)) == 3000
    codes = sorted(p.returncode for p in procs)
    assert codes[0] == 0
    if codes[1] != 0:
        err = next(e for p, (_, e) in zip(procs, results) if p.returncode != 0)
        assert codes[1] == 4 and "checkpoint" in err and "another run (pid" in err, err


def test_the_holder_line_names_no_secret(lakeflow, tmp_path):
    """A refused stream names the holder by its command without options: a token given
    with -o appears neither in the line nor in the lock file."""
    import time
    ck = tmp_path / "ck"
    secret = "s3cr3t-t0ken-value"
    common = [str(BINARY), "stream", "--source", "test", "-o", "tableName=events",
              "-o", f"token={secret}", "--checkpoint", str(ck)]
    holder = subprocess.Popen(common + ["--trigger", "interval:1h"], env=lakeflow.env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not (ck / "commits" / "0").exists():  # it holds the checkpoint
            assert holder.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        refused = subprocess.run(common, env=lakeflow.env, capture_output=True, text=True,
                                 timeout=60)
    finally:
        holder.send_signal(signal.SIGTERM)
        holder.wait(timeout=60)
    assert refused.returncode == 4, refused.stderr
    assert f"pid {holder.pid}" in refused.stderr and "lakeflow stream" in refused.stderr
    assert secret not in refused.stderr
    assert secret not in (ck / ".lock").read_text()
