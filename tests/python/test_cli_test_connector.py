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
