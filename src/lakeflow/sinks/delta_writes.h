// The ways a commit changes a Delta table's files: appends, merges (upserts
// and deletes), the snapshot stage and its apply. Each writes new Parquet
// files and says what the commit must carry; nothing is visible until the
// caller commits it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lakeflow/connect/batch_iterator.h"
#include "lakeflow/sinks/delta_data.h"
#include "lakeflow/sinks/delta_log.h"
#include "lakeflow/sinks/delta_merge.h"

namespace lakeflow::sinks::delta {

// The table a write goes to.
struct TableContext {
  std::string name, dir;
  const TableState* state = nullptr;  // before this commit
  SchemaPtr schema;                   // after it (with any new columns)
  MergeColumns columns;               // keys, sequence and history in `schema`
  std::vector<int> cluster_columns;   // in `schema`: the table's data files are sorted by them
};

// What the commit is to carry.
struct Pending {
  std::string operation;                           // commitInfo's operation
  std::vector<Json> actions;                       // protocol, metaData, remove, add
  int64_t rows = 0;                                // rows handed in
  std::shared_ptr<arrow::RecordBatch> tombstones;  // the new tombstones, when changed
  std::optional<std::vector<std::string>> stage;   // the stage's files, when changed
  std::vector<std::string> garbage;                // files no longer named once this commits
};

Status WriteAppend(const TableContext& t, BatchIterator* rows, Pending* out);
// Upserts (or, with `deletes`, deletes) merged into the rows of their keys.
Status WriteMerge(const TableContext& t, BatchIterator* rows, bool deletes, Pending* out);
// Rows added to the pending snapshot.
Status WriteStage(const TableContext& t, BatchIterator* rows, bool restart, Pending* out);
// The staged snapshot made the table's content; SCD2 versions at `version`.
Status WriteSnapshot(const TableContext& t, int64_t version, Pending* out);

// Shared by the writes above.
Json AddAction(const DataFile& file);
Json RemoveAction(const AddFile& file);
// A table data file's rows in the table's current schema.
Result<std::shared_ptr<arrow::RecordBatch>> ReadTableFile(const TableContext& t,
                                                          const std::string& path);
// Adds the files `writer` wrote as `add` actions.
Status AddWritten(DataFileWriter* writer, Pending* out);

}  // namespace lakeflow::sinks::delta
