"""A connector that shows where the embedded interpreter imports from: table `paths`
holds sys.path in order, and the file pyarrow was imported from."""
import sys

import pyarrow
from pyspark.sql.types import LongType, StringType, StructField, StructType


class PathProbe:
    def __init__(self, options):
        self.options = options

    def list_tables(self):
        return ["paths"]

    def get_table_schema(self, table_name, table_options):
        return StructType([StructField("i", LongType(), False), StructField("kind", StringType()),
                           StructField("path", StringType())])

    def read_table_metadata(self, table_name, table_options):
        return {"primary_keys": ["i"], "ingestion_type": "snapshot"}

    def read_table(self, table_name, start_offset, table_options):
        rows = [{"i": i, "kind": "sys.path", "path": p} for i, p in enumerate(sys.path)]
        rows.append({"i": len(rows), "kind": "pyarrow", "path": pyarrow.__file__})
        return iter(rows), {}
