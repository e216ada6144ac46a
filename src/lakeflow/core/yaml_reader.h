// YamlReader: reads the fields of a YAML spec (REST sources, pipelines) with
// errors that point at the problem: "FILE:LINE: field.path: what is wrong".
//
// yaml-cpp reports problems by throwing; the readers below return Status, and
// the callers catch YAML::Exception at their single entry point. yaml-cpp also
// takes bytes that are not UTF-8, which would abort later when a name reaches
// JSON: every string read here is checked, and the error names its field.
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lakeflow/core/options.h"
#include "lakeflow/core/status.h"
#include "lakeflow/core/utf8.h"

namespace lakeflow {

// One YAML file. Optional fields read as empty/false when absent.
class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  Status At(const YAML::Node& node, const std::string& field, const std::string& what) const {
    int line = node.IsDefined() ? node.Mark().line + 1 : 0;
    return Status::Invalid("{}:{}: {}: {}", file_, line, field, what);
  }

  // A scalar's text, refused unless it is UTF-8.
  Result<std::string> Scalar(const YAML::Node& node, const std::string& field) const {
    auto text = node.as<std::string>();
    if (!IsValidUtf8(text)) return At(node, field, "not valid UTF-8");
    return text;
  }

  // A mapping's key, refused unless it is UTF-8; `where` is the mapping.
  Result<std::string> Key(const YAML::Node& key, const std::string& where) const {
    auto text = key.as<std::string>();
    if (!IsValidUtf8(text)) return At(key, where, "a key that is not valid UTF-8");
    return text;
  }

  // Refuses keys outside `allowed`: a typo must not be silently ignored.
  Status OnlyKeys(const YAML::Node& map, const std::string& where,
                  std::initializer_list<const char*> allowed) const {
    if (!map.IsMap()) return At(map, where, "expected a mapping");
    for (const auto& kv : map) {
      LF_ASSIGN_OR_RETURN(auto key, Key(kv.first, where));
      bool known =
          std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; });
      if (known) continue;
      std::string list;
      for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return At(kv.first, Join(where, key), "unknown field (expected one of: " + list + ")");
    }
    return Status::OK();
  }

  Result<std::string> String(const YAML::Node& parent, const std::string& key,
                             const std::string& where, bool required = false) const {
    YAML::Node n = parent[key];
    if (!n) {
      if (required) return At(parent, Join(where, key), "missing");
      return std::string();
    }
    if (!n.IsScalar()) return At(n, Join(where, key), "expected a string");
    return Scalar(n, Join(where, key));
  }

  Result<std::vector<std::string>> Strings(const YAML::Node& parent, const std::string& key,
                                           const std::string& where) const {
    std::vector<std::string> out;
    YAML::Node n = parent[key];
    if (!n) return out;
    if (n.IsScalar()) {
      LF_ASSIGN_OR_RETURN(auto one, Scalar(n, Join(where, key)));
      return std::vector<std::string>{one};
    }
    if (!n.IsSequence()) return At(n, Join(where, key), "expected a string or a list of strings");
    for (const auto& item : n) {
      if (!item.IsScalar()) return At(item, Join(where, key), "expected a string");
      LF_ASSIGN_OR_RETURN(auto text, Scalar(item, Join(where, key)));
      out.push_back(std::move(text));
    }
    return out;
  }

  Result<KeyValues> Map(const YAML::Node& parent, const std::string& key,
                        const std::string& where) const {
    KeyValues out;
    YAML::Node n = parent[key];
    if (!n) return out;
    if (!n.IsMap()) return At(n, Join(where, key), "expected a mapping");
    for (const auto& kv : n) {
      LF_ASSIGN_OR_RETURN(auto name, Key(kv.first, Join(where, key)));
      if (!kv.second.IsScalar())
        return At(kv.second, Join(Join(where, key), name), "expected a string");
      LF_ASSIGN_OR_RETURN(auto value, Scalar(kv.second, Join(Join(where, key), name)));
      out.emplace_back(std::move(name), std::move(value));
    }
    return out;
  }

  Result<bool> Bool(const YAML::Node& parent, const std::string& key,
                    const std::string& where) const {
    YAML::Node n = parent[key];
    if (!n) return false;
    auto v = n.IsScalar() ? ParseBool(n.as<std::string>()) : std::nullopt;
    if (!v) return At(n, Join(where, key), "expected true or false");
    return *v;
  }

  static std::string Join(const std::string& where, const std::string& key) {
    return where.empty() ? key : where + "." + key;
  }

 private:
  std::string file_;
};

// OK, or "FILE:LINE: not valid UTF-8" for the first line that is not.
inline Status CheckUtf8Lines(std::string_view text, const std::string& file) {
  if (IsValidUtf8(text)) return Status::OK();
  size_t line = 1;
  for (size_t start = 0; start < text.size(); ++line) {
    size_t end = std::min(text.find('\n', start), text.size());
    // A newline byte is never part of a multi-byte UTF-8 sequence.
    if (!IsValidUtf8(text.substr(start, end - start)))
      return Status::Invalid("{}:{}: not valid UTF-8", file, line);
    start = end + 1;
  }
  return Status::Invalid("{}: not valid UTF-8", file);
}

// Loads `text` (YAML, or JSON, which YAML reads too) as a mapping and hands it
// to `parse`. yaml-cpp throws, from the load or from any read inside `parse`;
// here its exceptions become one line naming the file and the line. The
// fields `parse` reads name themselves when they are not UTF-8; whatever it
// read otherwise is caught after it, by line.
template <typename T, typename Parse>
Result<T> ParseYamlMapping(std::string_view text, const std::string& file, Parse parse) {
  YamlReader reader(file);
  try {
    YAML::Node root = YAML::Load(std::string(text));
    if (!root.IsMap()) return Status::Invalid("{}: expected a YAML or JSON mapping", file);
    Result<T> parsed = parse(reader, root);
    if (!parsed.ok()) return parsed;
    LF_RETURN_IF_ERROR(CheckUtf8Lines(text, file));
    return parsed;
  } catch (const YAML::Exception& e) {
    return Status::Invalid("{}:{}: {}", file, e.mark.line + 1, e.msg);
  }
}

}  // namespace lakeflow
