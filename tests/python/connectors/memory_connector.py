"""A connector in the reference template's style, over in-memory data: what a
community connector looks like, for the `python` source's tests.

Tables:
  items   cdc_with_deletes, cursor updated_at; streamed in pages of `page_size`
  events  append, cursor seq
  colors  snapshot
Option `items` (default 25) sets how many items there are; option `colors_file` names a
JSON file holding the colors snapshot, read at every read.
"""
import datetime
import json
from decimal import Decimal

from pyspark.sql.types import (ArrayType, DecimalType, LongType, StringType, StructField,
                               StructType, TimestampType)

BASE = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)


class LakeflowConnect:
    def __init__(self, options: dict) -> None:
        self.options = options
        self.count = int(options.get("items", "25"))
        self.page_size = int(options.get("page_size", "10"))
        self.items = [self._item(i) for i in range(self.count)]
        self.deleted = [{"id": i, "updated_at": BASE + datetime.timedelta(days=1000 + i)}
                        for i in range(0, self.count, 5)]

    def _item(self, i):
        return {"id": i, "name": f"item {i}", "price": Decimal(i) / 4,
                "tags": [f"t{i % 3}"], "updated_at": BASE + datetime.timedelta(hours=i)}

    def list_tables(self) -> list[str]:
        return ["items", "events", "colors"]

    def get_table_schema(self, table_name: str, table_options: dict[str, str]) -> StructType:
        if table_name == "items":
            return StructType([StructField("id", LongType(), False),
                               StructField("name", StringType()),
                               StructField("price", DecimalType(10, 2)),
                               StructField("tags", ArrayType(StringType())),
                               StructField("updated_at", TimestampType())])
        if table_name == "events":
            return StructType([StructField("seq", LongType()), StructField("kind", StringType())])
        if table_name == "colors":
            return StructType([StructField("name", StringType()), StructField("hex", StringType())])
        raise ValueError(f"Unsupported table: {table_name}")

    def read_table_metadata(self, table_name: str, table_options: dict[str, str]) -> dict:
        return {"items": {"primary_keys": ["id"], "cursor_field": "updated_at",
                          "ingestion_type": "cdc_with_deletes"},
                "events": {"primary_keys": ["seq"], "cursor_field": "seq",
                           "ingestion_type": "append"},
                "colors": {"primary_keys": ["name"], "ingestion_type": "snapshot"}}[table_name]

    def read_table(self, table_name: str, start_offset: dict, table_options: dict[str, str]):
        if table_name == "items":
            return self._page(self.items, start_offset)
        if table_name == "events":
            start = (start_offset or {}).get("seq", 0)
            rows = [{"seq": s, "kind": "click" if s % 2 else "view"}
                    for s in range(start, min(start + self.page_size, 40))]
            return iter(rows), {"seq": start + len(rows)}
        if table_name == "colors":
            if "colors_file" in self.options:  # a snapshot that tests change between runs
                with open(self.options["colors_file"]) as f:
                    return iter(json.load(f)), None
            return iter([{"name": "red", "hex": "#f00"}, {"name": "green", "hex": "#0f0"}]), None
        raise ValueError(f"Unsupported table: {table_name}")

    def read_table_deletes(self, table_name: str, start_offset: dict, table_options):
        return self._page(self.deleted, start_offset)

    def _page(self, records, start_offset):
        """Records after the offset's cursor, `page_size` at a time; all of them for a
        batch read (no offset), which the data source calls once."""
        after = (start_offset or {}).get("cursor")
        newer = [r for r in records if after is None or r["updated_at"].isoformat() > after]
        page = newer if start_offset is None else newer[:self.page_size]
        if not page:
            return iter([]), start_offset or {}
        return iter(page), {"cursor": page[-1]["updated_at"].isoformat()}


class PartitionedLakeflowConnect(LakeflowConnect):
    """The same tables, with `events` also read in partitions, through the
    template's SupportsPartition and SupportsPartitionedStream methods. Option
    `trace` names a file each partition call is logged to."""

    def _trace(self, what):
        if "trace" in self.options:
            with open(self.options["trace"], "a") as f:
                f.write(what + "\n")

    def is_partitioned(self, table_name):
        return table_name == "events"

    def get_partitions(self, table_name, table_options, start_offset=None, end_offset=None):
        self._trace("get_partitions")
        start = (start_offset or {}).get("seq", 0)
        end = (end_offset or {"seq": 40})["seq"]
        return [{"from": a, "to": min(a + 7, end)} for a in range(start, end, 7)]

    def read_partition(self, table_name, partition, table_options):
        self._trace("read_partition")
        return ({"seq": s, "kind": "click" if s % 2 else "view"}
                for s in range(partition["from"], partition["to"]))

    def latest_offset(self, table_name, table_options, start_offset=None):
        start = (start_offset or {}).get("seq", 0)
        return {"seq": min(start + 15, 40)}
