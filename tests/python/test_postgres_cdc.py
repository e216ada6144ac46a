"""Change data capture from a real PostgreSQL server through logical replication:
pipelines into SQLite that match the source through inserts, updates, key changes and
deletes; a killed run that resumes without loss or duplicates; writes during the initial
snapshot; every type read from the change stream as the snapshot reads it; the slot's
advance; TRUNCATE, ADD COLUMN, unchanged TOAST values and setup errors as one line."""
import decimal
import signal
import sqlite3
import subprocess
import threading
import time

import pytest

from conftest import BINARY
from postgres_server import PASSWORD, USER
from test_postgres import ROW_1, TYPES_DDL, sql

PUBLICATION = "lakeflow_pub"


def capture(lakeflow, pg, name="pg", publication=PUBLICATION):
    server, database = pg
    lakeflow.run("connection", "create", name, "--source", "postgres",
                 *server.options(database, publication=publication))
    return name


def pipeline(tmp_path, connection, *tables):
    db = tmp_path / "out.db"
    spec = tmp_path / "spec.yaml"
    objects = "".join(f"  - table: {{source_table: public.{t}, destination_table: {t}}}\n"
                      for t in tables)
    spec.write_text(f"connection_name: {connection}\ndestination: {{type: sqlite, path: {db}}}\n"
                    f"objects:\n{objects}")
    return spec, db


def source_rows(pg, query):
    server, database = pg
    with server.connect(database, user=USER, password=PASSWORD) as conn:
        return [tuple(str(v) if isinstance(v, decimal.Decimal) else v for v in row)
                for row in conn.execute(query)]


def landed_rows(db, query):
    with sqlite3.connect(db) as conn:
        return conn.execute(query).fetchall()


def slot_positions(pg):
    server, database = pg
    with server.connect(database) as conn:
        return dict(conn.execute("SELECT slot_name, confirmed_flush_lsn FROM pg_replication_slots "
                                 "WHERE database = %s", (database,)).fetchall())


ACCOUNTS = ("CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance numeric(12, 2))",
            "INSERT INTO accounts SELECT g, 'owner ' || g, g * 1.25 FROM generate_series(1, 3000) g")
ACCOUNTS_QUERY = "SELECT id, owner, balance FROM accounts ORDER BY id"


def test_a_pipeline_follows_inserts_updates_key_changes_and_deletes(lakeflow, pg, tmp_path):
    sql(*pg, *ACCOUNTS,
        "CREATE TABLE pairs (a text, b int, v text, PRIMARY KEY (a, b))",
        "INSERT INTO pairs SELECT 'k' || (g % 10), g, 'v' || g FROM generate_series(1, 200) g",
        "CREATE TABLE notes (n int, body text)",  # no key: identity is the whole row
        "ALTER TABLE notes REPLICA IDENTITY FULL",
        "INSERT INTO notes SELECT g % 5, 'note ' || g FROM generate_series(1, 50) g",
        f"CREATE PUBLICATION {PUBLICATION} FOR TABLE accounts, pairs, notes")
    name = capture(lakeflow, pg)
    meta = {m["tableName"]: m for m in lakeflow.records(
        "read", "--connection", name, "-o", "tableName=_lakeflow_metadata",
        "-o", "tableNameList=public.accounts,public.pairs,public.notes")}
    assert meta["public.accounts"]["ingestion_type"] == "cdc_with_deletes"
    assert meta["public.accounts"]["cursor_field"] == "_pg_lsn"
    assert meta["public.notes"]["primary_keys"] == ["n", "body"]

    spec, db = pipeline(tmp_path, name, "accounts", "pairs", "notes")
    queries = {"accounts": ACCOUNTS_QUERY, "pairs": "SELECT a, b, v FROM pairs ORDER BY a, b",
               "notes": "SELECT n, body FROM notes ORDER BY n, body"}

    def check():
        for table, query in queries.items():
            assert landed_rows(db, query) == source_rows(pg, query), table

    lakeflow.run("pipeline", "run", str(spec), timeout=300)
    check()
    first = slot_positions(pg)
    assert len(first) == 3  # one slot per table

    sql(*pg,
        "UPDATE accounts SET balance = balance + 1 WHERE id % 7 = 0",
        "DELETE FROM accounts WHERE id % 11 = 0",
        "INSERT INTO accounts VALUES (5000, 'new', 0.5)",
        "UPDATE accounts SET id = id + 10000 WHERE id BETWEEN 100 AND 110",  # keys change
        "UPDATE accounts SET owner = NULL WHERE id = 1",
        "BEGIN; INSERT INTO accounts VALUES (6000, 'gone', 1); DELETE FROM accounts WHERE id = 6000; "
        "COMMIT",
        "DELETE FROM pairs WHERE b % 3 = 0",
        "UPDATE pairs SET a = 'moved' WHERE b = 4",
        "UPDATE notes SET body = body || '!' WHERE n = 1",
        "DELETE FROM notes WHERE n = 2")
    lakeflow.run("pipeline", "run", str(spec), timeout=300)
    check()
    assert len(landed_rows(db, ACCOUNTS_QUERY)) == 3000 - 3000 // 11 + 1

    # The slots moved on once both flows were committed.
    moved = slot_positions(pg)
    assert moved.keys() == first.keys()
    assert all(moved[slot] > first[slot] for slot in first), (first, moved)

    # Nothing new: a run changes nothing, and more changes keep arriving.
    lakeflow.run("pipeline", "run", str(spec), timeout=300)
    check()
    sql(*pg, "DELETE FROM accounts WHERE id < 50", "INSERT INTO accounts VALUES (1, 'back', 2)")
    lakeflow.run("pipeline", "run", str(spec), timeout=300)
    check()


def test_changes_carry_every_type_as_the_snapshot_reads_it(lakeflow, pg, tmp_path):
    sql(*pg, TYPES_DDL, ROW_1, "INSERT INTO everything (id) VALUES (2)",
        f"CREATE PUBLICATION {PUBLICATION} FOR TABLE everything")
    name = capture(lakeflow, pg)
    checkpoint = tmp_path / "checkpoint"
    stream = ["stream", "--connection", name, "-o", "tableName=public.everything",
              "--checkpoint", str(checkpoint), "--trigger", "available-now"]
    snapshot = lakeflow.records(*stream)
    assert sorted(r["id"] for r in snapshot) == [1, 2]

    # The same values again, through the change stream: inserted, then updated into place.
    sql(*pg, "INSERT INTO everything SELECT 3, small, medium, flag, f4, f8, money_ok, whole, "
             "cost, loose, name, code, fixed, feeling, doc, docb, ident, raw, day, at, at_tz, "
             "clock, span, addr, ints, words, amounts, nets FROM everything WHERE id = 1",
        "INSERT INTO everything (id) VALUES (4)",
        "UPDATE everything SET (small, name, day, at_tz, ints) = (1, 'x', '0044-03-15 BC', "
        "'2001-02-03 04:05:06.5-07', '{}') WHERE id = 2")
    changes = lakeflow.records(*stream)
    by_id = {r["id"]: r for r in changes}
    assert sorted(by_id) == [2, 3, 4]
    from_snapshot = {r["id"]: r for r in snapshot}
    for field, value in from_snapshot[1].items():
        if field not in ("id", "_pg_lsn"):
            assert by_id[3][field] == value, field
    assert all(v is None for k, v in by_id[4].items() if k not in ("id", "_pg_lsn"))
    assert by_id[2]["name"] == "x" and by_id[2]["ints"] == [] and by_id[2]["small"] == 1
    assert by_id[2]["day"] == "-0043-03-15"
    assert by_id[2]["at_tz"].startswith("2001-02-03T11:05:06.5")
    # Sequences sort in log order: every change after the snapshot, changes in commit order.
    assert min(r["_pg_lsn"] for r in changes) > max(r["_pg_lsn"] for r in snapshot)
    assert by_id[3]["_pg_lsn"] < by_id[4]["_pg_lsn"] < by_id[2]["_pg_lsn"]
    # Caught up: nothing more.
    assert lakeflow.records(*stream) == []


def test_a_killed_run_resumes_without_loss_or_duplicates(lakeflow, pg, tmp_path):
    sql(*pg, *ACCOUNTS, f"CREATE PUBLICATION {PUBLICATION} FOR TABLE accounts")
    name = capture(lakeflow, pg)
    spec, db = pipeline(tmp_path, name, "accounts")
    lakeflow.run("pipeline", "run", str(spec), timeout=300)
    # Many small transactions, so the next run has many microbatches to be killed among.
    sql(*pg, """DO $$ BEGIN FOR i IN 1..40 LOOP
                  UPDATE accounts SET balance = balance + 1 WHERE id % 40 = i % 40;
                  DELETE FROM accounts WHERE id = i * 50;
                  INSERT INTO accounts VALUES (100000 + i, 'ins ' || i, i);
                  COMMIT; END LOOP; END $$""")
    sql(*pg, "INSERT INTO accounts SELECT g, 'bulk', g FROM generate_series(200000, 400000) g")
    proc = subprocess.Popen([str(BINARY), "pipeline", "run", str(spec)], env=lakeflow.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    # Killed once a microbatch of the changes has committed, while the run is live.
    for line in proc.stderr:
        if ": committed," in line:
            break
    assert proc.poll() is None, "the run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    lakeflow.run("pipeline", "run", str(spec), timeout=300)
    assert landed_rows(db, ACCOUNTS_QUERY) == source_rows(pg, ACCOUNTS_QUERY)
    count = landed_rows(db, "SELECT count(*), count(DISTINCT id) FROM accounts")[0]
    assert count[0] == count[1] == len(source_rows(pg, ACCOUNTS_QUERY))


def copying(conn, table):
    """Whether a COPY of `table` is running on the server (another session's)."""
    return conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE query ILIKE %s AND pid <> pg_backend_pid()",
        (f"COPY %{table}%",)).fetchone()[0] > 0


def test_writes_during_the_initial_snapshot_are_not_lost(lakeflow, pg, tmp_path):
    sql(*pg, "CREATE TABLE events (id int PRIMARY KEY, v int)",
        "INSERT INTO events SELECT g, 0 FROM generate_series(1, 500000) g",
        f"CREATE PUBLICATION {PUBLICATION} FOR TABLE events")
    name = capture(lakeflow, pg)
    spec, db = pipeline(tmp_path, name, "events")
    stop = threading.Event()
    during_copy = []  # writes made while the snapshot's COPY ran

    def writer():
        server, database = pg
        with server.connect(database, user=USER, password=PASSWORD) as conn:
            i = 0
            while not stop.is_set():
                copy = copying(conn, "events")
                if not copy and not during_copy:
                    continue  # not yet: wait for the snapshot to start
                i += 1
                conn.execute("UPDATE events SET v = v + 1 WHERE id = %s", (i * 7 % 500000 + 1,))
                conn.execute("DELETE FROM events WHERE id = %s", (i * 13 % 500000 + 1,))
                conn.execute("INSERT INTO events VALUES (%s, -1)", (600000 + i,))
                if copy:
                    during_copy.append(i)
                elif len(during_copy) > 0 and i > len(during_copy) + 20:
                    return  # some after the COPY too

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        lakeflow.run("pipeline", "run", str(spec), timeout=300)
    finally:
        stop.set()
        thread.join()
    assert during_copy, "no write overlapped the snapshot's COPY"
    lakeflow.run("pipeline", "run", str(spec), timeout=300)
    query = "SELECT id, v FROM events ORDER BY id"
    assert landed_rows(db, query) == source_rows(pg, query)


def test_truncate_stops_the_read_until_a_full_refresh(lakeflow, pg, tmp_path):
    sql(*pg, *ACCOUNTS, f"CREATE PUBLICATION {PUBLICATION} FOR TABLE accounts")
    name = capture(lakeflow, pg)
    spec, db = pipeline(tmp_path, name, "accounts")
    lakeflow.run("pipeline", "run", str(spec), timeout=300)
    sql(*pg, "TRUNCATE accounts", "INSERT INTO accounts VALUES (1, 'after', 1)")
    proc = lakeflow.run("pipeline", "run", str(spec), check=False, timeout=300)
    assert proc.returncode != 0
    assert "the table was truncated; run a full refresh" in proc.stdout + proc.stderr, \
        proc.stdout + proc.stderr
    lakeflow.run("pipeline", "run", str(spec), "--full-refresh", "accounts", timeout=300)
    assert landed_rows(db, ACCOUNTS_QUERY) == [(1, "after", "1.00")] == \
        source_rows(pg, ACCOUNTS_QUERY)


def test_an_added_column_lands_and_stops_a_read_that_meets_it(lakeflow, pg, tmp_path):
    sql(*pg, *ACCOUNTS, f"CREATE PUBLICATION {PUBLICATION} FOR TABLE accounts")
    name = capture(lakeflow, pg)
    spec, db = pipeline(tmp_path, name, "accounts")
    lakeflow.run("pipeline", "run", str(spec), timeout=300)
    # Added between runs: the next run reads the new schema, older changes without the column.
    sql(*pg, "UPDATE accounts SET owner = 'before' WHERE id = 1",
        "ALTER TABLE accounts ADD COLUMN note text",
        "UPDATE accounts SET note = 'added' WHERE id <= 3")
    lakeflow.run("pipeline", "run", str(spec), timeout=300)
    query = "SELECT id, owner, balance, note FROM accounts ORDER BY id"
    assert landed_rows(db, query) == source_rows(pg, query)

    # Dropped between runs: changes logged before the drop still name it, and it is ignored.
    sql(*pg, "UPDATE accounts SET note = 'soon gone', owner = 'o' WHERE id = 4",
        "ALTER TABLE accounts DROP COLUMN note")
    lakeflow.run("pipeline", "run", str(spec), timeout=300)
    query = "SELECT id, owner, balance FROM accounts ORDER BY id"
    assert landed_rows(db, query) == source_rows(pg, query)

    # Added while a stream runs: the read that meets it stops with one line; a new one goes on.
    checkpoint = tmp_path / "checkpoint"
    stream = [str(BINARY), "stream", "--connection", name, "-o", "tableName=public.accounts",
              "--checkpoint", str(checkpoint)]
    printed = tmp_path / "printed.jsonl"
    with open(printed, "w") as out:
        proc = subprocess.Popen([*stream, "--trigger", "interval:200ms"], env=lakeflow.env,
                                stdout=out, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (checkpoint / "commits" / "0").exists():  # the snapshot, committed
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the stream did not commit its snapshot: " + proc.stderr.read())
        time.sleep(0.1)
    sql(*pg, "BEGIN; UPDATE accounts SET owner = 'mid' WHERE id = 2; "
             "ALTER TABLE accounts ADD COLUMN later int; "
             "UPDATE accounts SET later = 7 WHERE id = 2; COMMIT")
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode != 0
    assert "column 'later' was added after this read's schema was taken; run again" in err, err
    assert len(err.strip().splitlines()) == 1, err
    rows = lakeflow.records(*stream[1:], "--trigger", "available-now")
    assert [(r["id"], r["owner"], r["later"]) for r in rows] == [(2, "mid", None), (2, "mid", 7)]


def test_unchanged_toasted_values_need_replica_identity_full(lakeflow, pg, tmp_path):
    big = "x" * 100000
    sql(*pg, "CREATE TABLE docs (id int PRIMARY KEY, body text, n int)",
        "ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL",
        f"INSERT INTO docs VALUES (1, '{big}', 0)",
        f"CREATE PUBLICATION {PUBLICATION} FOR TABLE docs")
    name = capture(lakeflow, pg)
    spec, db = pipeline(tmp_path, name, "docs")
    lakeflow.run("pipeline", "run", str(spec), timeout=300)
    sql(*pg, "UPDATE docs SET n = 1")
    proc = lakeflow.run("pipeline", "run", str(spec), check=False, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "REPLICA IDENTITY FULL" in out, out
    # With the old row logged, the update lands whole.
    sql(*pg, "ALTER TABLE docs REPLICA IDENTITY FULL", "UPDATE docs SET n = 2")
    lakeflow.run("pipeline", "run", str(spec), "--full-refresh", "docs", timeout=300)
    sql(*pg, "UPDATE docs SET n = 3")
    lakeflow.run("pipeline", "run", str(spec), timeout=300)
    assert landed_rows(db, "SELECT id, length(body), n FROM docs") == [(1, len(big), 3)]


def test_an_update_that_keeps_the_key_deletes_nothing(lakeflow, pg, tmp_path):
    # Keyless under REPLICA IDENTITY FULL: every column is the key, and an update leaving a
    # TOASTed value unchanged sends it as 'unchanged' in the new row, the value in the old.
    big = "y" * 100000
    sql(*pg, "CREATE TABLE blobs (n int, body text)", "ALTER TABLE blobs REPLICA IDENTITY FULL",
        "ALTER TABLE blobs ALTER COLUMN body SET STORAGE EXTERNAL",
        f"INSERT INTO blobs VALUES (1, '{big}'), (2, 'small')",
        f"CREATE PUBLICATION {PUBLICATION} FOR TABLE blobs")
    name = capture(lakeflow, pg)
    spec, db = pipeline(tmp_path, name, "blobs")
    lakeflow.run("pipeline", "run", str(spec), timeout=300)
    sql(*pg, "UPDATE blobs SET n = n", "UPDATE blobs SET n = 3 WHERE n = 2")
    lakeflow.run("pipeline", "run", str(spec), timeout=300)
    query = "SELECT n, length(body) FROM blobs ORDER BY n"
    assert landed_rows(db, query) == source_rows(pg, query) == [(1, len(big)), (3, 5)]


def test_setup_errors_say_what_to_change(lakeflow, pg):
    sql(*pg, "CREATE TABLE t (id int PRIMARY KEY)", "CREATE TABLE other (id int PRIMARY KEY)",
        "CREATE PUBLICATION only_other FOR TABLE other")
    for publication, expected in [
            ("nope", "publication 'nope' does not exist: CREATE PUBLICATION \"nope\" FOR TABLE "
                     "\"public\".\"t\""),
            ("only_other", "table public.t is not in publication 'only_other': ALTER PUBLICATION "
                           "\"only_other\" ADD TABLE \"public\".\"t\"")]:
        name = capture(lakeflow, pg, "c_" + publication, publication)
        proc = lakeflow.run("read", "--connection", name, "-o", "tableName=_lakeflow_metadata",
                            "-o", "tableNameList=public.t", check=False)
        assert proc.returncode != 0
        assert expected in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


def test_wal_level_replica_is_one_line(lakeflow, tmp_path):
    from conftest import free_port
    from postgres_server import PostgresServer
    server = PostgresServer(free_port(), wal_level="replica")
    try:
        database = server.create_database("plain")
        with server.connect(database, user=USER, password=PASSWORD) as conn:
            conn.execute("CREATE TABLE t (id int PRIMARY KEY)")
            conn.execute(f"CREATE PUBLICATION {PUBLICATION} FOR TABLE t")
        proc = lakeflow.run("read", "--source", "postgres",
                            *server.options(database, publication=PUBLICATION),
                            "-o", "tableName=_lakeflow_metadata", "-o", "tableNameList=public.t",
                            check=False)
        assert proc.returncode != 0
        assert ("needs wal_level=logical and the server has 'replica': set wal_level = logical "
                "in postgresql.conf and restart the server") in proc.stderr, proc.stderr
        # Without a publication the same table is read as snapshots.
        proc = lakeflow.run("read", "--source", "postgres", *server.options(database),
                            "-o", "tableName=public.t")
        assert proc.returncode == 0
    finally:
        server.stop()


def test_conformance_suite_passes_on_captured_tables(lakeflow, pg):
    sql(*pg, TYPES_DDL, ROW_1, *ACCOUNTS,
        f"CREATE PUBLICATION {PUBLICATION} FOR TABLE everything, accounts")
    name = capture(lakeflow, pg)
    proc = lakeflow.run("test-connector", "--connection", name, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert proc.stdout.strip().endswith("0 failed"), proc.stdout[-2000:]
    assert "[public.accounts]" in proc.stdout
