"""lakeflow_connect: the lakeflow engine as a PySpark data source.

    import lakeflow_connect
    lakeflow_connect.register(spark)
    spark.read.format("lakeflow_connect").option("databricks.connection", "gh") \\
        .option("tableName", "issues").load()

Every read is the engine's (the same connectors, options and errors as the `lakeflow`
command). Rows never become Python objects: the engine hands Arrow batches over through
the Arrow C stream interface, and Spark takes them as they are.
"""
import json
import os

# A development tree keeps the built module in the build directory
# (build/python/lakeflow_connect); an installed wheel has it beside this file.
if os.environ.get("LAKEFLOW_NATIVE_DIR"):
    __path__.append(os.environ["LAKEFLOW_NATIVE_DIR"])

import pyarrow as pa  # noqa: E402
from pyspark.sql.datasource import DataSource, DataSourceReader, InputPartition  # noqa: E402
from pyspark.sql.types import StructType  # noqa: E402

from lakeflow_connect import _native  # noqa: E402
from lakeflow_connect._native import LakeflowError  # noqa: E402

__all__ = ["LakeflowConnectDataSource", "LakeflowError", "register"]


def register(spark):
    """Registers the `lakeflow_connect` data source with a SparkSession."""
    spark.dataSource.register(LakeflowConnectDataSource)


def _open(options):
    return _native.Source({str(k): str(v) for k, v in options.items()})


class _Stream:
    """An Arrow C stream capsule as an object pyarrow imports (the PyCapsule interface)."""

    def __init__(self, capsule):
        self._capsule = capsule

    def __arrow_c_stream__(self, requested_schema=None):
        return self._capsule


def _batches(capsule):
    yield from pa.RecordBatchReader.from_stream(_Stream(capsule))


class LakeflowConnectDataSource(DataSource):
    """The seed's five calls: `_lakeflow_metadata` (with `tableNameList`),
    `_lakeflow_table_list`, a batch read of a table, and stream reads."""

    @classmethod
    def name(cls):
        return "lakeflow_connect"

    def schema(self):
        return StructType.fromJson(json.loads(_open(self.options).schema_json()))

    def reader(self, schema):
        return _BatchReader(dict(self.options))


class _Partition(InputPartition):
    """One partition of a batch read: the connector's JSON, or None for the whole read."""


# Sources whose partitions were planned in this process. A connector may hold
# state its partitions need while they are read (the postgres source holds the
# snapshot they share), so the planning source lives as long as the process.
_planned = {}


class _BatchReader(DataSourceReader):
    def __init__(self, options):
        self.options = options

    def partitions(self):
        source = _open(self.options)
        parts = source.partitions()
        if parts is None:
            return [_Partition(None)]
        _planned[json.dumps(self.options, sort_keys=True)] = source
        return [_Partition(p) for p in parts]

    def read(self, partition):
        yield from _batches(_open(self.options).read(partition.value))
