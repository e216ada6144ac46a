#include "lakeflow/sinks/delta_checkpoint.h"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <parquet/arrow/writer.h>

#include <cstdio>
#include <filesystem>

#include "lakeflow/connect/batch_iterator.h"
#include "lakeflow/connect/record_stream.h"
#include "lakeflow/core/arrow_json.h"
#include "lakeflow/core/file_io.h"
#include "lakeflow/core/json_access.h"
#include "lakeflow/core/schema.h"
#include "lakeflow/sinks/delta_data.h"

namespace lakeflow::sinks::delta {
namespace {

// The checkpoint columns the protocol defines, for the actions kept.
constexpr const char* kCheckpointDdl =
    "txn STRUCT<appId: STRING, version: BIGINT, lastUpdated: BIGINT>, "
    "add STRUCT<path: STRING, partitionValues: MAP<STRING, STRING>, size: BIGINT, "
    "modificationTime: BIGINT, dataChange: BOOLEAN, stats: STRING, tags: MAP<STRING, STRING>>, "
    "remove STRUCT<path: STRING, deletionTimestamp: BIGINT, dataChange: BOOLEAN, "
    "extendedFileMetadata: BOOLEAN, partitionValues: MAP<STRING, STRING>, size: BIGINT>, "
    "metaData STRUCT<id: STRING, name: STRING, description: STRING, "
    "format: STRUCT<provider: STRING, options: MAP<STRING, STRING>>, schemaString: STRING, "
    "partitionColumns: ARRAY<STRING>, configuration: MAP<STRING, STRING>, createdTime: BIGINT>, "
    "protocol STRUCT<minReaderVersion: INT, minWriterVersion: INT, readerFeatures: ARRAY<STRING>, "
    "writerFeatures: ARRAY<STRING>>, "
    "domainMetadata STRUCT<domain: STRING, configuration: STRING, removed: BOOLEAN>";

// Every action of `state` as a checkpoint row, in JSON.
std::vector<std::string> CheckpointRecords(const TableState& state) {
  std::vector<std::string> out;
  out.push_back(Json{{"protocol", state.protocol}}.dump());
  out.push_back(Json{{"metaData", state.metadata}}.dump());
  for (const auto& [domain, configuration] : state.domains) {
    out.push_back(Json{{"domainMetadata",
                        {{"domain", domain}, {"configuration", configuration}, {"removed", false}}}}
                      .dump());
  }
  for (const auto& [app, txn] : state.txns) {
    out.push_back(
        Json{{"txn", {{"appId", app}, {"version", txn.version}, {"lastUpdated", txn.last_updated}}}}
            .dump());
  }
  for (const auto& [path, file] : state.files) {
    Json add = {{"path", path},
                {"partitionValues", Json::object()},
                {"size", file.size},
                {"modificationTime", file.modification_time},
                {"dataChange", false}};
    if (!file.stats.is_null()) add["stats"] = file.stats.dump();
    out.push_back(Json{{"add", std::move(add)}}.dump());
  }
  return out;
}

Status WriteParquet(const std::string& path, BatchIterator* rows, const std::string& table) {
  auto fail = [&](const arrow::Status& st) {
    return Status::IOError("table '{}': cannot write {}: {}", table, path, st.ToString());
  };
  auto out = arrow::io::FileOutputStream::Open(path);
  if (!out.ok()) return fail(out.status());
  auto writer = parquet::arrow::FileWriter::Open(*rows->schema(), arrow::default_memory_pool(),
                                                 *out, parquet::default_writer_properties(),
                                                 parquet::default_arrow_writer_properties());
  if (!writer.ok()) return fail(writer.status());
  while (true) {
    LF_ASSIGN_OR_RETURN(auto batch, rows->Next());
    if (!batch) break;
    if (auto st = (*writer)->WriteRecordBatch(*batch); !st.ok()) return fail(st);
  }
  if (auto st = (*writer)->Close(); !st.ok()) return fail(st);
  if (auto st = (*out)->Close(); !st.ok()) return fail(st);
  return Status::OK();
}

}  // namespace

std::string CheckpointPath(const std::string& dir, int64_t version) {
  return fmt::format("{}/_delta_log/{:020d}.checkpoint.parquet", dir, version);
}

Status WriteCheckpoint(const std::string& dir, const TableState& state, const std::string& table) {
  LF_ASSIGN_OR_RETURN(auto schema, ParseDdl(kCheckpointDdl));
  auto records = CheckpointRecords(state);
  auto size = static_cast<int64_t>(records.size());
  auto rows = MakeBatchIterator(table, schema, RecordStream::FromJsonRecords(records));
  // Written aside and renamed: a reader never sees half a checkpoint.
  std::string path = CheckpointPath(dir, state.version);
  std::string tmp = fmt::format("{}/_delta_log/.{}.checkpoint.tmp", dir, RandomHex());
  Status st = WriteParquet(tmp, rows.get(), table);
  if (st.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) {
    st = Status::IOError("table '{}': cannot write {}", table, path);
  }
  if (!st.ok()) {
    std::remove(tmp.c_str());
    return st;
  }
  return WriteFileAtomically(dir + "/_delta_log/_last_checkpoint",
                             Json{{"version", state.version}, {"size", size}}.dump());
}

Result<std::optional<int64_t>> LastCheckpoint(const std::string& dir, const std::string& table) {
  std::string path = dir + "/_delta_log/_last_checkpoint";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<int64_t>();
  LF_ASSIGN_OR_RETURN(auto text, ReadWholeFile(path));
  std::string where = fmt::format("table '{}': {}", table, path);
  LF_ASSIGN_OR_RETURN(Json j, ParseJson(text, where, StatusCode::kIO));
  LF_ASSIGN_OR_RETURN(auto fields, JsonFields::Of(j, where, StatusCode::kIO));
  LF_ASSIGN_OR_RETURN(int64_t version, fields.Int("version"));
  if (version < 0) return fields.Error("version", "must not be negative");
  return std::optional<int64_t>(version);
}

Result<std::vector<Json>> ReadCheckpoint(const std::string& dir, int64_t version,
                                         const std::string& table) {
  std::string path = CheckpointPath(dir, version);
  LF_ASSIGN_OR_RETURN(auto batch, ReadParquetFile(path, table));
  std::vector<Json> out;
  for (int64_t row = 0; row < batch->num_rows(); ++row) {
    // A row is one action: its JSON is the commit line it stands for.
    std::string text;
    AppendJsonRecord(*batch, row, &text);
    LF_ASSIGN_OR_RETURN(
        Json action,
        ParseJson(text, fmt::format("table '{}': {} row {}", table, path, row), StatusCode::kIO));
    out.push_back(std::move(action));
  }
  return out;
}

}  // namespace lakeflow::sinks::delta
