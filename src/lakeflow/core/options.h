// Options: string keys and values, keys compared without regard to case, as
// Spark's CaseInsensitiveStringMap does. The first spelling of a key is kept for
// display.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lakeflow/core/status.h"

namespace lakeflow {

struct CaseInsensitiveLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};

class Options {
 public:
  Options() = default;
  Options(std::initializer_list<std::pair<const std::string, std::string>> init);

  void Set(std::string_view key, std::string value);
  bool Erase(std::string_view key);
  bool Has(std::string_view key) const;
  std::optional<std::string> Get(std::string_view key) const;
  std::string GetOr(std::string_view key, std::string fallback) const;

  // Typed reads: a present value that does not parse is an error naming the option.
  Result<std::optional<int64_t>> GetInt(std::string_view key) const;
  Result<int64_t> GetIntOr(std::string_view key, int64_t fallback) const;
  Result<bool> GetBoolOr(std::string_view key, bool fallback) const;
  Result<std::string> Require(std::string_view key) const;

  // Adds every entry of `other`, overwriting keys already present.
  void Merge(const Options& other);

  bool empty() const { return map_.empty(); }
  size_t size() const { return map_.size(); }
  auto begin() const { return map_.begin(); }
  auto end() const { return map_.end(); }
  std::vector<std::string> Keys() const;

  bool operator==(const Options& other) const;

 private:
  std::map<std::string, std::string, CaseInsensitiveLess> map_;
};

// Ordered name/value pairs where order or repeats matter (query parameters,
// headers, spec mappings), unlike Options.
using KeyValues = std::vector<std::pair<std::string, std::string>>;

// Lower-cases ASCII; option keys and table names are ASCII.
std::string AsciiLower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// Parses Spark-style booleans: true/false, case-insensitive.
std::optional<bool> ParseBool(std::string_view s);

}  // namespace lakeflow
