#!/usr/bin/env python3
"""The PostgreSQL change-capture benchmark: CHANGES row changes (inserts, updates and
deletes in transactions of 10,000) made after a table's initial snapshot, then read,
side by side in one run:

  recvlogical  pg_recvlogical streaming the slot into /dev/null up to the same end:
               the server decoding the log and sending it over the replication
               protocol, nothing parsed. The limit of one pass.
  engine       lakeflow stream, available-now, from the checkpoints the snapshot left:
               the upsert flow (inserts and updates) then the delete flow, each a pass
               over the log through its own walsender, into Arrow files. End to end:
               process start to files written.
  python       psycopg2's logical replication streaming the same slot, pgoutput parsed
               into a dict per row (what a Python connector reading a slot would do).

Each run of a baseline reads a copy of the engine's slot (pg_copy_logical_replication_slot),
so that every run starts from the same place and nothing moves the engine's slot.

A real server is started for the run (tests/python/postgres_server.py).

    postgres_cdc_bench.py --lakeflow BIN [--changes 1000000] [--repeat 3]

Prints a table, then one machine-readable line:
    RESULT {"changes": n, "recvlogical": s, "engine": s, "engine_upserts": s,
            "engine_deletes": s, "python": s, ...}
"""
import argparse
import json
import os
import resource
import shutil
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "python"))
from postgres_bench import best, free_port  # noqa: E402
from postgres_server import PASSWORD, USER, PostgresServer  # noqa: E402

BATCH = 10_000
PUBLICATION = "bench_pub"


def make_changes(conn, changes, base):
    """Inserts, updates and deletes (60/25/15) in transactions of BATCH rows."""
    inserts, updates = changes * 60 // 100, changes * 25 // 100
    deletes = changes - inserts - updates
    for start in range(0, inserts, BATCH):
        n = min(BATCH, inserts - start)
        conn.execute("INSERT INTO changes SELECT g, g %% 1000, 'note ' || g, now() "
                     "FROM generate_series(%s::bigint, %s::bigint) g",
                     (base + start + 1, base + start + n))
    for start in range(0, updates, BATCH):
        n = min(BATCH, updates - start)
        conn.execute("UPDATE changes SET v = v + 1, note = 'updated' "
                     "WHERE id BETWEEN %s AND %s", (start + 1, start + n))
    for start in range(0, deletes, BATCH):
        n = min(BATCH, deletes - start)
        conn.execute("DELETE FROM changes WHERE id BETWEEN %s AND %s",
                     (base - start - n + 1, base - start))
    return inserts + updates, deletes


class PgoutputParser:
    """pgoutput protocol 1, in Python: Relation, Insert, Update and Delete into dicts."""

    def __init__(self):
        self.relations = {}

    @staticmethod
    def cstring(data, pos):
        end = data.index(b"\0", pos)
        return data[pos:end].decode(), end + 1

    def tuple(self, data, pos, names):
        (count,) = struct.unpack_from(">H", data, pos)
        pos += 2
        row = {}
        for i in range(count):
            kind = data[pos:pos + 1]
            pos += 1
            if kind == b"t":
                (length,) = struct.unpack_from(">I", data, pos)
                row[names[i]] = data[pos + 4:pos + 4 + length].decode()
                pos += 4 + length
            else:
                row[names[i]] = None
        return row, pos

    def parse(self, data):
        kind = data[0:1]
        if kind == b"R":
            (relation,) = struct.unpack_from(">I", data, 1)
            _, pos = self.cstring(data, 5)
            _, pos = self.cstring(data, pos)
            (count,) = struct.unpack_from(">H", data, pos + 1)
            pos += 3
            names = []
            for _ in range(count):
                name, pos = self.cstring(data, pos + 1)
                names.append(name)
                pos += 8
            self.relations[relation] = names
            return None
        if kind not in (b"I", b"U", b"D"):
            return None
        (relation,) = struct.unpack_from(">I", data, 1)
        names = self.relations[relation]
        pos = 5
        if kind != b"I" and data[pos:pos + 1] in (b"K", b"O"):
            old, pos = self.tuple(data, pos + 1, names)
            if kind == b"D":
                return ("delete", old)
        row, _ = self.tuple(data, pos + 1, names)
        return ("delete" if kind == b"D" else "upsert", row)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lakeflow", required=True)
    parser.add_argument("--changes", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    server = PostgresServer(free_port())
    work = os.path.join(server.dir, "bench")
    os.makedirs(work)
    try:
        database = server.create_database("bench")
        base = args.changes // 4  # rows before the snapshot: targets of updates and deletes
        with server.connect(database, user=USER, password=PASSWORD) as conn:
            conn.execute("CREATE TABLE changes (id int PRIMARY KEY, v int, note text, "
                         "at timestamptz)")
            conn.execute("INSERT INTO changes SELECT g, g %% 1000, 'note ' || g, now() "
                         "FROM generate_series(1, %s) g", (base,))
            conn.execute(f"CREATE PUBLICATION {PUBLICATION} FOR TABLE changes")
        source = [args.lakeflow, "stream", "--source", "postgres",
                  *server.options(database, publication=PUBLICATION),
                  "-o", "tableName=public.changes", "--trigger", "available-now"]

        def stream(checkpoint, output, *extra):
            subprocess.run(source + ["--checkpoint", checkpoint, "--output", f"arrow:{output}",
                                     *extra], check=True, capture_output=True)

        # The initial snapshot (which creates the engine's slot), then the delete flow's start.
        stream(f"{work}/up", f"{work}/snapshot")
        stream(f"{work}/del", f"{work}/snapshot_deletes", "-o", "isDeleteFlow=true")
        with server.connect(database) as conn:
            conn.execute("SELECT pg_create_logical_replication_slot('bench_decode', 'pgoutput')")
        print(f"making {args.changes:,} changes...", file=sys.stderr)
        with server.connect(database, user=USER, password=PASSWORD) as conn:
            upserts, deletes = make_changes(conn, args.changes, base)
        result = {"changes": args.changes, "upserts": upserts, "deletes": deletes}

        with server.connect(database) as conn:
            slot = conn.execute("SELECT slot_name FROM pg_replication_slots").fetchone()[0]
            end = conn.execute("SELECT pg_current_wal_flush_lsn()::text").fetchone()[0]
        copies = iter(range(1000))

        def copy_slot():
            name = f"bench_copy_{next(copies)}"
            with server.connect(database) as conn:
                conn.execute("SELECT pg_copy_logical_replication_slot(%s, %s)", (slot, name))
            return name

        def drop_slot(name):
            with server.connect(database) as conn:
                conn.execute("SELECT pg_drop_replication_slot(%s)", (name,))

        def recvlogical():
            name = copy_slot()
            start = time.perf_counter()
            subprocess.run([os.path.join(server.bin, "pg_recvlogical"), "-h", "127.0.0.1",
                            "-p", str(server.port), "-U", USER, "-d", database, "--slot", name,
                            "--start", f"--endpos={end}", "--no-loop", "-f", "/dev/null",
                            "-o", "proto_version=1", "-o", f"publication_names={PUBLICATION}"],
                           env=dict(os.environ, PGPASSWORD=PASSWORD), check=True)
            seconds = time.perf_counter() - start
            drop_slot(name)
            return seconds

        result["recvlogical"] = min(recvlogical() for _ in range(args.repeat))
        print(f"recvlogical: {result['recvlogical']:.2f} s", file=sys.stderr)

        def engine_flow(name, *extra):
            def run():
                shutil.rmtree(f"{work}/run", ignore_errors=True)
                shutil.copytree(f"{work}/{name}", f"{work}/run")
                stream(f"{work}/run", f"{work}/out_{name}", *extra)
            return run

        result["engine_upserts"] = best(args.repeat, engine_flow("up"))
        result["engine_deletes"] = best(args.repeat, engine_flow("del", "-o", "isDeleteFlow=true"))
        result["engine"] = result["engine_upserts"] + result["engine_deletes"]
        result["engine_peak_rss_mb"] = round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
        print(f"engine: {result['engine_upserts']:.2f} s + {result['engine_deletes']:.2f} s",
              file=sys.stderr)
        import pyarrow.dataset
        landed = {name: pyarrow.dataset.dataset(f"{work}/out_{name}", format="arrow").count_rows()
                  for name in ("up", "del")}
        if landed != {"up": upserts, "del": deletes}:
            sys.exit(f"the engine read {landed}, not {upserts} upserts and {deletes} deletes")

        def python():
            import psycopg2
            import psycopg2.extras
            name = copy_slot()
            start = time.perf_counter()
            parser = PgoutputParser()
            counts = {"upsert": 0, "delete": 0}
            conn = psycopg2.connect(
                host="127.0.0.1", port=server.port, dbname=database, user=USER,
                password=PASSWORD, connection_factory=psycopg2.extras.LogicalReplicationConnection)
            cursor = conn.cursor()
            cursor.start_replication(slot_name=name, decode=False, options={
                "proto_version": "1", "publication_names": PUBLICATION})

            def consume(message):
                change = parser.parse(message.payload)
                if change:
                    counts[change[0]] += 1
                    if counts["upsert"] + counts["delete"] == args.changes:
                        raise psycopg2.extras.StopReplication()

            try:
                cursor.consume_stream(consume)
            except psycopg2.extras.StopReplication:
                pass
            conn.close()
            seconds = time.perf_counter() - start
            assert counts == {"upsert": upserts, "delete": deletes}, counts
            drop_slot(name)
            return seconds

        result["python"] = min(python() for _ in range(args.repeat))
        print(f"python: {result['python']:.2f} s", file=sys.stderr)
    finally:
        server.stop()

    n = args.changes
    print(f"{n:,} row changes ({upserts:,} inserts and updates, {deletes:,} deletes) in "
          f"transactions of {BATCH:,}, best of {args.repeat}")
    print(f"{'':62} {'changes/s':>10} {'seconds':>8}")

    def line(label, seconds, count=n):
        print(f"{label:62} {count / seconds:10,.0f} {seconds:8.2f}")

    line("pg_recvlogical > /dev/null, one pass (the limit)", result["recvlogical"])
    line("engine: lakeflow stream, both flows (two passes) -> Arrow", result["engine"])
    line("  upsert flow alone (a pass)", result["engine_upserts"], upserts)
    line("  delete flow alone (a pass)", result["engine_deletes"], deletes)
    line("python: psycopg2 replication stream, a dict per row (one pass)", result["python"])
    print(f"engine peak RSS {result['engine_peak_rss_mb']} MB")
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
