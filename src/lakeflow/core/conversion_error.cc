#include "lakeflow/core/conversion_error.h"

#include <fmt/format.h>

namespace lakeflow {

namespace {
constexpr size_t kMaxShownValue = 80;
}  // namespace

std::string ClipValue(std::string_view s) {
  if (s.size() <= kMaxShownValue) return std::string(s);
  size_t n = kMaxShownValue - 3;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n)) + "...";
}

void ConversionError::Clear() {
  code_ = StatusCode::kConversion;
  message_.clear();
  path_.clear();
}

bool ConversionError::Fail(std::string message) {
  message_ = std::move(message);
  return false;
}

bool ConversionError::ArrowError(const arrow::Status& status) {
  code_ = StatusCode::kInternal;
  return Fail("arrow: " + status.ToString());
}

bool ConversionError::InField(std::string_view name) {
  path_.push_back(Step{std::string(name), false});
  return false;
}

bool ConversionError::InIndex(size_t index) {
  path_.push_back(Step{fmt::format("[{}]", index), true});
  return false;
}

bool ConversionError::InKey(std::string_view key) {
  path_.push_back(Step{fmt::format("[{}]", ClipValue(key)), true});
  return false;
}

std::string ConversionError::Path() const {
  std::string out;
  for (auto it = path_.rbegin(); it != path_.rend(); ++it) {
    if (!out.empty() && !it->is_index) out += '.';
    out += it->text;
  }
  return out;
}

Status ConversionError::ToStatus(std::string_view table, std::optional<int64_t> record,
                                 bool with_path) const {
  std::string where = fmt::format("table '{}'", table);
  if (record) where += fmt::format(", record {}", *record);
  if (with_path && !path_.empty()) where += fmt::format(", field '{}'", Path());
  return Status(code_, where + ": " + message_);
}

}  // namespace lakeflow
