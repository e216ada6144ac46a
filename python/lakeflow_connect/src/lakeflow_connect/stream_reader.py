"""The stream reader: `readStream` of a table's changes, or of its deletes.

Spark's offsets are the connector's own. A connector tells where a read ends only by
reading (the seed's `read_table` returns records and the next offset together), so
`latestOffset` reads the micro-batch on the driver, bounded by Spark's read limit, and
keeps it as Arrow IPC until `partitions` ships it to the tasks. A micro-batch planned
before a restart is read again from its start, and must end where it ended before; if
the source has moved on, the stream fails with one line rather than deliver other
records under the same batch. Connectors that plan their streams in partitions
(`latest_offset` and `get_stream_partitions`) are read by the tasks themselves.
"""
import json

import pyarrow as pa
from pyspark.sql.datasource import DataSourceStreamReader, InputPartition
from pyspark.sql.streaming.datasource import (ReadAllAvailable, ReadMaxRows,
                                              SupportsTriggerAvailableNow)

from lakeflow_connect._native import LakeflowError
from lakeflow_connect.native import batches, canonical, open_source

LIMIT_OPTION = "max_records_per_batch"

# Rows per task of a micro-batch read on the driver: enough that a task's start-up
# is small beside its rows, few enough that a large micro-batch uses every core.
ROWS_PER_TASK = 65536


class _Staged(InputPartition):
    """Rows the driver read for a micro-batch, as Arrow IPC stream bytes."""

    def __init__(self, ipc):
        self.ipc = ipc


class _Planned(InputPartition):
    """One partition the connector planned for a micro-batch (its JSON text)."""

    def __init__(self, value):
        self.value = value


def _max_rows(options):
    text = options.get(LIMIT_OPTION)
    if text is None:
        return None
    try:
        rows = int(text)
    except ValueError:
        rows = 0
    if rows <= 0:
        raise LakeflowError(f"option '{LIMIT_OPTION}' must be a positive integer, not '{text}'")
    return rows


def _stage(capsule):
    """The batches of a capsule as IPC byte strings of about ROWS_PER_TASK rows each."""
    chunks, writer, sink, rows = [], None, None, 0
    for batch in batches(capsule):
        if batch.num_rows == 0:
            continue
        if writer is None:
            sink = pa.BufferOutputStream()
            writer = pa.ipc.new_stream(sink, batch.schema)
        writer.write_batch(batch)
        rows += batch.num_rows
        if rows >= ROWS_PER_TASK:
            writer.close()
            chunks.append(sink.getvalue().to_pybytes())
            writer, rows = None, 0
    if writer is not None:
        writer.close()
        chunks.append(sink.getvalue().to_pybytes())
    return chunks


class StreamReader(DataSourceStreamReader, SupportsTriggerAvailableNow):
    """One streaming query's reader. Spark keeps it in one Python process on the
    driver for the query's life (latestOffset, partitions, commit); `read` runs in
    the tasks, on a fresh copy that opens its own engine handle."""

    def __init__(self, options):
        self.options = options
        self._sources = {}  # max rows per read (None: the connector's own) -> Source
        self._staged = {}  # (start, end) canonical texts -> IPC chunks
        self._partitioned = None  # whether the connector plans the stream in partitions

    def _source(self, limit):
        max_rows = limit.max_rows if isinstance(limit, ReadMaxRows) else None
        if max_rows not in self._sources:
            options = {k: v for k, v in self.options.items() if k != LIMIT_OPTION}
            if max_rows is not None:
                options[LIMIT_OPTION] = str(max_rows)
            self._sources[max_rows] = open_source(options)
        return self._sources[max_rows]

    def initialOffset(self):
        return {}

    def getDefaultReadLimit(self):
        rows = _max_rows(self.options)
        return ReadAllAvailable() if rows is None else ReadMaxRows(rows)

    def prepareForTriggerAvailableNow(self):
        # Trigger.AvailableNow ends when a read finds nothing new, as the engine's
        # available-now trigger does; records that arrive while it runs may be read.
        pass

    def latestOffset(self, start, limit):
        source = self._source(limit)
        start_text = canonical(start)
        planned = source.planned_stream_end(start_text)
        self._partitioned = planned is not None
        if planned is not None:
            return start if planned == start_text else json.loads(planned)
        end_text, capsule = source.read_micro_batch(start_text)
        if end_text == start_text:
            return start
        # Only the newest micro-batch is ever waiting to be planned.
        self._staged = {(start_text, end_text): _stage(capsule)}
        return json.loads(end_text)

    def partitions(self, start, end):
        start_text, end_text = canonical(start), canonical(end)
        if start_text == end_text:
            return []
        source = self._source(self.getDefaultReadLimit())
        if self._partitioned is None:
            self._partitioned = source.planned_stream_end(start_text) is not None
        if self._partitioned:
            return [_Planned(p) for p in source.stream_partitions(start_text, end_text)]
        chunks = self._staged.pop((start_text, end_text), None)
        if chunks is None:
            chunks = self._replay(source, start_text, end_text)
        return [_Staged(chunk) for chunk in chunks]

    def _replay(self, source, start_text, end_text):
        """A micro-batch planned before a restart, read again from its start."""
        again, capsule = source.read_micro_batch(start_text)
        if again != end_text:
            raise LakeflowError(
                f"table '{self.options.get('tableName')}': the micro-batch from {start_text} "
                f"to {end_text} cannot be replayed after the restart: a read from its start "
                f"now ends at {again}; start the stream again with a new checkpoint")
        return _stage(capsule)

    def read(self, partition):
        if isinstance(partition, _Staged):
            yield from pa.ipc.open_stream(partition.ipc)
            return
        yield from batches(open_source(self.options).read_stream_partition(partition.value))

    def commit(self, end):
        self._source(self.getDefaultReadLimit()).commit(canonical(end))

    def stop(self):
        self._sources.clear()
        self._staged.clear()
