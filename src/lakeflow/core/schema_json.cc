// Spark's StructType JSON form, both ways.
#include "lakeflow/core/json_access.h"
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
                                   const std::string& path, int depth);

// Members are read with their types checked: the JSON may come from a file
// (a Delta log's schemaString) or a user, so a wrong type is an error line.
Status At(const std::string& path, std::string_view problem) {
  return Status::Invalid("schema JSON at '{}': {}", path, problem);
}

Result<std::vector<FieldPtr>> StructFields(const json& j, const std::string& path, int depth) {
  auto fields = j.find("fields");
  if (fields == j.end() || !fields->is_array()) return At(path, "struct without a 'fields' array");
  std::vector<FieldPtr> out;
  for (const auto& f : *fields) {
    auto type = f.is_object() ? f.find("type") : f.end();
    auto name = f.is_object() ? f.find("name") : f.end();
    if (!f.is_object() || name == f.end() || !name->is_string() || type == f.end()) {
      return At(path, "each field needs 'name' and 'type'");
    }
    std::string child =
        path.empty() ? name->get<std::string>() : path + "." + name->get<std::string>();
    LF_ASSIGN_OR_RETURN(auto members, JsonFields::Of(f, "schema JSON at '" + child + "'"));
    LF_ASSIGN_OR_RETURN(bool nullable, members.BoolOr("nullable", true));
    LF_ASSIGN_OR_RETURN(auto field,
                        FieldFromTypeJson(name->get<std::string>(), *type, nullable, child, depth));
    out.push_back(std::move(field));
  }
  return out;
}

// The member `name` of a type object; a missing one is an error, not null.
Result<const json*> Member(const JsonFields& type, const char* name, const std::string& path) {
  const json* member = type.Find(name);
  if (!member) return At(path, fmt::format("'{}' is missing", name));
  return member;
}

Result<FieldPtr> FieldFromTypeObject(const std::string& name, const JsonFields& type, bool nullable,
                                     const std::string& path, int depth) {
  LF_ASSIGN_OR_RETURN(std::string kind, type.StringOr("type", ""));
  if (kind == "array") {
    LF_ASSIGN_OR_RETURN(const json* element_type, Member(type, "elementType", path));
    LF_ASSIGN_OR_RETURN(bool contains_null, type.BoolOr("containsNull", true));
    LF_ASSIGN_OR_RETURN(auto element, FieldFromTypeJson("element", *element_type, contains_null,
                                                        path + "[]", depth + 1));
    return arrow::field(name, arrow::list(element), nullable);
  }
  if (kind == "map") {
    LF_ASSIGN_OR_RETURN(const json* key_type, Member(type, "keyType", path));
    LF_ASSIGN_OR_RETURN(const json* value_type, Member(type, "valueType", path));
    LF_ASSIGN_OR_RETURN(bool value_nulls, type.BoolOr("valueContainsNull", true));
    LF_ASSIGN_OR_RETURN(auto key,
                        FieldFromTypeJson("key", *key_type, false, path + ".key", depth + 1));
    LF_ASSIGN_OR_RETURN(auto value, FieldFromTypeJson("value", *value_type, value_nulls,
                                                      path + ".value", depth + 1));
    return arrow::field(name, std::make_shared<arrow::MapType>(key, value), nullable);
  }
  if (kind == "struct") {
    LF_ASSIGN_OR_RETURN(auto fields, StructFields(type.json(), path, depth + 1));
    return arrow::field(name, arrow::struct_(std::move(fields)), nullable);
  }
  return At(path, fmt::format("unknown type '{}'", kind));
}

Result<FieldPtr> FieldFromTypeJson(const std::string& name, const json& type, bool nullable,
                                   const std::string& path, int depth) {
  if (depth >= kMaxTypeDepth) {
    return At(path, fmt::format("types nested deeper than {} levels", kMaxTypeDepth));
  }
  if (type.is_string()) {
    auto text = type.get<std::string>();
    if (text == "variant") return VariantField(name, nullable);
    auto t = PrimitiveTypeFromSparkName(text);
    if (!t.ok()) return t.status().WithContext(fmt::format("schema JSON at '{}'", path));
    return arrow::field(name, *t, nullable);
  }
  if (!type.is_object() || !type.contains("type")) {
    return At(path, "a type must be a name or an object with 'type'");
  }
  LF_ASSIGN_OR_RETURN(auto members, JsonFields::Of(type, "schema JSON at '" + path + "'"));
  return FieldFromTypeObject(name, members, nullable, path, depth);
}

}  // namespace

json SchemaToSparkJson(const arrow::Schema& schema) {
  return TypeToJson(arrow::Field("root", arrow::struct_(schema.fields())));
}

Result<SchemaPtr> SchemaFromSparkJson(const json& j) {
  auto type = j.is_object() ? j.find("type") : j.end();
  if (type == j.end() || *type != "struct") {
    return Status::Invalid(
        "schema JSON: the top level must be {{\"type\": \"struct\", \"fields\": [...]}}");
  }
  LF_ASSIGN_OR_RETURN(auto fields, StructFields(j, "", 0));
  auto schema = arrow::schema(std::move(fields));
  LF_RETURN_IF_ERROR(CheckNoDuplicateFields(*schema));
  return schema;
}

Result<SchemaPtr> SchemaFromSparkJson(std::string_view text) {
  LF_ASSIGN_OR_RETURN(json j, ParseJson(text, "schema JSON"));
  return SchemaFromSparkJson(j);
}

}  // namespace lakeflow
