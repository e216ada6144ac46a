"""`lakeflow pipeline validate`: a spec checked against its source, no data moved."""
import pytest

from conftest import ROOT

USAGE = 2


@pytest.fixture
def github(lakeflow, simulators):
    sim = simulators("github")
    lakeflow.run("connection", "create", "github", "--source", "github",
                 "-o", f"base_url={sim.url}", "-o", "owner=octo", "-o", "repo=demo")
    return sim


def test_the_main_jobs_spec_validates(lakeflow, github):
    proc = lakeflow.run("pipeline", "validate", str(ROOT / "examples" / "github-pipeline.yaml"))
    lines = proc.stdout.splitlines()
    assert "8 tables into sqlite lakeflow.db" in lines[0]
    assert "  issues <- issues: cdc, SCD_TYPE_1, keys id, sequence_by updated_at" in lines
    assert "  issues_history <- issues: cdc, SCD_TYPE_2, keys id, sequence_by updated_at" in lines
    assert "  commits <- commits: append, SCD_TYPE_1, keys sha, sequence_by commit.author.date" in lines


@pytest.mark.parametrize("table, expected", [
    ("{source_table: issues, table_configration: {}}",
     "p.yaml:3: objects[0].table.table_configration: unknown field"),
    ("{source_table: issues, table_configuration: {scd_type: SCD_TYPE_9}}", "unknown scd_type"),
    ("{source_table: issues, table_configuration: {primary_keys: [uid]}}",
     "p.yaml:3: issues: primary key 'uid' is not a column of source table 'issues'"),
    ("{source_table: issuez}", "unknown table 'issuez'"),
])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_bad_specs_are_one_line(lakeflow, github, tmp_path, table, expected, command):
    spec = tmp_path / "p.yaml"
    db = tmp_path / "lake.db"
    spec.write_text(f"connection_name: github\nobjects:\n  - table: {table}\n"
                    f"destination: {{type: sqlite, path: {db}}}\n")
    proc = lakeflow.run("pipeline", command, str(spec), check=False)
    assert proc.returncode != 0
    assert expected in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not db.exists()  # nothing moved, nothing created


@pytest.mark.parametrize("command", ["validate", "run"])
def test_unknown_connection(lakeflow, tmp_path, command):
    spec = tmp_path / "p.yaml"
    db = tmp_path / "lake.db"
    spec.write_text(f"connection_name: nowhere\nobjects: [{{table: {{source_table: t}}}}]\n"
                    f"destination: {{type: sqlite, path: {db}}}\n")
    proc = lakeflow.run("pipeline", command, str(spec), check=False)
    assert proc.returncode != 0
    assert "nowhere" in proc.stderr and "p.yaml" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not db.exists()
