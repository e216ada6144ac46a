#include "lakeflow/sinks/delta_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "lakeflow/core/file_io.h"
#include "lakeflow/sinks/delta_checkpoint.h"
#include "lakeflow/sinks/delta_data.h"
#include "lakeflow/sinks/delta_schema.h"

namespace lakeflow::sinks::delta {
namespace {

namespace fs = std::filesystem;

// The only reader feature this engine writes, and so the only one it reads.
constexpr const char* kNtzFeature = "timestampNtz";

Status CheckProtocol(const Json& p, const std::string& table) {
  int reader = p.value("minReaderVersion", 1);
  if (reader == 2 || reader > 3) {
    return Status::Invalid("table '{}': Delta reader version {} is not supported", table, reader);
  }
  // Writer versions 3 to 6 bring constraints, change data feed, generated or
  // identity columns, which a write here would not honour.
  int writer = p.value("minWriterVersion", 2);
  if (writer > 2 && writer != 7) {
    return Status::Invalid("table '{}': Delta writer version {} is not supported", table, writer);
  }
  for (const char* list : {"readerFeatures", "writerFeatures"}) {
    if (!p.contains(list) || !p[list].is_array()) continue;
    for (const auto& f : p[list]) {
      if (f != kNtzFeature) {
        return Status::Invalid("table '{}': Delta table feature {} is not supported", table,
                               f.dump());
      }
    }
  }
  return Status::OK();
}

Status ApplyMetadata(const Json& m, TableState* state, const std::string& table) {
  if (m.contains("partitionColumns") && m["partitionColumns"].is_array() &&
      !m["partitionColumns"].empty()) {
    return Status::Invalid("table '{}': partitioned Delta tables are not supported", table);
  }
  if (m.contains("configuration") && m["configuration"].is_object()) {
    auto mode = m["configuration"].value("delta.columnMapping.mode", std::string("none"));
    if (mode != "none") {
      return Status::Invalid("table '{}': Delta column mapping is not supported", table);
    }
  }
  if (!m.contains("schemaString") || !m["schemaString"].is_string()) {
    return Status::Invalid("table '{}': metaData without a schemaString", table);
  }
  LF_ASSIGN_OR_RETURN(state->schema,
                      TableSchemaFromDelta(m["schemaString"].get<std::string>(), table));
  state->metadata = m;
  return Status::OK();
}

Status ApplyAdd(const Json& a, TableState* state, const std::string& table) {
  if (!a.contains("path") || !a["path"].is_string()) {
    return Status::Invalid("table '{}': add action without a path", table);
  }
  if (a.contains("deletionVector") && !a["deletionVector"].is_null()) {
    return Status::Invalid("table '{}': Delta deletion vectors are not supported", table);
  }
  AddFile file;
  file.path = a["path"].get<std::string>();
  file.size = a.value("size", int64_t{0});
  file.modification_time = a.value("modificationTime", int64_t{0});
  if (a.contains("stats") && a["stats"].is_string()) {
    file.stats = Json::parse(a["stats"].get<std::string>(), nullptr, /*allow_exceptions=*/false);
    if (file.stats.is_discarded()) file.stats = nullptr;  // no stats: never skipped
  }
  state->files[file.path] = std::move(file);
  return Status::OK();
}

// Commit files' versions in `log_dir`, ascending.
std::vector<int64_t> CommitVersions(const std::string& log_dir) {
  std::vector<int64_t> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(log_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_regular_file(ec)) continue;
    if (name.size() != 25 || name.substr(20) != ".json") continue;
    if (name.find_first_not_of("0123456789") != 20) continue;
    out.push_back(std::stoll(name.substr(0, 20)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Status ReplayCommit(const std::string& dir, int64_t version, TableState* state,
                    const std::string& table) {
  std::string path = CommitPath(dir, version);
  LF_ASSIGN_OR_RETURN(auto text, ReadWholeFile(path));
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
    auto action = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (action.is_discarded() || !action.is_object()) {
      return Status::IOError("table '{}': {} has a line that is not a JSON object", table, path);
    }
    auto st = ApplyAction(action, state, table);
    if (!st.ok()) return st.WithContext(path);
  }
  state->version = version;
  return Status::OK();
}

// Flushes a directory, so a file just linked into it survives a power loss.
void SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

int64_t NowMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string CommitPath(const std::string& dir, int64_t version) {
  return fmt::format("{}/_delta_log/{:020d}.json", dir, version);
}

Status ApplyAction(const Json& action, TableState* state, const std::string& table) {
  for (const auto& [kind, body] : action.items()) {
    if (body.is_null()) continue;  // checkpoint rows hold one action, the rest null
    if (kind == "add") {
      LF_RETURN_IF_ERROR(ApplyAdd(body, state, table));
    } else if (kind == "remove") {
      state->files.erase(body.value("path", std::string()));
    } else if (kind == "txn") {
      state->txns[body.value("appId", std::string())] =
          Txn{body.value("version", int64_t{-1}), body.value("lastUpdated", int64_t{0})};
    } else if (kind == "metaData") {
      LF_RETURN_IF_ERROR(ApplyMetadata(body, state, table));
    } else if (kind == "protocol") {
      LF_RETURN_IF_ERROR(CheckProtocol(body, table));
      state->protocol = body;
    }
    // commitInfo, cdc, domainMetadata: nothing a writer of this table needs.
  }
  return Status::OK();
}

Result<TableState> LoadTable(const std::string& dir, const std::string& table) {
  TableState state;
  std::string log_dir = dir + "/_delta_log";
  std::error_code ec;
  if (!fs::is_directory(log_dir, ec)) return state;
  LF_ASSIGN_OR_RETURN(auto checkpoint, LastCheckpoint(dir, table));
  if (checkpoint) {
    LF_ASSIGN_OR_RETURN(auto actions, ReadCheckpoint(dir, *checkpoint, table));
    for (const auto& action : actions) LF_RETURN_IF_ERROR(ApplyAction(action, &state, table));
    state.version = *checkpoint;
  }
  for (int64_t version : CommitVersions(log_dir)) {
    if (version <= state.version) continue;
    if (version != state.version + 1) {
      return Status::IOError("table '{}': {} is missing", table, CommitPath(dir, version - 1));
    }
    LF_RETURN_IF_ERROR(ReplayCommit(dir, version, &state, table));
  }
  if (state.version >= 0 && !state.schema) {
    return Status::IOError("table '{}': {} has no metaData", table, log_dir);
  }
  return state;
}

Status WriteCommit(const std::string& dir, int64_t version, const std::vector<Json>& actions,
                   const std::string& table) {
  std::string log_dir = dir + "/_delta_log";
  std::error_code ec;
  fs::create_directories(log_dir, ec);
  if (ec) return Status::IOError("table '{}': cannot create {}: {}", table, log_dir, ec.message());
  std::string text;
  for (const auto& a : actions) text += a.dump() + "\n";
  // A dot name: no Delta reader takes the temp file for a commit.
  std::string tmp = fmt::format("{}/.{:020d}.{}.json.tmp", log_dir, version, RandomHex());
  LF_RETURN_IF_ERROR(WriteFileAtomically(tmp, text));
  std::string path = CommitPath(dir, version);
  int rc = ::link(tmp.c_str(), path.c_str());
  int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0) {
    if (err == EEXIST) {
      return Status::IOError("table '{}': {} already exists: another writer committed first", table,
                             path);
    }
    return Status::IOError("table '{}': cannot create {}: {}", table, path, std::strerror(err));
  }
  SyncDir(log_dir);
  return Status::OK();
}

}  // namespace lakeflow::sinks::delta
