"""Crash tests: `lakeflow pipeline run` killed with SIGKILL at random instants,
then run again, must end with exactly the tables of an uninterrupted run."""
import os
import random
import signal
import sqlite3
import subprocess
import time

import pytest

from conftest import BINARY, ROOT

KILLS = 24  # random kill points per destination

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


@pytest.fixture
def source(lakeflow, simulators):
    # 8000 issues with deletions, read 150 at a time: many microbatches to kill between.
    sim = simulators("github", "--scale", "8000")
    lakeflow.run("connection", "create", "crashy", "--source", "rest",
                 "-o", f"spec={ROOT / 'testdata' / 'rest' / 'issues_crash.yaml'}",
                 "-o", f"base_url={sim.url}", "-o", "owner=octo", "-o", "repo=demo",
                 "-o", "per_page=50", "-o", "max_records_per_batch=150")
    for n in range(1, 60):
        sim.control("DELETE", f"issues/records/{sim_issue_id(sim, n)}")
    return sim


def sim_issue_id(sim, n):
    import json
    import urllib.request
    url = f"{sim.url}/repos/octo/demo/issues?state=all&sort=created&direction=asc&per_page=1&page={n * 7}"
    with urllib.request.urlopen(url) as r:
        return json.loads(r.read())[0]["id"]


@pytest.mark.parametrize("destination", ["sqlite", "delta"])
def test_sigkill_at_random_points_changes_nothing(lakeflow, source, tmp_path, destination):
    reference_spec, reference_path = spec_for(tmp_path, "reference", destination)
    started = time.monotonic()
    lakeflow.run("pipeline", "run", str(reference_spec), timeout=300)
    full = time.monotonic() - started
    reference = dump(destination, reference_path)
    assert len(reference["issues"]) > 7800 and len(reference["issues_log"]) > 7800
    assert len(reference["issue_list"]) == len(reference["issues"])
    print(f"uninterrupted run: {full:.2f}s")

    spec, path = spec_for(tmp_path, "crashed", destination)
    rng = random.Random(4)
    killed = attempts = 0
    # Short random delays, so the kills fall all along the work (a restarted
    # run goes on where the last commit left it).
    while killed < KILLS and attempts < 4 * KILLS:
        attempts += 1
        proc = subprocess.Popen([str(BINARY), "pipeline", "run", str(spec)], env=lakeflow.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.01, full / 8))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        proc.wait()
    assert killed >= KILLS, f"only {killed} runs of {attempts} were killed mid-way"
    lakeflow.run("pipeline", "run", str(spec), timeout=300)
    assert dump(destination, path) == reference
