"""The engine's handles, as the readers use them: a Source opened from Spark's options,
and its Arrow C streams as pyarrow batches."""
import json
import os

import pyarrow as pa
import pyarrow.fs

from lakeflow_connect import _native


# Options of the Spark readers themselves, which the engine never sees.
READER_OPTIONS = ("staginglocation",)

# What a format registered for one source adds to each read's options (register()).
BOUND_SOURCE_OPTION = "lakeflow.boundSource"


def open_source(options):
    """A `_native.Source` for a read's options (all values as strings)."""
    return _native.Source({str(k): str(v) for k, v in options.items()
                           if str(k).lower() not in READER_OPTIONS})


class _Stream:
    """An Arrow C stream capsule as an object pyarrow imports (the PyCapsule interface)."""

    def __init__(self, capsule):
        self._capsule = capsule

    def __arrow_c_stream__(self, requested_schema=None):
        return self._capsule


def batches(capsule):
    """The record batches of an Arrow C stream capsule, one at a time."""
    yield from pa.RecordBatchReader.from_stream(_Stream(capsule))


def canonical(offset):
    """An offset (a dict) as the engine's canonical text, so two can be compared."""
    return _native.canonical_offset(json.dumps(offset))


def file_system(location):
    """(file system, path) for a local path or a URI pyarrow's file systems open."""
    return pyarrow.fs.FileSystem.from_uri(
        location if "://" in location else os.path.abspath(location))
