// The Delta transaction log of one table: `_delta_log/NNN.json` commits (one
// action per line) and Parquet checkpoints, replayed into the table's state.
//
// Only what this engine writes is accepted: no partitioning, no column
// mapping, no deletion vectors, no reader feature but `timestampNtz` and no
// writer feature but it, `domainMetadata` and `clustering`; anything else is
// refused with an error naming the table, never misread.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "lakeflow/core/offset.h"
#include "lakeflow/core/types.h"

namespace lakeflow::sinks::delta {

struct AddFile {
  std::string path;  // relative to the table folder
  int64_t size = 0;
  int64_t modification_time = 0;
  Json stats;  // the parsed stats object; null when absent
};

struct Txn {
  int64_t version = -1;
  int64_t last_updated = 0;
};

// A table as of one version of its log.
struct TableState {
  int64_t version = -1;                        // -1: the table does not exist yet
  Json protocol;                               // the protocol action's body
  int64_t reader_version = 1;                  // its minReaderVersion
  Json metadata;                               // the metaData action's body
  SchemaPtr schema;                            // from metadata's schemaString
  std::map<std::string, AddFile> files;        // live data files by path
  std::map<std::string, Txn> txns;             // latest transaction of each appId
  std::map<std::string, std::string> domains;  // domainMetadata: configuration by domain
};

// The domain of a clustered table's clustering columns, whose configuration
// is {"clusteringColumns": [["col"], ...]} (each column a path).
inline constexpr const char* kClusteringDomain = "delta.clustering";

// Replays one action (a commit line, or a checkpoint row) onto `state`.
Status ApplyAction(const Json& action, TableState* state, const std::string& table);

// The table in `dir` at its latest version, read from its latest checkpoint
// and the commits after it.
Result<TableState> LoadTable(const std::string& dir, const std::string& table);

// `_delta_log/NNN.json` for `version`.
std::string CommitPath(const std::string& dir, int64_t version);

// Writes commit `version`, created exclusively (written aside, then linked
// into place): a commit already at that version is an error, never replaced.
Status WriteCommit(const std::string& dir, int64_t version, const std::vector<Json>& actions,
                   const std::string& table);

// Milliseconds since the epoch, the unit of Delta's timestamps.
int64_t NowMillis();

}  // namespace lakeflow::sinks::delta
