#include "lakeflow/core/yaml_json.h"

#include <cerrno>
#include <cstdlib>
#include <regex>

namespace lakeflow {
namespace {

constexpr int kMaxDepth = 64;

// A plain scalar as YAML 1.2's core schema types it.
Json PlainScalar(const std::string& text) {
  static const std::regex kNull("^(~|null|Null|NULL|)$");
  static const std::regex kTrue("^(true|True|TRUE)$");
  static const std::regex kFalse("^(false|False|FALSE)$");
  static const std::regex kInt("^[-+]?[0-9]+$");
  static const std::regex kFloat(R"(^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$)");
  if (std::regex_match(text, kNull)) return nullptr;
  if (std::regex_match(text, kTrue)) return true;
  if (std::regex_match(text, kFalse)) return false;
  if (std::regex_match(text, kInt)) {
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(text.c_str(), &end, 10);
    if (errno == 0 && end && *end == '\0') return static_cast<int64_t>(v);
  }
  if (std::regex_match(text, kFloat)) {
    errno = 0;
    double v = std::strtod(text.c_str(), nullptr);
    if (errno == 0) return v;
  }
  return text;  // an integer too large for int64 stays its text
}

Result<Json> Convert(const YamlReader& r, const YAML::Node& node, const std::string& field,
                     int depth) {
  if (depth > kMaxDepth) return r.At(node, field, "nested deeper than 64 levels");
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return Json(nullptr);
    case YAML::NodeType::Scalar: {
      LF_ASSIGN_OR_RETURN(std::string text, r.Scalar(node, field));
      // "!" marks a quoted scalar (or one tagged !!str): a string whatever it reads as.
      if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") return Json(text);
      return PlainScalar(text);
    }
    case YAML::NodeType::Sequence: {
      Json out = Json::array();
      for (size_t i = 0; i < node.size(); ++i) {
        LF_ASSIGN_OR_RETURN(Json item,
                            Convert(r, node[i], field + "[" + std::to_string(i) + "]", depth + 1));
        out.push_back(std::move(item));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      Json out = Json::object();
      for (const auto& kv : node) {
        LF_ASSIGN_OR_RETURN(std::string key, r.Key(kv.first, field));
        LF_ASSIGN_OR_RETURN(out[key], Convert(r, kv.second, field + "." + key, depth + 1));
      }
      return out;
    }
  }
  return Json(nullptr);
}

}  // namespace

Result<Json> YamlToJson(const YamlReader& reader, const YAML::Node& node,
                        const std::string& field) {
  return Convert(reader, node, field, 0);
}

Result<std::string> YamlOptionText(const YamlReader& reader, const YAML::Node& node,
                                   const std::string& field) {
  LF_ASSIGN_OR_RETURN(Json value, YamlToJson(reader, node, field));
  if (value.is_string()) return value.get<std::string>();
  // A number keeps the digits it was written with (1.10 stays 1.10).
  if (value.is_number()) return reader.Scalar(node, field);
  return DumpJson(value);
}

}  // namespace lakeflow
