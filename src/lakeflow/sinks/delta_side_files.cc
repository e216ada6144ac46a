#include "lakeflow/sinks/delta_side_files.h"

#include <chrono>
#include <filesystem>

#include "lakeflow/core/arrow_json.h"
#include "lakeflow/core/file_io.h"
#include "lakeflow/core/json_access.h"

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

Status EnsureParent(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return Status::IOError("cannot create the folder of {}: {}", path, ec.message());
  return Status::OK();
}

// Side files are read as outside JSON: nesting bounded, members checked.
Result<Json> ReadJsonFile(const std::string& path, const std::string& table) {
  auto text = ReadWholeFile(path);
  if (!text.ok()) return Status::IOError("table '{}': cannot read {}", table, path);
  return ParseJson(*text, fmt::format("table '{}': {}", table, path), StatusCode::kIO);
}

Result<JsonFields> Fields(const Json& j, const std::string& path, const std::string& table) {
  return JsonFields::Of(j, fmt::format("table '{}': {}", table, path), StatusCode::kIO);
}

Result<FlowRun> ReadRun(const Json& entry, const std::string& path) {
  FlowRun run;
  LF_ASSIGN_OR_RETURN(auto e, JsonFields::Of(entry, path + ": a run", StatusCode::kIO));
  LF_ASSIGN_OR_RETURN(run.table, e.StringOr("table", ""));
  LF_ASSIGN_OR_RETURN(run.flow, e.StringOr("flow", ""));
  LF_ASSIGN_OR_RETURN(run.ran_at, e.StringOr("ran_at", ""));
  LF_ASSIGN_OR_RETURN(run.error, e.StringOr("error", ""));
  LF_ASSIGN_OR_RETURN(run.error_at, e.StringOr("error_at", ""));
  return run;
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
  auto text = DumpExactJson(j, fmt::format("the end offset of batch {}", batch_id));
  if (!text.ok()) return text.status().WithContext(fmt::format("table '{}'", table));
  // Offsets are the reader's business only: not world-readable.
  auto st = WriteFileAtomically(path, *text, 0600);
  return st.ok() ? st : st.WithContext(fmt::format("table '{}'", table));
}

Result<ProgressRecord> ReadProgress(const std::string& dir, const std::string& flow,
                                    int64_t batch_id, const std::string& table) {
  std::string path =
      fmt::format("{}/_lakeflow/progress/{}-{}.json", dir, EncodeName(flow), batch_id);
  LF_ASSIGN_OR_RETURN(auto j, ReadJsonFile(path, table));
  LF_ASSIGN_OR_RETURN(auto fields, Fields(j, path, table));
  ProgressRecord out;
  if (const Json* end = fields.Find("end")) {
    if (!end->is_object()) return fields.Error("end", "must be an offset (a JSON object)");
    out.end = *end;
  }
  LF_ASSIGN_OR_RETURN(out.rows, fields.IntOr("rows", 0));
  LF_ASSIGN_OR_RETURN(out.committed_at, fields.StringOr("committed_at", ""));
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
  LF_ASSIGN_OR_RETURN(auto fields, Fields(j, path, table));
  if (!fields.Find("files")) return fields.Error("files", "is missing");
  LF_ASSIGN_OR_RETURN(auto files, fields.StringsOr("files"));
  // Staged files are deleted by these names: each must be one of the
  // stage's own files, never a path out of it.
  for (const auto& f : files) {
    bool inside = f.starts_with("_lakeflow/stage/") && f.find("..") == std::string::npos &&
                  f.find('\\') == std::string::npos && f.find('/', 16) == std::string::npos;
    if (!inside) return fields.Error("files", "names '" + f + "', which is not a staged file");
  }
  return files;
}

Result<std::vector<FlowRun>> ReadRuns(const std::string& root) {
  std::vector<FlowRun> out;
  std::error_code ec;
  if (!std::filesystem::exists(RunsPath(root), ec)) return out;
  LF_ASSIGN_OR_RETURN(auto text, ReadWholeFile(RunsPath(root)));
  LF_ASSIGN_OR_RETURN(Json j, ParseJson(text, RunsPath(root), StatusCode::kIO));
  if (!j.is_array()) return Status::IOError("{} is not a JSON array", RunsPath(root));
  for (const auto& e : j) {
    LF_ASSIGN_OR_RETURN(auto run, ReadRun(e, RunsPath(root)));
    out.push_back(std::move(run));
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
  // Error texts may quote source bytes that are not UTF-8: replaced, never thrown.
  return WriteFileAtomically(RunsPath(root), DumpJson(j, 1), 0600);
}

std::string NowIso() {
  using namespace std::chrono;
  auto us = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  return FormatTimestampMicros(us, /*utc=*/true);
}

}  // namespace lakeflow::sinks::delta
