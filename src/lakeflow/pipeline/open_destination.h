// The destination a pipeline spec names.
#pragma once

#include <memory>

#include "lakeflow/core/file_lock.h"
#include "lakeflow/pipeline/pipeline_spec.h"
#include "lakeflow/sinks/destination.h"

namespace lakeflow::pipeline {

Result<std::unique_ptr<sinks::Destination>> OpenDestination(const DestinationSpec& spec);

// The destination's one-writer lock, held by a run for its whole length: a
// second run on the same destination stops with one line naming the first.
// SQLite: the file PATH.lock beside the database; Delta: ROOT/.lakeflow-lock.
Result<FileLock> LockDestination(const DestinationSpec& spec);

// Whether the destination has been created (without creating it).
bool DestinationExists(const DestinationSpec& spec);

}  // namespace lakeflow::pipeline
