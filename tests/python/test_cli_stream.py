"""`lakeflow stream`: micro-batches, checkpoints, triggers and the delete flow."""
import json
import signal
import subprocess
import time

import pyarrow.parquet as pq

from conftest import BINARY


def stream(lakeflow, ck, *options, output=None, extra=(), check=True):
    args = ["stream", "--source", "test", "--checkpoint", str(ck)]
    for o in options:
        args += ["-o", o]
    if output:
        args += ["--output", output]
    return lakeflow.run(*args, *extra, check=check)


def ids_in_parts(directory):
    ids = []
    for part in sorted(directory.glob("part-*.parquet")):
        ids += pq.read_table(part).column("id").to_pylist()
    return ids


def test_available_now_then_resume_reads_only_new_records(lakeflow, tmp_path):
    ck, out = tmp_path / "ck", tmp_path / "out"
    proc = stream(lakeflow, ck, "tableName=events", "num_rows=23", output=f"parquet:{out}")
    assert "3 micro-batches, 23 rows" in proc.stderr
    assert ids_in_parts(out) == list(range(1, 24))
    proc = stream(lakeflow, ck, "tableName=events", "num_rows=23", output=f"parquet:{out}")
    assert "0 micro-batches, 0 rows" in proc.stderr
    stream(lakeflow, ck, "tableName=events", "num_rows=30", output=f"parquet:{out}")
    assert ids_in_parts(out) == list(range(1, 31))
    assert sorted(p.name for p in out.iterdir())[-1] == "part-000003.parquet"


def test_uncommitted_batch_is_replayed_exactly(lakeflow, tmp_path):
    ck, out = tmp_path / "ck", tmp_path / "out"
    stream(lakeflow, ck, "tableName=events", "num_rows=25", output=f"parquet:{out}")
    # A crash after batch 2 was planned and written but before its commit.
    (ck / "commits" / "2").unlink()
    (out / "part-000002.parquet").write_bytes(b"half a file")
    proc = stream(lakeflow, ck, "tableName=events", "num_rows=25", output=f"parquet:{out}")
    assert "1 micro-batches, 5 rows" in proc.stderr
    assert ids_in_parts(out) == list(range(1, 26))


def test_killed_stream_resumes_without_loss_or_duplicates(lakeflow, tmp_path):
    ck, out = tmp_path / "ck", tmp_path / "out"
    args = [str(BINARY), "stream", "--source", "test", "--checkpoint", str(ck), "-o", "tableName=logs",
            "-o", "num_rows=200", "-o", "page_size=7", "--output", f"parquet:{out}",
            "--trigger", "interval:50ms"]
    proc = subprocess.Popen(args, env=lakeflow.env, stderr=subprocess.DEVNULL)
    # Killed once a few micro-batches have committed, while it is still running.
    deadline = time.monotonic() + 120
    while not (ck / "commits" / "3").exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    assert proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stream(lakeflow, ck, "tableName=logs", "num_rows=200", "page_size=7", output=f"parquet:{out}")
    seqs = []
    for part in sorted(out.glob("part-*.parquet")):
        seqs += pq.read_table(part).column("seq").to_pylist()
    assert seqs == list(range(1, 201))


def test_interval_trigger_stops_cleanly_on_sigterm(lakeflow, tmp_path):
    args = [str(BINARY), "stream", "--source", "test", "--checkpoint", str(tmp_path / "ck"),
            "-o", "tableName=events", "--trigger", "interval:100ms"]
    proc = subprocess.Popen(args, env=lakeflow.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Stopped once it has caught up (every event printed) and waits for its next interval.
    ids = [json.loads(proc.stdout.readline())["id"] for _ in range(25)]
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert ids + [json.loads(l)["id"] for l in out.splitlines()] == list(range(1, 26))


def test_trigger_once_runs_one_batch(lakeflow, tmp_path):
    proc = stream(lakeflow, tmp_path / "ck", "tableName=events", extra=("--trigger", "once"))
    assert len(proc.stdout.splitlines()) == 10


def test_delete_flow_returns_deleted_keys(lakeflow, tmp_path):
    rows = [json.loads(l) for l in stream(lakeflow, tmp_path / "ck", "tableName=orders", "isDeleteFlow=true",
                                          "deleted=4,9,17").stdout.splitlines()]
    assert [r["order_id"] for r in rows] == [4, 9, 17]
    assert all(r["modified"] for r in rows)
    live = [json.loads(l) for l in stream(lakeflow, tmp_path / "ck2", "tableName=orders",
                                          "deleted=4,9,17").stdout.splitlines()]
    assert 4 not in {r["order_id"] for r in live} and len(live) == 22


def test_max_records_per_batch_bounds_partitioned_stream(lakeflow, tmp_path):
    proc = stream(lakeflow, tmp_path / "ck", "tableName=metrics", extra=("--max-records-per-batch", "6"))
    assert "5 micro-batches, 25 rows" in proc.stderr


def test_checkpoint_of_another_stream_is_refused(lakeflow, tmp_path):
    stream(lakeflow, tmp_path / "ck", "tableName=events")
    proc = stream(lakeflow, tmp_path / "ck", "tableName=logs", check=False)
    assert proc.returncode == 2
    assert "belongs to another stream" in proc.stderr


def test_corrupt_checkpoint(lakeflow, tmp_path):
    ck = tmp_path / "ck"
    stream(lakeflow, ck, "tableName=events")
    (ck / "offsets" / "2").write_text("{truncated")
    proc = stream(lakeflow, ck, "tableName=events", check=False)
    assert proc.returncode == 4
    assert proc.stderr.strip() == (f"lakeflow: I/O error: checkpoint file {ck}/offsets/2 is corrupt (not a JSON "
                                   "object); delete the checkpoint directory to start the stream over")
    assert "token" not in (ck / "offsets" / "1").read_text()
