#include "lakeflow/sinks/delta_data.h"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <arrow/util/byte_size.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>

#include "lakeflow/core/arrow_json.h"
#include "lakeflow/core/time_parse.h"
#include "lakeflow/sinks/arrow_cells.h"

namespace lakeflow::sinks::delta {
namespace {

template <typename T>
int Sign(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

// Bytes of a string or binary cell.
std::string_view BytesCell(const arrow::Array& a, int64_t i) {
  return static_cast<const arrow::BinaryArray&>(a).GetView(i);
}

}  // namespace

bool IsOrderable(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE:
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
    case arrow::Type::DECIMAL128:
      return true;
    default:
      return IsIntegerLike(type.id());
  }
}

bool HasMinMaxStats(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64:
    case arrow::Type::DATE32:
    case arrow::Type::TIMESTAMP:
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE:
    case arrow::Type::STRING:
      return true;
    default:
      return false;
  }
}

int CompareCells(const arrow::Array& a, int64_t i, const arrow::Array& b, int64_t j) {
  switch (a.type_id()) {
    case arrow::Type::FLOAT:
      return Sign(static_cast<const arrow::FloatArray&>(a).Value(i),
                  static_cast<const arrow::FloatArray&>(b).Value(j));
    case arrow::Type::DOUBLE:
      return Sign(static_cast<const arrow::DoubleArray&>(a).Value(i),
                  static_cast<const arrow::DoubleArray&>(b).Value(j));
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
      return Sign(BytesCell(a, i), BytesCell(b, j));
    case arrow::Type::DECIMAL128:
      return Sign(arrow::Decimal128(static_cast<const arrow::Decimal128Array&>(a).GetValue(i)),
                  arrow::Decimal128(static_cast<const arrow::Decimal128Array&>(b).GetValue(j)));
    default:
      return Sign(IntegerCell(a, i), IntegerCell(b, j));
  }
}

std::optional<int> CompareStatValues(const arrow::DataType& type, const Json& a, const Json& b) {
  if (type.id() == arrow::Type::TIMESTAMP) {
    if (!a.is_string() || !b.is_string()) return std::nullopt;
    auto x = ParseTimestampMicros(a.get<std::string>());
    auto y = ParseTimestampMicros(b.get<std::string>());
    if (!x || !y) return std::nullopt;
    return Sign(*x, *y);
  }
  if (a.is_number_integer() && b.is_number_integer()) {
    return Sign(a.get<int64_t>(), b.get<int64_t>());
  }
  if (a.is_number() && b.is_number()) return Sign(a.get<double>(), b.get<double>());
  // Strings compare by their UTF-8 bytes; ISO dates order as text.
  if (a.is_string() && b.is_string()) return Sign(a.get<std::string>(), b.get<std::string>());
  return std::nullopt;
}

Json CellToJson(const arrow::Array& array, int64_t row) {
  std::string text;
  AppendJsonValue(array, row, nullptr, &text);
  return Json::parse(text, nullptr, /*allow_exceptions=*/false);
}

std::string EncodeKey(const arrow::RecordBatch& batch, const std::vector<int>& columns,
                      int64_t row) {
  std::string out;
  for (int c : columns) {
    // A type tag per value keeps a null apart from the text "null".
    const auto& column = *batch.column(c);
    if (column.IsNull(row)) {
      out += "N,";
      continue;
    }
    out += 'V';
    AppendJsonValue(column, row, nullptr, &out);
    out += ',';
  }
  return out;
}

std::string RandomHex() {
  static thread_local std::mt19937_64 gen{std::random_device{}()};
  return fmt::format("{:016x}{:016x}", gen(), gen());
}

Result<std::shared_ptr<arrow::Array>> TakeArray(const arrow::Array& array,
                                                const std::vector<int64_t>& rows) {
  std::unique_ptr<arrow::ArrayBuilder> builder;
  LF_RETURN_IF_ARROW_ERROR(
      arrow::MakeBuilder(arrow::default_memory_pool(), array.type(), &builder));
  LF_RETURN_IF_ARROW_ERROR(builder->Reserve(static_cast<int64_t>(rows.size())));
  arrow::ArraySpan span(*array.data());
  // Runs of consecutive rows are copied in one call.
  for (size_t k = 0; k < rows.size();) {
    if (rows[k] < 0) {
      LF_RETURN_IF_ARROW_ERROR(builder->AppendNull());
      ++k;
      continue;
    }
    size_t end = k + 1;
    while (end < rows.size() && rows[end] == rows[end - 1] + 1) ++end;
    LF_RETURN_IF_ARROW_ERROR(
        builder->AppendArraySlice(span, rows[k], static_cast<int64_t>(end - k)));
    k = end;
  }
  std::shared_ptr<arrow::Array> out;
  LF_RETURN_IF_ARROW_ERROR(builder->Finish(&out));
  return out;
}

Result<std::shared_ptr<arrow::RecordBatch>> TakeRows(const arrow::RecordBatch& batch,
                                                     const std::vector<int64_t>& rows) {
  std::vector<std::shared_ptr<arrow::Array>> columns;
  for (const auto& column : batch.columns()) {
    LF_ASSIGN_OR_RETURN(auto taken, TakeArray(*column, rows));
    columns.push_back(std::move(taken));
  }
  return arrow::RecordBatch::Make(batch.schema(), static_cast<int64_t>(rows.size()),
                                  std::move(columns));
}

Result<std::shared_ptr<arrow::RecordBatch>> ReadParquetFile(const std::string& path,
                                                            const std::string& table) {
  auto fail = [&](const arrow::Status& st) {
    return Status::IOError("table '{}': cannot read {}: {}", table, path, st.ToString());
  };
  auto file = arrow::io::ReadableFile::Open(path);
  if (!file.ok()) return fail(file.status());
  auto reader = parquet::arrow::OpenFile(*file, arrow::default_memory_pool());
  if (!reader.ok()) return fail(reader.status());
  auto t = (*reader)->ReadTable();
  if (!t.ok()) return fail(t.status());
  auto batch = (*t)->CombineChunksToBatch();
  if (!batch.ok()) return fail(batch.status());
  return *batch;
}

Status WriteParquetFile(const std::string& path, const std::shared_ptr<arrow::RecordBatch>& batch,
                        const std::string& table) {
  std::string tmp = path + "." + RandomHex() + ".tmp";
  auto fail = [&](const arrow::Status& st) {
    std::remove(tmp.c_str());
    return Status::IOError("table '{}': cannot write {}: {}", table, path, st.ToString());
  };
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  auto out = arrow::io::FileOutputStream::Open(tmp);
  if (!out.ok()) return fail(out.status());
  auto writer = parquet::arrow::FileWriter::Open(*batch->schema(), arrow::default_memory_pool(),
                                                 *out, parquet::default_writer_properties(),
                                                 parquet::default_arrow_writer_properties());
  if (!writer.ok()) return fail(writer.status());
  if (auto st = (*writer)->WriteRecordBatch(*batch); !st.ok()) return fail(st);
  if (auto st = (*writer)->Close(); !st.ok()) return fail(st);
  if (auto st = (*out)->Close(); !st.ok()) return fail(st);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return fail(arrow::Status::IOError("rename"));
  return Status::OK();
}

std::vector<int64_t> SortedOrder(const arrow::RecordBatch& batch, const std::vector<int>& columns) {
  std::vector<int64_t> order(batch.num_rows());
  for (int64_t i = 0; i < batch.num_rows(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    for (int c : columns) {
      const arrow::Array& column = *batch.column(c);
      bool a_null = column.IsNull(a), b_null = column.IsNull(b);
      if (a_null || b_null) {
        if (a_null == b_null) continue;
        return b_null;  // nulls last
      }
      int cmp = CompareCells(column, a, column, b);
      if (cmp != 0) return cmp < 0;
    }
    return false;
  });
  return order;
}

DataFileWriter::DataFileWriter(std::string table_dir, std::string subdir, SchemaPtr schema,
                               std::string table, std::vector<int> cluster_columns)
    : table_dir_(std::move(table_dir)),
      subdir_(std::move(subdir)),
      table_(std::move(table)),
      schema_(std::move(schema)),
      cluster_columns_(std::move(cluster_columns)) {}

DataFileWriter::~DataFileWriter() {
  if (writer_) (void)writer_->Close();
}

Status DataFileWriter::Open() {
  std::string dir = subdir_.empty() ? table_dir_ : table_dir_ + "/" + subdir_;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  current_ = DataFile{};
  current_.path = (subdir_.empty() ? "" : subdir_ + "/") + "part-" + RandomHex() + ".parquet";
  std::string full = table_dir_ + "/" + current_.path;
  auto out = arrow::io::FileOutputStream::Open(full);
  if (!out.ok()) {
    return Status::IOError("table '{}': cannot create {}: {}", table_, full,
                           out.status().ToString());
  }
  out_ = *out;
  auto props =
      parquet::WriterProperties::Builder().compression(parquet::Compression::SNAPPY)->build();
  auto writer = parquet::arrow::FileWriter::Open(*schema_, arrow::default_memory_pool(), out_,
                                                 props, parquet::default_arrow_writer_properties());
  if (!writer.ok()) {
    return Status::IOError("table '{}': cannot write {}: {}", table_, full,
                           writer.status().ToString());
  }
  writer_ = std::move(*writer);
  current_bytes_ = 0;
  null_counts_.assign(schema_->num_fields(), 0);
  mins_.assign(schema_->num_fields(), nullptr);
  maxs_.assign(schema_->num_fields(), nullptr);
  return Status::OK();
}

Status DataFileWriter::UpdateStats(const arrow::RecordBatch& batch) {
  for (int c = 0; c < batch.num_columns(); ++c) {
    const auto& column = *batch.column(c);
    null_counts_[c] += column.null_count();
    if (!HasMinMaxStats(*column.type())) continue;
    // Candidates: this batch's extremes, then the file's so far.
    int64_t lo = -1, hi = -1;
    for (int64_t i = 0; i < column.length(); ++i) {
      if (column.IsNull(i)) continue;
      if (column.type_id() == arrow::Type::DOUBLE || column.type_id() == arrow::Type::FLOAT) {
        double v = column.type_id() == arrow::Type::DOUBLE
                       ? static_cast<const arrow::DoubleArray&>(column).Value(i)
                       : static_cast<const arrow::FloatArray&>(column).Value(i);
        if (!std::isfinite(v)) continue;  // NaN has no order; JSON has no infinity
      }
      if (lo < 0 || CompareCells(column, i, column, lo) < 0) lo = i;
      if (hi < 0 || CompareCells(column, i, column, hi) > 0) hi = i;
    }
    if (lo < 0) continue;
    if (!mins_[c] || CompareCells(column, lo, *mins_[c], 0) < 0) {
      LF_ASSIGN_OR_RETURN(mins_[c], TakeArray(column, {lo}));
    }
    if (!maxs_[c] || CompareCells(column, hi, *maxs_[c], 0) > 0) {
      LF_ASSIGN_OR_RETURN(maxs_[c], TakeArray(column, {hi}));
    }
  }
  return Status::OK();
}

Status DataFileWriter::WriteSlice(const std::shared_ptr<arrow::RecordBatch>& batch) {
  auto st = writer_->WriteRecordBatch(*batch);
  if (!st.ok()) {
    return Status::IOError("table '{}': cannot write {}: {}", table_, current_.path, st.ToString());
  }
  LF_RETURN_IF_ERROR(UpdateStats(*batch));
  current_.rows += batch->num_rows();
  total_rows_ += batch->num_rows();
  if (current_.rows >= kTargetFileRows || current_bytes_ >= kTargetFileBytes) {
    LF_RETURN_IF_ERROR(Close());
  }
  return Status::OK();
}

Status DataFileWriter::Write(const std::shared_ptr<arrow::RecordBatch>& batch) {
  if (batch->num_rows() == 0) return Status::OK();
  if (cluster_columns_.empty()) return WriteInOrder(batch);
  held_.push_back(batch);
  held_rows_ += batch->num_rows();
  held_bytes_ += arrow::util::TotalBufferSize(*batch);
  if (held_rows_ < kTargetFileRows && held_bytes_ < kTargetFileBytes) return Status::OK();
  return FlushClustered();
}

Status DataFileWriter::FlushClustered() {
  if (held_.empty()) return Status::OK();
  auto all = arrow::ConcatenateRecordBatches(held_);
  held_.clear();
  held_rows_ = held_bytes_ = 0;
  if (!all.ok()) {
    return Status::IOError("table '{}': cannot gather rows to sort: {}", table_,
                           all.status().ToString());
  }
  LF_ASSIGN_OR_RETURN(auto sorted, TakeRows(**all, SortedOrder(**all, cluster_columns_)));
  all->reset();
  LF_RETURN_IF_ERROR(WriteInOrder(sorted));
  return Close();  // one sorted run per file
}

Status DataFileWriter::WriteInOrder(const std::shared_ptr<arrow::RecordBatch>& batch) {
  int64_t batch_bytes = arrow::util::TotalBufferSize(*batch);
  int64_t bytes_per_row = std::max<int64_t>(1, batch_bytes / batch->num_rows());
  // Slices sized to what the open file still takes, so files stay near the target.
  for (int64_t offset = 0; offset < batch->num_rows();) {
    if (!writer_) LF_RETURN_IF_ERROR(Open());
    int64_t room =
        std::min(kTargetFileRows - current_.rows,
                 std::max<int64_t>(1, (kTargetFileBytes - current_bytes_) / bytes_per_row));
    int64_t n = std::min(room, batch->num_rows() - offset);
    current_bytes_ += n * bytes_per_row;
    LF_RETURN_IF_ERROR(WriteSlice(batch->Slice(offset, n)));
    offset += n;
  }
  return Status::OK();
}

Status DataFileWriter::Close() {
  if (!writer_) return Status::OK();
  auto st = writer_->Close();
  writer_.reset();
  if (st.ok()) st = out_->Close();
  if (!st.ok()) {
    return Status::IOError("table '{}': cannot write {}: {}", table_, current_.path, st.ToString());
  }
  struct stat info {};
  if (::stat((table_dir_ + "/" + current_.path).c_str(), &info) != 0) {
    return Status::IOError("table '{}': cannot stat {}", table_, current_.path);
  }
  current_.size = info.st_size;
  Json mins = Json::object(), maxs = Json::object(), nulls = Json::object();
  for (int c = 0; c < schema_->num_fields(); ++c) {
    const auto& name = schema_->field(c)->name();
    auto id = schema_->field(c)->type()->id();
    // Delta nests struct statistics; top-level leaves are enough to skip files.
    if (id != arrow::Type::STRUCT) nulls[name] = null_counts_[c];
    if (mins_[c]) mins[name] = CellToJson(*mins_[c], 0);
    if (maxs_[c]) maxs[name] = CellToJson(*maxs_[c], 0);
  }
  current_.stats = Json{{"numRecords", current_.rows},
                        {"minValues", std::move(mins)},
                        {"maxValues", std::move(maxs)},
                        {"nullCount", std::move(nulls)}};
  done_.push_back(std::move(current_));
  current_ = DataFile{};
  current_bytes_ = 0;
  return Status::OK();
}

Result<std::vector<DataFile>> DataFileWriter::Finish() {
  LF_RETURN_IF_ERROR(FlushClustered());
  LF_RETURN_IF_ERROR(Close());
  return std::move(done_);
}

}  // namespace lakeflow::sinks::delta
