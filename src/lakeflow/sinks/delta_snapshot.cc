// Applying a staged snapshot (AUTO CDC FROM SNAPSHOT) to a Delta table.
//
// Memory holds one file at a time plus a hash of the staged keys: each key
// maps to a digest of its staged values and where its row is. Three passes:
// the stage is hashed; each table file is compared with it (kept, or
// rewritten without its deleted and changed rows, or for SCD2 with their
// current versions closed); the stage is read again for the new and changed
// rows.
#include <arrow/api.h>

#include <functional>
#include <unordered_map>

#include "lakeflow/core/arrow_json.h"
#include "lakeflow/sinks/delta_schema.h"
#include "lakeflow/sinks/delta_side_files.h"
#include "lakeflow/sinks/delta_writes.h"

namespace lakeflow::sinks::delta {
namespace {

// Two independent 64-bit hashes of a row's values: a false "unchanged" would
// need both to collide.
struct Digest {
  size_t a = 0;
  uint64_t b = 0;
  bool operator==(const Digest& o) const { return a == o.a && b == o.b; }
};

struct Staged {
  Digest digest;
  int64_t index = -1;      // the staged row that wins (the last staged)
  bool unchanged = false;  // the table's current row has these values
};

using StageIndex = std::unordered_map<std::string, Staged>;

// The source columns: every column but SCD2's validity columns.
int ValueColumns(const TableContext& t) {
  return t.columns.start >= 0 ? t.schema->num_fields() - 2 : t.schema->num_fields();
}

Digest RowDigest(const arrow::RecordBatch& batch, int columns, int64_t row) {
  std::string text;
  for (int c = 0; c < columns; ++c) {
    AppendJsonValue(*batch.column(c), row, nullptr, &text);
    text.push_back('\x1f');
  }
  uint64_t fnv = 1469598103934665603ULL;
  for (unsigned char ch : text) fnv = (fnv ^ ch) * 1099511628211ULL;
  return Digest{std::hash<std::string>{}(text), fnv};
}

// Reads each staged file in order, in the table's schema.
Status ForEachStaged(
    const TableContext& t, const std::vector<std::string>& files,
    const std::function<Status(const std::shared_ptr<arrow::RecordBatch>&, int64_t first)>& fn) {
  int64_t first = 0;
  for (const auto& path : files) {
    LF_ASSIGN_OR_RETURN(auto batch, ReadTableFile(t, path));
    LF_RETURN_IF_ERROR(fn(batch, first));
    first += batch->num_rows();
  }
  return Status::OK();
}

Result<StageIndex> HashStage(const TableContext& t, const std::vector<std::string>& files) {
  StageIndex index;
  int columns = ValueColumns(t);
  LF_RETURN_IF_ERROR(ForEachStaged(t, files, [&](const auto& batch, int64_t first) {
    for (int64_t r = 0; r < batch->num_rows(); ++r) {
      index[EncodeKey(*batch, t.columns.keys, r)] =
          Staged{RowDigest(*batch, columns, r), first + r, false};
    }
    return Status::OK();
  }));
  return index;
}

// `end` with `version` where `close` is set.
Result<std::shared_ptr<arrow::Array>> CloseVersions(const arrow::Array& end,
                                                    const std::vector<bool>& close,
                                                    int64_t version) {
  const auto& ends = static_cast<const arrow::Int64Array&>(end);
  arrow::Int64Builder builder;
  for (int64_t r = 0; r < ends.length(); ++r) {
    if (close[r]) {
      LF_RETURN_IF_ARROW_ERROR(builder.Append(version));
    } else if (ends.IsNull(r)) {
      LF_RETURN_IF_ARROW_ERROR(builder.AppendNull());
    } else {
      LF_RETURN_IF_ARROW_ERROR(builder.Append(ends.Value(r)));
    }
  }
  std::shared_ptr<arrow::Array> out;
  LF_RETURN_IF_ARROW_ERROR(builder.Finish(&out));
  return out;
}

// Compares one table file with the stage; rewrites it when any row changes.
Status ApplyToFile(const TableContext& t, const AddFile& file, int64_t version, StageIndex* stage,
                   DataFileWriter* writer, Pending* out) {
  LF_ASSIGN_OR_RETURN(auto rows, ReadTableFile(t, file.path));
  const bool scd2 = t.columns.start >= 0;
  const int columns = ValueColumns(t);
  std::vector<int64_t> keep;
  std::vector<bool> close;
  bool changed = false;
  for (int64_t r = 0; r < rows->num_rows(); ++r) {
    if (scd2 && !rows->column(t.columns.end)->IsNull(r)) {  // history stays as it is
      keep.push_back(r);
      close.push_back(false);
      continue;
    }
    auto it = stage->find(EncodeKey(*rows, t.columns.keys, r));
    bool same = it != stage->end() && it->second.digest == RowDigest(*rows, columns, r);
    if (same) it->second.unchanged = true;
    changed |= !same;
    // SCD1 drops a deleted or changed row (the stage's replaces it); SCD2 closes it.
    if (same || scd2) {
      keep.push_back(r);
      close.push_back(!same);
    }
  }
  if (!changed) return Status::OK();
  out->actions.push_back(RemoveAction(file));
  LF_ASSIGN_OR_RETURN(auto kept, TakeRows(*rows, keep));
  if (scd2) {
    auto cols = kept->columns();
    LF_ASSIGN_OR_RETURN(cols[t.columns.end], CloseVersions(*cols[t.columns.end], close, version));
    kept = arrow::RecordBatch::Make(kept->schema(), kept->num_rows(), std::move(cols));
  }
  return writer->Write(kept);
}

// The staged rows of new and changed keys, SCD2 versions opened at `version`.
Status WriteNewRows(const TableContext& t, const std::vector<std::string>& files, int64_t version,
                    const StageIndex& stage, DataFileWriter* writer) {
  return ForEachStaged(t, files, [&](const auto& batch, int64_t first) -> Status {
    std::vector<int64_t> rows;
    for (int64_t r = 0; r < batch->num_rows(); ++r) {
      // Indexed from these same files a step earlier; a key it lacks means a
      // stage file changed under the run, an error rather than an abort.
      auto s = stage.find(EncodeKey(*batch, t.columns.keys, r));
      if (s == stage.end()) return Status::IOError("table '{}': a staged file changed", t.name);
      if (s->second.index == first + r && !s->second.unchanged) rows.push_back(r);
    }
    LF_ASSIGN_OR_RETURN(auto fresh, TakeRows(*batch, rows));
    if (t.columns.start >= 0) {
      auto cols = fresh->columns();
      arrow::Int64Builder start;
      LF_RETURN_IF_ARROW_ERROR(start.AppendValues(std::vector<int64_t>(rows.size(), version)));
      LF_RETURN_IF_ARROW_ERROR(start.Finish(&cols[t.columns.start]));
      LF_ASSIGN_OR_RETURN_ARROW(cols[t.columns.end],
                                arrow::MakeArrayOfNull(arrow::int64(), fresh->num_rows()));
      fresh = arrow::RecordBatch::Make(fresh->schema(), fresh->num_rows(), std::move(cols));
    }
    return writer->Write(fresh);
  });
}

}  // namespace

Status WriteSnapshot(const TableContext& t, int64_t version, Pending* out) {
  out->operation = "APPLY SNAPSHOT";
  if (t.columns.start >= 0 &&
      t.schema->field(t.columns.start)->type()->id() != arrow::Type::INT64) {
    return Status::Invalid("table '{}': a snapshot's SCD2 history needs BIGINT {} and {}", t.name,
                           kStartAt, kEndAt);
  }
  std::vector<std::string> files;
  auto it = t.state->txns.find(kStageApp);
  if (it != t.state->txns.end()) {
    LF_ASSIGN_OR_RETURN(files, ReadStageManifest(t.dir, it->second.version, t.name));
    out->garbage.push_back(StageManifestPath(t.dir, it->second.version));
  }
  LF_ASSIGN_OR_RETURN(auto stage, HashStage(t, files));
  DataFileWriter writer(t.dir, "", t.schema, t.name, t.cluster_columns);
  for (const auto& [path, file] : t.state->files) {
    LF_RETURN_IF_ERROR(ApplyToFile(t, file, version, &stage, &writer, out));
  }
  LF_RETURN_IF_ERROR(WriteNewRows(t, files, version, stage, &writer));
  LF_RETURN_IF_ERROR(AddWritten(&writer, out));
  for (const auto& f : files) out->garbage.push_back(t.dir + "/" + f);
  out->stage = std::vector<std::string>();
  return Status::OK();
}

}  // namespace lakeflow::sinks::delta
