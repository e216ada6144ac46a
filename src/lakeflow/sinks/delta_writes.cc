#include "lakeflow/sinks/delta_writes.h"

#include <arrow/api.h>

#include <unordered_set>

#include "lakeflow/sinks/delta_schema.h"
#include "lakeflow/sinks/delta_side_files.h"

namespace lakeflow::sinks::delta {
namespace {

// The range of a key column's values in the microbatch, to skip files whose
// statistics exclude it.
struct KeyRange {
  std::string column;
  TypePtr type;
  Json min, max;
};

std::vector<KeyRange> KeyRanges(const TableContext& t, const arrow::RecordBatch& events) {
  std::vector<KeyRange> out;
  for (int k : t.columns.keys) {
    const auto& column = *events.column(k);
    // A null key may sit in any file: no range.
    if (!HasMinMaxStats(*column.type()) || column.null_count() > 0 || column.length() == 0) {
      continue;
    }
    int64_t lo = 0, hi = 0;
    for (int64_t i = 1; i < column.length(); ++i) {
      if (CompareCells(column, i, column, lo) < 0) lo = i;
      if (CompareCells(column, i, column, hi) > 0) hi = i;
    }
    out.push_back(KeyRange{t.schema->field(k)->name(), column.type(), CellToJson(column, lo),
                           CellToJson(column, hi)});
  }
  return out;
}

// False only when the file's statistics prove none of its rows has a key in range.
bool MayHoldKeys(const AddFile& file, const std::vector<KeyRange>& ranges) {
  const Json& s = file.stats;
  if (!s.is_object() || !s.contains("minValues") || !s.contains("maxValues")) return true;
  for (const auto& r : ranges) {
    const Json& mins = s["minValues"];
    const Json& maxs = s["maxValues"];
    if (!mins.is_object() || !maxs.is_object() || !mins.contains(r.column) ||
        !maxs.contains(r.column)) {
      continue;
    }
    auto below = CompareStatValues(*r.type, r.max, mins[r.column]);
    auto above = CompareStatValues(*r.type, r.min, maxs[r.column]);
    if ((below && *below < 0) || (above && *above > 0)) return false;
  }
  return true;
}

// Every batch of `rows` in the table's schema, as one batch.
Result<std::shared_ptr<arrow::RecordBatch>> ReadEvents(const TableContext& t, BatchIterator* rows,
                                                       bool deletes) {
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  while (true) {
    LF_ASSIGN_OR_RETURN(auto batch, rows->Next());
    if (!batch) break;
    if (deletes) {
      // Deletes need their keys and sequence; the rest may be missing.
      std::vector<int> needed = t.columns.keys;
      if (t.columns.sequence >= 0) needed.push_back(t.columns.sequence);
      for (int c : needed) {
        const auto& name = t.schema->field(c)->name();
        if (batch->schema()->GetFieldIndex(name) < 0) {
          return Status::Invalid("table '{}': the deletes lack column '{}'", t.name, name);
        }
      }
    }
    LF_ASSIGN_OR_RETURN(auto aligned, AlignBatch(t.name, batch, t.schema, deletes));
    batches.push_back(std::move(aligned));
  }
  return ConcatBatches(t.schema, batches);
}

// The remembered deletes, in the table's schema (empty when none).
Result<std::shared_ptr<arrow::RecordBatch>> LoadTombstones(const TableContext& t) {
  auto it = t.state->txns.find(kTombstoneApp);
  if (it == t.state->txns.end()) {
    LF_ASSIGN_OR_RETURN_ARROW(auto empty, arrow::RecordBatch::MakeEmpty(t.schema));
    return empty;
  }
  LF_ASSIGN_OR_RETURN(auto batch,
                      ReadParquetFile(TombstonePath(t.dir, it->second.version), t.name));
  return AlignBatch(t.name, batch, t.schema, /*ignore_extra=*/true);
}

// Rows of `batch` whose key is in `keys`, and the rest.
void SplitByKey(const arrow::RecordBatch& batch, const std::vector<int>& key_columns,
                const std::unordered_set<std::string>& keys, std::vector<int64_t>* in,
                std::vector<int64_t>* out) {
  for (int64_t r = 0; r < batch.num_rows(); ++r) {
    (keys.count(EncodeKey(batch, key_columns, r)) ? in : out)->push_back(r);
  }
}

// Only the keys and sequence of the tombstones are kept.
Result<std::shared_ptr<arrow::RecordBatch>> TombstoneColumns(
    const TableContext& t, const std::shared_ptr<arrow::RecordBatch>& tombstones) {
  std::vector<int> columns = t.columns.keys;
  columns.push_back(t.columns.sequence);
  LF_ASSIGN_OR_RETURN_ARROW(auto out, tombstones->SelectColumns(columns));
  return out;
}

// The table's rows of `keys`, taken out of the files that hold any: those
// files are removed and their other rows written again through `writer`.
Result<std::shared_ptr<arrow::RecordBatch>> TakeKeyRows(const TableContext& t,
                                                        const std::unordered_set<std::string>& keys,
                                                        const std::vector<KeyRange>& ranges,
                                                        DataFileWriter* writer, Pending* out) {
  std::vector<std::shared_ptr<arrow::RecordBatch>> taken;
  for (const auto& [path, file] : t.state->files) {
    if (!MayHoldKeys(file, ranges)) continue;
    LF_ASSIGN_OR_RETURN(auto rows, ReadTableFile(t, path));
    std::vector<int64_t> hit, rest;
    SplitByKey(*rows, t.columns.keys, keys, &hit, &rest);
    if (hit.empty()) continue;
    LF_ASSIGN_OR_RETURN(auto hit_rows, TakeRows(*rows, hit));
    taken.push_back(std::move(hit_rows));
    if (!rest.empty()) {
      LF_ASSIGN_OR_RETURN(auto rest_rows, TakeRows(*rows, rest));
      LF_RETURN_IF_ERROR(writer->Write(rest_rows));
    }
    out->actions.push_back(RemoveAction(file));
  }
  return ConcatBatches(t.schema, taken);
}

}  // namespace

Json AddAction(const DataFile& file) {
  return Json{{"add",
               {{"path", file.path},
                {"partitionValues", Json::object()},
                {"size", file.size},
                {"modificationTime", NowMillis()},
                {"dataChange", true},
                {"stats", file.stats.dump()}}}};
}

Json RemoveAction(const AddFile& file) {
  return Json{{"remove",
               {{"path", file.path},
                {"deletionTimestamp", NowMillis()},
                {"dataChange", true},
                {"extendedFileMetadata", true},
                {"partitionValues", Json::object()},
                {"size", file.size}}}};
}

Result<std::shared_ptr<arrow::RecordBatch>> ReadTableFile(const TableContext& t,
                                                          const std::string& path) {
  LF_ASSIGN_OR_RETURN(auto batch, ReadParquetFile(t.dir + "/" + path, t.name));
  auto aligned = AlignBatch(t.name, batch, t.schema, /*ignore_extra=*/true);
  if (!aligned.ok()) return aligned.status().WithContext(path);
  return aligned;
}

Status AddWritten(DataFileWriter* writer, Pending* out) {
  LF_ASSIGN_OR_RETURN(auto files, writer->Finish());
  for (const auto& f : files) out->actions.push_back(AddAction(f));
  return Status::OK();
}

namespace {

// Every batch of `rows`, fitted to the table's columns, into `writer`.
Status WriteAll(const TableContext& t, BatchIterator* rows, DataFileWriter* writer) {
  while (true) {
    LF_ASSIGN_OR_RETURN(auto batch, rows->Next());
    if (!batch) return Status::OK();
    LF_ASSIGN_OR_RETURN(auto aligned, AlignBatch(t.name, batch, t.schema));
    LF_RETURN_IF_ERROR(writer->Write(aligned));
  }
}

}  // namespace

Status WriteAppend(const TableContext& t, BatchIterator* rows, Pending* out) {
  out->operation = "WRITE";
  DataFileWriter writer(t.dir, "", t.schema, t.name, t.cluster_columns);
  LF_RETURN_IF_ERROR(WriteAll(t, rows, &writer));
  out->rows = writer.rows_written();
  return AddWritten(&writer, out);
}

Status WriteMerge(const TableContext& t, BatchIterator* rows, bool deletes, Pending* out) {
  out->operation = deletes ? "DELETE" : "MERGE";
  LF_ASSIGN_OR_RETURN(auto events, ReadEvents(t, rows, deletes));
  out->rows = events->num_rows();
  if (events->num_rows() == 0) return Status::OK();
  std::unordered_set<std::string> keys;
  for (int64_t r = 0; r < events->num_rows(); ++r)
    keys.insert(EncodeKey(*events, t.columns.keys, r));

  DataFileWriter writer(t.dir, "", t.schema, t.name, t.cluster_columns);
  LF_ASSIGN_OR_RETURN(auto existing, TakeKeyRows(t, keys, KeyRanges(t, *events), &writer, out));
  LF_ASSIGN_OR_RETURN(auto tombstones, LoadTombstones(t));
  std::vector<int64_t> hit, rest;
  SplitByKey(*tombstones, t.columns.keys, keys, &hit, &rest);
  LF_ASSIGN_OR_RETURN(auto touched_tombstones, TakeRows(*tombstones, hit));
  if (deletes) {
    LF_ASSIGN_OR_RETURN(
        events,
        ResolveNullDeletes(t.columns, MergeInput{existing, touched_tombstones, events, deletes}));
  }

  LF_ASSIGN_OR_RETURN(auto merged, MergeEvents(t.columns, MergeInput{existing, touched_tombstones,
                                                                     events, deletes}));
  LF_RETURN_IF_ERROR(writer.Write(merged));
  LF_RETURN_IF_ERROR(AddWritten(&writer, out));

  // A delete is remembered (with its sequence) so a late, older upsert of
  // its key never brings the row back. Without a sequence there is no late.
  if (deletes && t.columns.sequence >= 0) {
    LF_ASSIGN_OR_RETURN(auto all, MergeTombstones(t.columns, tombstones, events));
    LF_ASSIGN_OR_RETURN(out->tombstones, TombstoneColumns(t, all));
    auto old = t.state->txns.find(kTombstoneApp);
    if (old != t.state->txns.end())
      out->garbage.push_back(TombstonePath(t.dir, old->second.version));
  }
  return Status::OK();
}

Status WriteStage(const TableContext& t, BatchIterator* rows, bool restart, Pending* out) {
  out->operation = "STAGE SNAPSHOT";
  std::vector<std::string> files;
  auto stage = t.state->txns.find(kStageApp);
  if (stage != t.state->txns.end()) {
    LF_ASSIGN_OR_RETURN(files, ReadStageManifest(t.dir, stage->second.version, t.name));
    // This commit's manifest replaces the old one.
    out->garbage.push_back(StageManifestPath(t.dir, stage->second.version));
    if (restart) {
      // What an interrupted read staged goes once this commit no longer names it.
      for (const auto& f : files) out->garbage.push_back(t.dir + "/" + f);
      files.clear();
    }
  }
  DataFileWriter writer(t.dir, "_lakeflow/stage", t.schema, t.name);
  LF_RETURN_IF_ERROR(WriteAll(t, rows, &writer));
  out->rows = writer.rows_written();
  LF_ASSIGN_OR_RETURN(auto written, writer.Finish());
  for (const auto& f : written) files.push_back(f.path);
  out->stage = std::move(files);
  return Status::OK();
}

}  // namespace lakeflow::sinks::delta
