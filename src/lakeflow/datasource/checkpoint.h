// A stream's checkpoint directory, laid out like Spark's:
//
//   DIR/metadata        which stream this is: {"source", "table", "delete_flow"}
//   DIR/offsets/N       batch N's planned range, written BEFORE its records go out
//   DIR/commits/N       written AFTER batch N's records are safely out
//
// On restart, a batch with an offsets file but no commit is replayed from its
// start offset; a committed batch is never read again. Files are replaced
// atomically (write, fsync, rename), so a crash leaves either the old or the
// new file, never half of one. Offsets never hold secrets: connectors put
// cursors in them, and the engine writes nothing else.
//
// One stream at a time: an open Checkpoint holds the lock DIR/.lock (see
// core/file_lock.h) until it is destroyed; a second stream on the same
// checkpoint stops with one line naming the first.
#pragma once

#include <optional>
#include <string>

#include "lakeflow/core/file_io.h"
#include "lakeflow/core/file_lock.h"
#include "lakeflow/core/offset.h"

namespace lakeflow {

struct PlannedBatch {
  int64_t id = 0;
  Offset start;
  Offset end;
};

class Checkpoint {
 public:
  // Opens (creating if needed) the checkpoint at `dir` for the stream named by
  // `identity`; a checkpoint of another stream is refused.
  static Result<Checkpoint> Open(const std::string& dir, const Json& identity);

  // The last batch with an offsets file, if any, and whether it committed.
  Result<std::optional<PlannedBatch>> LastPlanned() const;
  Result<bool> IsCommitted(int64_t id) const;

  Status WritePlanned(const PlannedBatch& batch);
  Status WriteCommit(int64_t id);

  // Drops the files of batches older than the last `keep`.
  void Prune(int64_t last_id, int64_t keep = 100);

  const std::string& dir() const { return dir_; }

 private:
  Checkpoint(std::string dir, FileLock lock) : dir_(std::move(dir)), lock_(std::move(lock)) {}
  std::string dir_;
  FileLock lock_;
};

}  // namespace lakeflow
