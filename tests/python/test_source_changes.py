"""A source that changes between microbatches: random inserts, updates and deletes in
the simulator between capped microbatches (`pipeline run --trigger once`), then the
destination must equal the source: every live issue once, with its last values, in the
cdc table; every delivered version once, and every live issue's last version, in the
append table. SQLite and Delta; updates stamped either "now" (after the bound of a
sequence under way) or inside the window of the sequence being read.

The seed is printed; LAKEFLOW_PROPERTY_SEED replays a run, LAKEFLOW_PROPERTY_ROUNDS
sets the number of rounds (default 200)."""
import datetime
import json
import os
import random
import sqlite3
import urllib.request

import pytest

from conftest import ROOT

ROUNDS = int(os.environ.get("LAKEFLOW_PROPERTY_ROUNDS", "200"))

OBJECTS = """\
  - table: {source_table: issues}
  - table: {source_table: issues, destination_table: issues_log, table_configuration: {scd_type: APPEND_ONLY}}
"""


def get(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def live_issues(sim):
    """Every issue the simulator holds: {id: (number, title, updated_at)}."""
    out, page = {}, 1
    while True:
        rows = get(f"{sim.url}/repos/octo/demo/issues?state=all&sort=created&direction=asc"
                   f"&per_page=100&page={page}")
        if not rows:
            return out
        for r in rows:
            out[r["id"]] = (r["number"], r["title"], r["updated_at"])
        page += 1


def instant(text):
    """An ISO timestamp as an aware datetime, whatever its precision."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def destination_rows(destination, path, table):
    """(id, number, title, updated_at as an instant) of every row of a destination table."""
    if destination == "delta":
        from deltalake import DeltaTable
        rows = DeltaTable(str(path / table)).to_pyarrow_table(
            columns=["id", "number", "title", "updated_at"]).to_pylist()
        return [(r["id"], r["number"], r["title"], r["updated_at"]) for r in rows]
    with sqlite3.connect(path) as conn:
        rows = conn.execute(f'SELECT id, number, title, updated_at FROM "{table}"').fetchall()
    return [(i, n, t, instant(u)) for i, n, t, u in rows]


class Mutator:
    """Random changes to the simulator's issues. With `clock="now"` the simulator stamps
    updates itself; with "window" they are stamped on a clock that runs a day behind, so
    they land inside the window of a sequence a capped read is part-way through."""

    def __init__(self, sim, rng, clock):
        self.sim, self.rng, self.clock = sim, rng, clock
        self.ids = sorted(live_issues(sim))
        self.stamp = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
        self.changes = 0

    def _stamped(self, body):
        if self.clock == "window":
            self.stamp += datetime.timedelta(milliseconds=1)
            body["updated_at"] = self.stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return body

    def round(self):
        for _ in range(self.rng.randrange(0, 4)):
            kind = self.rng.choice(["update", "update", "insert", "delete"])
            self.changes += 1
            if kind == "delete" and len(self.ids) > 10:
                victim = self.ids.pop(self.rng.randrange(len(self.ids)))
                self.sim.control("DELETE", f"issues/records/{victim}")
            elif kind == "insert":
                record = self.sim.control("POST", "issues/records", self._stamped(
                    {"title": f"new {self.changes}", "number": 100000 + self.changes,
                     "state": "open"}))
                self.ids.append(record["id"])
            else:
                target = self.rng.choice(self.ids)
                self.sim.control("POST", "issues/records", self._stamped(
                    {"id": target, "title": f"edit {self.changes}"}))


# Each destination with one clock: both clocks and both destinations are covered in the
# suite's time; LAKEFLOW_PROPERTY_ROUNDS and the seed widen a run by hand.
@pytest.mark.parametrize("destination,clock", [("sqlite", "window"), ("delta", "now")])
def test_destination_equals_a_source_that_changes_between_microbatches(
        lakeflow, simulators, tmp_path, destination, clock):
    seed = int(os.environ.get("LAKEFLOW_PROPERTY_SEED", random.randrange(1 << 30)))
    print(f"seed {seed} (replay: LAKEFLOW_PROPERTY_SEED={seed}), {ROUNDS} rounds")
    rng = random.Random(seed)
    # Microbatches of 4 over pages of 5: most rounds change the source while a
    # sequence is part-way read, and caps fall inside pages.
    sim = simulators("github", "--scale", "200")
    lakeflow.run("connection", "create", "changing", "--source", "rest",
                 "-o", f"spec={ROOT / 'testdata' / 'rest' / 'issues_crash.yaml'}",
                 "-o", f"base_url={sim.url}", "-o", "owner=octo", "-o", "repo=demo",
                 "-o", "per_page=5", "-o", "max_records_per_batch=4")
    path = tmp_path / ("lake" if destination == "delta" else "dest.db")
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"connection_name: changing\ndestination: {{type: {destination}, "
                    f"path: {path}}}\nobjects:\n{OBJECTS}")
    mutator = Mutator(sim, rng, clock)
    for _ in range(ROUNDS):
        mutator.round()
        lakeflow.run("pipeline", "run", str(spec), "--trigger", "once", timeout=120)
    lakeflow.run("pipeline", "run", str(spec), timeout=300)

    source = live_issues(sim)
    assert mutator.changes > ROUNDS  # the source did change
    want = sorted((i, n, t, instant(u)) for i, (n, t, u) in source.items())
    assert sorted(destination_rows(destination, path, "issues")) == want, f"seed {seed}"

    log = destination_rows(destination, path, "issues_log")
    versions = [(i, u) for i, _, _, u in log]
    assert len(versions) == len(set(versions)), f"seed {seed}: a version was appended twice"
    assert set(want) <= set(log), f"seed {seed}: a live issue's last version is missing"


def test_a_delete_between_capped_microbatches_loses_nothing(lakeflow, simulators, tmp_path):
    """The reproduction: a stream capped at 25 records over pages of 10 stops inside a
    page; the first issue is deleted; the stream resumed to the end still delivers every
    live issue exactly once."""
    sim = simulators("github", "--scale", "1000")
    lakeflow.run("connection", "create", "gh", "--source", "github", "-o", f"base_url={sim.url}",
                 "-o", "owner=octo", "-o", "repo=demo", "-o", "per_page=10",
                 "-o", "max_records_per_batch=25")
    common = ["stream", "--connection", "gh", "-o", "tableName=issues",
              "--checkpoint", str(tmp_path / "ck"), "--output", "jsonl"]
    first = lakeflow.records(*common, "--trigger", "once")
    assert len(first) == 25
    sim.control("DELETE", f"issues/records/{first[0]['id']}")
    rest = lakeflow.records(*common)
    ids = [r["id"] for r in first + rest]
    assert len(ids) == len(set(ids)), "an issue came twice"
    assert set(live_issues(sim)) <= set(ids)
    assert len(ids) == 1000


def test_fan_out_children_survive_parents_that_move_between_microbatches(
        lakeflow, simulators, tmp_path):
    """Reviews are read per pull request, the pull requests listed by last update: a pull
    request updated between two capped microbatches jumps to the end of the listing and
    the others shift. No review of a pull request that is still there may be lost (some may
    come twice: the table is append, and the guarantee for fan-out is at least once)."""
    seed = int(os.environ.get("LAKEFLOW_PROPERTY_SEED", random.randrange(1 << 30)))
    print(f"seed {seed} (replay: LAKEFLOW_PROPERTY_SEED={seed})")
    rng = random.Random(seed)
    sim = simulators("github", "--scale", "200")
    lakeflow.run("connection", "create", "fan", "--source", "github", "-o", f"base_url={sim.url}",
                 "-o", "owner=octo", "-o", "repo=demo", "-o", "per_page=5",
                 "-o", "max_records_per_batch=3")
    db = tmp_path / "fan.db"
    spec = tmp_path / "fan.yaml"
    spec.write_text(f"connection_name: fan\ndestination: {{type: sqlite, path: {db}}}\n"
                    "objects:\n  - table: {source_table: reviews}\n")

    def pulls():
        out, page = [], 1
        while True:
            rows = get(f"{sim.url}/repos/octo/demo/pulls?state=all&per_page=100&page={page}")
            if not rows:
                return out
            out += rows
            page += 1

    numbers = [p["number"] for p in pulls()]
    ids = {p["number"]: p["id"] for p in pulls()}
    for _ in range(60):
        for _ in range(rng.randrange(0, 4)):
            number = rng.choice(numbers)
            if rng.random() < 0.2 and len(numbers) > 20:
                numbers.remove(number)
                sim.control("DELETE", f"pulls/records/{ids[number]}")
            else:
                sim.control("POST", "pulls/records", {"id": ids[number], "title": "moved"})
        lakeflow.run("pipeline", "run", str(spec), "--trigger", "once", timeout=120)
    lakeflow.run("pipeline", "run", str(spec), timeout=300)

    expected = set()
    for number in numbers:
        expected |= {r["id"] for r in get(f"{sim.url}/repos/octo/demo/pulls/{number}/reviews"
                                          "?per_page=100")}
    with sqlite3.connect(db) as conn:
        got = [r[0] for r in conn.execute("SELECT id FROM reviews")]
    assert expected, "the pull requests left have no reviews"
    assert expected <= set(got), f"seed {seed}: {len(expected - set(got))} reviews lost"
