// Hostile inputs shared by the tests that feed outside data to parsers:
// nesting deep enough to overflow a recursive reader's stack, and bytes that
// are not UTF-8.
#pragma once

#include <string>

namespace lakeflow::testing {

// `open` repeated `depth` times, then `middle`, then `close` as often:
// Deep("[", "1", "]", 3) is "[[[1]]]".
inline std::string Deep(const std::string& open, const std::string& middle,
                        const std::string& close, int depth) {
  std::string out;
  out.reserve((open.size() + close.size()) * depth + middle.size());
  for (int i = 0; i < depth; ++i) out += open;
  out += middle;
  for (int i = 0; i < depth; ++i) out += close;
  return out;
}

// A JSON object nested `depth` levels: {"a":{"a":...1...}}.
inline std::string DeepJsonObject(int depth) {
  return Deep("{\"a\":", "1", "}", depth);
}

// Text with a byte that can never appear in UTF-8.
inline constexpr char kNotUtf8[] = "bad\xff\xfe";

}  // namespace lakeflow::testing
