"""Named connections: the local Unity Catalog connections."""
import json
import stat

USAGE = 2


def test_create_list_show_delete(lakeflow):
    lakeflow.run("connection", "create", "gh", "--source", "test", "-o", "token=t0ps3cr3t",
                 "-o", "num_rows=12", "--allow", "page_size,deleted")
    assert lakeflow.run("connection", "list").stdout == "gh\ttest\n"
    show = lakeflow.run("connection", "show", "gh").stdout
    assert "token: ****" in show and "t0ps3cr3t" not in show
    assert "num_rows: 12" in show
    assert "page_size deleted" in show
    lakeflow.run("connection", "delete", "gh")
    assert lakeflow.run("connection", "list").stdout == ""


def test_connection_file_is_private(lakeflow):
    lakeflow.run("connection", "create", "gh", "--source", "test", "-o", "token=abc12345")
    path = lakeflow.home / "connections" / "gh.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["source"] == "test"


def test_connection_options_are_injected(lakeflow):
    lakeflow.run("connection", "create", "small", "--source", "test", "-o", "num_rows=4")
    rows = lakeflow.records("read", "--connection", "small", "-o", "tableName=events")
    assert [r["id"] for r in rows] == [1, 2, 3, 4]
    # databricks.connection as an option works the same as --connection.
    rows = lakeflow.records("read", "-o", "databricks.connection=small", "-o", "tableName=events")
    assert len(rows) == 4


def test_allow_list_is_enforced(lakeflow):
    lakeflow.run("connection", "create", "strict", "--source", "test", "--allow", "page_size",
                 "--allow", "tableNameList")
    ok = lakeflow.records("read", "--connection", "strict", "-o", "tableName=users", "-o", "page_size=3")
    assert len(ok) == 25
    proc = lakeflow.run("read", "--connection", "strict", "-o", "tableName=users", "-o", "num_rows=3",
                        check=False)
    assert proc.returncode == USAGE
    assert "option 'num_rows' is not allowed by connection 'strict'" in proc.stderr
    # tableNameList is allowed anyway: the list names only the owner's additions.
    assert "(allowed beyond the defaults: page_size)" in proc.stderr


def test_bad_connection_commands(lakeflow):
    proc = lakeflow.run("connection", "create", "bad name", "--source", "test", check=False)
    assert proc.returncode == USAGE and "may hold only letters" in proc.stderr
    proc = lakeflow.run("connection", "create", "x", "--source", "nosuch", check=False)
    assert proc.returncode == USAGE and "unknown source 'nosuch'" in proc.stderr
    lakeflow.run("connection", "create", "x", "--source", "test")
    proc = lakeflow.run("connection", "create", "x", "--source", "test", check=False)
    assert proc.returncode == USAGE and "already exists" in proc.stderr
    proc = lakeflow.run("connection", "show", "missing", check=False)
    assert proc.returncode == USAGE and "unknown connection 'missing'" in proc.stderr


def test_corrupt_connection_file(lakeflow):
    lakeflow.run("connection", "create", "broken", "--source", "test")
    (lakeflow.home / "connections" / "broken.json").write_text("{not json")
    proc = lakeflow.run("read", "--connection", "broken", "-o", "tableName=users", check=False)
    assert proc.returncode == 4
    assert "broken.json is corrupt" in proc.stderr
