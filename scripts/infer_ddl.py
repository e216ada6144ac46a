#!/usr/bin/env python3
"""Guesses a Spark DDL schema from sample JSON records, as a start for a REST spec.

Usage: scripts/infer_ddl.py FILE.json [JSON_POINTER]
The file holds an array of records, one record, or a response whose records sit
at JSON_POINTER (e.g. /tickets). Review the result: a field that was always null
in the sample comes out as STRING.
"""
import json
import re
import sys

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$")
PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def kind(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "BIGINT"
    if isinstance(value, float):
        return "DOUBLE"
    if isinstance(value, str):
        return "TIMESTAMP" if ISO.match(value) else "STRING"
    if isinstance(value, list):
        element = None
        for item in value:
            element = merge(element, kind(item))
        return ("array", element)
    return ("struct", fields_of([value]))


def merge(a, b):
    if a is None:
        return b
    if b is None or a == b:
        return a
    if isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0]:
        if a[0] == "array":
            return ("array", merge(a[1], b[1]))
        merged = dict(a[1])
        for name, t in b[1].items():
            merged[name] = merge(merged.get(name), t)
        return ("struct", merged)
    if {a, b} == {"BIGINT", "DOUBLE"}:
        return "DOUBLE"
    return "STRING"


def fields_of(records):
    out = {}
    for record in records:
        for name, value in record.items():
            out[name] = merge(out.get(name), kind(value))
    return out


def render(t):
    if t is None:
        return "STRING"
    if isinstance(t, str):
        return t
    if t[0] == "array":
        return f"ARRAY<{render(t[1])}>"
    inner = ", ".join(f"{quote(n)}: {render(v)}" for n, v in t[1].items())
    return f"STRUCT<{inner}>" if inner else "STRING"


def quote(name):
    return name if PLAIN.match(name) else f"`{name}`"


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.strip().splitlines()[2])
    with open(sys.argv[1]) as f:
        data = json.load(f)
    for part in (sys.argv[2].split("/")[1:] if len(sys.argv) == 3 else []):
        data = data[part]
    records = data if isinstance(data, list) else [data]
    fields = fields_of(records)
    print(",\n".join(f"{quote(n)} {render(t)}" for n, t in fields.items()))


if __name__ == "__main__":
    main()
