#!/usr/bin/env python3
"""The Python baseline for the converter benchmark: JSON pages to typed rows
the way the reference project does it.

Each page is read with json.loads; every record then becomes a pyspark Row
through a recursive parse_value that follows the Spark schema, with the
reference project's rules: a struct becomes a Row (missing nullable fields
None), an array a list (a lone value a one-element list), timestamps go
through datetime.fromisoformat, integers through int(), and so on. The schema
is the issues table of bench/converter_bench.cc.

    converter_baseline.py PAGES_PATH [--mb 50] [--repeat 5]

Prints one machine-readable line:
    BASELINE {"records": ..., "bytes": ..., "seconds": ..., "records_per_second": ..., "mb_per_second": ...}
"""

import argparse
import base64
import json
import time
from datetime import date, datetime, timezone
from decimal import Decimal

from pyspark.sql import Row
from pyspark.sql.types import (ArrayType, BinaryType, BooleanType, ByteType, DateType, DecimalType, DoubleType,
                               FloatType, IntegerType, LongType, MapType, ShortType, StringType, StructField,
                               StructType, TimestampNTZType, TimestampType)


def fields(*pairs):
    return StructType([StructField(name, dtype, nullable) for name, dtype, nullable in pairs])


def f(name, dtype, nullable=True):
    return (name, dtype, nullable)


# Same as kIssuesDdl in converter_bench.cc.
ISSUES = fields(
    f("id", LongType(), False), f("node_id", StringType()), f("number", IntegerType()), f("title", StringType()),
    f("body", StringType()), f("state", StringType()), f("locked", BooleanType()),
    f("user", fields(f("login", StringType()), f("id", LongType()), f("node_id", StringType()),
                     f("avatar_url", StringType()), f("type", StringType()), f("site_admin", BooleanType()))),
    f("labels", ArrayType(fields(f("id", LongType()), f("node_id", StringType()), f("name", StringType()),
                                 f("color", StringType()), f("default", BooleanType()),
                                 f("description", StringType())))),
    f("assignee", fields(f("login", StringType()), f("id", LongType()))),
    f("assignees", ArrayType(fields(f("login", StringType()), f("id", LongType())))),
    f("milestone", fields(f("id", LongType()), f("number", IntegerType()), f("title", StringType()),
                          f("description", StringType()), f("state", StringType()), f("open_issues", IntegerType()),
                          f("closed_issues", IntegerType()), f("created_at", TimestampType()),
                          f("due_on", TimestampType()))),
    f("comments", IntegerType()), f("created_at", TimestampType()), f("updated_at", TimestampType()),
    f("closed_at", TimestampType()), f("author_association", StringType()),
    f("pull_request", fields(f("url", StringType()), f("html_url", StringType()), f("merged_at", TimestampType()))),
    f("reactions", fields(*[f(name, IntegerType()) for name in
                            ["total_count", "+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"]])),
    f("state_reason", StringType()), f("html_url", StringType()),
)

TRUE_STRINGS = {"true", "t", "yes", "y", "1"}
FALSE_STRINGS = {"false", "f", "no", "n", "0"}
DATE_FORMATS = ["%Y-%m-%d", "%m/%d/%Y", "%d-%m-%Y", "%Y/%m/%d"]


def parse_struct(value, dtype):
    """A dict to a Row with the struct's fields, in order."""
    if not isinstance(value, dict):
        raise ValueError(f"expected an object for {dtype.simpleString()}, got {value!r}")
    fields = {}
    for field in dtype.fields:
        if field.name in value:
            fields[field.name] = parse_value(value[field.name], field.dataType)
        elif field.nullable:
            fields[field.name] = None
        else:
            raise ValueError(f"missing non-nullable field {field.name}")
    return Row(**fields)


def parse_value(value, dtype):
    """One JSON value to the Python value of a Spark type."""
    if value is None:
        return None
    if isinstance(dtype, StructType):
        return parse_struct(value, dtype)
    if isinstance(dtype, ArrayType):
        items = value if isinstance(value, list) else [value]
        return [parse_value(item, dtype.elementType) for item in items]
    if isinstance(dtype, MapType):
        return {parse_value(k, dtype.keyType): parse_value(v, dtype.valueType) for k, v in value.items()}
    if isinstance(dtype, StringType):
        return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    if isinstance(dtype, (LongType, IntegerType, ShortType, ByteType)):
        if isinstance(value, str):
            value = value.strip()
            return int(float(value)) if "." in value else int(value)
        return int(value)
    if isinstance(dtype, (DoubleType, FloatType)):
        return float(value)
    if isinstance(dtype, BooleanType):
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in TRUE_STRINGS:
                return True
            if lowered in FALSE_STRINGS:
                return False
            raise ValueError(f"cannot convert {value!r} to boolean")
        return bool(value)
    if isinstance(dtype, DecimalType):
        return Decimal(str(value))
    if isinstance(dtype, (TimestampType, TimestampNTZType)):
        if isinstance(value, (int, float)):
            return datetime.fromtimestamp(value, tz=timezone.utc)
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(dtype, DateType):
        for fmt in DATE_FORMATS:
            try:
                return datetime.strptime(value, fmt).date()
            except ValueError:
                pass
        return date.fromisoformat(value[:10])
    if isinstance(dtype, BinaryType):
        try:
            return base64.b64decode(value, validate=True)
        except ValueError:
            try:
                return bytes.fromhex(value)
            except ValueError:
                return value.encode("utf-8")
    raise ValueError(f"unsupported type {dtype}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pages")
    parser.add_argument("--mb", type=float, default=50, help="read about this many MB of pages (default 50)")
    parser.add_argument("--repeat", type=int, default=5, help="passes over the pages; the fastest counts")
    args = parser.parse_args()

    limit = int(args.mb * 1e6)
    pages = []
    size = 0
    with open(args.pages, "rb") as src:
        for line in src:
            if size >= limit:
                break
            if line.strip():
                pages.append(line)
                size += len(line) - 1  # the newline is not part of the page

    # The best of a few passes, as Google Benchmark's repetitions give the C++ side.
    seconds = float("inf")
    for _ in range(args.repeat):
        records = 0
        start = time.perf_counter()
        for page in pages:
            for record in json.loads(page):
                parse_struct(record, ISSUES)
                records += 1
        seconds = min(seconds, time.perf_counter() - start)

    result = {"records": records, "bytes": size, "seconds": round(seconds, 3),
              "records_per_second": round(records / seconds, 1), "mb_per_second": round(size / seconds / 1e6, 2)}
    print("BASELINE " + json.dumps(result))


if __name__ == "__main__":
    main()
