"""A GitHub connector written in Python against the reference template
(connectors/github_connector.py, with `requests`) runs on the `python` source
and lands the same tables as the built-in C++ `github` source, against the
GitHub simulator."""
import datetime
import json
import sqlite3

import pytest

from conftest import ROOT

GITHUB = str(ROOT / "tests" / "python" / "connectors" / "github_connector.py")
TABLES = {"issues": "id", "commits": "sha", "branches": "name"}


def create_python(lakeflow, sim, name="pygh", *extra):
    lakeflow.run("connection", "create", name, "--source", "python", "-o", f"module={GITHUB}",
                 "-o", "class=LakeflowConnect", "-o", f"base_url={sim.url}", "-o", "owner=octo",
                 "-o", "repo=demo", *extra)
    return name


def create_cpp(lakeflow, sim, name="gh"):
    lakeflow.run("connection", "create", name, "--source", "github", "-o", f"base_url={sim.url}",
                 "-o", "owner=octo", "-o", "repo=demo")
    return name


@pytest.fixture
def sim(simulators):
    return simulators("github")


def test_conformance_suite_passes(lakeflow, sim):
    name = create_python(lakeflow, sim, "pygh", "-o", "per_page=40")  # several pages of issues
    proc = lakeflow.run("test-connector", "--connection", name, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert proc.stdout.strip().endswith("0 failed"), proc.stdout
    for table in TABLES:
        assert f"[{table}]" in proc.stdout, table


def test_metadata_matches_the_builtin_source(lakeflow, sim):
    py, cpp = create_python(lakeflow, sim), create_cpp(lakeflow, sim)
    read = ["read", "-o", "tableName=_lakeflow_metadata",
            "-o", "tableNameList=issues,commits,branches"]
    assert (lakeflow.records(*read, "--connection", py)
            == lakeflow.records(*read, "--connection", cpp))


def test_a_stream_resumes_with_exactly_the_changed_issue(lakeflow, sim, tmp_path):
    name = create_python(lakeflow, sim, "pygh", "-o", "per_page=25")
    stream = ["stream", "--connection", name, "-o", "tableName=issues",
              "--checkpoint", str(tmp_path / "ck"), "--output", "jsonl"]
    first = lakeflow.records(*stream)
    assert len(first) == 150 and len({r["id"] for r in first}) == 150

    changed = first[40]["id"]
    sim.control("POST", "issues/records", {"id": changed, "title": "retitled from python"})
    again = lakeflow.records(*stream)
    assert [(r["id"], r["title"]) for r in again] == [(changed, "retitled from python")]
    assert again[0]["updated_at"] > max(r["updated_at"] for r in first)

    assert lakeflow.records(*stream) == [], "a caught-up stream read records"


def spec(tmp_path, connection, db):
    path = tmp_path / f"{connection}.yaml"
    objects = "".join(f"  - table: {{source_table: {t}}}\n" for t in TABLES)
    path.write_text(f"connection_name: {connection}\n"
                    f"destination: {{type: sqlite, path: {db}}}\nobjects:\n{objects}")
    return str(path)


def table_rows(db, table, columns, key):
    with sqlite3.connect(db) as conn:
        cols = ", ".join(f'"{c}"' for c in columns)
        return conn.execute(f'SELECT {cols} FROM "{table}" ORDER BY "{key}"').fetchall()


def columns_of(db, table):
    with sqlite3.connect(db) as conn:
        return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]


def assert_same_tables(py_db, cpp_db):
    for table, key in TABLES.items():
        py_cols, cpp_cols = columns_of(py_db, table), columns_of(cpp_db, table)
        assert py_cols, f"{table} missing from the python connector's database"
        assert cpp_cols, f"{table} missing from the github source's database"
        common = [c for c in cpp_cols if c in py_cols]
        assert common == cpp_cols, f"{table}: columns differ: {py_cols} vs {cpp_cols}"
        py_rows = table_rows(py_db, table, common, key)
        cpp_rows = table_rows(cpp_db, table, common, key)
        assert len(py_rows) == len(cpp_rows), table
        for a, b in zip(py_rows, cpp_rows):
            diff = {c: (x, y) for c, x, y in zip(common, a, b) if x != y}
            assert not diff, f"{table} row {a[common.index(key)]}: {diff}"


def run_both(lakeflow, py_spec, cpp_spec):
    out = {}
    for name, path in (("python", py_spec), ("github", cpp_spec)):
        out[name] = lakeflow.run("pipeline", "run", path, timeout=180).stdout
    return out


def test_python_and_builtin_connectors_land_the_same_tables(lakeflow, sim, tmp_path):
    py, cpp = create_python(lakeflow, sim, "pygh", "-o", "per_page=30"), create_cpp(lakeflow, sim)
    py_db, cpp_db = tmp_path / "python.db", tmp_path / "cpp.db"
    py_spec, cpp_spec = spec(tmp_path, py, py_db), spec(tmp_path, cpp, cpp_db)

    out = run_both(lakeflow, py_spec, cpp_spec)
    assert "issues: 150 rows" in out["python"], out["python"]
    assert "commits: 25 rows" in out["python"], out["python"]  # not the 3 dated tomorrow
    assert_same_tables(py_db, cpp_db)
    with sqlite3.connect(py_db) as conn:
        assert conn.execute("SELECT count(*) FROM branches").fetchone()[0] == 4

    # Change the source: two issues edited, an issue and a branch added, a commit pushed.
    issues = json.loads((ROOT / "testdata/simulator/github/corpus/issues.json").read_text())
    sim.control("POST", "issues/records",
                {"id": issues[3]["id"], "title": "retitled", "state": "closed"})
    new_issue = sim.control("POST", "issues/records", {"title": "brand new", "number": 4242,
                                                       "state": "open", "labels": []})
    east = datetime.timezone(datetime.timedelta(hours=2))  # an offset, not Z: same instant
    stamped = datetime.datetime.now(east) - datetime.timedelta(seconds=5)
    stamped = stamped.isoformat(timespec="seconds")
    sim.control("POST", "issues/records", {"id": issues[9]["id"], "body": "édité ✓",
                                           "updated_at": stamped})
    sim.control("POST", "branches/records", {
        "name": "feature-x", "protected": True,
        "commit": {"sha": "0" * 40, "url": "https://api.github.com/repos/o/r/commits/" + "0" * 40}})
    pushed = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=2))
    pushed = pushed.strftime("%Y-%m-%dT%H:%M:%SZ")
    sim.control("POST", "commits/records", {
        "sha": "f" * 40, "node_id": "C_new",
        "commit": {"author": {"name": "N", "email": "n@example.com", "date": pushed},
                   "committer": {"name": "N", "email": "n@example.com", "date": pushed},
                   "message": "pushed during the test"},
        "parents": []})

    out = run_both(lakeflow, py_spec, cpp_spec)
    for name, text in out.items():
        assert "issues: 3 rows" in text, (name, text)
        assert "commits: 1 row" in text, (name, text)
    assert_same_tables(py_db, cpp_db)
    with sqlite3.connect(py_db) as conn:
        assert conn.execute("SELECT title, state FROM issues WHERE id = ?",
                            (issues[3]["id"],)).fetchone() == ("retitled", "closed")
        assert conn.execute("SELECT count(*) FROM issues").fetchone()[0] == 151
        utc = datetime.datetime.fromisoformat(stamped).astimezone(datetime.timezone.utc)
        assert conn.execute("SELECT body, updated_at FROM issues WHERE id = ?",
                            (issues[9]["id"],)).fetchone() == ("édité ✓",
                                                                utc.strftime("%Y-%m-%dT%H:%M:%SZ"))
        assert conn.execute("SELECT title FROM issues WHERE id = ?",
                            (new_issue["id"],)).fetchone() == ("brand new",)
        assert conn.execute("SELECT count(*) FROM branches").fetchone()[0] == 5
        assert conn.execute("SELECT count(*) FROM commits").fetchone()[0] == 26


def test_the_token_is_sent_as_a_bearer_token(lakeflow, simulators):
    sim = simulators("github", "--auth", "Bearer t0k")
    good = create_python(lakeflow, sim, "pygh", "-o", "token=t0k")
    assert len(lakeflow.records("read", "--connection", good, "-o", "tableName=branches")) == 4
    bad = create_python(lakeflow, sim, "anon")
    proc = lakeflow.run("read", "--connection", bad, "-o", "tableName=branches", check=False)
    assert proc.returncode != 0
    assert "GitHub API 401" in proc.stderr and "Bad credentials" in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
