"""A connector whose changes arrive the hard way, for differential tests of merge
semantics: out of order, repeated, with equal and null sequences, and deletes that
come before or after the upserts they race.

Table `accounts` (cdc_with_deletes, key `id`, sequence `seq`). Each read returns one
micro-batch of random events; option `seed` fixes them and `batches` (default 3) says
how many reads there are (`null_sequences=false` leaves out null sequences, `deletes` keeps
them only in deletes), so every engine that reads it sees the same events.
"""
import random

from pyspark.sql.types import LongType, StringType, StructField, StructType

KEYS = 8


class LakeflowConnect:
    def __init__(self, options: dict) -> None:
        self.seed = int(options.get("seed", "1"))
        self.batches = int(options.get("batches", "3"))
        # true: some upserts and deletes have no sequence; deletes: only deletes.
        self.null_sequences = options.get("null_sequences", "true")

    def list_tables(self):
        return ["accounts"]

    def get_table_schema(self, table_name, table_options):
        return StructType([StructField("id", LongType(), False), StructField("seq", LongType()),
                           StructField("v", StringType())])

    def read_table_metadata(self, table_name, table_options):
        return {"primary_keys": ["id"], "cursor_field": "seq",
                "ingestion_type": "cdc_with_deletes"}

    def _events(self, flow, batch):
        rng = random.Random(f"{self.seed}/{flow}/{batch}")
        count = rng.randint(10, 25) if flow == "upserts" else rng.randint(1, 5)
        events = []
        for i in range(count):
            seq = rng.randint(0, 30)
            nulls = self.null_sequences == "true" or (
                self.null_sequences == "deletes" and flow == "deletes")
            if rng.random() < (0.1 if flow == "upserts" else 0.3) and nulls:
                seq = None
            events.append({"id": rng.randrange(KEYS), "seq": seq, "v": f"{flow}{batch}.{i}"})
        return events

    def _read(self, flow, start_offset):
        batch = (start_offset or {}).get("batch", 0)
        if batch >= self.batches:
            return iter([]), start_offset or {}
        return iter(self._events(flow, batch)), {"batch": batch + 1}

    def read_table(self, table_name, start_offset, table_options):
        return self._read("upserts", start_offset)

    def read_table_deletes(self, table_name, start_offset, table_options):
        return self._read("deletes", start_offset)
