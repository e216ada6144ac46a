// Lakeflow's own files next to a Delta table's data, under `_lakeflow/` in
// the table folder (Delta readers skip folders starting with '_').
//
// None of them counts by existing: each is named by a transaction of a
// commit. A flow's progress file by its txn {appId: flow, version: batch id};
// the tombstones and the snapshot stage by txns of the reserved appIds below,
// whose version is the commit that wrote them. A file left by a crashed
// attempt is either never named or overwritten by the retry, which writes the
// same name before committing.
#pragma once

#include <string>
#include <vector>

#include "lakeflow/core/offset.h"

namespace lakeflow::sinks::delta {

inline constexpr const char* kTombstoneApp = "_lakeflow.tombstones";
inline constexpr const char* kStageApp = "_lakeflow.stage";
// Flows may not be named like the reserved appIds.
bool IsReservedName(const std::string& name);

// What a committed microbatch leaves for Progress() and Flows().
struct ProgressRecord {
  Offset end;
  int64_t rows = 0;          // the flow's rows since the table was built
  std::string committed_at;  // ISO 8601 UTC
};

Status WriteProgress(const std::string& dir, const std::string& flow, int64_t batch_id,
                     const ProgressRecord& record, const std::string& table);
Result<ProgressRecord> ReadProgress(const std::string& dir, const std::string& flow,
                                    int64_t batch_id, const std::string& table);

// The tombstones written by commit `version`: a Parquet file of the key
// columns and the sequence, one row per deleted key.
std::string TombstonePath(const std::string& dir, int64_t version);

// The staged snapshot as of commit `version`: the stage's data files, listed
// in the manifest at StageManifestPath.
std::string StageManifestPath(const std::string& dir, int64_t version);
Status WriteStageManifest(const std::string& dir, int64_t version,
                          const std::vector<std::string>& files, const std::string& table);
Result<std::vector<std::string>> ReadStageManifest(const std::string& dir, int64_t version,
                                                   const std::string& table);

// The last run of each flow, kept in `root/_lakeflow_runs.json` for status
// only: when it ended, and its error if it failed.
struct FlowRun {
  std::string table, flow;
  std::string ran_at;           // ISO 8601 UTC
  std::string error, error_at;  // empty after a run that succeeded
};
Result<std::vector<FlowRun>> ReadRuns(const std::string& root);
Status WriteRuns(const std::string& root, const std::vector<FlowRun>& runs);

// Now as ISO 8601 UTC.
std::string NowIso();

}  // namespace lakeflow::sinks::delta
