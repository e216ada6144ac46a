#include "lakeflow/connectors/postgres/pg_catalog.h"

#include <cstdlib>

namespace lakeflow::postgres {
namespace {

constexpr const char* kListTables = R"SQL(
SELECT n.nspname, c.relname
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY c.relname)SQL";

constexpr const char* kTable = R"SQL(
SELECT c.oid, c.relreplident
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p'))SQL";

// Domains resolve to their base type (and the domain's own modifier).
constexpr const char* kColumns = R"SQL(
SELECT a.attname,
       pg_catalog.format_type(a.atttypid, a.atttypmod),
       a.attnotnull,
       CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END,
       bt.typname, bt.typtype, bt.typcategory,
       coalesce(et.typname, ''), coalesce(et.typtype, 'b')
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
JOIN pg_catalog.pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
LEFT JOIN pg_catalog.pg_type et ON et.oid = bt.typelem AND bt.typcategory = 'A'
WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum)SQL";

constexpr const char* kPrimaryKey = R"SQL(
SELECT a.attname
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
WHERE i.indrelid = $1::oid AND i.indisprimary
ORDER BY array_position(i.indkey::int2[], a.attnum))SQL";

std::string Cell(const PgResult& result, int row, int column) {
  return std::string(PQgetvalue(result.get(), row, column),
                     static_cast<size_t>(PQgetlength(result.get(), row, column)));
}

}  // namespace

Result<std::vector<TableName>> ListTables(PgConnection& conn,
                                          const std::vector<std::string>& schemas) {
  std::vector<TableName> out;
  for (const auto& schema : schemas) {
    LF_ASSIGN_OR_RETURN(PgResult rows, conn.Query("listing the tables of schema '" + schema + "'",
                                                  kListTables, {schema}));
    for (int r = 0; r < PQntuples(rows.get()); ++r)
      out.push_back({Cell(rows, r, 0), Cell(rows, r, 1)});
  }
  return out;
}

Result<PgTable> DescribeTable(PgConnection& conn, const TableName& name) {
  const std::string what = "describing table " + name.Display();
  LF_ASSIGN_OR_RETURN(PgResult table, conn.Query(what, kTable, {name.schema, name.table}));
  if (PQntuples(table.get()) == 0)
    return Status::NotFound(
        "postgres: no table {} (lakeflow read -o tableName=_lakeflow_table_list "
        "lists them)",
        name.Display());
  PgTable out;
  out.name = name;
  out.oid = Cell(table, 0, 0);
  out.replica_identity = Cell(table, 0, 1).empty() ? 'd' : Cell(table, 0, 1)[0];

  LF_ASSIGN_OR_RETURN(PgResult columns, conn.Query(what, kColumns, {out.oid}));
  for (int r = 0; r < PQntuples(columns.get()); ++r) {
    PgTypeInfo type;
    type.type_modifier = std::atoi(PQgetvalue(columns.get(), r, 3));
    type.name = Cell(columns, r, 4);
    type.type_type = Cell(columns, r, 5)[0];
    type.category = Cell(columns, r, 6)[0];
    type.element_name = Cell(columns, r, 7);
    type.element_type_type = Cell(columns, r, 8)[0];
    out.columns.push_back(
        DescribeColumn(Cell(columns, r, 0), Cell(columns, r, 1), Cell(columns, r, 2) == "t", type));
  }
  LF_ASSIGN_OR_RETURN(PgResult key, conn.Query(what, kPrimaryKey, {out.oid}));
  for (int r = 0; r < PQntuples(key.get()); ++r) out.primary_key.push_back(Cell(key, r, 0));
  return out;
}

}  // namespace lakeflow::postgres
