// Reading JSON that comes from outside the process: HTTP responses, files on
// disk (checkpoints, offsets, Delta logs and side files, connections), request
// bodies. Such JSON may hold anything, and nothing here throws or aborts.
//
// nlohmann's .get<T>(), .at() and .value(key, default) throw when a member is
// missing or of another type; its dump(), copies and comparisons recurse once
// per nesting level. So outside JSON is parsed by ParseJson, which refuses deep
// nesting before a tree is built, and read through JsonFields, whose accessors
// check each member's type and fail with one line: where the document came
// from, which member, and what it should have been.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lakeflow/core/status.h"

namespace lakeflow {

using Json = nlohmann::json;

// Deep enough for any document lakeflow reads (a Delta schema 64 types deep
// nests under 200 levels), shallow enough for any recursion over it.
inline constexpr int kMaxJsonDepth = 256;

// Whether no array or object in `text` nests deeper than `max_depth`.
// Brackets inside strings do not count; `text` need not be valid JSON.
bool JsonDepthWithin(std::string_view text, int max_depth = kMaxJsonDepth);

// `text` parsed, or `code` with "WHERE: not valid JSON" or "WHERE: JSON
// nested deeper than N levels".
Result<Json> ParseJson(std::string_view text, std::string_view where,
                       StatusCode code = StatusCode::kInvalidArgument);
// The same, keeping object keys in the order they came (the simulator serves
// records as they were recorded).
Result<nlohmann::ordered_json> ParseOrderedJson(std::string_view text, std::string_view where,
                                                StatusCode code = StatusCode::kInvalidArgument);

// The members of one JSON object, each read with its type checked. A member
// that is absent or null takes the fallback of the *Or accessors; the others
// require it. Errors read "WHERE: 'path.member' must be TYPE".
class JsonFields {
 public:
  // The object `value`, or an error if it is not one.
  static Result<JsonFields> Of(const Json& value, std::string where,
                               StatusCode code = StatusCode::kInvalidArgument);

  // The member, or nullptr when it is absent or null.
  const Json* Find(std::string_view name) const;

  Result<std::string> String(std::string_view name) const;
  Result<std::string> StringOr(std::string_view name, std::string fallback) const;
  // Integers that fit int64_t; floating point and text are refused.
  Result<int64_t> Int(std::string_view name) const;
  Result<int64_t> IntOr(std::string_view name, int64_t fallback) const;
  Result<bool> BoolOr(std::string_view name, bool fallback) const;
  // A nested object, read with the same `where` and a longer member path.
  Result<JsonFields> Object(std::string_view name) const;
  Result<std::optional<JsonFields>> OptionalObject(std::string_view name) const;
  // An array whose items are all strings; absent or null is empty.
  Result<std::vector<std::string>> StringsOr(std::string_view name) const;

  // "WHERE: 'path.name' PROBLEM", with this reader's status code.
  Status Error(std::string_view name, std::string_view problem) const;

  const Json& json() const { return *object_; }

 private:
  JsonFields(const Json* object, std::string where, std::string prefix, StatusCode code)
      : object_(object), where_(std::move(where)), prefix_(std::move(prefix)), code_(code) {}
  Status Mistyped(std::string_view name, std::string_view type) const;

  const Json* object_;
  std::string where_;
  std::string prefix_;  // "outer." for a nested object's members
  StatusCode code_;
};

// JSON text that never throws: bytes that are not UTF-8 (from a name or an
// option that reached a JSON tree unchecked) become U+FFFD.
std::string DumpJson(const Json& value, int indent = -1);

// JSON text exactly as the value holds it, for what is read back and acted on
// (offsets in checkpoints and progress files): text that is not UTF-8 is an
// error "WHAT holds text that is not valid UTF-8" rather than silently changed.
Result<std::string> DumpExactJson(const Json& value, std::string_view what);

// A JSON number as int64_t, when it is an integer that fits: 3 and 3.0 do,
// 3.5, 1e300 and 2^64 do not.
std::optional<int64_t> JsonInteger(const Json& value);

// Sets the member at dotted `path` ("data.issues.nodes") of `root`, making
// the objects on the way (a value that is not an object there is replaced).
// For Json and nlohmann::ordered_json alike.
template <typename JsonT>
void SetDottedMember(JsonT* root, std::string_view path, JsonT value) {
  JsonT* at = root;
  while (true) {
    size_t dot = path.find('.');
    if (!at->is_object()) *at = JsonT::object();
    at = &(*at)[std::string(path.substr(0, dot))];
    if (dot == std::string_view::npos) break;
    path.remove_prefix(dot + 1);
  }
  *at = std::move(value);
}

}  // namespace lakeflow
