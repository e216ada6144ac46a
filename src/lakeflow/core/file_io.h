// Whole-file reads and crash-safe writes, for the small files lakeflow keeps:
// checkpoints, connections.
#pragma once

#include <sys/types.h>

#include <string>

#include "lakeflow/core/status.h"

namespace lakeflow {

// Writes `contents` to `path` through a temp file, fsync and rename, so a crash
// leaves the old file or the new one, never half of one. The temp file has
// `mode` from its creation, so a private file is never readable by others.
Status WriteFileAtomically(const std::string& path, const std::string& contents,
                           mode_t mode = 0644);

// The file's bytes, or an I/O error naming it.
Result<std::string> ReadWholeFile(const std::string& path);

}  // namespace lakeflow
