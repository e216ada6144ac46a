// DeltaDestination: each table a Delta Lake table in its own folder under a
// root (`root/catalog/schema/table` for "catalog.schema.table"), its data in
// Parquet files written through Arrow, readable by any Delta reader (the
// `deltalake` Python package, Spark).
//
// The atomic step is writing the table's next `_delta_log/NNN.json` (created
// exclusively). A microbatch's commit carries a `txn` action {appId: flow,
// version: batch id}; everything else a flow needs (its offset, tombstones,
// the staged snapshot) is in that commit or in immutable files it names, so a
// process killed at any instant leaves the table at a commit that matches its
// recorded progress. Merges rewrite only the files that may hold affected
// keys. A Parquet checkpoint is written every `kCheckpointInterval` commits.
#pragma once

#include <memory>
#include <string>

#include "lakeflow/sinks/destination.h"

namespace lakeflow::sinks {

class DeltaDestination : public Destination {
 public:
  static constexpr int kCheckpointInterval = 10;

  // `root` is created when missing.
  static Result<std::unique_ptr<DeltaDestination>> Open(const std::string& root);
  ~DeltaDestination() override;

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
  explicit DeltaDestination(std::string root);

  std::string root_;
};

}  // namespace lakeflow::sinks
