// PostgreSQL values in their text output form -> Arrow.
//
// Logical replication (pgoutput) sends a tuple's values as the text each
// type's output function writes, where a snapshot reads the binary COPY form
// (pg_copy_decoder.h). A change must land exactly as the same row would from
// the snapshot, so this decoder fills the same Arrow types with the same
// values, column by column, from the text. It relies on the session settings
// the reader sets: DateStyle=ISO, TimeZone=UTC, extra_float_digits=3 (floats
// written so they read back to the same bits) and bytea_output=hex.
//
// Errors are one line naming the column, e.g.
//   column 'qty': cannot read 'x' as integer
//   column 'at': the timestamp 'infinity' has no value in Spark
//   column 'tags': [2]: cannot read 'x' as integer
// The caller adds the table and the change's LSN.
#pragma once

#include <arrow/record_batch.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lakeflow/connectors/postgres/pg_types.h"
#include "lakeflow/core/status.h"

namespace lakeflow::postgres {

class PgTextDecoder {
 public:
  // `schema` holds one field per column, in order: FieldFor(column), its
  // nullability possibly relaxed (a delete's old key leaves other columns
  // NULL). A NULL is an error only where the schema's field is not nullable.
  static Result<std::unique_ptr<PgTextDecoder>> Make(std::string table,
                                                     std::vector<PgColumn> columns,
                                                     SchemaPtr schema);
  virtual ~PgTextDecoder() = default;

  // Appends one row: values[i] is column i's text, nullopt for NULL. After an
  // error the decoder is unusable (the reader fails the read).
  virtual Status AppendRow(std::span<const std::optional<std::string_view>> values) = 0;
  // Rows appended since the last Flush.
  virtual int64_t num_rows() const = 0;
  virtual Result<std::shared_ptr<arrow::RecordBatch>> Flush() = 0;
};

}  // namespace lakeflow::postgres
