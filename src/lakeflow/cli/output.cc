#include "lakeflow/cli/output.h"

#include <arrow/io/file.h>
#include <arrow/ipc/writer.h>
#include <parquet/arrow/writer.h>

#include <algorithm>
#include <vector>

#include "lakeflow/core/arrow_json.h"

namespace lakeflow {

namespace {

// A value as plain text: strings as they are, everything else as JSON.
std::string PlainText(const arrow::Array& array, int64_t row, const arrow::Field& field) {
  if (array.IsNull(row)) return "";
  if (array.type_id() == arrow::Type::STRING && !IsVariant(field)) {
    return std::string(static_cast<const arrow::StringArray&>(array).GetView(row));
  }
  std::string out;
  AppendJsonValue(array, row, &field, &out);
  if (out.size() >= 2 && out.front() == '"' && out.back() == '"' &&
      (array.type_id() == arrow::Type::TIMESTAMP || array.type_id() == arrow::Type::DATE32 ||
       array.type_id() == arrow::Type::BINARY)) {
    out = out.substr(1, out.size() - 2);
  }
  return out;
}

Status WriteAll(std::FILE* out, const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), out) != text.size())
    return Status::IOError("cannot write output");
  return Status::OK();
}

class JsonLinesWriter : public OutputWriter {
 public:
  explicit JsonLinesWriter(std::FILE* out) : out_(out) {}
  Status Write(const arrow::RecordBatch& batch) override {
    std::string buffer;
    for (int64_t row = 0; row < batch.num_rows(); ++row) {
      AppendJsonRecord(batch, row, &buffer);
      buffer.push_back('\n');
    }
    return WriteAll(out_, buffer);
  }
  Status Finish() override {
    std::fflush(out_);
    return Status::OK();
  }

 private:
  std::FILE* out_;
};

class CsvWriter : public OutputWriter {
 public:
  CsvWriter(SchemaPtr schema, std::FILE* out) : schema_(std::move(schema)), out_(out) {}
  Status Write(const arrow::RecordBatch& batch) override {
    std::string buffer;
    if (!header_written_) {
      for (int i = 0; i < schema_->num_fields(); ++i) {
        if (i) buffer += ',';
        buffer += Quote(schema_->field(i)->name());
      }
      buffer += '\n';
      header_written_ = true;
    }
    for (int64_t row = 0; row < batch.num_rows(); ++row) {
      for (int i = 0; i < batch.num_columns(); ++i) {
        if (i) buffer += ',';
        if (!batch.column(i)->IsNull(row))
          buffer += Quote(PlainText(*batch.column(i), row, *schema_->field(i)));
      }
      buffer += '\n';
    }
    return WriteAll(out_, buffer);
  }
  Status Finish() override {
    if (!header_written_)
      LF_RETURN_IF_ERROR(Write(*arrow::RecordBatch::Make(schema_, 0, EmptyColumns())));
    std::fflush(out_);
    return Status::OK();
  }

 private:
  static std::string Quote(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
      if (c == '"') out += '"';
      out += c;
    }
    return out + "\"";
  }
  std::vector<std::shared_ptr<arrow::Array>> EmptyColumns() const {
    std::vector<std::shared_ptr<arrow::Array>> cols;
    for (const auto& f : schema_->fields()) cols.push_back(*arrow::MakeEmptyArray(f->type()));
    return cols;
  }
  SchemaPtr schema_;
  std::FILE* out_;
  bool header_written_ = false;
};

// Buffers rows (tables are for small results) and prints aligned columns.
class TableWriter : public OutputWriter {
 public:
  TableWriter(SchemaPtr schema, std::FILE* out) : schema_(std::move(schema)), out_(out) {}
  Status Write(const arrow::RecordBatch& batch) override {
    for (int64_t row = 0; row < batch.num_rows(); ++row) {
      std::vector<std::string> cells;
      for (int i = 0; i < batch.num_columns(); ++i) {
        std::string cell = batch.column(i)->IsNull(row)
                               ? "null"
                               : PlainText(*batch.column(i), row, *schema_->field(i));
        std::replace(cell.begin(), cell.end(), '\n', ' ');
        if (cell.size() > kMaxWidth) cell = cell.substr(0, kMaxWidth - 3) + "...";
        cells.push_back(std::move(cell));
      }
      rows_.push_back(std::move(cells));
    }
    return Status::OK();
  }
  Status Finish() override {
    std::vector<size_t> widths;
    for (const auto& f : schema_->fields()) widths.push_back(std::min(f->name().size(), kMaxWidth));
    for (const auto& r : rows_) {
      for (size_t i = 0; i < r.size(); ++i) widths[i] = std::max(widths[i], r[i].size());
    }
    std::string text;
    auto line = [&](const std::vector<std::string>& cells) {
      for (size_t i = 0; i < cells.size(); ++i) {
        text += (i ? " | " : "") + cells[i] +
                std::string(widths[i] - std::min(widths[i], cells[i].size()), ' ');
      }
      while (!text.empty() && text.back() == ' ') text.pop_back();
      text += '\n';
    };
    std::vector<std::string> header;
    for (const auto& f : schema_->fields()) header.push_back(f->name().substr(0, kMaxWidth));
    line(header);
    std::vector<std::string> rule;
    for (size_t w : widths) rule.push_back(std::string(w, '-'));
    line(rule);
    for (const auto& r : rows_) line(r);
    text += fmt::format("({} row{})\n", rows_.size(), rows_.size() == 1 ? "" : "s");
    return WriteAll(out_, text);
  }

 private:
  static constexpr size_t kMaxWidth = 60;
  SchemaPtr schema_;
  std::FILE* out_;
  std::vector<std::vector<std::string>> rows_;
};

// A file written by an Arrow writer (Parquet's or IPC's, which share the
// WriteRecordBatch/Close interface); failures name the file.
template <typename Writer>
class ArrowFileOutput : public OutputWriter {
 public:
  ArrowFileOutput(std::shared_ptr<Writer> writer, std::string path)
      : writer_(std::move(writer)), path_(std::move(path)) {}
  Status Write(const arrow::RecordBatch& batch) override {
    return Check(writer_->WriteRecordBatch(batch));
  }
  Status Finish() override { return Check(writer_->Close()); }

 private:
  Status Check(const arrow::Status& st) const {
    if (st.ok()) return Status::OK();
    return Status::IOError("cannot write {}: {}", path_, st.message());
  }
  std::shared_ptr<Writer> writer_;
  std::string path_;
};

Result<std::unique_ptr<OutputWriter>> MakeParquetOutput(const SchemaPtr& schema,
                                                        const std::string& path) {
  auto out = arrow::io::FileOutputStream::Open(path);
  if (!out.ok()) return Status::IOError("cannot write {}: {}", path, out.status().message());
  auto props =
      parquet::WriterProperties::Builder().compression(parquet::Compression::SNAPPY)->build();
  auto writer =
      parquet::arrow::FileWriter::Open(*schema, arrow::default_memory_pool(), *out, props);
  if (!writer.ok()) return Status::IOError("cannot write {}: {}", path, writer.status().message());
  std::shared_ptr<parquet::arrow::FileWriter> shared = std::move(writer).ValueUnsafe();
  return std::unique_ptr<OutputWriter>(
      new ArrowFileOutput<parquet::arrow::FileWriter>(shared, path));
}

Result<std::unique_ptr<OutputWriter>> MakeArrowOutput(const SchemaPtr& schema,
                                                      const std::string& path) {
  auto out = arrow::io::FileOutputStream::Open(path);
  if (!out.ok()) return Status::IOError("cannot write {}: {}", path, out.status().message());
  auto writer = arrow::ipc::MakeFileWriter(*out, schema);
  if (!writer.ok()) return Status::IOError("cannot write {}: {}", path, writer.status().message());
  return std::unique_ptr<OutputWriter>(
      new ArrowFileOutput<arrow::ipc::RecordBatchWriter>(*writer, path));
}

}  // namespace

Result<OutputSpec> OutputSpec::Parse(std::string_view text) {
  OutputSpec spec;
  if (text == "jsonl" || text == "json") return spec;
  if (text == "csv") {
    spec.format = Format::kCsv;
    return spec;
  }
  if (text == "table") {
    spec.format = Format::kTable;
    return spec;
  }
  for (auto [prefix, format] :
       {std::pair{"parquet:", Format::kParquet}, std::pair{"arrow:", Format::kArrow}}) {
    std::string_view p(prefix);
    if (text.starts_with(p) && text.size() > p.size()) {
      spec.format = format;
      spec.path = std::string(text.substr(p.size()));
      return spec;
    }
  }
  return Status::Invalid(
      "bad --output '{}': expected jsonl, csv, table, parquet:PATH or arrow:PATH", text);
}

Result<std::unique_ptr<OutputWriter>> MakeOutputWriter(const OutputSpec& spec,
                                                       const SchemaPtr& schema,
                                                       const std::string& path, std::FILE* out) {
  switch (spec.format) {
    case OutputSpec::Format::kJsonLines:
      return std::unique_ptr<OutputWriter>(new JsonLinesWriter(out));
    case OutputSpec::Format::kCsv:
      return std::unique_ptr<OutputWriter>(new CsvWriter(schema, out));
    case OutputSpec::Format::kTable:
      return std::unique_ptr<OutputWriter>(new TableWriter(schema, out));
    case OutputSpec::Format::kParquet:
      return MakeParquetOutput(schema, path.empty() ? spec.path : path);
    case OutputSpec::Format::kArrow:
      return MakeArrowOutput(schema, path.empty() ? spec.path : path);
  }
  return Status::Internal("unknown output format");
}

}  // namespace lakeflow
