"""The seed's calls through `lakeflow read`, end to end through the binary."""
import json

import pyarrow.parquet as pq
import pyarrow.ipc as ipc


def test_metadata_call_returns_one_row_per_listed_table(lakeflow):
    rows = lakeflow.records("read", "--source", "test", "-o", "tableName=_lakeflow_metadata",
                            "-o", "tableNameList=events,orders,logs")
    assert rows == [
        {"tableName": "events", "primary_keys": ["id"], "cursor_field": "updated_at", "ingestion_type": "cdc"},
        {"tableName": "orders", "primary_keys": ["order_id"], "cursor_field": "modified",
         "ingestion_type": "cdc_with_deletes"},
        {"tableName": "logs", "primary_keys": [], "cursor_field": None, "ingestion_type": "append"},
    ]


def test_metadata_accepts_a_json_array_and_the_community_name(lakeflow):
    rows = lakeflow.records("read", "--source", "test", "-o", "tableName=_community_table_metadata",
                            "-o", 'tableNameList=["users"]')
    assert [r["tableName"] for r in rows] == ["users"]
    assert rows[0]["ingestion_type"] == "snapshot"


def test_table_list_call(lakeflow):
    rows = lakeflow.records("read", "--source", "test", "-o", "tableName=_lakeflow_table_list")
    assert [r["table_name"] for r in rows] == ["users", "events", "orders", "logs", "regions", "metrics"]
    assert all(r["table_schema"] is None for r in rows)


def test_table_list_with_an_empty_or_a_given_table_name_list(lakeflow):
    """The seed's call passes ",".join(table_list): empty means every table."""
    every = lakeflow.records("read", "--source", "test", "-o", "tableName=_lakeflow_table_list",
                             "-o", "tableNameList=")
    assert len(every) == 6
    assert lakeflow.records("read", "--source", "test", "-o", "tableName=_lakeflow_table_list",
                            "-o", "tableNameList=[]") == every
    some = lakeflow.records("read", "--source", "test", "-o", "tableName=_lakeflow_table_list",
                            "-o", "tableNameList=logs,users")
    assert [r["table_name"] for r in some] == ["users", "logs"]
    bad = lakeflow.run("read", "--source", "test", "-o", "tableName=_lakeflow_table_list",
                       "-o", "tableNameList=users,nope", check=False)
    assert bad.returncode != 0 and "unknown table 'nope'" in bad.stderr
    assert len(lakeflow.records("read", "--source", "test", "-o", "tableName=_lakeflow_metadata",
                                "-o", "tableNameList=")) == 6


def test_batch_read_follows_offsets_through_every_page(lakeflow):
    rows = lakeflow.records("read", "--source", "test", "-o", "tableName=users", "-o", "num_rows=35",
                            "-o", "page_size=10")
    assert [r["id"] for r in rows] == list(range(1, 36))
    first = rows[0]
    assert first["tags"] == ["a", "b"] and rows[1]["tags"] == ["solo"]
    assert first["address"] == {"city": "Paris", "zip": "00001"}
    assert first["created_at"] == "2024-01-01T00:01:00Z"
    assert first["local_at"] == "2024-01-01T10:00:00"
    assert first["active"] is True and rows[2]["active"] is False
    assert first["profile"] == {"nested": [1, 2, 1]}


def test_partitioned_table_reads_every_partition(lakeflow):
    rows = lakeflow.records("read", "--source", "test", "-o", "tableName=regions", "-o", "num_rows=12")
    assert sorted(r["code"] for r in rows) == [f"R{i:04d}" for i in range(12)]
    assert {r["region"] for r in rows} == {"ap", "eu", "us"}


def test_table_configs_apply_per_table(lakeflow):
    rows = lakeflow.records("read", "--source", "test", "-o", "tableName=_lakeflow_metadata",
                            "-o", "tableNameList=users", "-o", 'tableConfigs={"users": {"page_size": "5"}}')
    assert len(rows) == 1


def test_limit_and_csv_output(lakeflow):
    out = lakeflow.run("read", "--source", "test", "-o", "tableName=events", "--output", "csv",
                       "--limit", "2").stdout
    assert out.splitlines() == [
        "id,kind,payload,updated_at",
        '1,click,"{""n"":1}",2024-01-01T00:01:00Z',
        '2,view,"{""n"":2}",2024-01-01T00:02:00Z',
    ]


def test_parquet_and_arrow_outputs_read_back(lakeflow, tmp_path):
    pq_path, arrow_path = tmp_path / "users.parquet", tmp_path / "users.arrow"
    lakeflow.run("read", "--source", "test", "-o", "tableName=users", "--output", f"parquet:{pq_path}")
    lakeflow.run("read", "--source", "test", "-o", "tableName=users", "--output", f"arrow:{arrow_path}")
    table = pq.read_table(pq_path)
    assert table.num_rows == 25
    assert table.column("id").to_pylist() == list(range(1, 26))
    assert str(table.schema.field("score").type) == "decimal128(10, 2)"
    assert str(table.schema.field("created_at").type) == "timestamp[us, tz=UTC]"
    with ipc.open_file(arrow_path) as reader:
        assert reader.read_all().equals(table)


def test_table_output_is_aligned(lakeflow):
    out = lakeflow.run("read", "--source", "test", "-o", "tableName=_lakeflow_table_list",
                       "--output", "table").stdout.splitlines()
    assert out[0].split(" | ") == ["table_schema", "table_name"]
    assert out[-1] == "(6 rows)"
