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
from lakeflow_connect.native import BOUND_SOURCE_OPTION  # noqa: E402

__all__ = ["LakeflowConnectDataSource", "LakeflowError", "register"]


def register(spark, source=None):
    """Registers the `lakeflow_connect` data source with a SparkSession.

    With `source` ("github"), the format is bound to that source, as the reference's
    registration binds it: a read whose options Unity Catalog injected from a connection
    needs no `source` option, and a local connection must be of that source."""
    if source is None:
        spark.dataSource.register(LakeflowConnectDataSource)
        return
    if not isinstance(source, str) or not source:
        raise TypeError("register(spark, source): source is a source name such as 'github'")

    class BoundDataSource(LakeflowConnectDataSource):
        def __init__(self, options):
            options = dict(options)
            options[BOUND_SOURCE_OPTION] = source
            super().__init__(options)

    spark.dataSource.register(BoundDataSource)
