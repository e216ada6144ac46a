#!/usr/bin/env python3
"""The Python baseline for the REST benchmark: GitHub issues read from the
simulator the way the reference project does it.

A requests.Session follows the Link header's rel="next" from the first page of
/repos/{owner}/{repo}/issues?state=all&sort=updated&direction=asc&per_page=100
(the request the `github` source makes), each page is decoded with
resp.json(), and every record becomes a pyspark Row through the reference's
per-field parse_value, with the issues schema of the `github` source
(src/lakeflow/connectors/github/github.yaml, parsed from its DDL here). The
per-field conversion is bench/converter_baseline.py's, imported.

    rest_baseline.py URL [--owner o] [--repo r] [--records 100000] [--repeat 2]

Reads at most --records records (whole pages) per pass; the fastest pass
counts. Prints one machine-readable line:
    BASELINE {"records": ..., "bytes": ..., "seconds": ..., "records_per_second": ...,
              "mb_per_second": ..., "http_seconds": ..., "json_seconds": ..., "rows_seconds": ...}
"""

import argparse
import json
import os
import re
import sys
import time

import requests
from pyspark.sql.types import (ArrayType, BooleanType, DoubleType, IntegerType, LongType, StringType, StructField,
                               StructType, TimestampType)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from converter_baseline import parse_struct  # noqa: E402  (the reference's per-field conversion)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GITHUB_SPEC = os.path.join(ROOT, "src", "lakeflow", "connectors", "github", "github.yaml")

SCALARS = {"STRING": StringType, "BIGINT": LongType, "LONG": LongType, "INT": IntegerType, "INTEGER": IntegerType,
           "BOOLEAN": BooleanType, "TIMESTAMP": TimestampType, "DOUBLE": DoubleType}


def issues_ddl(spec_path):
    """The issues table's schema DDL from the github spec (a folded `schema: >-` block)."""
    lines = open(spec_path, encoding="utf-8").read().splitlines()
    start = lines.index("  issues:")
    for i in range(start, len(lines)):
        if lines[i].strip().startswith("schema: >-"):
            ddl = []
            for line in lines[i + 1:]:
                if not line.strip():
                    break
                ddl.append(line.strip())
            return " ".join(ddl)
    raise ValueError(f"{spec_path}: no schema for table issues")


def parse_ddl(text):
    """A Spark DDL field list (name TYPE, ...; STRUCT<a: T>, ARRAY<T>) as a StructType."""
    tokens = re.findall(r"`[^`]*`|[A-Za-z_][A-Za-z0-9_+\-]*|[<>,:]", text)
    pos = 0

    def peek():
        return tokens[pos] if pos < len(tokens) else None

    def take(expected=None):
        nonlocal pos
        token = tokens[pos]
        if expected and token != expected:
            raise ValueError(f"expected {expected!r}, got {token!r}")
        pos += 1
        return token

    def name():
        token = take()
        return token[1:-1] if token.startswith("`") else token

    def dtype():
        word = take().upper()
        if word == "STRUCT":
            take("<")
            fields = []
            while peek() != ">":
                field = name()
                take(":")
                fields.append(StructField(field, dtype(), True))
                if peek() == ",":
                    take(",")
            take(">")
            return StructType(fields)
        if word == "ARRAY":
            take("<")
            element = dtype()
            take(">")
            return ArrayType(element)
        return SCALARS[word]()

    fields = []
    while peek() is not None:
        field = name()
        fields.append(StructField(field, dtype(), True))
        if peek() == ",":
            take(",")
    return StructType(fields)


def read_pass(url, limit):
    session = requests.Session()
    session.headers.update({"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"})
    records = size = 0
    http_s = json_s = rows_s = 0.0
    while url and records < limit:
        t0 = time.perf_counter()
        resp = session.get(url, timeout=60)
        resp.raise_for_status()
        size += len(resp.content)
        t1 = time.perf_counter()
        page = resp.json()
        t2 = time.perf_counter()
        for record in page:
            parse_struct(record, ISSUES)
            records += 1
        t3 = time.perf_counter()
        http_s += t1 - t0
        json_s += t2 - t1
        rows_s += t3 - t2
        url = resp.links.get("next", {}).get("url")
    return records, size, http_s, json_s, rows_s


ISSUES = parse_ddl(issues_ddl(GITHUB_SPEC))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="the simulator, e.g. http://127.0.0.1:8080")
    parser.add_argument("--owner", default="o")
    parser.add_argument("--repo", default="r")
    parser.add_argument("--records", type=int, default=100000, help="records per pass, whole pages (default 100000)")
    parser.add_argument("--repeat", type=int, default=2, help="passes; the fastest counts")
    args = parser.parse_args()

    first = (f"{args.url.rstrip('/')}/repos/{args.owner}/{args.repo}/issues"
             "?state=all&sort=updated&direction=asc&per_page=100")
    best = None
    for _ in range(args.repeat):
        start = time.perf_counter()
        records, size, http_s, json_s, rows_s = read_pass(first, args.records)
        seconds = time.perf_counter() - start
        print(f"  python pass: {seconds:.3f} s, {records} records, {size / 1e6:.1f} MB "
              f"(http {http_s:.2f} s, json {json_s:.2f} s, rows {rows_s:.2f} s)", file=sys.stderr)
        if best is None or seconds < best[0]:
            best = (seconds, records, size, http_s, json_s, rows_s)

    seconds, records, size, http_s, json_s, rows_s = best
    result = {"records": records, "bytes": size, "seconds": round(seconds, 3),
              "records_per_second": round(records / seconds, 1), "mb_per_second": round(size / seconds / 1e6, 2),
              "http_seconds": round(http_s, 3), "json_seconds": round(json_s, 3), "rows_seconds": round(rows_s, 3)}
    print("BASELINE " + json.dumps(result))


if __name__ == "__main__":
    main()
