"""`lakeflow pipeline run` into SQLite: every ingestion type, SCD1 and SCD2,
exactly once across runs, full refresh, triggers and `pipeline status`."""
import json
import signal
import sqlite3
import subprocess
import time

from conftest import BINARY, ROOT


def setup(lakeflow, simulators, tmp_path, objects, connection="github", flags=()):
    sim = simulators("github", *flags)
    if connection == "github":
        lakeflow.run("connection", "create", "github", "--source", "github",
                     "-o", f"base_url={sim.url}", "-o", "owner=octo", "-o", "repo=demo")
    else:
        lakeflow.run("connection", "create", connection, "--source", "rest",
                     "-o", f"spec={ROOT / 'testdata' / 'rest' / 'issues_with_deletes.yaml'}",
                     "-o", f"base_url={sim.url}", "-o", "owner=octo", "-o", "repo=demo",
                     "-o", "per_page=100")
    db = tmp_path / "lake.db"
    spec = tmp_path / "p.yaml"
    spec.write_text(f"connection_name: {connection}\ndestination: {{type: sqlite, path: {db}}}\n"
                    f"objects:\n{objects}")
    return sim, db, spec


def rows(db, sql):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_runs_bring_the_tables_up_to_date_exactly_once(lakeflow, simulators, tmp_path):
    sim, db, spec = setup(lakeflow, simulators, tmp_path,
                          "  - table: {source_table: issues}\n"
                          "  - table: {source_table: commits}\n")
    first = lakeflow.run("pipeline", "run", str(spec)).stdout
    issues = rows(db, "SELECT count(*), count(DISTINCT id) FROM issues")[0]
    commits = rows(db, "SELECT count(*) FROM commits")[0][0]
    assert issues[0] == issues[1] > 100
    assert f"issues: {issues[0]} rows" in first
    assert commits > 0

    victim = rows(db, "SELECT id FROM issues ORDER BY id LIMIT 1")[0][0]
    sim.control("POST", "issues/records", {"id": victim, "title": "retitled"})
    second = lakeflow.run("pipeline", "run", str(spec)).stdout
    assert "issues: 1 rows in 1 batch" in second
    assert "commits: 0 rows in 0 batches" in second
    assert rows(db, "SELECT count(*) FROM issues")[0][0] == issues[0]
    assert rows(db, f"SELECT title FROM issues WHERE id = {victim}")[0][0] == "retitled"
    assert rows(db, "SELECT count(*) FROM commits")[0][0] == commits
    flows = rows(db, "SELECT table_name, flow FROM _lakeflow_flows ORDER BY flow")
    assert flows == [("commits", "commits"), ("issues", "issues")]


def test_snapshot_tables_follow_the_source_with_inserts_updates_and_deletes(
        lakeflow, simulators, tmp_path):
    sim, db, spec = setup(lakeflow, simulators, tmp_path,
                          "  - table: {source_table: assignees}\n"
                          "  - table:\n"
                          "      source_table: assignees\n"
                          "      destination_table: assignees_history\n"
                          "      table_configuration: {scd_type: SCD_TYPE_2}\n")
    for n in (1, 2):  # the recorded corpus has one assignee
        sim.control("POST", "assignees/records", {"id": 999999100 + n, "login": f"dev{n}"})
    lakeflow.run("pipeline", "run", str(spec))
    ids = [r[0] for r in rows(db, "SELECT id FROM assignees ORDER BY id")]
    assert len(ids) >= 3
    assert rows(db, "SELECT count(*) FROM assignees_history WHERE __END_AT IS NULL")[0][0] == len(ids)

    sim.control("DELETE", f"assignees/records/{ids[0]}")
    sim.control("POST", "assignees/records", {"id": ids[1], "login": "renamed"})
    sim.control("POST", "assignees/records", {"id": 999999001, "login": "newcomer"})
    lakeflow.run("pipeline", "run", str(spec))

    now = {r[0]: r[1] for r in rows(db, "SELECT id, login FROM assignees")}
    assert ids[0] not in now
    assert now[ids[1]] == "renamed" and now[999999001] == "newcomer"
    assert len(now) == len(ids) + 1 - 1
    history = rows(db, "SELECT id, login, __START_AT, __END_AT FROM assignees_history "
                       "ORDER BY id, __START_AT")
    by_id = {}
    for id_, login, start, end in history:
        by_id.setdefault(id_, []).append((login, start, end))
    assert by_id[ids[0]] == [(by_id[ids[0]][0][0], 1, 2)]           # deleted: closed at 2
    assert [(s, e) for _, s, e in by_id[ids[1]]] == [(1, 2), (2, None)]  # changed: a new version
    assert by_id[ids[1]][1][0] == "renamed"
    assert by_id[999999001] == [("newcomer", 2, None)]
    assert by_id[ids[2]] == [(by_id[ids[2]][0][0], 1, None)]         # unchanged: one version


def test_cdc_with_deletes_applies_the_delete_flow(lakeflow, simulators, tmp_path):
    sim, db, spec = setup(lakeflow, simulators, tmp_path,
                          "  - table: {source_table: issues}\n"
                          "  - table:\n"
                          "      source_table: issues\n"
                          "      destination_table: issues_history\n"
                          "      table_configuration: {scd_type: SCD_TYPE_2}\n",
                          connection="withdeletes")
    lakeflow.run("pipeline", "run", str(spec))
    ids = [r[0] for r in rows(db, "SELECT id FROM issues ORDER BY id")]
    sim.control("DELETE", f"issues/records/{ids[0]}")
    sim.control("POST", "issues/records", {"id": ids[1], "title": "edited"})
    out = lakeflow.run("pipeline", "run", str(spec)).stdout
    assert "issues: 2 rows in 2 batches" in out  # one upsert, one delete
    assert rows(db, f"SELECT count(*) FROM issues WHERE id = {ids[0]}")[0][0] == 0
    assert rows(db, f"SELECT title FROM issues WHERE id = {ids[1]}")[0][0] == "edited"
    assert rows(db, "SELECT count(*) FROM issues")[0][0] == len(ids) - 1
    closed = rows(db, f"SELECT __END_AT FROM issues_history WHERE id = {ids[0]}")
    assert len(closed) == 1 and closed[0][0] is not None
    versions = rows(db, f"SELECT title, __END_AT FROM issues_history WHERE id = {ids[1]} "
                        "ORDER BY __lakeflow_sequence")
    assert len(versions) == 2 and versions[1] == ("edited", None)
    flows = rows(db, "SELECT flow FROM _lakeflow_flows WHERE table_name = 'issues' ORDER BY flow")
    assert flows == [("issues",), ("issues#deletes",)]


def test_full_refresh_rebuilds_only_the_named_tables(lakeflow, simulators, tmp_path):
    _, db, spec = setup(lakeflow, simulators, tmp_path,
                        "  - table: {source_table: issues}\n"
                        "  - table: {source_table: commits}\n")
    lakeflow.run("pipeline", "run", str(spec))
    issues = rows(db, "SELECT count(*) FROM issues")[0][0]
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM issues WHERE id IN (SELECT id FROM issues LIMIT 5)")
    out = lakeflow.run("pipeline", "run", str(spec), "--full-refresh", "issues").stdout
    assert f"issues: {issues} rows" in out
    assert "commits: 0 rows" in out
    assert rows(db, "SELECT count(*) FROM issues")[0][0] == issues

    out = lakeflow.run("pipeline", "run", str(spec), "--full-refresh-all").stdout
    assert f"issues: {issues} rows" in out and "commits: 0 rows" not in out

    bad = lakeflow.run("pipeline", "run", str(spec), "--full-refresh", "nope", check=False)
    assert bad.returncode == 2
    assert "--full-refresh: 'nope' is not a destination table" in bad.stderr


def test_parallel_runs_give_the_same_tables(lakeflow, simulators, tmp_path):
    objects = ("  - table: {source_table: issues}\n  - table: {source_table: commits}\n"
               "  - table: {source_table: comments}\n  - table: {source_table: branches}\n")
    _, db, spec = setup(lakeflow, simulators, tmp_path, objects)
    lakeflow.run("pipeline", "run", str(spec), "--parallel", "3")
    serial = tmp_path / "serial.yaml"
    serial.write_text(spec.read_text().replace(str(db), str(tmp_path / "serial.db")))
    lakeflow.run("pipeline", "run", str(serial))
    for table in ("issues", "commits", "comments", "branches"):
        columns = "*" if table != "commits" else "sha"
        got = sorted(map(repr, rows(db, f"SELECT {columns} FROM {table}")))
        want = sorted(map(repr, rows(tmp_path / "serial.db", f"SELECT {columns} FROM {table}")))
        assert got == want and got, table


def test_status_shows_progress_and_the_last_error(lakeflow, simulators, tmp_path):
    sim, db, spec = setup(lakeflow, simulators, tmp_path,
                          "  - table: {source_table: issues}\n"
                          "  - table: {source_table: commits}\n")
    before = lakeflow.run("pipeline", "status", str(spec)).stdout
    assert "issues: never run" in before and not db.exists()
    lakeflow.run("pipeline", "run", str(spec))
    status = lakeflow.run("pipeline", "status", str(spec)).stdout
    count = rows(db, "SELECT count(*) FROM issues")[0][0]
    assert f"issues: {count} rows written, batch 0 committed " in status
    assert '"cursor"' in status  # the offset

    # The source answers 404 everywhere now: the run fails, and status says why.
    lakeflow.run("connection", "delete", "github")
    lakeflow.run("connection", "create", "github", "--source", "github",
                 "-o", f"base_url={sim.url}/gone", "-o", "owner=octo", "-o", "repo=demo")
    failed = lakeflow.run("pipeline", "run", str(spec), check=False)
    assert failed.returncode != 0
    assert "2 of 2 tables failed" in failed.stderr
    status = lakeflow.run("pipeline", "status", str(spec)).stdout
    assert status.count("last error at") == 2
    assert f"issues: {count} rows written, batch 0" in status  # progress kept


def test_status_tells_a_run_that_found_nothing_from_one_that_never_ran(
        lakeflow, simulators, tmp_path):
    sim, db, spec = setup(lakeflow, simulators, tmp_path, "  - table: {source_table: issues}\n")
    lakeflow.run("pipeline", "run", str(spec))
    again = lakeflow.run("pipeline", "run", str(spec)).stdout
    assert "issues: 0 rows in 0 batches" in again
    status = lakeflow.run("pipeline", "status", str(spec)).stdout
    assert "issues: " in status and "; last run 20" in status, status
    # A table added to the spec has never run.
    spec.write_text(spec.read_text() + "  - table: {source_table: comments}\n")
    status = lakeflow.run("pipeline", "status", str(spec)).stdout
    assert "comments: never run" in status


def test_one_failing_table_leaves_the_others_committed(lakeflow, simulators, tmp_path):
    """A table whose source fails (HTTP 404) does not stop the others: they commit, the
    run exits 3 and names the table that failed."""
    sim = simulators("github")
    source = tmp_path / "two.yaml"
    source.write_text(
        "source: two\noptions: {base_url: {required: true}}\nbase_url: '{base_url}'\n"
        "defaults: {paginator: {type: link_header}}\ntables:\n"
        "  issues: {path: /repos/octo/demo/issues, primary_keys: [id], ingestion_type: snapshot,"
        " schema: 'id BIGINT, title STRING'}\n"
        "  missing: {path: /repos/octo/demo/nothing-here, primary_keys: [id],"
        " ingestion_type: snapshot, schema: 'id BIGINT, title STRING'}\n"
        "  branches: {path: /repos/octo/demo/branches, primary_keys: [name],"
        " ingestion_type: snapshot, schema: 'name STRING'}\n")
    lakeflow.run("connection", "create", "two", "--source", "rest", "-o", f"spec={source}",
                 "-o", f"base_url={sim.url}")
    db = tmp_path / "lake.db"
    spec = tmp_path / "p.yaml"
    spec.write_text(f"connection_name: two\ndestination: {{type: sqlite, path: {db}}}\nobjects:\n"
                    "  - table: {source_table: issues}\n  - table: {source_table: missing}\n"
                    "  - table: {source_table: branches}\n")
    run = lakeflow.run("pipeline", "run", str(spec), check=False)
    assert run.returncode == 3, run.stderr
    failures = [line for line in run.stderr.splitlines() if line.startswith("lakeflow: ")]
    assert any("missing" in line and "HTTP 404" in line for line in failures), run.stderr
    assert "1 of 3 tables failed" in run.stderr
    assert rows(db, "SELECT count(*) FROM issues")[0][0] > 100
    assert rows(db, "SELECT count(*) FROM branches")[0][0] == 4
    assert not rows(db, "SELECT name FROM sqlite_master WHERE name = 'missing'")
    assert "issues: " in run.stdout and "branches: " in run.stdout


def test_interval_trigger_runs_until_interrupted(lakeflow, simulators, tmp_path):
    sim, db, spec = setup(lakeflow, simulators, tmp_path, "  - table: {source_table: issues}\n")
    proc = subprocess.Popen([str(BINARY), "pipeline", "run", str(spec), "--trigger", "interval:1s"],
                            env=lakeflow.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 30
        while not db.exists() or not rows(db, "SELECT count(*) FROM sqlite_master WHERE name='issues'")[0][0]:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        sim.control("POST", "issues/records", {"title": "arrives later"})
        while not rows(db, "SELECT count(*) FROM issues WHERE title = 'arrives later'")[0][0]:
            assert time.monotonic() < deadline, "the next trigger did not pick up the new issue"
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert out.count("issues: ") >= 2


def test_bad_trigger_is_one_line(lakeflow, simulators, tmp_path):
    _, db, spec = setup(lakeflow, simulators, tmp_path, "  - table: {source_table: issues}\n")
    proc = lakeflow.run("pipeline", "run", str(spec), "--trigger", "every:5", check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "lakeflow: invalid argument: bad --trigger 'every:5': expected available-now, once or "
        "interval:N[s|m|h] (e.g. interval:30s)"]
    assert not db.exists()


def test_a_terminal_gets_live_lines_and_a_log_gets_plain_lines(lakeflow, simulators, tmp_path):
    import os
    import pty
    _, db, spec = setup(lakeflow, simulators, tmp_path,
                        "  - table: {source_table: issues}\n  - table: {source_table: commits}\n")
    leader, follower = pty.openpty()
    proc = subprocess.Popen([str(BINARY), "pipeline", "run", str(spec)], env=lakeflow.env,
                            stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    tty = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        tty += chunk
    proc.wait(timeout=60)
    os.close(leader)
    text = tty.decode()
    assert "\x1b[2F" in text  # the two lines redrawn in place
    assert "issues: 150 rows" in text and "rows/s, done in" in text
    assert "commits: 25 rows" in text

    log = lakeflow.run("pipeline", "run", str(spec), "--full-refresh-all").stderr
    assert "\x1b[" not in log
    assert "issues: committed, 150 rows so far" in log
