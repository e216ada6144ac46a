// Arrow values as JSON text: the inverse of the converter, for JSON-lines
// output, nested values in SQLite, and delete keys.
//
// Timestamps are ISO 8601 ("2024-01-02T03:04:05.123456Z"; no 'Z' for
// timestamp_ntz), dates "YYYY-MM-DD", binary base64, decimals as JSON numbers
// written from their exact text, variant as the JSON it holds, non-finite
// floats as null.
#pragma once

#include <arrow/array.h>
#include <arrow/record_batch.h>

#include <string>

namespace lakeflow {

// Appends the value at `row` of `array` as JSON. `field` says whether a utf8
// column is a variant (its text is JSON already); may be null.
void AppendJsonValue(const arrow::Array& array, int64_t row, const arrow::Field* field,
                     std::string* out);

// Appends row `row` of `batch` as one JSON object (no newline).
void AppendJsonRecord(const arrow::RecordBatch& batch, int64_t row, std::string* out);

// Formats microseconds since the epoch as ISO 8601; `utc` adds the 'Z'.
std::string FormatTimestampMicros(int64_t micros, bool utc);
std::string FormatDate(int32_t days);
std::string Base64Encode(std::string_view bytes);

}  // namespace lakeflow
