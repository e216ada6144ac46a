#include "lakeflow/sinks/delta_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>

#include "lakeflow/core/file_io.h"
#include "lakeflow/core/json_access.h"
#include "lakeflow/sinks/delta_checkpoint.h"
#include "lakeflow/sinks/delta_data.h"
#include "lakeflow/sinks/delta_schema.h"

namespace lakeflow::sinks::delta {
namespace {

namespace fs = std::filesystem;

// The table features this engine writes, and so the only ones it reads.
constexpr const char* kNtzFeature = "timestampNtz";
bool KnownFeature(const std::string& list, const std::string& feature) {
  if (feature == kNtzFeature) return true;
  return list == "writerFeatures" && (feature == "domainMetadata" || feature == "clustering");
}

// Actions are read as outside JSON (another writer, or a damaged file, may
// have put anything there): every member's type is checked, and a wrong one is
// an error naming the action and the member.
Status ApplyProtocol(const JsonFields& p, TableState* state, const std::string& table) {
  LF_ASSIGN_OR_RETURN(int64_t reader, p.IntOr("minReaderVersion", 1));
  if (reader < 1 || reader == 2 || reader > 3) {
    return Status::Invalid("table '{}': Delta reader version {} is not supported", table, reader);
  }
  // Writer versions 3 to 6 bring constraints, change data feed, generated or
  // identity columns, which a write here would not honour.
  LF_ASSIGN_OR_RETURN(int64_t writer, p.IntOr("minWriterVersion", 2));
  if (writer < 1 || (writer > 2 && writer != 7)) {
    return Status::Invalid("table '{}': Delta writer version {} is not supported", table, writer);
  }
  for (const char* list : {"readerFeatures", "writerFeatures"}) {
    LF_ASSIGN_OR_RETURN(auto features, p.StringsOr(list));
    for (const auto& f : features) {
      if (!KnownFeature(list, f)) {
        return Status::Invalid("table '{}': Delta table feature '{}' is not supported", table, f);
      }
    }
  }
  state->protocol = p.json();
  state->reader_version = reader;
  return Status::OK();
}

Status ApplyMetadata(const JsonFields& m, TableState* state, const std::string& table) {
  const Json* partitions = m.Find("partitionColumns");
  if (partitions && partitions->is_array() && !partitions->empty()) {
    return Status::Invalid("table '{}': partitioned Delta tables are not supported", table);
  }
  LF_ASSIGN_OR_RETURN(auto configuration, m.OptionalObject("configuration"));
  if (configuration) {
    LF_ASSIGN_OR_RETURN(auto mode, configuration->StringOr("delta.columnMapping.mode", "none"));
    if (mode != "none") {
      return Status::Invalid("table '{}': Delta column mapping is not supported", table);
    }
  }
  LF_ASSIGN_OR_RETURN(std::string schema, m.String("schemaString"));
  LF_ASSIGN_OR_RETURN(state->schema, TableSchemaFromDelta(schema, table));
  state->metadata = m.json();
  return Status::OK();
}

Status ApplyAdd(const JsonFields& a, TableState* state, const std::string& table) {
  if (a.Find("deletionVector")) {
    return Status::Invalid("table '{}': Delta deletion vectors are not supported", table);
  }
  AddFile file;
  LF_ASSIGN_OR_RETURN(file.path, a.String("path"));
  LF_ASSIGN_OR_RETURN(file.size, a.IntOr("size", 0));
  LF_ASSIGN_OR_RETURN(file.modification_time, a.IntOr("modificationTime", 0));
  if (const Json* stats = a.Find("stats"); stats && stats->is_string()) {
    auto parsed = ParseJson(stats->get_ref<const std::string&>(), "stats");
    // Stats that cannot be read are no stats: the file is never skipped.
    if (parsed.ok()) file.stats = std::move(parsed).value();
  }
  state->files[file.path] = std::move(file);
  return Status::OK();
}

Status ApplyDomain(const JsonFields& d, TableState* state) {
  LF_ASSIGN_OR_RETURN(std::string domain, d.String("domain"));
  LF_ASSIGN_OR_RETURN(bool removed, d.BoolOr("removed", false));
  if (removed) {
    state->domains.erase(domain);
    return Status::OK();
  }
  LF_ASSIGN_OR_RETURN(state->domains[domain], d.String("configuration"));
  return Status::OK();
}

Status ApplyTxn(const JsonFields& t, TableState* state) {
  LF_ASSIGN_OR_RETURN(std::string app, t.String("appId"));
  LF_ASSIGN_OR_RETURN(int64_t version, t.Int("version"));
  LF_ASSIGN_OR_RETURN(int64_t last_updated, t.IntOr("lastUpdated", 0));
  state->txns[app] = Txn{version, last_updated};
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
  for (int number = 1; start < text.size(); ++number) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
    std::string where = fmt::format("table '{}': {} line {}", table, path, number);
    LF_ASSIGN_OR_RETURN(Json action, ParseJson(line, where, StatusCode::kIO));
    if (!action.is_object()) return Status::IOError("{}: not a JSON object", where);
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
    bool known = kind == "add" || kind == "remove" || kind == "txn" || kind == "metaData" ||
                 kind == "protocol" || kind == "domainMetadata";
    // commitInfo, cdc: nothing a writer of this table needs.
    if (!known) continue;
    LF_ASSIGN_OR_RETURN(auto fields,
                        JsonFields::Of(body, fmt::format("table '{}': {} action", table, kind)));
    if (kind == "add") {
      LF_RETURN_IF_ERROR(ApplyAdd(fields, state, table));
    } else if (kind == "remove") {
      LF_ASSIGN_OR_RETURN(std::string path, fields.String("path"));
      state->files.erase(path);
    } else if (kind == "txn") {
      LF_RETURN_IF_ERROR(ApplyTxn(fields, state));
    } else if (kind == "metaData") {
      LF_RETURN_IF_ERROR(ApplyMetadata(fields, state, table));
    } else if (kind == "domainMetadata") {
      LF_RETURN_IF_ERROR(ApplyDomain(fields, state));
    } else {
      LF_RETURN_IF_ERROR(ApplyProtocol(fields, state, table));
    }
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
    for (const auto& action : actions) {
      auto st = ApplyAction(action, &state, table);
      if (!st.ok()) return st.WithContext(CheckpointPath(dir, *checkpoint));
    }
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
