"""Connectors that get the template wrong, one way each: the `python` source
must answer each with one clear line, never a crash."""
from pyspark.sql.types import (CalendarIntervalType, LongType, StructField, StructType)

SCHEMA = StructType([StructField("id", LongType())])
METADATA = {"primary_keys": ["id"], "cursor_field": "id", "ingestion_type": "cdc"}


class Base:
    def __init__(self, options):
        self.options = options

    def list_tables(self):
        return ["t"]

    def get_table_schema(self, table_name, table_options):
        return SCHEMA

    def read_table_metadata(self, table_name, table_options):
        return METADATA

    def read_table(self, table_name, start_offset, table_options):
        return iter([{"id": 1}]), {"id": 1}


class Raises(Base):
    def read_table(self, table_name, start_offset, table_options):
        raise ValueError("the API said no")


class BadOffset(Base):
    def read_table(self, table_name, start_offset, table_options):
        return iter([{"id": 1}]), "page-2"


class NotADict(Base):
    def read_table(self, table_name, start_offset, table_options):
        return iter([{"id": 1}, [2]]), {"id": 2}


class NotAStructType(Base):
    def get_table_schema(self, table_name, table_options):
        return {"id": "long"}


class UnknownType(Base):
    def get_table_schema(self, table_name, table_options):
        return StructType([StructField("every", CalendarIntervalType())])


class FailsToStart(Base):
    def __init__(self, options):
        raise RuntimeError(f"missing option token (got {sorted(options)})")


class NanOffset(Base):
    def read_table(self, table_name, start_offset, table_options):
        return iter([{"id": 1}]), {"cursor": float("nan")}


class NanPartition(Base):
    def get_partitions(self, table_name, table_options, start_offset=None, end_offset=None):
        return [{"from": 0}, {"from": float("inf")}]

    def read_partition(self, table_name, partition, table_options):
        return iter([{"id": 1}])
