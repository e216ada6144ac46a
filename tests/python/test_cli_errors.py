"""Bad input: one clear line on stderr, a documented exit code, no secrets."""
import pytest

USAGE, SOURCE, IO = 2, 3, 4


def one_line_error(proc):
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("lakeflow: ")
    return lines[0]


@pytest.mark.parametrize("options,expected,code", [
    (["tableName=nope"], "unknown table 'nope'", USAGE),
    ([], "missing option tableName", USAGE),
    (["tableName=_lakeflow_metadata", "tableNameList=a,,b"], "tableNameList: empty table name", USAGE),
    (["tableName=_lakeflow_metadata", "tableNameList=[1]"], "tableNameList: every entry must be a non-empty string", USAGE),
    (["tableName=users", "tableConfigs={oops"], "option tableConfigs: not valid JSON", USAGE),
    (["tableName=users", 'tableConfigs={"users": 3}'], "entry for table 'users' must be an object", USAGE),
    (["tableName=users", "isDeleteFlow=maybe"], "isDeleteFlow must be true or false", USAGE),
    (["tableName=users", "num_rows=lots"], "option 'num_rows' must be an integer", USAGE),
    (["tableName=events", "bad_record=true"], "table 'events', record 1, field 'id'", SOURCE),
])
def test_bad_read_options(lakeflow, options, expected, code):
    args = ["read", "--source", "test"]
    for o in options:
        args += ["-o", o]
    proc = lakeflow.run(*args, check=False)
    assert proc.returncode == code, proc.stderr
    assert expected in one_line_error(proc)


def test_unconvertible_value_names_the_value(lakeflow):
    proc = lakeflow.run("read", "--source", "test", "-o", "tableName=events", "-o", "bad_record=true", check=False)
    line = one_line_error(proc)
    assert '"abc"' in line and "long" in line


def test_unknown_connection(lakeflow):
    proc = lakeflow.run("read", "--connection", "nosuch", "-o", "tableName=users", check=False)
    assert proc.returncode == USAGE
    assert "unknown connection 'nosuch'" in one_line_error(proc)


def test_unknown_source(lakeflow):
    proc = lakeflow.run("read", "--source", "nosuch", "-o", "tableName=users", check=False)
    assert proc.returncode == USAGE
    assert "unknown source 'nosuch'" in one_line_error(proc)


def test_source_error_is_redacted(lakeflow):
    secret = "ghp_supersecret_value_42"
    proc = lakeflow.run("read", "--source", "test", "-o", "tableName=events", "-o", "fail_table=events",
                        "-o", f"token={secret}", check=False)
    assert proc.returncode == SOURCE
    line = one_line_error(proc)
    assert "HTTP 401" in line and "table 'events'" in line
    assert secret not in proc.stderr + proc.stdout
    assert "****" in line


def test_secret_from_env_is_redacted_too(lakeflow):
    secret = "env-held-secret-123456"
    lakeflow.run("connection", "create", "c1", "--source", "test", "-o", "token=env:MY_TOKEN",
                 "-o", "fail_table=users")
    proc = lakeflow.run("read", "--connection", "c1", "-o", "tableName=users", check=False,
                        env={"MY_TOKEN": secret})
    assert proc.returncode == SOURCE
    assert secret not in proc.stderr
    show = lakeflow.run("connection", "show", "c1").stdout
    assert "token: env:MY_TOKEN" in show


def test_missing_env_secret(lakeflow):
    lakeflow.run("connection", "create", "c2", "--source", "test", "-o", "token=env:LAKEFLOW_TEST_UNSET_VAR")
    proc = lakeflow.run("read", "--connection", "c2", "-o", "tableName=users", check=False)
    assert proc.returncode == USAGE
    assert "LAKEFLOW_TEST_UNSET_VAR, which is not set" in one_line_error(proc)


def test_bad_output_and_trigger(lakeflow, tmp_path):
    proc = lakeflow.run("read", "--source", "test", "-o", "tableName=users", "--output", "xml", check=False)
    assert proc.returncode == USAGE and "bad --output 'xml'" in one_line_error(proc)
    proc = lakeflow.run("stream", "--source", "test", "-o", "tableName=events", "--checkpoint",
                        str(tmp_path / "ck"), "--trigger", "sometimes", check=False)
    assert proc.returncode == USAGE and "bad trigger 'sometimes'" in one_line_error(proc)


def test_delete_flow_on_a_table_without_deletes(lakeflow, tmp_path):
    proc = lakeflow.run("stream", "--source", "test", "-o", "tableName=events", "-o", "isDeleteFlow=true",
                        "--checkpoint", str(tmp_path / "ck"), check=False)
    assert proc.returncode == USAGE
    assert "does not support the delete flow" in one_line_error(proc)


def test_help_and_version(lakeflow):
    assert "lakeflow 0.1.0" in lakeflow.run("--version").stdout
    help_text = lakeflow.run("--help").stdout
    for command in ("read", "stream", "connection", "test-connector"):
        assert command in help_text
    assert "Exit codes" in help_text
    assert "--checkpoint" in lakeflow.run("stream", "--help").stdout
    proc = lakeflow.run("read", "--no-such-flag", check=False)
    assert proc.returncode == USAGE


@pytest.mark.parametrize("plugin,expected", [
    ("liblakeflow_foreign_abi_plugin.so",
     "was built for 'lakeflow-sdk 0, arrow 1, libstdc++ cxx11-abi 0', this engine is 'lakeflow-sdk "),
    ("liblakeflow_no_abi_plugin.so", "declares no ABI"),
])
def test_a_plugin_of_another_abi_is_refused_before_it_runs(lakeflow, plugin, expected):
    # Both plugins abort if their registration is called: exit 2 and one line
    # prove the engine refused them first.
    from conftest import BUILD
    proc = lakeflow.run("--plugin", str(BUILD / plugin), "sources", check=False)
    assert proc.returncode == USAGE, proc.stderr
    line = one_line_error(proc)
    assert expected in line and plugin in line
