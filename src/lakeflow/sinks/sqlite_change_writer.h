// SqliteChangeWriter: applies the rows of a microbatch to one table, row by
// row, through statements prepared once per microbatch. One writer per kind
// of change (append, upsert, delete, stage) and history (SCD1, SCD2); the
// semantics are Destination's (see destination.h).
//
// Tables: the source's columns; SCD2 adds `__START_AT` and `__END_AT`;
// merged tables add `__lakeflow_sequence`, the ordering form of the row's
// sequence (see sqlite_values.h). Beside a merged table `T` live
// `T__lakeflow_tombstones` (deleted keys and their sequences) and
// `T__lakeflow_stage` (the snapshot being read).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lakeflow/sinks/destination.h"

struct sqlite3;

namespace lakeflow::sinks {

inline constexpr const char* kSequenceColumn = "__lakeflow_sequence";
inline constexpr const char* kStartColumn = "__START_AT";
inline constexpr const char* kEndColumn = "__END_AT";

std::string TombstoneTable(const std::string& table);
std::string StageTable(const std::string& table);

// A batch's columns as plain pointers, taken once per batch, so the per-row
// path copies no shared_ptr. The batch must outlive it.
struct BatchColumns {
  explicit BatchColumns(const arrow::RecordBatch& batch);
  std::vector<const arrow::Array*> arrays;
  std::vector<const arrow::Field*> fields;
};

class SqliteChangeWriter {
 public:
  // `rows` is the schema of the batches to come (the table's, or a delete
  // flow's narrower one).
  static Result<std::unique_ptr<SqliteChangeWriter>> Make(sqlite3* db, const TableWrite& write,
                                                          ChangeKind kind, const SchemaPtr& rows);
  virtual ~SqliteChangeWriter() = default;

  virtual Status Apply(const BatchColumns& batch, int64_t row) = 0;
};

}  // namespace lakeflow::sinks
