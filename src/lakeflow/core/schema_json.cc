// Spark's StructType JSON form, both ways.
#include "lakeflow/core/schema.h"

namespace lakeflow {

namespace {

using nlohmann::json;

json TypeToJson(const arrow::Field& field) {
  if (IsVariant(field)) return "variant";
  const auto& type = *field.type();
  switch (type.id()) {
    case arrow::Type::LIST: {
      const auto& element = *static_cast<const arrow::ListType&>(type).value_field();
      return {{"type", "array"},
              {"elementType", TypeToJson(element)},
              {"containsNull", element.nullable()}};
    }
    case arrow::Type::MAP: {
      const auto& m = static_cast<const arrow::MapType&>(type);
      return {{"type", "map"},
              {"keyType", TypeToJson(*m.key_field())},
              {"valueType", TypeToJson(*m.item_field())},
              {"valueContainsNull", m.item_field()->nullable()}};
    }
    case arrow::Type::STRUCT: {
      json fields = json::array();
      for (const auto& f : type.fields()) {
        fields.push_back({{"name", f->name()},
                          {"type", TypeToJson(*f)},
                          {"nullable", f->nullable()},
                          {"metadata", json::object()}});
      }
      return {{"type", "struct"}, {"fields", std::move(fields)}};
    }
    default: {
      auto name = SparkTypeName(type);
      return name.ok() ? *name : type.ToString();
    }
  }
}

Result<FieldPtr> FieldFromTypeJson(const std::string& name, const json& type, bool nullable,
                                   const std::string& path);

Result<std::vector<FieldPtr>> StructFields(const json& j, const std::string& path) {
  if (!j.contains("fields") || !j["fields"].is_array()) {
    return Status::Invalid("schema JSON at '{}': struct without a 'fields' array", path);
  }
  std::vector<FieldPtr> out;
  for (const auto& f : j["fields"]) {
    if (!f.is_object() || !f.contains("name") || !f["name"].is_string() || !f.contains("type")) {
      return Status::Invalid("schema JSON at '{}': each field needs 'name' and 'type'", path);
    }
    std::string name = f["name"].get<std::string>();
    bool nullable = f.value("nullable", true);
    std::string child = path.empty() ? name : path + "." + name;
    LF_ASSIGN_OR_RETURN(auto field, FieldFromTypeJson(name, f["type"], nullable, child));
    out.push_back(std::move(field));
  }
  return out;
}

Result<FieldPtr> FieldFromTypeJson(const std::string& name, const json& type, bool nullable,
                                   const std::string& path) {
  if (type.is_string()) {
    auto text = type.get<std::string>();
    if (text == "variant") return VariantField(name, nullable);
    auto t = PrimitiveTypeFromSparkName(text);
    if (!t.ok()) return t.status().WithContext(fmt::format("schema JSON at '{}'", path));
    return arrow::field(name, *t, nullable);
  }
  if (!type.is_object() || !type.contains("type")) {
    return Status::Invalid("schema JSON at '{}': a type must be a name or an object with 'type'",
                           path);
  }
  std::string kind = type["type"].is_string() ? type["type"].get<std::string>() : "";
  if (kind == "array") {
    LF_ASSIGN_OR_RETURN(auto element,
                        FieldFromTypeJson("element", type.value("elementType", json()),
                                          type.value("containsNull", true), path + "[]"));
    return arrow::field(name, arrow::list(element), nullable);
  }
  if (kind == "map") {
    LF_ASSIGN_OR_RETURN(
        auto key, FieldFromTypeJson("key", type.value("keyType", json()), false, path + ".key"));
    LF_ASSIGN_OR_RETURN(auto value,
                        FieldFromTypeJson("value", type.value("valueType", json()),
                                          type.value("valueContainsNull", true), path + ".value"));
    return arrow::field(name, std::make_shared<arrow::MapType>(key, value), nullable);
  }
  if (kind == "struct") {
    LF_ASSIGN_OR_RETURN(auto fields, StructFields(type, path));
    return arrow::field(name, arrow::struct_(std::move(fields)), nullable);
  }
  return Status::Invalid("schema JSON at '{}': unknown type '{}'", path, type.dump());
}

}  // namespace

json SchemaToSparkJson(const arrow::Schema& schema) {
  return TypeToJson(arrow::Field("root", arrow::struct_(schema.fields())));
}

Result<SchemaPtr> SchemaFromSparkJson(const json& j) {
  if (!j.is_object() || j.value("type", "") != "struct") {
    return Status::Invalid(
        "schema JSON: the top level must be {{\"type\": \"struct\", \"fields\": [...]}}");
  }
  LF_ASSIGN_OR_RETURN(auto fields, StructFields(j, ""));
  auto schema = arrow::schema(std::move(fields));
  LF_RETURN_IF_ERROR(CheckNoDuplicateFields(*schema));
  return schema;
}

Result<SchemaPtr> SchemaFromSparkJson(std::string_view text) {
  auto j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Invalid("schema JSON: not valid JSON");
  return SchemaFromSparkJson(j);
}

}  // namespace lakeflow
