"""`lakeflow pipeline run` (in progress): cdc and append tables into SQLite,
exactly once across runs."""
import sqlite3


def setup(lakeflow, simulators, tmp_path, objects):
    sim = simulators("github")
    lakeflow.run("connection", "create", "github", "--source", "github",
                 "-o", f"base_url={sim.url}", "-o", "owner=octo", "-o", "repo=demo")
    db = tmp_path / "lake.db"
    spec = tmp_path / "p.yaml"
    spec.write_text(f"connection_name: github\ndestination: {{type: sqlite, path: {db}}}\n"
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

    offsets = rows(db, "SELECT flow, batch_id FROM _lakeflow_flows ORDER BY flow")
    assert [f for f, _ in offsets] == ["commits", "issues"]


def test_unsupported_tables_are_refused_before_any_data_moves(lakeflow, simulators, tmp_path):
    _, db, spec = setup(lakeflow, simulators, tmp_path,
                        "  - table: {source_table: issues}\n"
                        "  - table: {source_table: branches}\n")
    proc = lakeflow.run("pipeline", "run", str(spec), check=False)
    assert proc.returncode != 0
    assert "branches: snapshot tables are not supported by pipeline run yet" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not db.exists()
