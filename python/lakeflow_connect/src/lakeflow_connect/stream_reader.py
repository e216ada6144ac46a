"""The stream reader: `readStream` of a table's changes, or of its deletes.

Spark's offsets are the connector's own. A connector tells where a read ends only by
reading (the seed's `read_table` returns records and the next offset together), so
`latestOffset` reads the micro-batch on the driver, bounded by Spark's read limit, and
stages it as Arrow IPC until `partitions` ships it to the tasks.

A micro-batch planned before a restart must be delivered again exactly. With option
`stagingLocation` (a directory; `lakeflow_connect.pipeline` sets one per flow) the staged
batch is written there before Spark logs its offsets, and read back after a restart.
Without it, the batch is read again from its start, and must end where it ended before;
if the source has moved on, the stream fails with one line rather than deliver other
records under the same batch.

Connectors that plan their streams in partitions (`latest_offset` and
`get_stream_partitions`) are read by the tasks themselves.

A read whose offset did not move is staged too: Spark runs a query's first micro-batch
whatever its offsets, and then its records are delivered. Otherwise Spark does not run it,
the stream has caught up, and records the connector returned with it are not delivered;
one line on stderr says how many, as the engine's own streams do.
"""
import hashlib
import json
import re
import sys

import pyarrow as pa
import pyarrow.fs
from pyspark.sql.datasource import DataSourceStreamReader, InputPartition
from pyspark.sql.streaming.datasource import (ReadAllAvailable, ReadMaxRows,
                                              SupportsTriggerAvailableNow)

from lakeflow_connect._native import LakeflowError
from lakeflow_connect.native import batches, canonical, file_system, open_source

# Spark hands a data source its options with keys lowercased. The staging location is
# the reader's own (open_source never passes it on); the limit is set per read.
LIMIT_OPTION = "max_records_per_batch"
STAGING_OPTION = "staginglocation"

# One task's share of a micro-batch read on the driver: enough that a task's start-up is
# small beside its rows, few enough that a large micro-batch uses every core and that a
# task (which carries its rows) stays far below Spark's RPC message limit.
ROWS_PER_TASK = 65536
BYTES_PER_TASK = 16 << 20


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


def _chunks(capsule, counted=None):
    """The batches of a capsule as IPC byte strings of at most a task's share each;
    `counted`, a list, gets the number of rows."""
    chunks, writer, sink, rows, size, total = [], None, None, 0, 0, 0
    for batch in batches(capsule):
        if batch.num_rows == 0:
            continue
        total += batch.num_rows
        if writer is None:
            sink = pa.BufferOutputStream()
            writer = pa.ipc.new_stream(sink, batch.schema)
        writer.write_batch(batch)
        rows, size = rows + batch.num_rows, size + batch.nbytes
        if rows >= ROWS_PER_TASK or size >= BYTES_PER_TASK:
            writer.close()
            chunks.append(sink.getvalue().to_pybytes())
            writer, rows, size = None, 0, 0
    if writer is not None:
        writer.close()
        chunks.append(sink.getvalue().to_pybytes())
    if counted is not None:
        counted.append(total)
    return chunks


# The folders a stage writes: a batch's key hashed, while written or whole.
_STAGED = re.compile(r"[0-9a-f]{40}(\.partial)?")


class _Stage:
    """The micro-batch waiting to be planned: in memory, and in the staging location
    when there is one (a local path or a URI pyarrow's file systems open)."""

    def __init__(self, location):
        self._memory = {}
        self._fs = self._root = None
        if location:
            self._fs, self._root = file_system(location)
            self._fs.create_dir(self._root, recursive=True)

    def _dir(self, key):
        return f"{self._root}/{hashlib.sha1(key.encode()).hexdigest()}"

    def put(self, start, end, chunks):
        """Stages the batch [start, end), dropping every other: Spark asks for a new
        batch only once the one before is committed."""
        key = start + "\n" + end
        self._memory = {key: chunks}
        if self._fs is None:
            return
        # Only what a stage wrote goes: other files under the location stay.
        for info in self._fs.get_file_info(pyarrow.fs.FileSelector(self._root)):
            if info.type == pyarrow.fs.FileType.Directory and _STAGED.fullmatch(info.base_name):
                self._fs.delete_dir(info.path)
        # Written aside and renamed, so a staged batch is whole or absent.
        final, partial = self._dir(key), self._dir(key) + ".partial"
        self._fs.create_dir(partial)
        for i, chunk in enumerate(chunks):
            with self._fs.open_output_stream(f"{partial}/{i:06d}.arrows") as out:
                out.write(chunk)
        self._fs.move(partial, final)

    def get(self, start, end):
        key = start + "\n" + end
        if key in self._memory:
            return self._memory[key]
        if self._fs is None:
            return None
        folder = self._dir(key)
        if self._fs.get_file_info(folder).type != pyarrow.fs.FileType.Directory:
            return None
        files = sorted(i.path for i in self._fs.get_file_info(pyarrow.fs.FileSelector(folder)))
        chunks = []
        for path in files:
            with self._fs.open_input_stream(path) as f:
                chunks.append(f.read())
        return chunks


class StreamReader(DataSourceStreamReader, SupportsTriggerAvailableNow):
    """One streaming query's reader. Spark keeps it in one Python process on the
    driver for the query's life (latestOffset, partitions, commit); `read` runs in
    the tasks, on a fresh copy that opens its own engine handle."""

    def __init__(self, options):
        self.options = {k.lower(): v for k, v in options.items()}
        self._sources = {}  # max rows per read (None: the connector's own) -> Source
        self._last = None  # the Source of the latest read
        self._stage = None
        # A read whose offset did not move, staged in case Spark runs it (a first
        # batch): (start text, its record count, the call) until Spark plans it.
        self._unmoved = None
        # Until its first latestOffset, a reader may be asked for a batch planned
        # before a restart (Spark replays an uncommitted batch first).
        self._replaying = True

    def _source(self, limit):
        max_rows = limit.max_rows if isinstance(limit, ReadMaxRows) else None
        if max_rows not in self._sources:
            options = {k: v for k, v in self.options.items() if k != LIMIT_OPTION}
            if max_rows is not None:
                options[LIMIT_OPTION] = str(max_rows)
            self._sources[max_rows] = open_source(options)
        self._last = self._sources[max_rows]
        return self._last

    def _staged(self):
        if self._stage is None:
            self._stage = _Stage(self.options.get(STAGING_OPTION))
        return self._stage

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
        if start:
            # Spark asks for the next batch only once the batch ending at `start` is
            # committed; it tells the source so itself only a batch later.
            source.commit(start_text)
        if source.streams_in_partitions():
            end_text = source.planned_stream_end(start_text)
            return start if end_text == start_text else json.loads(end_text)
        self._replaying = False
        self._warn_undelivered()
        end_text, capsule = source.read_micro_batch(start_text, first=True)
        counted = []
        chunks = _chunks(capsule, counted)
        if end_text == start_text:
            if chunks:
                self._staged().put(start_text, end_text, chunks)
                self._unmoved = (start_text, counted[0])
            return start
        self._staged().put(start_text, end_text, chunks)
        return json.loads(end_text)

    def _warn_undelivered(self):
        """Says so when Spark did not run a read whose offset did not move."""
        if self._unmoved is None:
            return
        start_text, rows = self._unmoved
        self._unmoved = None
        flow = "read_table_deletes" if str(self.options.get("isdeleteflow", "")).lower() == "true" \
            else "read_table"
        print(f"lakeflow: warning: table '{self.options.get('tablename')}': {flow} returned "
              f"{rows} record{'' if rows == 1 else 's'} with an offset that did not move "
              f"({start_text}): the stream has caught up, so they are not delivered; a "
              "connector moves its offset past the records it returns", file=sys.stderr)

    def partitions(self, start, end):
        start_text, end_text = canonical(start), canonical(end)
        if start_text == end_text:
            # Spark runs a batch that did not move only as a query's first: just
            # read by latestOffset, or planned before a restart.
            if self._unmoved is not None and self._unmoved[0] == start_text:
                self._unmoved = None
                return [_Staged(c) for c in self._staged().get(start_text, end_text) or []]
            if not self._replaying:
                return []
        source = self._last or self._source(self.getDefaultReadLimit())
        if source.streams_in_partitions():
            return [_Planned(p) for p in source.stream_partitions(start_text, end_text)]
        chunks = self._staged().get(start_text, end_text)
        if chunks is None:
            chunks = self._replay(source, start_text, end_text)
        return [_Staged(chunk) for chunk in chunks]

    def _replay(self, source, start_text, end_text):
        """A micro-batch planned before a restart and staged nowhere, read again."""
        self._replaying = False
        again, capsule = source.read_micro_batch(start_text, first=True)
        if again != end_text:
            raise LakeflowError(
                f"table '{self.options.get('tablename')}': the micro-batch from {start_text} "
                f"to {end_text} cannot be replayed after the restart: a read from its start "
                f"now ends at {again}; set option stagingLocation so that a planned "
                "micro-batch survives a restart")
        chunks = _chunks(capsule)
        self._staged().put(start_text, end_text, chunks)
        return chunks

    def read(self, partition):
        if isinstance(partition, _Staged):
            yield from pa.ipc.open_stream(partition.ipc)
            return
        yield from batches(open_source(self.options).read_stream_partition(partition.value))

    def commit(self, end):
        source = self._last or self._source(self.getDefaultReadLimit())
        source.commit(canonical(end))

    def stop(self):
        self._warn_undelivered()
        self._sources.clear()
        self._last = self._stage = None
