#include "lakeflow/connectors/rest/page_scanner.h"

#include <simdjson.h>

#include "lakeflow/core/strings.h"

namespace lakeflow::rest {
namespace od = simdjson::ondemand;

struct PageScanner::Impl {
  od::parser parser;
  simdjson::padded_string body;
};

namespace {

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' ||
                        s.back() == '\t' || s.back() == ','))
    s.remove_suffix(1);
  return s;
}

// The text of a scalar (strings unescaped); nested values as their JSON.
std::optional<std::string> ScalarText(od::value value) {
  od::json_type type;
  if (value.type().get(type) != simdjson::SUCCESS) return std::nullopt;
  switch (type) {
    case od::json_type::null:
      return std::nullopt;
    case od::json_type::string: {
      std::string_view s;
      if (value.get_string().get(s) != simdjson::SUCCESS) return std::nullopt;
      return std::string(s);
    }
    case od::json_type::object: {
      od::object o;
      std::string_view raw;
      if (value.get_object().get(o) || o.raw_json().get(raw)) return std::nullopt;
      return std::string(raw);
    }
    case od::json_type::array: {
      od::array a;
      std::string_view raw;
      if (value.get_array().get(a) || a.raw_json().get(raw)) return std::nullopt;
      return std::string(raw);
    }
    default:
      return std::string(TrimRight(value.raw_json_token()));
  }
}

std::optional<std::string> FieldAt(od::object object, const std::vector<std::string>& path) {
  od::value value;
  if (object.find_field_unordered(path[0]).get(value) != simdjson::SUCCESS) return std::nullopt;
  for (size_t i = 1; i < path.size(); ++i) {
    od::object inner;
    if (value.get_object().get(inner) != simdjson::SUCCESS) return std::nullopt;
    if (inner.find_field_unordered(path[i]).get(value) != simdjson::SUCCESS) return std::nullopt;
  }
  return ScalarText(value);
}

// A records pointer that matched nothing: fine in an empty body, else an
// error that lists the body's top-level fields, so the right pointer shows.
Result<std::vector<ScannedRecord>> MissingRecords(std::string_view body,
                                                  const std::string& pointer) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS)
    return Status::SourceError("page body is not valid JSON");
  if (root.is_object()) {
    simdjson::dom::object object = root.get_object().value_unsafe();
    if (object.size() == 0) return std::vector<ScannedRecord>();
    std::string fields;
    size_t n = 0;
    for (auto field : object) {
      if (n++ == 10) {
        fields += ", ...";
        break;
      }
      fields += (fields.empty() ? "" : ", ") + std::string(field.key);
    }
    return Status::SourceError(
        "the records pointer '{}' matches nothing in the response, whose top level holds: {}",
        pointer, fields);
  }
  if (root.is_array() && root.get_array().value_unsafe().size() == 0)
    return std::vector<ScannedRecord>();
  return Status::SourceError(
      "the records pointer '{}' matches nothing in the response, which is a JSON {}", pointer,
      root.is_array() ? "array" : "scalar");
}

}  // namespace

PageScanner::PageScanner(std::vector<std::string> paths) : impl_(std::make_unique<Impl>()) {
  for (const auto& p : paths) paths_.push_back(Split(p, '.'));
}

PageScanner::~PageScanner() = default;

Result<std::vector<ScannedRecord>> PageScanner::Scan(std::string_view body,
                                                     const std::string& pointer) {
  std::vector<ScannedRecord> out;
  impl_->body = simdjson::padded_string(body);
  od::document doc;
  if (impl_->parser.iterate(impl_->body).get(doc) != simdjson::SUCCESS)
    return Status::SourceError("page body is not valid JSON");
  od::value root;
  auto found = pointer.empty() ? doc.get_value().get(root) : doc.at_pointer(pointer).get(root);
  if (found == simdjson::NO_SUCH_FIELD || found == simdjson::INDEX_OUT_OF_BOUNDS)
    return MissingRecords(body, pointer);
  if (found != simdjson::SUCCESS)
    return Status::SourceError("page body: cannot read '{}': {}", pointer,
                               simdjson::error_message(found));
  auto scan_object = [&](od::object object) -> Status {
    ScannedRecord rec;
    for (const auto& path : paths_) rec.fields.push_back(FieldAt(object, path));
    if (object.raw_json().get(rec.raw) != simdjson::SUCCESS)
      return Status::SourceError("page body: a record at '{}' is not valid JSON", pointer);
    out.push_back(std::move(rec));
    return Status::OK();
  };
  od::json_type type;
  if (root.type().get(type) != simdjson::SUCCESS)
    return Status::SourceError("page body is not valid JSON");
  if (type == od::json_type::null) return out;
  if (type == od::json_type::object) {
    LF_RETURN_IF_ERROR(scan_object(root.get_object().value_unsafe()));
    return out;
  }
  od::array array;
  if (root.get_array().get(array) != simdjson::SUCCESS)
    return Status::SourceError("page body: '{}' is neither a record nor an array of records",
                               pointer);
  for (auto element : array) {
    od::object object;
    if (element.get_object().get(object) != simdjson::SUCCESS)
      return Status::SourceError("page body: '{}' holds something other than record objects",
                                 pointer);
    LF_RETURN_IF_ERROR(scan_object(object));
  }
  return out;
}

}  // namespace lakeflow::rest
