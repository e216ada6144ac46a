"""The Python baselines of bench/cdc_bench.cc: the same events (the same
splitmix64 generator), applied the way a Python pipeline would.

  sqlite: the standard library's sqlite3, executemany of an UPSERT where the
          newer updated_at wins, and a DELETE per deleted key, one
          transaction per microbatch (SCD1, no tombstones: less work than
          the engine does).
  delta:  the `deltalake` package (delta-rs, Rust): one MERGE per microbatch
          (update when newer, insert when new) of each key's latest event, then
          one MERGE deleting.

  cdc_baseline.py sqlite|delta DIR ROWS EVENTS BATCH
prints one line of JSON like cdc_bench's.
"""
import json
import os
import resource
import sqlite3
import sys
import time

MASK = (1 << 64) - 1


class Events:
    def __init__(self, rows):
        self.state = 42
        self.next_new = rows
        self.live = rows
        self.seq = 1700000000000000

    def split_mix(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def next(self):
        self.seq += 1
        r = self.split_mix()
        kind = r % 100
        pick = (r >> 8) % self.live
        if kind < 30:
            return False, pick, self.seq
        if kind < 35:
            return True, pick, self.seq
        self.live += 1
        self.next_new += 1
        return False, self.next_new - 1, self.seq


def row(id_, seq):
    return (id_, f"Issue {id_} revised at {seq}", "open" if seq % 3 else "closed", seq % 50, seq)


def batches(source, count, batch):
    done = 0
    while done < count:
        upserts, deletes = [], []
        for _ in range(min(batch, count - done)):
            is_delete, id_, seq = source.next()
            (deletes if is_delete else upserts).append((id_, seq))
            done += 1
        yield upserts, deletes


def load_batches(rows, batch):
    for start in range(0, rows, batch):
        yield [(i, 1600000000000000 + i) for i in range(start, min(rows, start + batch))], []


def run_sqlite(path, rows, events, batch):
    db = sqlite3.connect(os.path.join(path, "baseline.db"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE issues (id INTEGER PRIMARY KEY, title TEXT, state TEXT, "
               "comments INTEGER, updated_at INTEGER)")
    upsert = ("INSERT INTO issues VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
              "title = excluded.title, state = excluded.state, comments = excluded.comments, "
              "updated_at = excluded.updated_at WHERE excluded.updated_at >= issues.updated_at")
    delete = "DELETE FROM issues WHERE id = ? AND updated_at <= ?"

    def apply(stream):
        for upserts, deletes in stream:
            db.execute("BEGIN")
            db.executemany(upsert, [row(i, s) for i, s in upserts])
            db.executemany(delete, deletes)
            db.execute("COMMIT")

    start = time.monotonic()
    apply(load_batches(rows, batch))
    load = time.monotonic() - start
    start = time.monotonic()
    apply(batches(Events(rows), events, batch))
    return load, time.monotonic() - start


def run_delta(path, rows, events, batch):
    import pyarrow as pa
    from deltalake import DeltaTable, write_deltalake

    uri = os.path.join(path, "baseline_delta")
    schema = pa.schema([("id", pa.int64()), ("title", pa.string()), ("state", pa.string()),
                        ("comments", pa.int32()), ("updated_at", pa.timestamp("us", tz="UTC"))])

    def table(upserts):
        cols = list(zip(*[row(i, s) for i, s in upserts])) or [[]] * 5
        return pa.table([pa.array(c, type=f.type) for c, f in zip(cols, schema)], schema=schema)

    start = time.monotonic()
    for upserts, _ in load_batches(rows, batch):
        write_deltalake(uri, table(upserts), mode="append")
    load = time.monotonic() - start
    start = time.monotonic()
    for upserts, deletes in batches(Events(rows), events, batch):
        # MERGE wants one source row per key: the latest event of each.
        upserts = list({i: (i, s) for i, s in upserts}.values())
        deletes = list({i: (i, s) for i, s in deletes}.values())
        dt = DeltaTable(uri)
        (dt.merge(table(upserts), predicate="t.id = s.id", source_alias="s", target_alias="t")
           .when_matched_update_all(predicate="s.updated_at >= t.updated_at")
           .when_not_matched_insert_all()
           .execute())
        if deletes:
            gone = pa.table({"id": pa.array([i for i, _ in deletes], pa.int64()),
                             "updated_at": pa.array([s for _, s in deletes],
                                                    pa.timestamp("us", tz="UTC"))})
            (DeltaTable(uri).merge(gone, predicate="t.id = s.id", source_alias="s",
                                   target_alias="t")
               .when_matched_delete(predicate="t.updated_at <= s.updated_at")
               .execute())
    return load, time.monotonic() - start


def main():
    kind, path, rows, events, batch = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
    os.makedirs(path, exist_ok=True)
    load, apply = (run_sqlite if kind == "sqlite" else run_delta)(path, rows, events, batch)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"destination": f"python {kind}", "history": "scd1", "rows": rows,
                      "events": events, "batch": batch, "load_s": round(load, 2),
                      "apply_s": round(apply, 2), "events_per_s": round(events / apply),
                      "peak_rss_mb": round(peak)}))


if __name__ == "__main__":
    main()
