// Splitting and joining strings, the ways names, paths and lists are written
// in options, specs and table names.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lakeflow {

// Every part between separators, empty ones included ("a..b" -> a, "", b).
inline std::vector<std::string> Split(std::string_view text, char separator) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t at = text.find(separator, start);
    out.emplace_back(text.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

// Characters as the C locale classifies them, whatever the process's locale:
// what SQL and ISO text use.
inline bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

inline bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

inline std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += separator;
    out += parts[i];
  }
  return out;
}

}  // namespace lakeflow
