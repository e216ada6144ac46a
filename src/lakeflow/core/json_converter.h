// JSON -> Arrow, driven by the schema.
//
// The hot path of every REST connector: bytes of a JSON page are parsed with
// simdjson's On-Demand API and appended straight into Arrow builders, so a
// record never becomes a tree of heap objects. The coercions follow the
// reference project's parse_value so connectors written for it see the same
// results:
//   - null passes as null (non-nullable top-level field: error);
//   - struct from object: a missing nullable field is null, a missing
//     non-nullable field is an error; unknown keys are ignored;
//   - a scalar where an array is expected becomes a one-element array;
//   - map from object (string keys);
//   - a string column takes any JSON value: strings as their text, anything
//     else as its compact JSON text; variant columns hold JSON text;
//   - integers (byte, short, int, long) from numbers or numeric strings, range
//     checked; floats from numbers or numeric strings;
//   - booleans from true/false or the strings true/t/yes/y/1, false/f/no/n/0;
//   - decimals from numbers or numeric strings, to the column's scale;
//   - dates as %Y-%m-%d, %m/%d/%Y, %d-%m-%Y, %Y/%m/%d or ISO 8601 timestamps;
//   - timestamps as ISO 8601 with Z or an offset (no zone: UTC), or epoch
//     seconds (number or numeric string);
//   - binary from base64, then hex, then the UTF-8 bytes of the string.
// A value that cannot convert is a kConversion error naming the table, the
// record's index, the field path and the value — never a crash:
//   table 'issues', record 3, field 'labels[2].name': cannot convert "bug" to integer
// Records are numbered from 0 within one Append call (the index in the page,
// or the non-empty line). Malformed JSON names the byte offset.
//
// A failed Append is rolled back: the converter holds exactly the rows it had
// before the call and stays usable. With a duplicated key in an object the
// first value wins. A pointer whose target is null gives no records.
#pragma once

#include <arrow/memory_pool.h>
#include <arrow/record_batch.h>

#include <memory>
#include <string>
#include <string_view>

#include "lakeflow/core/types.h"

namespace lakeflow {

class JsonConverter {
 public:
  // `table` names the table in errors. The schema is any schema of the types
  // in types.h.
  static Result<std::unique_ptr<JsonConverter>> Make(
      std::string table, SchemaPtr schema, arrow::MemoryPool* pool = arrow::default_memory_pool());
  virtual ~JsonConverter() = default;

  // Appends the records of one JSON document. `pointer` is a JSON pointer
  // (RFC 6901, "" = the whole document) to either an array of record objects
  // or a single record object. A missing pointer target is an error.
  virtual Status AppendDocument(std::string_view json, std::string_view pointer = "") = 0;

  // Appends newline-delimited records (one JSON object per non-empty line).
  virtual Status AppendJsonLines(std::string_view text) = 0;

  // Rows appended since the last Flush.
  virtual int64_t num_rows() const = 0;
  // Bytes of JSON consumed since the last Flush (for throughput figures).
  virtual int64_t num_bytes() const = 0;

  // Finishes the rows appended so far as one batch and starts a new one.
  virtual Result<std::shared_ptr<arrow::RecordBatch>> Flush() = 0;

  virtual const SchemaPtr& schema() const = 0;
};

}  // namespace lakeflow
