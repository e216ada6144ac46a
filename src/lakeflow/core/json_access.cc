#include "lakeflow/core/json_access.h"

#include <cmath>
#include <limits>
#include <vector>

namespace lakeflow {

bool JsonDepthWithin(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

namespace {

template <typename J>
Result<J> Parse(std::string_view text, std::string_view where, StatusCode code) {
  // Checked first: the parser itself is iterative, but a deep tree would
  // overflow the stack later, in dump() or a comparison.
  if (!JsonDepthWithin(text)) {
    return Status(code, fmt::format("{}: JSON nested deeper than {} levels", where, kMaxJsonDepth));
  }
  J j = J::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status(code, fmt::format("{}: not valid JSON", where));
  return j;
}

}  // namespace

Result<Json> ParseJson(std::string_view text, std::string_view where, StatusCode code) {
  return Parse<Json>(text, where, code);
}

Result<nlohmann::ordered_json> ParseOrderedJson(std::string_view text, std::string_view where,
                                                StatusCode code) {
  return Parse<nlohmann::ordered_json>(text, where, code);
}

std::string DumpJson(const Json& value, int indent) {
  return value.dump(indent, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace);
}

Result<std::string> DumpExactJson(const Json& value, std::string_view what) {
  // The strict handler is the only way to learn that some string in the tree
  // is not UTF-8 without walking it twice; the exception stays in here.
  try {
    return value.dump();
  } catch (const Json::type_error&) {
    return Status::Invalid("{} holds text that is not valid UTF-8", what);
  }
}

std::optional<int64_t> JsonInteger(const Json& value) {
  if (value.is_number_unsigned()) {
    auto u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (value.is_number_integer()) return value.get<int64_t>();
  if (!value.is_number_float()) return std::nullopt;
  // A float converts only when it is whole and in range (1e300 would be UB).
  double d = value.get<double>();
  if (!std::isfinite(d) || d != std::trunc(d) || d < -9.2e18 || d > 9.2e18) return std::nullopt;
  return static_cast<int64_t>(d);
}

Result<JsonFields> JsonFields::Of(const Json& value, std::string where, StatusCode code) {
  if (!value.is_object()) {
    return Status(code,
                  fmt::format("{}: expected a JSON object, got {}", where, value.type_name()));
  }
  return JsonFields(&value, std::move(where), "", code);
}

const Json* JsonFields::Find(std::string_view name) const {
  auto it = object_->find(name);
  if (it == object_->end() || it->is_null()) return nullptr;
  return &*it;
}

Status JsonFields::Error(std::string_view name, std::string_view problem) const {
  return Status(code_, fmt::format("{}: '{}{}' {}", where_, prefix_, name, problem));
}

Status JsonFields::Mistyped(std::string_view name, std::string_view type) const {
  return Find(name) ? Error(name, fmt::format("must be {}", type)) : Error(name, "is missing");
}

Result<std::string> JsonFields::String(std::string_view name) const {
  const Json* v = Find(name);
  if (!v || !v->is_string()) return Mistyped(name, "a string");
  return v->get<std::string>();
}

Result<std::string> JsonFields::StringOr(std::string_view name, std::string fallback) const {
  if (!Find(name)) return fallback;
  return String(name);
}

Result<int64_t> JsonFields::Int(std::string_view name) const {
  const Json* v = Find(name);
  std::optional<int64_t> i = v ? JsonInteger(*v) : std::nullopt;
  if (!i) return Mistyped(name, "an integer");
  return *i;
}

Result<int64_t> JsonFields::IntOr(std::string_view name, int64_t fallback) const {
  if (!Find(name)) return fallback;
  return Int(name);
}

Result<bool> JsonFields::BoolOr(std::string_view name, bool fallback) const {
  const Json* v = Find(name);
  if (!v) return fallback;
  if (!v->is_boolean()) return Mistyped(name, "true or false");
  return v->get<bool>();
}

Result<JsonFields> JsonFields::Object(std::string_view name) const {
  const Json* v = Find(name);
  if (!v || !v->is_object()) return Mistyped(name, "an object");
  return JsonFields(v, where_, fmt::format("{}{}.", prefix_, name), code_);
}

Result<std::optional<JsonFields>> JsonFields::OptionalObject(std::string_view name) const {
  if (!Find(name)) return std::optional<JsonFields>();
  LF_ASSIGN_OR_RETURN(JsonFields inner, Object(name));
  return std::optional<JsonFields>(std::move(inner));
}

Result<std::vector<std::string>> JsonFields::StringsOr(std::string_view name) const {
  std::vector<std::string> out;
  const Json* v = Find(name);
  if (!v) return out;
  if (!v->is_array()) return Mistyped(name, "a list of strings");
  for (const auto& item : *v) {
    if (!item.is_string()) return Mistyped(name, "a list of strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

}  // namespace lakeflow
