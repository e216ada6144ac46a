// What a REST endpoint's answers are written in. JSON is read as it is; JSON
// lines and CSV are turned into a JSON array of records first, so paging,
// scanning and conversion to Arrow are the same for every format.
#pragma once

#include <string>
#include <string_view>

#include "lakeflow/core/status.h"

namespace lakeflow::rest {

enum class ResponseFormat {
  kJson,       // a JSON document; `records` points at the records
  kJsonLines,  // one JSON object per line (blank lines skipped)
  kCsv,        // RFC 4180: a header row naming the fields, then one record per row
};

// "json", "jsonl" (or "ndjson"), "csv"; anything else is an error naming it.
Result<ResponseFormat> ParseResponseFormat(std::string_view name);

// The records of a JSON-lines or CSV `body` as a JSON array's text. CSV
// fields are strings (the schema's types convert them); an empty unquoted
// field is null, a quoted one the empty string. `delimiter` separates CSV
// fields. Errors name `what` and the line.
Result<std::string> RecordsAsJsonArray(ResponseFormat format, std::string_view body, char delimiter,
                                       const std::string& what);

}  // namespace lakeflow::rest
