#!/usr/bin/env python3
"""The Spark benchmark: the GitHub simulator's `issues` read through PySpark two ways,
side by side in one run, on one local Spark session (local[2]):

  lakeflow_connect   spark.read.format("lakeflow_connect") with the built-in `github`
                     source: the native engine fetches and converts, and its Arrow
                     batches reach Spark through the Arrow C stream interface.
  reference          the reference project's way: a PySpark Python data source whose
                     reader calls the template-style connector
                     (tests/python/connectors/github_connector.py) and turns every record
                     into a Row with the reference's per-field parse_value
                     (bench/python_connector_bench.py, register_reference).

Both are forced with `.write.format("noop")`; everything from `load()` on is timed, the
fastest of --repeat passes counts.

    spark_bench.py --url URL --native-dir DIR [--repeat 3]

Prints one machine-readable line:
    RESULT {"records": n, "lakeflow_connect": s, "reference": s}
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from python_connector_bench import best, options, register_reference  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--native-dir", required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    package = os.path.join(ROOT, "python", "lakeflow_connect", "src")
    os.environ["LAKEFLOW_NATIVE_DIR"] = args.native_dir
    # The workers import the package, and this directory's reference source.
    os.environ["PYTHONPATH"] = os.pathsep.join([package, HERE, os.environ.get("PYTHONPATH", "")])
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    sys.path.insert(0, package)
    import lakeflow_connect
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[2]").appName("spark-bench")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.shuffle.partitions", "2").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    lakeflow_connect.register(spark)
    register_reference(spark)

    def load(fmt, extra):
        reader = spark.read.format(fmt)
        for key, value in {**options(args.url), **extra}.items():
            reader = reader.option(key, value)
        return reader.load()

    paths = {
        "lakeflow_connect": lambda: load("lakeflow_connect",
                                         {"source": "github", "tableName": "issues"}),
        "reference": lambda: load("lakeflow_reference_bench", {}),
    }
    result = {}
    try:
        counts = {name: make().count() for name, make in paths.items()}  # warms the workers
        if len(set(counts.values())) != 1:
            sys.exit(f"the paths read different counts: {counts}")
        result["records"] = counts["reference"]
        for name, make in paths.items():
            seconds, _ = best(args.repeat,
                              lambda: make().write.format("noop").mode("overwrite").save())
            result[name] = seconds
            print(f"{name}: {seconds:.2f} s", file=sys.stderr)
    finally:
        spark.stop()

    n = result["records"]
    print(f"{n:,} GitHub issues from the simulator through PySpark (local[2]), "
          f"best of {args.repeat}")
    print(f"{'':58} {'rows/s':>9} {'seconds':>8} {'vs reference':>13}")
    ref = n / result["reference"]
    for label, key in [("lakeflow_connect: native engine, Arrow C stream", "lakeflow_connect"),
                       ("reference: Python data source, parse_value per field", "reference")]:
        rate = n / result[key]
        print(f"{label:58} {rate:9,.0f} {result[key]:8.2f} {rate / ref:12.1f}x")
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
