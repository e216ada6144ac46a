#include "lakeflow/datasource/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lakeflow/core/json_access.h"

namespace lakeflow {

namespace fs = std::filesystem;

namespace {

// Checkpoint files hold offsets, which are the reader's business only.
constexpr mode_t kPrivate = 0600;

Status Corrupt(const std::string& path, std::string_view why) {
  return Status::IOError(
      "checkpoint file {} is corrupt ({}); delete the checkpoint directory to start the stream "
      "over",
      path, why);
}

// The file's JSON object. Checkpoint files may have been edited or damaged,
// so they are read as outside JSON: nesting bounded, types checked.
Result<Json> ReadJsonFile(const std::string& path) {
  LF_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  if (!JsonDepthWithin(text)) {
    return Corrupt(path, fmt::format("nested deeper than {} levels", kMaxJsonDepth));
  }
  auto j = ParseJson(text, path);
  if (!j.ok() || !j->is_object()) return Corrupt(path, "not a JSON object");
  return std::move(j).value();
}

// The offset in member `name` of an offsets file: an object, or null for none.
Result<Offset> OffsetMember(const Json& file, const char* name, const std::string& path) {
  auto it = file.find(name);
  if (it == file.end()) return Corrupt(path, "needs batch, start and end");
  if (it->is_null()) return Offset();
  if (!it->is_object()) return Corrupt(path, "offsets must be JSON objects");
  return Offset(*it);
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
    LF_RETURN_IF_ERROR(WriteFileAtomically(meta, DumpJson(identity) + "\n", kPrivate));
    return Checkpoint(dir, std::move(lock));
  }
  LF_ASSIGN_OR_RETURN(Json existing, ReadJsonFile(meta));
  if (existing != identity) {
    return Status::Invalid(
        "checkpoint {} belongs to another stream ({}), not {}; use a new checkpoint directory", dir,
        DumpJson(existing), DumpJson(identity));
  }
  return Checkpoint(dir, std::move(lock));
}

Result<std::optional<PlannedBatch>> Checkpoint::LastPlanned() const {
  LF_ASSIGN_OR_RETURN(int64_t id, LastId(dir_ + "/offsets"));
  if (id < 0) return std::optional<PlannedBatch>();
  std::string path = fmt::format("{}/offsets/{}", dir_, id);
  LF_ASSIGN_OR_RETURN(Json j, ReadJsonFile(path));
  auto batch_id = j.find("batch");
  if (batch_id == j.end() || JsonInteger(*batch_id) != id) {
    return Corrupt(path, "needs batch, start and end");
  }
  PlannedBatch batch;
  batch.id = id;
  LF_ASSIGN_OR_RETURN(batch.start, OffsetMember(j, "start", path));
  LF_ASSIGN_OR_RETURN(batch.end, OffsetMember(j, "end", path));
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
  LF_ASSIGN_OR_RETURN(std::string text,
                      DumpExactJson(j, fmt::format("the plan of micro-batch {}", batch.id)));
  return WriteFileAtomically(fmt::format("{}/offsets/{}", dir_, batch.id), text + "\n", kPrivate);
}

Status Checkpoint::WriteCommit(int64_t id) {
  return WriteFileAtomically(fmt::format("{}/commits/{}", dir_, id),
                             Json{{"batch", id}}.dump() + "\n", kPrivate);
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
