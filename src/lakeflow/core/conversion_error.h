// The error of a record that failed conversion to Arrow, shared by the
// converters (JSON, Python records).
//
// Converters walk a record with a tree of appenders, one per field. The
// appender that fails records the message and returns false; each enclosing
// appender adds its step of the field path on the way out, so a path costs
// nothing until something goes wrong. The result is one line:
//   table 'issues', record 3, field 'labels[2].name': cannot convert "bug" to integer
#pragma once

#include <arrow/status.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lakeflow/core/status.h"

namespace lakeflow {

// The first 80 bytes of `s`, cut on a UTF-8 character boundary, for showing a
// value in an error.
std::string ClipValue(std::string_view s);

class ConversionError {
 public:
  void Clear();

  // Each returns false so that appenders can `return error->...`.
  bool Fail(std::string message);
  bool ArrowError(const arrow::Status& status);
  bool InField(std::string_view name);
  bool InIndex(size_t index);
  bool InKey(std::string_view key);

  // The line for record `record` (none: the input as a whole); `with_path`
  // false leaves the field path out (an error about the input, not a value).
  Status ToStatus(std::string_view table, std::optional<int64_t> record,
                  bool with_path = true) const;

 private:
  struct Step {
    std::string text;
    bool is_index;
  };
  std::string Path() const;

  StatusCode code_ = StatusCode::kConversion;
  std::string message_;
  std::vector<Step> path_;  // innermost first
};

}  // namespace lakeflow
