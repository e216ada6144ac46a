#include "lakeflow/pipeline/open_destination.h"

#include <filesystem>

#include "lakeflow/sinks/delta_destination.h"
#include "lakeflow/sinks/sqlite_destination.h"

namespace lakeflow::pipeline {

Result<std::unique_ptr<sinks::Destination>> OpenDestination(const DestinationSpec& spec) {
  if (spec.type == DestinationSpec::Type::kDelta) {
    LF_ASSIGN_OR_RETURN(auto delta, sinks::DeltaDestination::Open(spec.path));
    return std::unique_ptr<sinks::Destination>(std::move(delta));
  }
  LF_ASSIGN_OR_RETURN(auto sqlite, sinks::SqliteDestination::Open(spec.path));
  return std::unique_ptr<sinks::Destination>(std::move(sqlite));
}

Result<FileLock> LockDestination(const DestinationSpec& spec) {
  if (spec.type == DestinationSpec::Type::kDelta) {
    std::error_code ec;
    std::filesystem::create_directories(spec.path, ec);
    if (ec) return Status::IOError("cannot create Delta destination folder {}", spec.path);
    return FileLock::Acquire(spec.path + "/.lakeflow-lock", "Delta destination " + spec.path);
  }
  return FileLock::Acquire(spec.path + ".lock", "SQLite destination " + spec.path);
}

bool DestinationExists(const DestinationSpec& spec) {
  std::error_code ec;
  return std::filesystem::exists(spec.path, ec);
}

}  // namespace lakeflow::pipeline
