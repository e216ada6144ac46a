// Table names as the postgres connector shows them: `schema.table`, with a
// part written in double quotes when it is not a plain lower-case identifier
// (`public."Order Items"`, `"my.schema".t`), as SQL writes it. Names are
// parsed back exactly, so any name a catalog holds round-trips.
#pragma once

#include <string>
#include <string_view>

#include "lakeflow/core/status.h"

namespace lakeflow::postgres {

struct TableName {
  std::string schema;
  std::string table;

  // "schema"."table": for SQL, always quoted.
  std::string Sql() const;
  // schema.table, parts quoted only when they need it.
  std::string Display() const;
};

// `text` as shown by Display(); a name without a schema is in `default_schema`.
Result<TableName> ParseTableName(std::string_view text, std::string_view default_schema);

}  // namespace lakeflow::postgres
