"""Connectors written in the styles found in the wild for the reference template
(`LakeflowConnect`: list_tables, get_table_schema, read_table_metadata,
read_table(table_name, start_offset, table_options) -> (records, offset), and
read_table_deletes for cdc_with_deletes tables). Each class is one style of
using the offset protocol; tests/python/test_template_styles.py runs every one
through every path of the engine and compares with a model of the reference.

Every class reads the source as it is now from a JSON file, option `state`
(written by `write_state(path, generation)`), at every call, so a test can
change the source between two runs. Generation 0 is the first state of the
source; generation 1 has one row updated, one deleted, two added, and two
deletes (one of them older than the row it names).

Tables: `items` (id, name, updated_at: snapshot, cdc or cdc_with_deletes as the
style says) and `events` (seq, kind: append).
"""
import datetime
import json
import sys

from pyspark.sql.types import LongType, StringType, StructField, StructType, TimestampType

UTC = datetime.timezone.utc
BASE = datetime.datetime(2024, 1, 1, tzinfo=UTC)
PAGE = 5


def _ts(hours):
    return (BASE + datetime.timedelta(hours=hours)).isoformat()


def source_state(generation):
    """The source at `generation` (0 or 1), as JSON-able data."""
    rows = {i: {"id": i, "name": f"row {i}", "updated_at": _ts(i)} for i in range(12)}
    deleted = []
    events = [{"seq": s, "kind": "click" if s % 2 else "view"} for s in range(15)]
    if generation >= 1:
        rows[3] = {"id": 3, "name": "row 3 v2", "updated_at": _ts(40)}
        del rows[5]
        rows[12] = {"id": 12, "name": "row 12", "updated_at": _ts(20)}
        rows[13] = {"id": 13, "name": "row 13", "updated_at": _ts(21)}
        # Deleted at 30 (after the row's 5); and a delete at 6 of row 7, whose
        # row says 7: older than the row it names.
        deleted = [{"id": 5, "updated_at": _ts(30)}, {"id": 7, "updated_at": _ts(6)}]
        events += [{"seq": s, "kind": "click" if s % 2 else "view"} for s in range(15, 20)]
    return {"rows": list(rows.values()), "deleted": deleted, "events": events}


def write_state(path, generation):
    with open(path, "w") as f:
        json.dump(source_state(generation), f)


ITEMS_SCHEMA = StructType([StructField("id", LongType(), False),
                           StructField("name", StringType()),
                           StructField("updated_at", TimestampType())])
EVENTS_SCHEMA = StructType([StructField("seq", LongType(), False),
                            StructField("kind", StringType())])


def _parse(record):
    """A record as a connector hands it over: updated_at a datetime."""
    out = dict(record)
    if out.get("updated_at") is not None:
        out["updated_at"] = datetime.datetime.fromisoformat(out["updated_at"])
    return out


class _Styled:
    """What every style shares: the tables, their schemas and metadata, the source."""
    INGESTION = "snapshot"

    def __init__(self, options: dict) -> None:
        self.options = options
        self.path = options["state"]

    def _source(self):
        with open(self.path) as f:
            return json.load(f)

    def rows(self):
        return [_parse(r) for r in self._source()["rows"]]

    def list_tables(self) -> list:
        return ["items", "events"]

    def get_table_schema(self, table_name: str, table_options: dict) -> StructType:
        if table_name == "items":
            return ITEMS_SCHEMA
        if table_name == "events":
            return EVENTS_SCHEMA
        raise ValueError(f"Unsupported table: {table_name}")

    def read_table_metadata(self, table_name: str, table_options: dict) -> dict:
        if table_name == "events":
            return {"primary_keys": ["seq"], "cursor_field": "seq", "ingestion_type": "append"}
        if table_name != "items":
            raise ValueError(f"Unsupported table: {table_name}")
        if self.INGESTION == "snapshot":
            return {"primary_keys": ["id"], "ingestion_type": "snapshot"}
        return {"primary_keys": ["id"], "cursor_field": "updated_at",
                "ingestion_type": self.INGESTION}


# ---- snapshot tables --------------------------------------------------------------------

class SnapshotEmptyOffset(_Styled):
    """1. Everything, and `{}`."""

    def read_table(self, table_name, start_offset, table_options):
        return iter(self.rows()), {}


class SnapshotNoneOffset(_Styled):
    """2. Everything, and `None`."""

    def read_table(self, table_name, start_offset, table_options):
        return iter(self.rows()), None


class SnapshotEchoOffset(_Styled):
    """3. Everything, and the start offset handed back."""

    def read_table(self, table_name, start_offset, table_options):
        return iter(self.rows()), start_offset


class SnapshotRepeats(_Styled):
    """4. The same records at every call, with a fresh offset at every call (a
    counter of this instance's calls)."""

    def __init__(self, options):
        super().__init__(options)
        self.calls = 0

    def read_table(self, table_name, start_offset, table_options):
        self.calls += 1
        return iter(self.rows()), {"call": self.calls}


class SnapshotGenerator(_Styled):
    """5. A generator expression over a generator function, and an offset
    holding the newest timestamp."""

    def _fetch(self):
        for record in self._source()["rows"]:
            yield _parse(record)

    def read_table(self, table_name, start_offset, table_options):
        rows = list(self._fetch())
        newest = max(r["updated_at"] for r in rows).isoformat()
        return (r for r in rows), {"ts": newest}


# ---- cdc tables -------------------------------------------------------------------------

class CdcCursor(_Styled):
    """6. Records with a cursor after the start's, a page at a time, the offset
    the last record's cursor; nothing newer: `iter([]), start_offset`."""
    INGESTION = "cdc"

    def read_table(self, table_name, start_offset, table_options):
        after = (start_offset or {}).get("cursor")
        newer = sorted((r for r in self.rows()
                        if after is None or r["updated_at"] > datetime.datetime.fromisoformat(after)),
                       key=lambda r: r["updated_at"])
        page = newer[:PAGE]
        if not page:
            return iter([]), start_offset
        return iter(page), {"cursor": page[-1]["updated_at"].isoformat()}


class CdcPageToken(_Styled):
    """7. Page tokens: {"page_token": "p3", "limit": 5}; past the last page, the
    same token again (a new dict, its keys in another order) and no records."""
    INGESTION = "cdc"

    def read_table(self, table_name, start_offset, table_options):
        token = (start_offset or {}).get("page_token", "p0")
        page_number = int(token[1:])
        rows = self.rows()
        page = rows[page_number * PAGE:(page_number + 1) * PAGE]
        if not page:
            return iter([]), {"limit": PAGE, "page_token": token}
        return iter(page), {"page_token": f"p{page_number + 1}", "limit": PAGE}


class CdcDone(_Styled):
    """8. Everything and {"done": True}; from {"done": True}, nothing and the same."""
    INGESTION = "cdc"

    def read_table(self, table_name, start_offset, table_options):
        if start_offset and start_offset.get("done"):
            return iter([]), {"done": True}
        return iter(self.rows()), {"done": True}


class CdcSnapshotStyle(_Styled):
    """9. The snapshot style on a cdc table: everything, and `{}`, at every call."""
    INGESTION = "cdc"

    def read_table(self, table_name, start_offset, table_options):
        return iter(self.rows()), {}


# ---- cdc_with_deletes -------------------------------------------------------------------

class DeletesKeyOnly(CdcCursor):
    """10a. Upserts as CdcCursor; deleted records carry only the primary key, and
    the delete flow's offset counts the deletes seen."""
    INGESTION = "cdc_with_deletes"

    def read_table_deletes(self, table_name, start_offset, table_options):
        seen = (start_offset or {}).get("seen", 0)
        deleted = [{"id": d["id"]} for d in self._source()["deleted"]]
        page = deleted[seen:seen + PAGE]
        if not page:
            return iter([]), start_offset
        return iter(page), {"seen": seen + len(page)}


class DeletesWithCursor(CdcCursor):
    """10b. Upserts as CdcCursor; deleted records carry the key and the cursor,
    and the delete flow pages by cursor as the upserts do."""
    INGESTION = "cdc_with_deletes"

    def read_table_deletes(self, table_name, start_offset, table_options):
        after = (start_offset or {}).get("cursor")
        deleted = sorted((_parse(d) for d in self._source()["deleted"]),
                         key=lambda d: d["updated_at"])
        newer = [d for d in deleted
                 if after is None or d["updated_at"] > datetime.datetime.fromisoformat(after)]
        page = newer[:PAGE]
        if not page:
            return iter([]), start_offset
        return iter(page), {"cursor": page[-1]["updated_at"].isoformat()}


# ---- append -----------------------------------------------------------------------------

class AppendSeq(_Styled):
    """11. An append table paged by sequence number: {"seq": next}."""

    def read_table(self, table_name, start_offset, table_options):
        start = int((start_offset or {}).get("seq", 0))
        events = [e for e in self._source()["events"] if e["seq"] >= start][:PAGE]
        if not events:
            return iter([]), start_offset
        return iter(events), {"seq": events[-1]["seq"] + 1}


# ---- noise ------------------------------------------------------------------------------

class Noisy(CdcCursor):
    """12. CdcCursor, printing as it goes: in __init__, in the metadata calls and
    in read_table (a line without its newline too)."""

    def __init__(self, options):
        print("Noisy: starting up with", sorted(options))
        super().__init__(options)

    def list_tables(self):
        print("Noisy: listing tables")
        return super().list_tables()

    def get_table_schema(self, table_name, table_options):
        print(f"Noisy: schema of {table_name}")
        return super().get_table_schema(table_name, table_options)

    def read_table_metadata(self, table_name, table_options):
        print(f"Noisy: metadata of {table_name}")
        return super().read_table_metadata(table_name, table_options)

    def read_table(self, table_name, start_offset, table_options):
        print(f"Noisy: reading {table_name} from {start_offset}")
        print("Noisy: a line on stderr too", file=sys.stderr)
        sys.stdout.write("Noisy: no newline here")
        records, offset = super().read_table(table_name, start_offset, table_options)
        print(f"Noisy: next offset {offset}", flush=True)
        return records, offset
