"""lakeflow_connect: the lakeflow engine as a PySpark data source.

    import lakeflow_connect
    lakeflow_connect.register(spark)
    spark.read.format("lakeflow_connect").option("databricks.connection", "gh") \\
        .option("tableName", "issues").load()

Every read is the engine's (the same connectors, options and errors as the `lakeflow`
command). Rows never become Python objects: the engine hands Arrow batches over through
the Arrow C stream interface, and Spark takes them as they are.
"""
import os

# A development tree keeps the built module in the build directory
# (build/python/lakeflow_connect); an installed wheel has it beside this file.
if os.environ.get("LAKEFLOW_NATIVE_DIR"):
    __path__.append(os.environ["LAKEFLOW_NATIVE_DIR"])

from lakeflow_connect._native import LakeflowError  # noqa: E402
from lakeflow_connect.data_source import LakeflowConnectDataSource  # noqa: E402

__all__ = ["LakeflowConnectDataSource", "LakeflowError", "register"]


def register(spark):
    """Registers the `lakeflow_connect` data source with a SparkSession."""
    spark.dataSource.register(LakeflowConnectDataSource)
