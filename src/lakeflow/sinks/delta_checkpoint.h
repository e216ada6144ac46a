// Delta checkpoints: the table's whole state at one version as a Parquet file
// (`_delta_log/NNN.checkpoint.parquet`, one action per row, columns txn, add,
// remove, metaData, protocol) and `_delta_log/_last_checkpoint` naming it, so
// readers need not replay every commit.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lakeflow/sinks/delta_log.h"

namespace lakeflow::sinks::delta {

// `_delta_log/NNN.checkpoint.parquet` for `version`.
std::string CheckpointPath(const std::string& dir, int64_t version);

// Writes the checkpoint of `state` (at state.version), then _last_checkpoint.
// Removes are omitted, as the protocol allows for expired tombstones.
Status WriteCheckpoint(const std::string& dir, const TableState& state, const std::string& table);

// The version _last_checkpoint names, if any.
Result<std::optional<int64_t>> LastCheckpoint(const std::string& dir, const std::string& table);

// The actions of the checkpoint at `version`, as JSON objects like commit lines.
Result<std::vector<Json>> ReadCheckpoint(const std::string& dir, int64_t version,
                                         const std::string& table);

}  // namespace lakeflow::sinks::delta
