"""The `postgres` source against a real PostgreSQL server (tests/python/postgres_server.py):
types, names, metadata, errors, the conformance suite, and a pipeline into SQLite."""
import decimal
import json
import sqlite3

import pytest

from postgres_server import PASSWORD, USER

TYPES_DDL = """
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN price AS numeric(12, 3);
CREATE TABLE everything (
  id int8 PRIMARY KEY,
  small int2, medium int4, flag bool,
  f4 float4, f8 float8,
  money_ok numeric(38, 10), whole numeric(5, 0), cost price, loose numeric,
  name text, code varchar(8), fixed char(4), feeling mood,
  doc json, docb jsonb, ident uuid, raw bytea,
  day date, at timestamp, at_tz timestamptz, clock time, span interval, addr inet,
  ints int4[], words text[], amounts numeric(6, 2)[], nets inet[]
)"""

ROW_1 = """INSERT INTO everything VALUES (
  1, -32768, 2147483647, true, 1.5, -2.25,
  1234567890123456789012345678.0123456789, 99999, -12.345, 3.14159265358979323846264338327950288,
  'ünïcødé ✓', 'abc', 'ab', 'happy',
  '{"a": [1, 2]}', '{"b": {"c": null}}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x00ff10',
  '2024-02-29', '2024-01-02 03:04:05.123456', '2024-01-02 03:04:05+02', '10:11:12.5',
  '1 day 02:03:04', '192.168.0.1/24',
  '{1, NULL, 3}', '{"x", "y z"}', '{1.5, -0.01}', '{10.0.0.1}')"""


def sql(server, database, *statements):
    with server.connect(database, user=USER, password=PASSWORD) as conn:
        for statement in statements:
            conn.execute(statement)


def connect(lakeflow, pg, name="pg", *extra):
    server, database = pg
    lakeflow.run("connection", "create", name, "--source", "postgres",
                 *server.options(database), *extra)
    return name


def read(lakeflow, connection, table, check=True):
    return lakeflow.records("read", "--connection", connection, "-o", f"tableName={table}",
                            check=check)


def test_every_type_lands_as_documented(lakeflow, pg):
    server, database = pg
    sql(server, database, TYPES_DDL, ROW_1, "INSERT INTO everything (id) VALUES (2)")
    name = connect(lakeflow, pg)

    ddl = lakeflow.run("schema", "--connection", name, "-o", "tableName=public.everything",
                       "--format", "ddl").stdout.strip()
    assert ddl == (
        "`id` LONG NOT NULL, `small` SHORT, `medium` INT, `flag` BOOLEAN, `f4` FLOAT, "
        "`f8` DOUBLE, `money_ok` DECIMAL(38,10), `whole` DECIMAL(5,0), `cost` DECIMAL(12,3), "
        "`loose` STRING, `name` STRING, `code` STRING, `fixed` STRING, `feeling` STRING, "
        "`doc` STRING, `docb` STRING, `ident` STRING, `raw` BINARY, `day` DATE, "
        "`at` TIMESTAMP_NTZ, `at_tz` TIMESTAMP, `clock` STRING, `span` STRING, `addr` STRING, "
        "`ints` ARRAY<INT>, `words` ARRAY<STRING>, `amounts` ARRAY<DECIMAL(6,2)>, "
        "`nets` ARRAY<STRING>"), ddl

    out = lakeflow.run("read", "--connection", name, "-o", "tableName=public.everything").stdout
    rows = [json.loads(line, parse_float=decimal.Decimal) for line in out.splitlines()]
    assert len(rows) == 2
    one = rows[0]
    assert one["id"] == 1 and one["small"] == -32768 and one["medium"] == 2147483647
    assert one["flag"] is True and one["f4"] == decimal.Decimal("1.5")
    assert one["f8"] == decimal.Decimal("-2.25")
    assert str(one["money_ok"]) == "1234567890123456789012345678.0123456789"
    assert one["whole"] == 99999 and one["cost"] == decimal.Decimal("-12.345")
    assert one["loose"] == "3.14159265358979323846264338327950288"
    assert one["name"] == "ünïcødé ✓" and one["code"] == "abc" and one["fixed"] == "ab  "
    assert one["feeling"] == "happy"
    assert json.loads(one["doc"]) == {"a": [1, 2]} and json.loads(one["docb"]) == {"b": {"c": None}}
    assert one["ident"] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    assert one["raw"] == "AP8Q"  # base64 of 00 ff 10
    assert one["day"] == "2024-02-29"
    assert one["at"] == "2024-01-02T03:04:05.123456"
    assert one["at_tz"] == "2024-01-02T01:04:05Z"
    assert one["clock"] == "10:11:12.5" and one["span"] == "1 day 02:03:04"
    assert one["addr"] == "192.168.0.1/24"
    assert one["ints"] == [1, None, 3] and one["words"] == ["x", "y z"]
    assert one["amounts"] == [decimal.Decimal("1.50"), decimal.Decimal("-0.01")] and one["nets"] == ["10.0.0.1"]  # the output text
    two = rows[1]
    assert two["id"] == 2 and all(v is None for k, v in two.items() if k != "id")


def test_numeric_values_keep_every_digit(lakeflow, pg):
    server, database = pg
    sql(server, database, "CREATE TABLE n (id int PRIMARY KEY, a numeric(38, 1), b numeric(20, 4))",
        "INSERT INTO n VALUES (1, 1234567890123456789012345678901234567.8, 1234567890123456.7891),"
        " (2, -0.1, 0.0001), (3, 0, -10000), (4, 100000000.0, 0.1)")
    name = connect(lakeflow, pg)
    out = lakeflow.run("read", "--connection", name, "-o", "tableName=public.n", "--output", "csv").stdout
    assert out.splitlines() == ["id,a,b",
                                "1,1234567890123456789012345678901234567.8,1234567890123456.7891",
                                "2,-0.1,0.0001", "3,0.0,-10000.0000", "4,100000000.0,0.1000"]


def test_names_with_quotes_dots_and_spaces(lakeflow, pg):
    server, database = pg
    sql(server, database, 'CREATE SCHEMA "my.schema"',
        'CREATE TABLE "my.schema"."Order ""Items""" (id int PRIMARY KEY, "the value" text)',
        'INSERT INTO "my.schema"."Order ""Items""" VALUES (7, \'x\')',
        "CREATE TABLE plain (id int PRIMARY KEY)")
    name = connect(lakeflow, pg, "pg", "-o", "schemas=public,my.schema")
    # The table list names each table's schema (its namespace) and the table.
    tables = [(t["table_schema"], t["table_name"])
              for t in read(lakeflow, name, "_lakeflow_table_list")]
    assert tables == [("my.schema", 'Order "Items"'), ("public", "plain")]
    # A read names it as SQL writes it, quoted where it needs to be.
    assert read(lakeflow, name, '"my.schema"."Order ""Items"""') == [{"id": 7, "the value": "x"}]
    assert read(lakeflow, name, "public.plain") == []


def test_metadata_from_the_catalog(lakeflow, pg):
    server, database = pg
    sql(server, database, "CREATE TABLE single (id int PRIMARY KEY, v text)",
        "CREATE TABLE composite (b int, a int, v text, PRIMARY KEY (b, a))",
        "CREATE TABLE keyless (x int, y text)")
    name = connect(lakeflow, pg)
    meta = {m["tableName"]: m for m in lakeflow.records(
        "read", "--connection", name, "-o", "tableName=_lakeflow_metadata",
        "-o", "tableNameList=public.single,public.composite,public.keyless")}
    assert meta["public.single"]["primary_keys"] == ["id"]
    assert meta["public.composite"]["primary_keys"] == ["b", "a"]
    assert meta["public.keyless"]["primary_keys"] == ["x", "y"]  # a keyless row is its own key
    assert {m["ingestion_type"] for m in meta.values()} == {"snapshot"}


def test_conformance_suite_passes(lakeflow, pg):
    server, database = pg
    sql(server, database, TYPES_DDL, ROW_1,
        "CREATE TABLE many (id int PRIMARY KEY, v text)",
        "INSERT INTO many SELECT g, 'row ' || g FROM generate_series(1, 50000) g")
    name = connect(lakeflow, pg)
    proc = lakeflow.run("test-connector", "--connection", name, check=False, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    assert proc.stdout.strip().endswith("0 failed"), proc.stdout[-2000:]
    assert "[public.everything]" in proc.stdout and "[public.many]" in proc.stdout


@pytest.mark.parametrize("option, value, expected", [
    ("password", "wrong-password-123", "password authentication failed for user \"lakeflow\" "
                                       "(check the options user and password)"),
    ("database", "nope", "database \"nope\" does not exist (check the option database)"),
    ("port", "1", "(check the options host and port, and that the server runs)"),
])
def test_connection_errors_are_one_line_without_secrets(lakeflow, pg, option, value, expected):
    server, database = pg
    options = server.options(database)
    options[options.index(next(o for o in options if o.startswith(option + "="))) ] = \
        f"{option}={value}"
    proc = lakeflow.run("read", "--source", "postgres", *options, "-o", "tableName=x", check=False)
    assert proc.returncode != 0
    assert expected in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert PASSWORD not in proc.stderr and "wrong-password-123" not in proc.stderr


def test_a_missing_table_and_an_unreadable_value_are_one_line(lakeflow, pg):
    server, database = pg
    sql(server, database, "CREATE TABLE forever (id int PRIMARY KEY, at timestamp)",
        "INSERT INTO forever VALUES (1, '2024-01-01'), (2, 'infinity')")
    name = connect(lakeflow, pg)
    proc = lakeflow.run("read", "--connection", name, "-o", "tableName=public.nothing", check=False)
    assert proc.returncode != 0 and "public.nothing" in proc.stderr, proc.stderr
    proc = lakeflow.run("read", "--connection", name, "-o", "tableName=public.forever", check=False)
    assert proc.returncode != 0
    assert ("table 'public.forever', row 1, column 'at': the timestamp 'infinity' has no value in Spark"
            in proc.stderr), proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_the_password_is_masked_and_can_stay_out_of_the_store(lakeflow, pg):
    name = connect(lakeflow, pg)
    for proc in (lakeflow.run("connection", "show", name), lakeflow.run("connection", "list")):
        assert PASSWORD not in proc.stdout + proc.stderr

    # With a reference, the store never holds the password, and reads still work.
    server, database = pg
    options = server.options(database)
    options[options.index(f"password={PASSWORD}")] = "password=env:LAKEFLOW_TEST_PG_PASSWORD"
    lakeflow.run("connection", "create", "by_ref", "--source", "postgres", *options)
    stored = (lakeflow.home / "connections" / "by_ref.json").read_text()
    assert PASSWORD not in stored and "env:LAKEFLOW_TEST_PG_PASSWORD" in stored
    proc = lakeflow.run("read", "--connection", "by_ref", "-o", "tableName=_lakeflow_table_list",
                        env={"LAKEFLOW_TEST_PG_PASSWORD": PASSWORD})
    assert proc.returncode == 0


def test_a_pipeline_into_sqlite_matches_the_source(lakeflow, pg, tmp_path):
    server, database = pg
    sql(server, database,
        "CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance numeric(12, 2))",
        "INSERT INTO accounts SELECT g, 'owner ' || g, g * 1.25 FROM generate_series(1, 3000) g")
    name = connect(lakeflow, pg)
    db = tmp_path / "out.db"
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"connection_name: {name}\ndestination: {{type: sqlite, path: {db}}}\n"
                    "objects:\n  - table: {source_table: public.accounts, destination_table: accounts}\n")

    def source_rows():
        with server.connect(database, user=USER, password=PASSWORD) as conn:
            return [(i, o, str(b)) for i, o, b in
                    conn.execute("SELECT id, owner, balance FROM accounts ORDER BY id")]

    def landed_rows():
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT id, owner, balance FROM accounts ORDER BY id").fetchall()

    lakeflow.run("pipeline", "run", str(spec), timeout=300)
    assert landed_rows() == source_rows()

    sql(server, database, "UPDATE accounts SET balance = balance + 1 WHERE id % 7 = 0",
        "DELETE FROM accounts WHERE id % 11 = 0",
        "INSERT INTO accounts VALUES (5000, 'new', 0.5)")
    lakeflow.run("pipeline", "run", str(spec), timeout=300)
    assert landed_rows() == source_rows()
    assert len(landed_rows()) == 3000 - 3000 // 11 + 1


def test_partitions_read_key_ranges_in_one_snapshot(lakeflow, pg):
    server, database = pg
    sql(server, database, "CREATE TABLE big (id int8 PRIMARY KEY, v text)",
        "INSERT INTO big SELECT g * 3, 'v' || g FROM generate_series(-5000, 15000) g",
        "CREATE TABLE pair (a int, b int, PRIMARY KEY (a, b))",
        "INSERT INTO pair SELECT g, g FROM generate_series(1, 100) g",
        "CREATE TABLE empty (id int PRIMARY KEY)")
    name = connect(lakeflow, pg, "pg", "--allow", "partitions")
    whole = read(lakeflow, name, "public.big")
    assert len(whole) == 20001
    for parts in ("2", "7", "64"):
        split = lakeflow.records("read", "--connection", name, "-o", "tableName=public.big",
                                 "-o", f"partitions={parts}")
        assert sorted(r["id"] for r in split) == sorted(r["id"] for r in whole), parts
        assert len(split) == 20001
    # Keys that cannot be split into ranges, and an empty table, read whole.
    pair = lakeflow.records("read", "--connection", name, "-o", "tableName=public.pair",
                            "-o", "partitions=4")
    assert len(pair) == 100
    assert lakeflow.records("read", "--connection", name, "-o", "tableName=public.empty",
                            "-o", "partitions=4") == []
    proc = lakeflow.run("read", "--connection", name, "-o", "tableName=public.big",
                        "-o", "partitions=0", check=False)
    assert proc.returncode != 0
    assert "option 'partitions' must be at least 1, got 0" in proc.stderr, proc.stderr


def test_partitions_see_one_snapshot_while_the_table_changes(lakeflow, pg):
    """Partitions are read in parallel sessions that share one exported snapshot: while a
    writer moves money between accounts in different partitions and adds or removes pairs
    of rows at both ends of the key range (each change one transaction), the read must
    see one moment: the total never changes and pairs are whole."""
    import threading

    from test_postgres_cdc import copying
    server, database = pg
    rows = 400000
    sql(server, database, "CREATE TABLE ledger (id int8 PRIMARY KEY, amount int8)",
        f"INSERT INTO ledger SELECT g, 100 FROM generate_series(1, {rows}) g")
    name = connect(lakeflow, pg, "pg", "--allow", "partitions")
    stop = threading.Event()
    during_copy = []

    def writer():
        with server.connect(database, user=USER, password=PASSWORD) as conn:
            i = 0
            while not stop.is_set():
                copy = copying(conn, "ledger")
                if not copy and not during_copy:
                    continue  # not yet: wait for the partitions to start
                i += 1
                low, high = i * 17 % (rows // 2) + 1, rows - i * 31 % (rows // 2)
                with conn.transaction():
                    conn.execute("UPDATE ledger SET amount = amount - 7 WHERE id = %s", (low,))
                    conn.execute("UPDATE ledger SET amount = amount + 7 WHERE id = %s", (high,))
                with conn.transaction():  # a pair at both ends of the key range
                    conn.execute("INSERT INTO ledger VALUES (%s, 0), (%s, 0)",
                                 (-i, rows + i))
                if copy:
                    during_copy.append(i)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        got = lakeflow.records("read", "--connection", name, "-o", "tableName=public.ledger",
                               "-o", "partitions=6", timeout=300)
    finally:
        stop.set()
        thread.join()
    assert during_copy, "no write overlapped the partitions' COPY"
    ids = {r["id"] for r in got}
    assert len(ids) == len(got)
    assert sum(r["amount"] for r in got) == 100 * rows
    pairs = [i for i in ids if i <= 0]
    assert all(rows - i in ids for i in pairs)
    assert all(-(i - rows) in ids for i in ids if i > rows)
    assert set(range(1, rows + 1)) <= ids


def test_a_hostile_partition_is_one_line(home_cli, pg):
    """Partitions travel through Spark's tasks as JSON text: one that is not what
    get_partitions made is refused with one line, never run as SQL or thrown."""
    import sys
    from conftest import ROOT
    sys.path.insert(0, str(ROOT / "python" / "lakeflow_connect" / "src"))
    import lakeflow_connect.native  # finds the built module
    native = lakeflow_connect._native
    server, database = pg
    sql(server, database, "CREATE TABLE big (id int8 PRIMARY KEY)",
        "INSERT INTO big SELECT generate_series(1, 100)")
    home_cli.run("connection", "create", "pg_hostile_parts", "--source", "postgres",
                 *server.options(database), "--allow", "partitions")
    source = native.Source({"databricks.connection": "pg_hostile_parts",
                            "tableName": "public.big", "partitions": "4"})
    parts = source.partitions()
    assert len(parts) == 4
    for hostile, expected in [
            ({"from": "0 OR true"}, "'from' must be an integer"),
            ({"from": 1, "to": 1e300}, "'to' must be an integer"),
            ({"snapshot": 7}, "'snapshot' must be a string"),
            ({"snapshot": "x'; DROP TABLE big; --"}, "bad snapshot name"),
            ([1, 2], "expected a JSON object, got array"),
            ("[" * 100000, "nested deeper than"),
    ]:
        text = hostile if isinstance(hostile, str) else json.dumps(hostile)
        with pytest.raises(native.LakeflowError, match=expected):
            source.read(text)
    with server.connect(database, user=USER, password=PASSWORD) as conn:
        assert conn.execute("SELECT count(*) FROM big").fetchone()[0] == 100
