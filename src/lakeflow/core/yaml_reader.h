// YamlReader: reads the fields of a YAML spec (REST sources, pipelines) with
// errors that point at the problem: "FILE:LINE: field.path: what is wrong".
//
// yaml-cpp reports problems by throwing; the readers below return Status, and
// the callers catch YAML::Exception at their single entry point.
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "lakeflow/core/options.h"
#include "lakeflow/core/status.h"

namespace lakeflow {

// One YAML file. Optional fields read as empty/false when absent.
class YamlReader {
 public:
  explicit YamlReader(std::string file) : file_(std::move(file)) {}

  Status At(const YAML::Node& node, const std::string& field, const std::string& what) const {
    int line = node.IsDefined() ? node.Mark().line + 1 : 0;
    return Status::Invalid("{}:{}: {}: {}", file_, line, field, what);
  }

  // Refuses keys outside `allowed`: a typo must not be silently ignored.
  Status OnlyKeys(const YAML::Node& map, const std::string& where,
                  std::initializer_list<const char*> allowed) const {
    if (!map.IsMap()) return At(map, where, "expected a mapping");
    for (const auto& kv : map) {
      auto key = kv.first.as<std::string>();
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
    return n.as<std::string>();
  }

  Result<std::vector<std::string>> Strings(const YAML::Node& parent, const std::string& key,
                                           const std::string& where) const {
    std::vector<std::string> out;
    YAML::Node n = parent[key];
    if (!n) return out;
    if (n.IsScalar()) return std::vector<std::string>{n.as<std::string>()};
    if (!n.IsSequence()) return At(n, Join(where, key), "expected a string or a list of strings");
    for (const auto& item : n) {
      if (!item.IsScalar()) return At(item, Join(where, key), "expected a string");
      out.push_back(item.as<std::string>());
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
      if (!kv.second.IsScalar())
        return At(kv.second, Join(Join(where, key), kv.first.as<std::string>()),
                  "expected a string");
      out.emplace_back(kv.first.as<std::string>(), kv.second.as<std::string>());
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

// Loads `text` (YAML, or JSON, which YAML reads too) as a mapping and hands it
// to `parse`. yaml-cpp throws, from the load or from any read inside `parse`;
// here its exceptions become one line naming the file and the line.
template <typename T, typename Parse>
Result<T> ParseYamlMapping(std::string_view text, const std::string& file, Parse parse) {
  YamlReader reader(file);
  try {
    YAML::Node root = YAML::Load(std::string(text));
    if (!root.IsMap()) return Status::Invalid("{}: expected a YAML or JSON mapping", file);
    return parse(reader, root);
  } catch (const YAML::Exception& e) {
    return Status::Invalid("{}:{}: {}", file, e.mark.line + 1, e.msg);
  }
}

}  // namespace lakeflow
