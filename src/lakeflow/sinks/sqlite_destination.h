// SqliteDestination: the embedded default destination, one SQLite database
// file holding every table of a pipeline.
//
// A microbatch is written in one transaction together with its flow's
// progress (batch id and end offset) in `_lakeflow_flows`, so the rows and the
// offset commit together: a run killed at any instant finds either both or
// neither, and resumes from the last committed offset (exactly once).
//
// Columns are typed: integers and booleans INTEGER, floats REAL, strings TEXT,
// binary BLOB; dates, timestamps and decimals TEXT in their exact ISO/decimal
// form; nested values (structs, arrays, maps, variant) TEXT holding JSON.
// Merged tables (SCD1) keep the winning sequence in a `__lakeflow_sequence`
// column so a late, older event never overwrites a newer one.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lakeflow/connect/batch_iterator.h"
#include "lakeflow/core/offset.h"

struct sqlite3;

namespace lakeflow::sinks {

struct FlowProgress {
  int64_t batch_id = -1;
  Offset end;
};

// How a microbatch's rows land in its table.
struct TableWrite {
  std::string table;                      // destination table name
  SchemaPtr schema;                       // the rows' schema
  std::vector<std::string> primary_keys;  // merge keys; empty: append
  std::string sequence_by;                // top-level column ordering events; empty: last wins
};

class SqliteDestination {
 public:
  static Result<std::unique_ptr<SqliteDestination>> Open(const std::string& path);
  ~SqliteDestination();
  SqliteDestination(const SqliteDestination&) = delete;
  SqliteDestination& operator=(const SqliteDestination&) = delete;

  // The last committed microbatch of `flow`, if any.
  Result<std::optional<FlowProgress>> Progress(const std::string& flow);

  // Writes every row of `batches` (appended, or merged by key where the
  // highest sequence wins) and records `flow`'s progress, in one transaction.
  // On any error nothing of it is kept.
  Status CommitMicroBatch(const TableWrite& write, BatchIterator* batches, const std::string& flow,
                          const FlowProgress& progress);

 private:
  explicit SqliteDestination(sqlite3* db) : db_(db) {}
  Status Exec(const std::string& sql);
  Status EnsureTable(const TableWrite& write);
  Status WriteRows(const TableWrite& write, BatchIterator* batches);

  sqlite3* db_;
};

// `name` quoted as an SQLite identifier ("a""b").
std::string QuoteIdentifier(const std::string& name);

}  // namespace lakeflow::sinks
