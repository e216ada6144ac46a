"""Reads a Delta table with the `deltalake` package and prints its rows.

Usage: delta_readback.py TABLE_DIR

One JSON object per line (keys sorted), lines sorted, so the C++ tests can
compare what an independent Delta reader sees with what they expect.
Timestamps print as lakeflow writes them: ISO 8601, microseconds only when
non-zero, 'Z' for UTC timestamps and nothing for timestamp_ntz.
"""

import base64
import datetime
import decimal
import json
import os
import sys

from deltalake import DeltaTable


def plain(value):
    if isinstance(value, datetime.datetime):
        text = value.strftime("%Y-%m-%dT%H:%M:%S")
        if value.microsecond:
            text += ".%06d" % value.microsecond
        return text + ("Z" if value.tzinfo is not None else "")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: delta_readback.py TABLE_DIR")
    table = DeltaTable(sys.argv[1]).to_pyarrow_table()
    rows = table.to_pylist(maps_as_pydicts="strict")  # maps as objects, like lakeflow's JSON
    lines = [json.dumps(plain(row), sort_keys=True) for row in rows]
    for line in sorted(lines):
        print(line)


if __name__ == "__main__":
    main()
    # deltalake's runtime threads may abort the interpreter's shutdown
    # ("terminate called without an active exception"): leave before it.
    sys.stdout.flush()
    os._exit(0)
