"""Crash tests: `lakeflow pipeline run` killed with SIGKILL part-way, then run again.

Each kill is made to land while the run is live and after it has committed at least one
microbatch (the progress lines on stderr say when), at a random later instant. On a
source that stands still, the tables must then equal those of an uninterrupted run, row
for row. On a source that changes before every run (inserts, updates, deletes), they
must equal the source: every live issue once with its last values, histories whose
current versions are the live issues, and an append log holding each version once."""
import os
import queue
import random
import signal
import sqlite3
import subprocess
import threading
import time

import pytest

from conftest import BINARY, ROOT
from test_source_changes import Mutator, destination_rows, instant, live_issues

KILLS = 25  # kills per destination and source

OBJECTS = """\
  - table: {source_table: issues}
  - table:
      source_table: issues
      destination_table: issues_history
      table_configuration: {scd_type: SCD_TYPE_2}
  - table: {source_table: issues, destination_table: issues_log, table_configuration: {scd_type: APPEND_ONLY}}
  - table: {source_table: issue_list}
  - table:
      source_table: issue_list
      destination_table: issue_list_history
      table_configuration: {scd_type: SCD_TYPE_2}
"""


def spec_for(tmp_path, name, destination):
    spec = tmp_path / f"{name}.yaml"
    path = tmp_path / name
    spec.write_text(f"connection_name: crashy\ndestination: {{type: {destination}, path: {path}}}\n"
                    f"objects:\n{OBJECTS}")
    return spec, path


def dump(destination, path):
    """Every table, its rows sorted (bookkeeping left out)."""
    if destination == "delta":
        from deltalake import DeltaTable
        return {t.name: sorted(map(repr, DeltaTable(str(t)).to_pyarrow_table().to_pylist()))
                for t in sorted(path.iterdir()) if (t / "_delta_log").is_dir()}
    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE '%lakeflow%' "
            "ORDER BY name")]
        return {n: sorted(map(repr, conn.execute(f'SELECT * FROM "{n}"'))) for n in names}


def history(destination, path, table):
    """(id, title, updated_at, __START_AT, __END_AT) of every version of an SCD2 table."""
    if destination == "delta":
        from deltalake import DeltaTable
        rows = DeltaTable(str(path / table)).to_pyarrow_table(
            columns=["id", "title", "__START_AT", "__END_AT"]).to_pylist()
        return [(r["id"], r["title"], r["__START_AT"], r["__END_AT"]) for r in rows]
    with sqlite3.connect(path) as conn:
        return conn.execute(
            f'SELECT id, title, "__START_AT", "__END_AT" FROM "{table}"').fetchall()


@pytest.fixture
def source(lakeflow, simulators):
    # 8000 issues with deletions, read 150 at a time: many microbatches to kill between.
    sim = simulators("github", "--scale", "8000")
    lakeflow.run("connection", "create", "crashy", "--source", "rest",
                 "-o", f"spec={ROOT / 'testdata' / 'rest' / 'issues_crash.yaml'}",
                 "-o", f"base_url={sim.url}", "-o", "owner=octo", "-o", "repo=demo",
                 "-o", "per_page=50", "-o", "max_records_per_batch=150")
    ids = sorted(live_issues(sim))
    for n in range(1, 60):
        sim.control("DELETE", f"issues/records/{ids[n * 7]}")
    return sim


def run_and_kill(lakeflow, spec, rng):
    """Starts `pipeline run`, waits for its first committed microbatch, lets it go on for
    a random while and kills it. Returns True when the kill landed on a live run."""
    proc = subprocess.Popen([str(BINARY), "pipeline", "run", str(spec)], env=lakeflow.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr] + [lines.put(None)],
                     daemon=True).start()
    commits_wanted = rng.randrange(1, 6)
    commits = 0
    while commits < commits_wanted:
        line = lines.get(timeout=120)
        if line is None:
            break  # the run ended first
        commits += ": committed," in line
    if commits == 0:
        proc.wait()
        return False
    time.sleep(rng.uniform(0, 0.02))
    live = proc.poll() is None
    if live:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return live and proc.returncode == -signal.SIGKILL


def kill_repeatedly(lakeflow, spec, rng, before_each=lambda: None):
    killed = attempts = 0
    while killed < KILLS and attempts < 3 * KILLS:
        attempts += 1
        before_each()
        killed += run_and_kill(lakeflow, spec, rng)
    assert killed >= KILLS, f"only {killed} of {attempts} runs were killed live, after a commit"


@pytest.mark.parametrize("destination", ["sqlite", "delta"])
def test_sigkill_at_random_points_changes_nothing(lakeflow, source, tmp_path, destination):
    reference_spec, reference_path = spec_for(tmp_path, "reference", destination)
    lakeflow.run("pipeline", "run", str(reference_spec), timeout=300)
    reference = dump(destination, reference_path)
    live = live_issues(source)
    assert len(reference["issues"]) == len(live) and len(reference["issue_list"]) == len(live)

    spec, path = spec_for(tmp_path, "crashed", destination)
    kill_repeatedly(lakeflow, spec, random.Random(4))
    lakeflow.run("pipeline", "run", str(spec), timeout=300)
    assert dump(destination, path) == reference


@pytest.mark.parametrize("destination", ["sqlite", "delta"])
def test_sigkill_while_the_source_changes(lakeflow, source, tmp_path, destination):
    seed = int(os.environ.get("LAKEFLOW_PROPERTY_SEED", random.randrange(1 << 30)))
    print(f"seed {seed} (replay: LAKEFLOW_PROPERTY_SEED={seed})")
    rng = random.Random(seed)
    mutator = Mutator(source, rng, "now")
    spec, path = spec_for(tmp_path, "crashed", destination)
    kill_repeatedly(lakeflow, spec, rng, before_each=mutator.round)
    lakeflow.run("pipeline", "run", str(spec), timeout=300)

    live = live_issues(source)
    want = sorted((i, n, t, instant(u)) for i, (n, t, u) in live.items())
    for table in ("issues", "issue_list"):
        assert sorted(destination_rows(destination, path, table)) == want, f"{table}, seed {seed}"
    log = destination_rows(destination, path, "issues_log")
    versions = [(i, u) for i, _, _, u in log]
    assert len(versions) == len(set(versions)), f"seed {seed}: a version was appended twice"
    assert set(want) <= set(log), f"seed {seed}: a live issue's last version is missing"
    for table in ("issues_history", "issue_list_history"):
        versions = history(destination, path, table)
        starts = [(i, s) for i, _, s, _ in versions]
        assert len(starts) == len(set(starts)), f"{table}, seed {seed}: a version came twice"
        current = sorted((i, t) for i, t, _, e in versions if e is None)
        assert current == sorted((i, t) for i, (_, t, _) in live.items()), f"{table}, seed {seed}"

    # An uninterrupted run on the final source lands the same current tables.
    fresh_spec, fresh_path = spec_for(tmp_path, "fresh", destination)
    lakeflow.run("pipeline", "run", str(fresh_spec), timeout=300)
    for table in ("issues", "issue_list"):
        assert sorted(destination_rows(destination, fresh_path, table)) == want
