#include "lakeflow/core/options.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace lakeflow {

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

std::optional<bool> ParseBool(std::string_view s) {
  if (EqualsIgnoreCase(s, "true")) return true;
  if (EqualsIgnoreCase(s, "false")) return false;
  return std::nullopt;
}

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(
      a.begin(), a.end(), b.begin(), b.end(),
      [](unsigned char x, unsigned char y) { return std::tolower(x) < std::tolower(y); });
}

Options::Options(std::initializer_list<std::pair<const std::string, std::string>> init) {
  for (const auto& [k, v] : init) Set(k, v);
}

void Options::Set(std::string_view key, std::string value) {
  auto it = map_.find(key);
  if (it != map_.end()) {
    it->second = std::move(value);
  } else {
    map_.emplace(std::string(key), std::move(value));
  }
}

bool Options::Erase(std::string_view key) {
  auto it = map_.find(key);
  if (it == map_.end()) return false;
  map_.erase(it);
  return true;
}

bool Options::Has(std::string_view key) const {
  return map_.find(key) != map_.end();
}

std::optional<std::string> Options::Get(std::string_view key) const {
  auto it = map_.find(key);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

std::string Options::GetOr(std::string_view key, std::string fallback) const {
  auto v = Get(key);
  return v ? *v : std::move(fallback);
}

Result<std::optional<int64_t>> Options::GetInt(std::string_view key) const {
  auto v = Get(key);
  if (!v) return std::optional<int64_t>();
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || p != v->data() + v->size()) {
    return Status::Invalid("option '{}' must be an integer, got '{}'", key, *v);
  }
  return std::optional<int64_t>(out);
}

Result<int64_t> Options::GetIntOr(std::string_view key, int64_t fallback) const {
  LF_ASSIGN_OR_RETURN(auto v, GetInt(key));
  return v ? *v : fallback;
}

Result<bool> Options::GetBoolOr(std::string_view key, bool fallback) const {
  auto v = Get(key);
  if (!v) return fallback;
  auto b = ParseBool(*v);
  if (!b) return Status::Invalid("option '{}' must be true or false, got '{}'", key, *v);
  return *b;
}

Result<std::string> Options::Require(std::string_view key) const {
  auto v = Get(key);
  if (!v) return Status::Invalid("missing required option '{}'", key);
  return *v;
}

void Options::Merge(const Options& other) {
  for (const auto& [k, v] : other.map_) Set(k, v);
}

std::vector<std::string> Options::Keys() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : map_) out.push_back(k);
  return out;
}

bool Options::operator==(const Options& other) const {
  if (map_.size() != other.map_.size()) return false;
  for (const auto& [k, v] : map_) {
    auto o = other.Get(k);
    if (!o || *o != v) return false;
  }
  return true;
}

}  // namespace lakeflow
