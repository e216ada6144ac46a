#include "lakeflow/datasource/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace lakeflow {

namespace fs = std::filesystem;

namespace {

Result<Json> ReadJsonFile(const std::string& path) {
  LF_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  auto j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::IOError(
        "checkpoint file {} is corrupt (not a JSON object); delete the checkpoint "
        "directory to start the stream over",
        path);
  }
  return j;
}

// The largest batch number among the files of `subdir`; -1 if none.
Result<int64_t> LastId(const std::string& subdir) {
  int64_t last = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(subdir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.ends_with(".tmp")) continue;  // a write interrupted by a crash
    char* end = nullptr;
    long long id = std::strtoll(name.c_str(), &end, 10);
    if (name.empty() || *end != '\0' || id < 0) {
      return Status::IOError("checkpoint {} holds an unexpected file '{}'", subdir, name);
    }
    last = std::max<int64_t>(last, id);
  }
  return last;
}

}  // namespace

Result<Checkpoint> Checkpoint::Open(const std::string& dir, const Json& identity) {
  std::error_code ec;
  fs::create_directories(dir + "/offsets", ec);
  if (!ec) fs::create_directories(dir + "/commits", ec);
  if (ec) return Status::IOError("cannot create checkpoint directory {}: {}", dir, ec.message());
  LF_ASSIGN_OR_RETURN(FileLock lock, FileLock::Acquire(dir + "/.lock", "checkpoint " + dir));
  std::string meta = dir + "/metadata";
  if (!fs::exists(meta)) {
    LF_RETURN_IF_ERROR(WriteFileAtomically(meta, identity.dump() + "\n"));
    return Checkpoint(dir, std::move(lock));
  }
  LF_ASSIGN_OR_RETURN(Json existing, ReadJsonFile(meta));
  if (existing != identity) {
    return Status::Invalid(
        "checkpoint {} belongs to another stream ({}), not {}; use a new checkpoint directory", dir,
        existing.dump(), identity.dump());
  }
  return Checkpoint(dir, std::move(lock));
}

Result<std::optional<PlannedBatch>> Checkpoint::LastPlanned() const {
  LF_ASSIGN_OR_RETURN(int64_t id, LastId(dir_ + "/offsets"));
  if (id < 0) return std::optional<PlannedBatch>();
  std::string path = fmt::format("{}/offsets/{}", dir_, id);
  LF_ASSIGN_OR_RETURN(Json j, ReadJsonFile(path));
  if (!j.contains("start") || !j.contains("end") || !j.value("batch", Json()).is_number_integer() ||
      j["batch"].get<int64_t>() != id) {
    return Status::IOError(
        "checkpoint file {} is corrupt (needs batch, start and end); delete the checkpoint "
        "directory to start the stream over",
        path);
  }
  PlannedBatch batch;
  batch.id = id;
  auto start = OffsetFromString(j["start"].dump(), path);
  auto end = OffsetFromString(j["end"].dump(), path);
  if (!start.ok() || !end.ok()) {
    return Status::IOError(
        "checkpoint file {} is corrupt (offsets must be JSON objects); delete the checkpoint "
        "directory to start the stream over",
        path);
  }
  batch.start = std::move(start).value();
  batch.end = std::move(end).value();
  return std::optional<PlannedBatch>(std::move(batch));
}

Result<bool> Checkpoint::IsCommitted(int64_t id) const {
  std::string path = fmt::format("{}/commits/{}", dir_, id);
  if (!fs::exists(path)) return false;
  LF_ASSIGN_OR_RETURN(Json j, ReadJsonFile(path));
  (void)j;
  return true;
}

Status Checkpoint::WritePlanned(const PlannedBatch& batch) {
  Json j = {{"batch", batch.id},
            {"start", batch.start ? *batch.start : Json()},
            {"end", batch.end ? *batch.end : Json()}};
  return WriteFileAtomically(fmt::format("{}/offsets/{}", dir_, batch.id), j.dump() + "\n");
}

Status Checkpoint::WriteCommit(int64_t id) {
  return WriteFileAtomically(fmt::format("{}/commits/{}", dir_, id),
                             Json{{"batch", id}}.dump() + "\n");
}

void Checkpoint::Prune(int64_t last_id, int64_t keep) {
  std::error_code ec;
  for (int64_t id = last_id - keep; id >= 0; --id) {
    bool removed = fs::remove(fmt::format("{}/offsets/{}", dir_, id), ec);
    removed = fs::remove(fmt::format("{}/commits/{}", dir_, id), ec) || removed;
    if (!removed) break;  // older ones went in an earlier prune
  }
}

}  // namespace lakeflow
