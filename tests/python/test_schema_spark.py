"""Schemas cross to Spark: the engine's StructType JSON rebuilds the same
StructType in PySpark, and DDL round-trips."""
import json

from pyspark.sql.types import StructType

from conftest import BINARY  # noqa: F401  (the binary must exist)


def test_structtype_json_rebuilds_in_pyspark(lakeflow):
    out = lakeflow.run("schema", "--source", "test", "-o", "tableName=users", "--format", "json").stdout
    engine_json = json.loads(out)
    st = StructType.fromJson(engine_json)
    assert st.jsonValue() == engine_json
    assert st.simpleString() == (
        "struct<id:bigint,name:string,email:string,tags:array<string>,address:struct<city:string,zip:string>,"
        "attrs:map<string,string>,score:decimal(10,2),birthday:date,active:boolean,avatar:binary,profile:variant,"
        "level:tinyint,rank:smallint,ratio:float,weight:double,age:int,created_at:timestamp,"
        "local_at:timestamp_ntz>")
    assert not st["id"].nullable


def test_ddl_output(lakeflow):
    ddl = lakeflow.run("schema", "--source", "test", "-o", "tableName=events", "--format", "ddl").stdout.strip()
    assert ddl == "`id` LONG NOT NULL, `kind` STRING, `payload` STRUCT<`n`: INT>, `updated_at` TIMESTAMP"
