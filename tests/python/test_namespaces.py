"""Namespaces as the reference's data source serves them: `_community_namespaces`
(one level under `namespacePrefix`), `_community_tables` (the tables of one
`namespace`), both with `namespace ARRAY<STRING>`; the seed's
`_lakeflow_table_list` walks the whole tree, `table_schema` being the dotted
namespace. For a template connector with the SupportsNamespaces mixin, for one
without it, and for PostgreSQL, whose namespaces are its schemas."""
import json

import pytest

from conftest import ROOT

FORGES = str(ROOT / "tests" / "python" / "connectors" / "namespaced_connector.py")
MEMORY = str(ROOT / "tests" / "python" / "connectors" / "memory_connector.py")


def forges(lakeflow, cls="Forges", name="forge"):
    lakeflow.run("connection", "create", name, "--source", "python", "-o", f"module={FORGES}",
                 "-o", f"class={cls}")
    return name


def read(lakeflow, connection, table, **options):
    args = ["read", "--connection", connection, "-o", f"tableName={table}"]
    for k, v in options.items():
        args += ["-o", f"{k}={v if isinstance(v, str) else json.dumps(v)}"]
    return lakeflow.records(*args)


def test_namespaces_one_level_at_a_time(lakeflow):
    name = forges(lakeflow)
    assert read(lakeflow, name, "_community_namespaces") == \
        [{"namespace": ["acme"]}, {"namespace": ["zeta"]}]
    assert read(lakeflow, name, "_community_namespaces", namespacePrefix=["acme"]) == \
        [{"namespace": ["acme", "anvil"]}, {"namespace": ["acme", "rocket"]}]
    assert read(lakeflow, name, "_community_namespaces", namespacePrefix=["acme", "anvil"]) == []


def test_tables_of_one_namespace(lakeflow):
    name = forges(lakeflow)
    assert read(lakeflow, name, "_community_tables", namespace=["acme", "rocket"]) == \
        [{"namespace": ["acme", "rocket"], "tableName": "issues"}]
    assert read(lakeflow, name, "_community_tables", namespace=[]) == \
        [{"namespace": [], "tableName": "settings"}]
    assert read(lakeflow, name, "_community_tables", namespace=["nowhere"]) == []
    proc = lakeflow.run("read", "--connection", name, "-o", "tableName=_community_tables",
                        check=False)
    assert proc.returncode == 2
    assert "option namespace is required" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_the_seed_table_list_walks_the_whole_tree(lakeflow):
    name = forges(lakeflow)
    rows = read(lakeflow, name, "_lakeflow_table_list")
    assert rows == [
        {"table_schema": None, "table_name": "settings"},
        {"table_schema": "acme", "table_name": "members"},
        {"table_schema": "acme.anvil", "table_name": "issues"},
        {"table_schema": "acme.rocket", "table_name": "issues"},
        {"table_schema": "zeta", "table_name": "members"},
        {"table_schema": "zeta.core", "table_name": "issues"},
    ]
    # tableNameList picks tables by the name a read gives them.
    assert read(lakeflow, name, "_lakeflow_table_list", tableNameList="acme.rocket.issues") == \
        [{"table_schema": "acme.rocket", "table_name": "issues"}]
    # ...and a table of a namespace reads by that name.
    rows = read(lakeflow, name, "acme.rocket.issues")
    assert [r["where"] for r in rows] == ["acme.rocket.issues"] * 3


def test_a_source_without_namespaces(lakeflow):
    lakeflow.run("connection", "create", "flat", "--source", "python", "-o", f"module={MEMORY}",
                 "-o", "class=LakeflowConnect")
    assert read(lakeflow, "flat", "_community_namespaces") == []
    tables = read(lakeflow, "flat", "_community_tables")
    assert [t["tableName"] for t in tables] == sorted(t["tableName"] for t in tables)
    assert {tuple(t["namespace"]) for t in tables} == {()}
    proc = lakeflow.run("read", "--connection", "flat", "-o", "tableName=_community_tables",
                        "-o", 'namespace=["a"]', check=False)
    assert proc.returncode == 2 and "has no namespaces" in proc.stderr


def test_namespace_options_belong_to_listings_only(lakeflow):
    """A listing's namespace options go to the data source (Forges refuses to be
    built with them): a connection need not allow them. A table read passes its
    options to the connector, so there `namespace` is an option like any other."""
    name = forges(lakeflow)
    assert read(lakeflow, name, "_community_namespaces", namespacePrefix=["zeta"],
                namespace=["x"]) == [{"namespace": ["zeta", "core"]}]
    proc = lakeflow.run("read", "--connection", name, "-o", "tableName=settings",
                        "-o", "namespace=x", check=False)
    assert proc.returncode == 2 and "option 'namespace' is not allowed" in proc.stderr


@pytest.mark.parametrize("cls, words", [
    ("Cycles", "is not a namespace under it"),
    ("Endless", "namespaces nest deeper than 32 levels"),
    ("NotPaths", "not a namespace (a list of names)"),
])
def test_a_broken_namespace_tree_is_one_line(lakeflow, cls, words):
    name = forges(lakeflow, cls, cls.lower())
    proc = lakeflow.run("read", "--connection", name, "-o", "tableName=_lakeflow_table_list",
                        check=False, timeout=30)
    assert proc.returncode == 3, proc.stderr
    assert words in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_postgres_namespaces_are_its_schemas(lakeflow, pg):
    from test_postgres import connect, sql
    server, database = pg
    sql(server, database, "CREATE SCHEMA sales", 'CREATE SCHEMA "Odd.Schema"',
        "CREATE TABLE public.a (id int PRIMARY KEY)", "CREATE TABLE sales.orders (id int PRIMARY KEY)",
        'CREATE TABLE "Odd.Schema"."Line Items" (id int PRIMARY KEY)',
        "INSERT INTO sales.orders VALUES (1), (2)")
    name = connect(lakeflow, pg, "pg", "-o", "schemas=public,sales,Odd.Schema")
    assert read(lakeflow, name, "_community_namespaces") == [
        {"namespace": ["Odd.Schema"]}, {"namespace": ["public"]}, {"namespace": ["sales"]}]
    assert read(lakeflow, name, "_community_tables", namespace=["Odd.Schema"]) == \
        [{"namespace": ["Odd.Schema"], "tableName": "Line Items"}]
    rows = read(lakeflow, name, "_lakeflow_table_list")
    assert {(r["table_schema"], r["table_name"]) for r in rows} == {
        ("Odd.Schema", "Line Items"), ("public", "a"), ("sales", "orders")}
    assert read(lakeflow, name, "_lakeflow_table_list",
                tableNameList='"Odd.Schema"."Line Items"') == \
        [{"table_schema": "Odd.Schema", "table_name": "Line Items"}]
    assert len(read(lakeflow, name, "sales.orders")) == 2
