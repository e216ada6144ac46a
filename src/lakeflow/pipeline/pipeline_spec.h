// The pipeline spec: which source tables land in which destination tables, and
// how (the reference project's format, in YAML or JSON).
//
//   connection_name: gh
//   destination: {type: sqlite, path: lake.db}     # or {type: delta, path: ./lake}
//   objects:
//     - table:
//         source_table: issues
//         destination_table: gh_issues             # default: source_table
//         table_configuration:
//           scd_type: SCD_TYPE_2                   # or SCD_TYPE_1 (default), APPEND_ONLY
//           primary_keys: ["id"]                   # overrides the connector's metadata
//           sequence_by: updated_at                # default: the cursor field
//           exclude_columns: [body]                # or include_columns: [...]
//           row_filter: "state = 'open'"           # rows kept (a SQL predicate)
//           cluster_by: [repository, created_at]   # data laid out by these (up to 4)
//           owner: octocat                         # any other key: a source option for this table
//
// Unknown keys are refused; every error is one line "FILE:LINE: field: problem".
// This is the spec alone: checking it against the source's metadata is the
// pipeline's first step, before any data moves.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lakeflow/core/options.h"
#include "lakeflow/core/status.h"

namespace lakeflow::pipeline {

struct DestinationSpec {
  enum class Type { kSqlite, kDelta };
  Type type = Type::kSqlite;
  std::string path = "lakeflow.db";  // sqlite: the database file; delta: the root folder
};

enum class ScdType { kType1, kType2, kAppendOnly };
const char* ScdTypeName(ScdType type);  // "SCD_TYPE_1", ...

struct TableObject {
  std::string source_table;
  std::string destination_catalog;  // optional
  std::string destination_schema;   // optional
  std::string destination_table;    // defaults to source_table
  ScdType scd_type = ScdType::kType1;
  std::vector<std::string> primary_keys;  // empty: the connector's
  std::optional<std::string> sequence_by;
  // Which source columns land (one list or the other), and which rows.
  std::vector<std::string> include_columns;
  std::vector<std::string> exclude_columns;
  std::optional<std::string> row_filter;  // a SQL predicate (pipeline/row_filter.h)
  // Top-level destination columns the table's data is laid out by: Delta
  // clustering columns, a SQLite index; empty: none.
  std::vector<std::string> cluster_by;
  Options source_options;  // the other table_configuration keys
  int line = 0;            // where the object starts, for later messages

  // "catalog.schema.table", leaving out the parts not given.
  std::string DestinationName() const;
};

struct PipelineSpec {
  std::string file;
  std::string connection_name;
  DestinationSpec destination;
  std::vector<TableObject> objects;
};

Result<PipelineSpec> ParsePipelineSpec(std::string_view text, const std::string& file);
Result<PipelineSpec> LoadPipelineSpec(const std::string& path);

}  // namespace lakeflow::pipeline
