// What the postgres connector asks of the catalog: the tables of a schema,
// a table's columns and types, its primary key and replica identity.
#pragma once

#include <string>
#include <vector>

#include "lakeflow/connectors/postgres/pg_connection.h"
#include "lakeflow/connectors/postgres/pg_table_name.h"
#include "lakeflow/connectors/postgres/pg_types.h"

namespace lakeflow::postgres {

struct PgTable {
  TableName name;
  std::string oid;
  std::vector<PgColumn> columns;
  std::vector<std::string> primary_key;  // in key order; empty without one
  char replica_identity = 'd';           // d default (the key), f full, i index, n nothing
};

// Ordinary and partitioned tables (not partitions) of `schemas`, by schema then name.
Result<std::vector<TableName>> ListTables(PgConnection& conn,
                                          const std::vector<std::string>& schemas);

// A table's description; NotFound naming it when there is no such table.
Result<PgTable> DescribeTable(PgConnection& conn, const TableName& name);

}  // namespace lakeflow::postgres
