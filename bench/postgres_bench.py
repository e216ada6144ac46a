#!/usr/bin/env python3
"""The PostgreSQL snapshot benchmark, side by side in one run:

  copy      psql -c "COPY pgbench_accounts TO STDOUT (FORMAT binary)" > /dev/null:
            the server's own binary COPY, nothing decoded. The limit.
  engine    lakeflow read --source postgres ... --output arrow:FILE, in one
            partition and in --partitions key ranges read at once.
  python    psycopg 3 fetching the rows through a server-side cursor and building
            a dict per row (the way a Python connector hands records over).

A real server is started for the run (tests/python/postgres_server.py: Debian's
binaries, a temporary cluster) and filled by `pgbench -i -s SCALE`
(100,000 rows per unit of scale).

    postgres_bench.py --lakeflow BIN [--scale 100] [--partitions 2,4] [--repeat 3]
                      [--python-rows N]

Prints a table, then one machine-readable line:
    RESULT {"rows": ..., "copy": s, "engine_1": s, "engine_N": s, ..., "python": s, "python_rows": n}
"""
import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "python"))
from postgres_server import PASSWORD, USER, PostgresServer  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def best(repeat, run):
    seconds = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        seconds = min(seconds, time.perf_counter() - start)
    return seconds


def children_peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lakeflow", required=True)
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--partitions", default="2,4")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--python-rows", type=int, default=2_000_000,
                        help="rows the Python baseline reads (its rate is flat; default 2,000,000)")
    args = parser.parse_args()

    server = PostgresServer(free_port())
    try:
        database = server.create_database("bench")
        env = dict(os.environ, PGPASSWORD=PASSWORD)
        print(f"filling pgbench_accounts at scale {args.scale}...", file=sys.stderr)
        subprocess.run([os.path.join(server.bin, "pgbench"), "-i", "-s", str(args.scale), "-q",
                        "-h", "127.0.0.1", "-p", str(server.port), "-U", USER, database],
                       env=env, check=True, capture_output=True)
        with server.connect(database, user=USER, password=PASSWORD) as conn:
            conn.execute("VACUUM ANALYZE pgbench_accounts")
            rows = conn.execute("SELECT count(*) FROM pgbench_accounts").fetchone()[0]

        result = {"rows": rows}
        copy = ["psql", "-h", "127.0.0.1", "-p", str(server.port), "-U", USER, "-d", database,
                "-c", "COPY pgbench_accounts TO STDOUT (FORMAT binary)"]
        result["copy"] = best(args.repeat, lambda: subprocess.run(
            copy, env=env, check=True, stdout=subprocess.DEVNULL))
        print(f"copy: {result['copy']:.2f} s", file=sys.stderr)

        out = os.path.join(server.dir, "accounts.arrow")
        read = [args.lakeflow, "read", "--source", "postgres", *server.options(database),
                "-o", "tableName=public.pgbench_accounts", "--output", f"arrow:{out}"]
        for parts in ["1"] + [p for p in args.partitions.split(",") if p]:
            result[f"engine_{parts}"] = best(args.repeat, lambda: subprocess.run(
                read + ["-o", f"partitions={parts}"], check=True))
            print(f"engine, {parts} partition(s): {result[f'engine_{parts}']:.2f} s",
                  file=sys.stderr)
        result["engine_peak_rss_mb"] = round(children_peak_rss_mb())
        import pyarrow.ipc
        with pyarrow.ipc.open_file(out) as f:
            landed = sum(f.get_batch(i).num_rows for i in range(f.num_record_batches))
        if landed != rows:
            sys.exit(f"the engine wrote {landed} rows of {rows}")

        limit = min(args.python_rows, rows)

        def python():
            with server.connect(database, user=USER, password=PASSWORD) as conn:
                with conn.transaction():
                    cursor = conn.cursor(name="accounts")
                    cursor.itersize = 10000
                    cursor.execute("SELECT * FROM pgbench_accounts LIMIT %s", (limit,))
                    names = [d.name for d in cursor.description]
                    count = 0
                    for row in cursor:
                        dict(zip(names, row))
                        count += 1
                    assert count == limit

        result["python"] = best(args.repeat, python)
        result["python_rows"] = limit
        print(f"python ({limit} rows): {result['python']:.2f} s", file=sys.stderr)
    finally:
        server.stop()

    print(f"{rows:,} rows of pgbench_accounts (scale {args.scale}), best of {args.repeat}")
    print(f"{'':54} {'rows/s':>12} {'seconds':>8} {'vs COPY':>8}")
    copy_rate = rows / result["copy"]

    def line(label, n, seconds):
        rate = n / seconds
        print(f"{label:54} {rate:12,.0f} {seconds:8.2f} {rate / copy_rate:7.0%}")

    line("psql COPY (FORMAT binary) > /dev/null (the limit)", rows, result["copy"])
    for key in sorted(k for k in result if k.startswith("engine_") and k[7:].isdigit()):
        line(f"engine: lakeflow read, {key[7:]} partition(s) -> Arrow file", rows, result[key])
    line(f"python: psycopg, a dict per row ({limit:,} rows)", limit, result["python"])
    print(f"engine peak RSS {result['engine_peak_rss_mb']} MB")
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
