#include "lakeflow/pipeline/pipeline_spec.h"

#include <cctype>
#include <set>

#include "lakeflow/core/file_io.h"
#include "lakeflow/core/yaml_json.h"
#include "lakeflow/core/yaml_reader.h"

namespace lakeflow::pipeline {
namespace {

// Case does not matter, as the reference upper-cases it.
Result<ScdType> ParseScdType(const YamlReader& r, const YAML::Node& n, const std::string& where) {
  LF_ASSIGN_OR_RETURN(std::string text, r.Scalar(n, where));
  std::string upper = text;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper == "SCD_TYPE_1") return ScdType::kType1;
  if (upper == "SCD_TYPE_2") return ScdType::kType2;
  if (upper == "APPEND_ONLY") return ScdType::kAppendOnly;
  return r.At(n, where, "unknown scd_type '" + text + "' (SCD_TYPE_1, SCD_TYPE_2 or APPEND_ONLY)");
}

// A list of columns as the reference's specs write them (primary_keys): a
// list, a JSON list in a string, or one column name.
Result<std::vector<std::string>> ParseColumns(const YamlReader& r, const YAML::Node& n,
                                              const std::string& where) {
  LF_ASSIGN_OR_RETURN(Json value, YamlToJson(r, n, where));
  if (value.is_string()) {
    std::string text = value.get<std::string>();
    if (!text.starts_with("[")) return std::vector<std::string>{text};
    auto parsed = ParseJson(text, where);
    if (!parsed.ok()) return r.At(n, where, "not a JSON list of column names");
    value = std::move(parsed).value();
  }
  std::vector<std::string> keys;
  if (!value.is_array()) return r.At(n, where, "expected a list of column names");
  for (const auto& key : value) {
    if (!key.is_string() || key.get<std::string>().empty())
      return r.At(n, where, "expected a list of column names");
    keys.push_back(key.get<std::string>());
  }
  if (keys.empty()) return r.At(n, where, "expected at least one column");
  return keys;
}

// table_configuration: the known keys, and every other one as a source option.
Status ParseConfiguration(const YamlReader& r, const YAML::Node& n, const std::string& where,
                          TableObject* t) {
  if (!n) return Status::OK();
  if (!n.IsMap()) return r.At(n, where, "expected a mapping");
  for (const auto& kv : n) {
    LF_ASSIGN_OR_RETURN(std::string key, r.Key(kv.first, where));
    std::string field = where + "." + key;
    if (key == "scd_type") {
      if (!kv.second.IsScalar()) return r.At(kv.second, field, "expected a string");
      LF_ASSIGN_OR_RETURN(t->scd_type, ParseScdType(r, kv.second, field));
    } else if (key == "primary_keys") {
      LF_ASSIGN_OR_RETURN(t->primary_keys, ParseColumns(r, kv.second, field));
    } else if (key == "include_columns") {
      LF_ASSIGN_OR_RETURN(t->include_columns, ParseColumns(r, kv.second, field));
    } else if (key == "exclude_columns") {
      LF_ASSIGN_OR_RETURN(t->exclude_columns, ParseColumns(r, kv.second, field));
    } else if (key == "row_filter") {
      if (!kv.second.IsScalar()) return r.At(kv.second, field, "expected a SQL predicate");
      LF_ASSIGN_OR_RETURN(std::string filter, r.Scalar(kv.second, field));
      t->row_filter = filter;
    } else if (key == "cluster_by") {
      LF_ASSIGN_OR_RETURN(t->cluster_by, ParseColumns(r, kv.second, field));
    } else if (key == "sequence_by") {
      LF_ASSIGN_OR_RETURN(std::string seq, r.String(n, key, where));
      t->sequence_by = seq;
    } else {
      // Any other key is a source option; a value that is not a string
      // travels as its JSON text, as the reference passes it.
      LF_ASSIGN_OR_RETURN(std::string value, YamlOptionText(r, kv.second, field));
      t->source_options.Set(key, value);
    }
  }
  return Status::OK();
}

Result<TableObject> ParseObject(const YamlReader& r, const YAML::Node& item, size_t index) {
  std::string where = "objects[" + std::to_string(index) + "]";
  LF_RETURN_IF_ERROR(r.OnlyKeys(item, where, {"table"}));
  YAML::Node n = item["table"];
  where += ".table";
  if (!n) return r.At(item, where, "missing");
  LF_RETURN_IF_ERROR(r.OnlyKeys(n, where,
                                {"source_table", "destination_catalog", "destination_schema",
                                 "destination_table", "table_configuration"}));
  TableObject t;
  t.line = n.Mark().line + 1;
  LF_ASSIGN_OR_RETURN(t.source_table, r.String(n, "source_table", where, true));
  if (t.source_table.empty()) return r.At(n["source_table"], where + ".source_table", "empty");
  LF_ASSIGN_OR_RETURN(t.destination_catalog, r.String(n, "destination_catalog", where));
  LF_ASSIGN_OR_RETURN(t.destination_schema, r.String(n, "destination_schema", where));
  LF_ASSIGN_OR_RETURN(t.destination_table, r.String(n, "destination_table", where));
  if (t.destination_table.empty()) t.destination_table = t.source_table;
  LF_RETURN_IF_ERROR(
      ParseConfiguration(r, n["table_configuration"], where + ".table_configuration", &t));
  return t;
}

Result<DestinationSpec> ParseDestination(const YamlReader& r, const YAML::Node& n) {
  DestinationSpec d;
  if (!n) return d;
  LF_RETURN_IF_ERROR(r.OnlyKeys(n, "destination", {"type", "path"}));
  LF_ASSIGN_OR_RETURN(std::string type, r.String(n, "type", "destination"));
  if (type == "delta") {
    d.type = DestinationSpec::Type::kDelta;
    d.path = "lakeflow-delta";
  } else if (!type.empty() && type != "sqlite") {
    return r.At(n["type"], "destination.type",
                "unknown destination '" + type + "' (sqlite or delta)");
  }
  LF_ASSIGN_OR_RETURN(std::string path, r.String(n, "path", "destination"));
  if (!path.empty()) d.path = path;
  return d;
}

Result<PipelineSpec> Parse(const YamlReader& r, const YAML::Node& root, const std::string& file) {
  LF_RETURN_IF_ERROR(r.OnlyKeys(root, "", {"connection_name", "destination", "objects"}));
  PipelineSpec spec;
  spec.file = file;
  LF_ASSIGN_OR_RETURN(spec.connection_name, r.String(root, "connection_name", "", true));
  LF_ASSIGN_OR_RETURN(spec.destination, ParseDestination(r, root["destination"]));
  YAML::Node objects = root["objects"];
  if (!objects || !objects.IsSequence() || objects.size() == 0)
    return r.At(objects ? objects : root, "objects", "expected a list of at least one table");
  std::set<std::string> destinations;
  for (size_t i = 0; i < objects.size(); ++i) {
    LF_ASSIGN_OR_RETURN(auto t, ParseObject(r, objects[i], i));
    if (!destinations.insert(t.DestinationName()).second)
      return r.At(objects[i], "objects[" + std::to_string(i) + "].table.destination_table",
                  "'" + t.DestinationName() + "' is the destination of an earlier table too");
    spec.objects.push_back(std::move(t));
  }
  return spec;
}

}  // namespace

const char* ScdTypeName(ScdType type) {
  switch (type) {
    case ScdType::kType1:
      return "SCD_TYPE_1";
    case ScdType::kType2:
      return "SCD_TYPE_2";
    case ScdType::kAppendOnly:
      return "APPEND_ONLY";
  }
  return "SCD_TYPE_1";
}

std::string TableObject::DestinationName() const {
  std::string out;
  for (const std::string* part : {&destination_catalog, &destination_schema}) {
    if (!part->empty()) out += *part + ".";
  }
  return out + destination_table;
}

Result<PipelineSpec> ParsePipelineSpec(std::string_view text, const std::string& file) {
  return ParseYamlMapping<PipelineSpec>(
      text, file,
      [&](const YamlReader& r, const YAML::Node& root) { return Parse(r, root, file); });
}

Result<PipelineSpec> LoadPipelineSpec(const std::string& path) {
  auto text = ReadWholeFile(path);
  if (!text.ok())
    return Status::Invalid("pipeline spec '{}' cannot be read: {}", path, text.status().message());
  return ParsePipelineSpec(*text, path);
}

}  // namespace lakeflow::pipeline
