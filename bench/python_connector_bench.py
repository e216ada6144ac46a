#!/usr/bin/env python3
"""The Python-connector benchmark: one template-style connector
(tests/python/connectors/github_connector.py, unchanged) reads the GitHub
simulator's `issues` three ways, side by side in one run:

  connector   the connector alone, in this process: read_table and its records
              iterated, nothing converted. No runner can be faster than this.
  engine      `lakeflow read --source python ... --output arrow:FILE`: the
              connector in the engine's embedded CPython, its records converted
              to Arrow by the engine and written to an Arrow IPC file. Timed as
              the whole command: process start, interpreter start and imports
              included.
  reference   the reference project's path: a PySpark Python data source whose
              reader calls the same connector and turns every record into a Row
              with the reference's per-field parse_value, forced with
              `.write.format("noop")` on a local Spark. The Spark session's
              start is not timed; everything from `load()` on is.

    python_connector_bench.py --url URL --lakeflow BIN [--records N] [--repeat 3]
                              [--engine-repeat R]

Each path reads the whole table; the fastest of --repeat passes counts.
Prints one machine-readable line:
    RESULT {"records": ..., "connector": {...}, "engine": {...}, "reference": {...}}
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CONNECTOR = os.path.join(ROOT, "tests", "python", "connectors", "github_connector.py")
OWNER, REPO = "octo", "bench"


def load_connector_module():
    import importlib.util
    spec = importlib.util.spec_from_file_location("github_connector", CONNECTOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def options(url):
    return {"base_url": url, "owner": OWNER, "repo": REPO}


def best(passes, run):
    """(fastest seconds, what the fastest pass returned) over `passes` runs."""
    fastest, result = float("inf"), None
    for _ in range(passes):
        start = time.perf_counter()
        out = run()
        seconds = time.perf_counter() - start
        if seconds < fastest:
            fastest, result = seconds, out
    return fastest, result


def connector_alone(url, repeat):
    module = load_connector_module()

    def run():
        connector = module.LakeflowConnect(options(url))
        records, _ = connector.read_table("issues", None, {})
        return sum(1 for _ in records)

    return best(repeat, run)


def engine(url, lakeflow, repeat):
    import pyarrow.ipc

    out = os.path.join(tempfile.mkdtemp(prefix="lakeflow-pybench-"), "issues.arrow")
    command = [lakeflow, "read", "--source", "python", "-o", f"module={CONNECTOR}",
               "-o", "class=LakeflowConnect", "-o", "tableName=issues", "--output", f"arrow:{out}"]
    for key, value in options(url).items():
        command += ["-o", f"{key}={value}"]

    def run():
        proc = subprocess.run(command, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"lakeflow read failed ({proc.returncode}): {proc.stderr.strip()}")
        with pyarrow.ipc.open_file(out) as reader:
            return sum(reader.get_batch(i).num_rows for i in range(reader.num_record_batches))

    return best(repeat, run)


def register_reference(spark):
    """Registers `lakeflow_reference_bench`: the reference project's way of reading the
    template-style connector under PySpark (also used by bench/spark_bench.py)."""
    from pyspark.sql.datasource import DataSource, DataSourceReader

    class ReferenceReader(DataSourceReader):
        """As the reference's data source: the connector's dicts, each turned
        into a Row by parse_value field by field, then yielded to Spark."""

        def __init__(self, opts, schema):
            self.opts, self.schema_ = opts, schema

        def read(self, partition):
            sys.path.insert(0, HERE)
            from converter_baseline import parse_value

            module = load_connector_module()
            connector = module.LakeflowConnect(dict(self.opts))
            records, _ = connector.read_table("issues", None, {})
            for record in records:
                yield parse_value(record, self.schema_)

    class ReferenceSource(DataSource):
        @classmethod
        def name(cls):
            return "lakeflow_reference_bench"

        def schema(self):
            return load_connector_module().SCHEMAS["issues"]

        def reader(self, schema):
            return ReferenceReader(self.options, schema)

    spark.dataSource.register(ReferenceSource)


def reference(url, repeat):
    from pyspark.sql import SparkSession

    # The workers run this same Python (the venv's, with pyarrow).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = (SparkSession.builder.master("local[2]").appName("python-connector-bench")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.shuffle.partitions", "2").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    register_reference(spark)

    def load():
        reader = spark.read.format("lakeflow_reference_bench")
        for key, value in options(url).items():
            reader = reader.option(key, value)
        return reader.load()

    def run():
        load().write.format("noop").mode("overwrite").save()

    try:
        records = load().count()  # also warms the Python workers
        seconds, _ = best(repeat, run)
    finally:
        spark.stop()
    return seconds, records


def rate(records, seconds):
    return {"records": records, "seconds": round(seconds, 3),
            "records_per_second": round(records / seconds, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--lakeflow", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    seconds, records = connector_alone(args.url, args.repeat)
    result = {"connector": rate(records, seconds)}
    print(f"connector alone: {records} records in {seconds:.2f} s", file=sys.stderr)

    seconds, count = engine(args.url, args.lakeflow, args.repeat)
    if count != records:
        sys.exit(f"the engine read {count} records, the connector {records}")
    result["engine"] = rate(count, seconds)
    print(f"engine: {count} records in {seconds:.2f} s", file=sys.stderr)

    seconds, count = reference(args.url, args.repeat)
    if count != records:
        sys.exit(f"the reference path read {count} records, the connector {records}")
    result["reference"] = rate(count, seconds)
    print(f"reference (PySpark data source): {count} records in {seconds:.2f} s", file=sys.stderr)

    result["records"] = records
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
