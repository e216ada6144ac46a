"""`lakeflow test-connector`: the conformance suite from the command line."""


def test_all_tables_pass(lakeflow):
    proc = lakeflow.run("test-connector", "--source", "test")
    last = proc.stdout.strip().splitlines()[-1]
    passed, failed = [int(x.split()[0]) for x in last.split(", ")]
    assert failed == 0 and passed > 60
    assert "PASS read_table_deletes.stream.succeeds [orders]" in proc.stdout


def test_one_table_through_a_connection(lakeflow):
    lakeflow.run("connection", "create", "t", "--source", "test", "-o", "num_rows=7")
    proc = lakeflow.run("test-connector", "--connection", "t", "--table", "regions")
    assert "[users]" not in proc.stdout
    assert "PASS partitions.stable [regions]" in proc.stdout


def test_failures_exit_1(lakeflow):
    proc = lakeflow.run("test-connector", "--source", "test", "-o", "bad_record=true", "--table", "events",
                        check=False)
    assert proc.returncode == 1
    assert "FAIL read_table.batch.records_match_schema [events]" in proc.stdout


def failed_tables(stdout):
    return {line.split(" [")[1].split("]")[0] for line in stdout.splitlines()
            if line.startswith("FAIL")}


def test_table_configs_reach_every_check(lakeflow):
    """Per-table options (--table-config, or tableConfigs) reach each check of that
    table only: the test connector refuses reads whose table options say so."""
    proc = lakeflow.run("test-connector", "--source", "test",
                        "--table-config", 'users={"refuse_read": "true"}', check=False)
    assert proc.returncode == 1
    assert failed_tables(proc.stdout) == {"users"}, proc.stdout
    proc = lakeflow.run("test-connector", "--source", "test",
                        "-o", 'tableConfigs={"logs": {"refuse_read": true}}', check=False)
    assert failed_tables(proc.stdout) == {"logs"}, proc.stdout
    proc = lakeflow.run("test-connector", "--source", "test", "--table-config", "users=[1]",
                        check=False)
    assert proc.returncode == 2
    assert "--table-config users: expected a JSON object of options" in proc.stderr


def test_each_check_is_counted_once(lakeflow):
    proc = lakeflow.run("test-connector", "--source", "test", "-o", "num_rows=40")
    names = [line.split(":")[0] for line in proc.stdout.splitlines()
             if line.startswith(("PASS", "FAIL"))]
    assert len(names) == len(set(names))
