#include "lakeflow/connectors/rest/response_format.h"

#include <optional>
#include <vector>

#include "lakeflow/core/json_access.h"

namespace lakeflow::rest {
namespace {

// One CSV field: its text, and whether it was quoted (an empty quoted field
// is the empty string, an empty unquoted one is null).
struct CsvField {
  std::string text;
  bool quoted = false;
};

// Reads CSV rows one at a time, quotes and line breaks inside them included.
class CsvReader {
 public:
  CsvReader(std::string_view text, char delimiter) : text_(text), delimiter_(delimiter) {}

  // The next row, or nullopt at the end; `line` is where it starts (from 1).
  Result<std::optional<std::vector<CsvField>>> Next(int64_t* line) {
    while (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) Advance();
    if (pos_ >= text_.size()) return std::optional<std::vector<CsvField>>();
    *line = line_;
    std::vector<CsvField> row;
    CsvField field;
    while (true) {
      if (pos_ >= text_.size() || text_[pos_] == '\n' || text_[pos_] == '\r') {
        row.push_back(std::move(field));
        return std::optional<std::vector<CsvField>>(std::move(row));
      }
      char c = text_[pos_];
      if (c == delimiter_) {
        row.push_back(std::move(field));
        field = CsvField{};
        Advance();
      } else if (c == '"' && field.text.empty() && !field.quoted) {
        LF_RETURN_IF_ERROR(ReadQuoted(&field));
      } else {
        field.text += c;
        Advance();
      }
    }
  }

 private:
  void Advance() {
    if (text_[pos_] == '\n') ++line_;
    ++pos_;
  }

  Status ReadQuoted(CsvField* field) {
    int64_t start = line_;
    field->quoted = true;
    Advance();  // the opening quote
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      Advance();
      if (c != '"') {
        field->text += c;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '"') {
        field->text += '"';
        Advance();
        continue;
      }
      return Status::OK();
    }
    return Status::Invalid("a quoted field that starts on line {} never ends", start);
  }

  std::string_view text_;
  char delimiter_;
  size_t pos_ = 0;
  int64_t line_ = 1;
};

Result<std::string> CsvAsJson(std::string_view body, char delimiter, const std::string& what) {
  CsvReader reader(body, delimiter);
  int64_t line = 0;
  auto fail = [&](const Status& st) {
    return Status::SourceError("{}: CSV line {}: {}", what, line, st.message());
  };
  auto header = reader.Next(&line);
  if (!header.ok()) return fail(header.status());
  if (!*header) return std::string("[]");  // an empty body: no records
  std::vector<std::string> names;
  for (auto& f : **header) names.push_back(std::move(f.text));
  std::string out = "[";
  while (true) {
    auto row = reader.Next(&line);
    if (!row.ok()) return fail(row.status());
    if (!*row) break;
    if ((*row)->size() > names.size()) {
      return fail(Status::Invalid("{} fields, the header names {}", (*row)->size(), names.size()));
    }
    Json record = Json::object();
    for (size_t i = 0; i < names.size(); ++i) {
      const CsvField* f = i < (*row)->size() ? &(**row)[i] : nullptr;
      bool null = !f || (f->text.empty() && !f->quoted);
      record[names[i]] = null ? Json() : Json(f->text);
    }
    out += (out.size() > 1 ? "," : "") + DumpJson(record);
  }
  return out + "]";
}

Result<std::string> LinesAsJson(std::string_view body, const std::string& what) {
  std::string out = "[";
  int64_t number = 0;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(start, end - start);
    start = end + 1;
    ++number;
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) continue;
    if (line[first] != '{' || !Json::accept(line.begin(), line.end())) {
      return Status::SourceError("{}: JSON lines: line {} is not a JSON object", what, number);
    }
    out += (out.size() > 1 ? "," : "");
    out += line;
  }
  return out + "]";
}

}  // namespace

Result<ResponseFormat> ParseResponseFormat(std::string_view name) {
  if (name == "json") return ResponseFormat::kJson;
  if (name == "jsonl" || name == "ndjson") return ResponseFormat::kJsonLines;
  if (name == "csv") return ResponseFormat::kCsv;
  return Status::Invalid("unknown format '{}' (expected json, jsonl or csv)", name);
}

Result<std::string> RecordsAsJsonArray(ResponseFormat format, std::string_view body, char delimiter,
                                       const std::string& what) {
  switch (format) {
    case ResponseFormat::kJsonLines:
      return LinesAsJson(body, what);
    case ResponseFormat::kCsv:
      return CsvAsJson(body, delimiter, what);
    case ResponseFormat::kJson:
      break;
  }
  return std::string(body);
}

}  // namespace lakeflow::rest
