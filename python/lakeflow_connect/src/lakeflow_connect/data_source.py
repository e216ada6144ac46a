"""The `lakeflow_connect` data source and its batch reader."""
import json

from pyspark.sql.datasource import DataSource, DataSourceReader, InputPartition
from pyspark.sql.types import StructType

from lakeflow_connect.native import batches, open_source


class LakeflowConnectDataSource(DataSource):
    """The seed's five calls: `_lakeflow_metadata` (with `tableNameList`),
    `_lakeflow_table_list`, a batch read of a table, and stream reads of a table's
    changes (`readStream`) and of its deletes (`isDeleteFlow=true`)."""

    @classmethod
    def name(cls):
        return "lakeflow_connect"

    def schema(self):
        return StructType.fromJson(json.loads(open_source(self.options).schema_json()))

    def reader(self, schema):
        return _BatchReader(dict(self.options))

    def streamReader(self, schema):
        from lakeflow_connect.stream_reader import StreamReader
        return StreamReader(dict(self.options))


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
        source = open_source(self.options)
        parts = source.partitions()
        if parts is None:
            return [_Partition(None)]
        _planned[json.dumps(self.options, sort_keys=True)] = source
        return [_Partition(p) for p in parts]

    def read(self, partition):
        yield from batches(open_source(self.options).read(partition.value))
