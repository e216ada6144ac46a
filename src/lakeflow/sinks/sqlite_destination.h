// SqliteDestination: the embedded default destination, one SQLite database
// file (WAL mode) holding every table of a pipeline and, in `_lakeflow_flows`,
// every flow's progress.
//
// Each call that changes a table is one transaction together with its flow's
// progress, so a process killed at any instant leaves both or neither. How
// values are stored: sqlite_values.h; how changes are applied:
// sqlite_change_writer.h; the semantics: destination.h.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lakeflow/sinks/destination.h"

struct sqlite3;

namespace lakeflow::sinks {

class SqliteDestination : public Destination {
 public:
  static Result<std::unique_ptr<SqliteDestination>> Open(const std::string& path);
  ~SqliteDestination() override;
  SqliteDestination(const SqliteDestination&) = delete;
  SqliteDestination& operator=(const SqliteDestination&) = delete;

  Result<std::optional<FlowProgress>> Progress(const std::string& table,
                                               const std::string& flow) override;
  Status CommitMicroBatch(const TableWrite& write, ChangeKind kind, BatchIterator* rows,
                          const std::string& flow, const FlowProgress& progress) override;
  Status ApplySnapshot(const TableWrite& write, int64_t version, const std::string& flow,
                       const FlowProgress& progress) override;
  Status SetClustering(const TableWrite& write) override;
  Status Reset(const std::string& table, const std::vector<std::string>& flows) override;
  Status RecordRun(const std::string& table, const std::string& flow,
                   const std::string& error) override;
  Result<std::vector<FlowStatus>> Flows() override;

 private:
  explicit SqliteDestination(sqlite3* db) : db_(db) {}
  // Runs `body` in one IMMEDIATE transaction, rolled back on any error.
  template <typename Body>
  Status InTransaction(Body body);
  // Creates a table's SQLite tables, or adds the columns its source gained.
  Status EnsureTables(const TableWrite& write, bool snapshot);
  Status EnsureMainTable(const TableWrite& write, bool snapshot);
  Status EnsureStage(const TableWrite& write);
  Status EnsureTombstones(const TableWrite& write);
  // CREATE TABLE IF NOT EXISTS with `create`, then EnsureColumns(`columns`).
  Status CreateTable(const std::string& name, const std::vector<std::string>& create,
                     const std::vector<std::string>& columns);
  Status CreateUniqueIndex(const std::string& table, const std::vector<std::string>& columns);
  // cluster_by as an index on those columns: created, replaced when the
  // columns change, dropped when none are given.
  Status EnsureClusterIndex(const TableWrite& write);
  Status EnsureColumns(const std::string& table, const std::vector<std::string>& definitions);
  // Whether `flow` has committed `progress`'s batch already.
  Result<bool> AlreadyCommitted(const std::string& table, const std::string& flow,
                                const FlowProgress& progress);
  Status WriteRows(const TableWrite& write, ChangeKind kind, BatchIterator* rows, int64_t* count);
  Status RecordProgress(const std::string& table, const std::string& flow,
                        const FlowProgress& progress, int64_t rows);

  sqlite3* db_;
};

}  // namespace lakeflow::sinks
