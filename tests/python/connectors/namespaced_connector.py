"""Connectors whose tables live under namespaces, written as the reference
template's SupportsNamespaces mixin asks: list_namespaces(prefix) one level at
a time (prefix None or [] for the root), list_tables_in_namespace(namespace)
with bare table names.

`Forges` is a code forge: organisations, their repositories, each repository
with an `issues` table, each organisation with `members`, and `settings` at the
root. A table is read by its dotted name (`acme.rocket.issues`), as list_tables
gives it. The other classes each get the mixin wrong in one way."""
from pyspark.sql.types import LongType, StringType, StructField, StructType

TREE = {
    (): ["settings"],
    ("acme",): ["members"],
    ("acme", "rocket"): ["issues"],
    ("acme", "anvil"): ["issues"],
    ("zeta",): ["members"],
    ("zeta", "core"): ["issues"],
}

SCHEMA = StructType([StructField("id", LongType(), False), StructField("where", StringType())])


class Forges:
    def __init__(self, options):
        # A listing's namespace options are the data source's, never the connector's.
        leaked = {"namespace", "namespaceprefix"} & {k.lower() for k in options}
        if leaked:
            raise ValueError(f"the connector was given {sorted(leaked)}")
        self.options = options

    def list_namespaces(self, prefix=None):
        prefix = tuple(prefix or ())
        children = {ns[:len(prefix) + 1] for ns in TREE if len(ns) > len(prefix)
                    and ns[:len(prefix)] == prefix}
        # Unsorted on purpose: the data source sorts.
        return [list(ns) for ns in sorted(children, reverse=True)]

    def list_tables_in_namespace(self, namespace):
        return list(TREE.get(tuple(namespace), []))

    def list_tables(self):
        return [".".join(ns + (t,)) for ns, tables in TREE.items() for t in tables]

    def get_table_schema(self, table_name, table_options):
        return SCHEMA

    def read_table_metadata(self, table_name, table_options):
        return {"primary_keys": ["id"], "ingestion_type": "snapshot"}

    def read_table(self, table_name, start_offset, table_options):
        if table_name not in self.list_tables():
            raise ValueError(f"no table {table_name}")
        return iter([{"id": i, "where": table_name} for i in range(3)]), {}


class Cycles(Forges):
    """A namespace that is its own child."""

    def list_namespaces(self, prefix=None):
        return [list(prefix or []) or ["loop"]]


class Endless(Forges):
    """Namespaces that never end: each has one more level."""

    def list_namespaces(self, prefix=None):
        return [list(prefix or []) + ["deeper"]]


class NotPaths(Forges):
    """Namespaces as dotted strings, not lists of names."""

    def list_namespaces(self, prefix=None):
        return ["acme.rocket"]
