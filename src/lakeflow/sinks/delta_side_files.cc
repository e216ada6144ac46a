#include "lakeflow/sinks/delta_side_files.h"

#include <chrono>
#include <filesystem>

#include "lakeflow/core/arrow_json.h"
#include "lakeflow/core/file_io.h"

namespace lakeflow::sinks::delta {
namespace {

// A flow name as a file name part: bytes outside [A-Za-z0-9._] percent-encoded.
std::string EncodeName(const std::string& name) {
  std::string out;
  for (unsigned char c : name) {
    if (std::isalnum(c) || c == '.' || c == '_') {
      out.push_back(static_cast<char>(c));
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string RunsPath(const std::string& root) {
  return root + "/_lakeflow_runs.json";
}

// A string member of `j`, or empty.
std::string StringField(const Json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Status EnsureParent(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return Status::IOError("cannot create the folder of {}: {}", path, ec.message());
  return Status::OK();
}

Result<Json> ReadJsonFile(const std::string& path, const std::string& table) {
  auto text = ReadWholeFile(path);
  if (!text.ok()) return Status::IOError("table '{}': cannot read {}", table, path);
  auto j = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::IOError("table '{}': {} is not a JSON object", table, path);
  }
  return j;
}

}  // namespace

bool IsReservedName(const std::string& name) {
  return name.rfind("_lakeflow", 0) == 0;
}

Status WriteProgress(const std::string& dir, const std::string& flow, int64_t batch_id,
                     const ProgressRecord& record, const std::string& table) {
  std::string path =
      fmt::format("{}/_lakeflow/progress/{}-{}.json", dir, EncodeName(flow), batch_id);
  LF_RETURN_IF_ERROR(EnsureParent(path));
  Json j = {{"flow", flow},
            {"batch_id", batch_id},
            {"end", record.end ? *record.end : Json()},
            {"rows", record.rows},
            {"committed_at", record.committed_at}};
  auto st = WriteFileAtomically(path, j.dump());
  return st.ok() ? st : st.WithContext(fmt::format("table '{}'", table));
}

Result<ProgressRecord> ReadProgress(const std::string& dir, const std::string& flow,
                                    int64_t batch_id, const std::string& table) {
  std::string path =
      fmt::format("{}/_lakeflow/progress/{}-{}.json", dir, EncodeName(flow), batch_id);
  LF_ASSIGN_OR_RETURN(auto j, ReadJsonFile(path, table));
  ProgressRecord out;
  const Json& end = j.contains("end") ? j["end"] : Json();
  LF_ASSIGN_OR_RETURN(out.end, OffsetFromString(end.is_null() ? "null" : end.dump(), path));
  out.rows = j.value("rows", int64_t{0});
  out.committed_at = j.value("committed_at", std::string());
  return out;
}

std::string TombstonePath(const std::string& dir, int64_t version) {
  return fmt::format("{}/_lakeflow/tombstones/{:020d}.parquet", dir, version);
}

std::string StageManifestPath(const std::string& dir, int64_t version) {
  return fmt::format("{}/_lakeflow/stage/{:020d}.json", dir, version);
}

Status WriteStageManifest(const std::string& dir, int64_t version,
                          const std::vector<std::string>& files, const std::string& table) {
  std::string path = StageManifestPath(dir, version);
  LF_RETURN_IF_ERROR(EnsureParent(path));
  auto st = WriteFileAtomically(path, Json{{"files", files}}.dump());
  return st.ok() ? st : st.WithContext(fmt::format("table '{}'", table));
}

Result<std::vector<std::string>> ReadStageManifest(const std::string& dir, int64_t version,
                                                   const std::string& table) {
  std::string path = StageManifestPath(dir, version);
  LF_ASSIGN_OR_RETURN(auto j, ReadJsonFile(path, table));
  if (!j.contains("files") || !j["files"].is_array()) {
    return Status::IOError("table '{}': {} has no file list", table, path);
  }
  std::vector<std::string> out;
  for (const auto& f : j["files"]) {
    if (f.is_string()) out.push_back(f.get<std::string>());
  }
  return out;
}

Result<std::vector<FlowRun>> ReadRuns(const std::string& root) {
  std::vector<FlowRun> out;
  std::error_code ec;
  if (!std::filesystem::exists(RunsPath(root), ec)) return out;
  LF_ASSIGN_OR_RETURN(auto text, ReadWholeFile(RunsPath(root)));
  auto j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_array()) {
    return Status::IOError("{} is not a JSON array", RunsPath(root));
  }
  for (const auto& e : j) {
    if (!e.is_object()) continue;
    out.push_back(FlowRun{StringField(e, "table"), StringField(e, "flow"), StringField(e, "ran_at"),
                          StringField(e, "error"), StringField(e, "error_at")});
  }
  return out;
}

Status WriteRuns(const std::string& root, const std::vector<FlowRun>& runs) {
  Json j = Json::array();
  for (const auto& r : runs) {
    j.push_back({{"table", r.table},
                 {"flow", r.flow},
                 {"ran_at", r.ran_at},
                 {"error", r.error},
                 {"error_at", r.error_at}});
  }
  return WriteFileAtomically(RunsPath(root), j.dump(1));
}

std::string NowIso() {
  using namespace std::chrono;
  auto us = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  return FormatTimestampMicros(us, /*utc=*/true);
}

}  // namespace lakeflow::sinks::delta
