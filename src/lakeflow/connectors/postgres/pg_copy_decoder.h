// COPY ... TO STDOUT (FORMAT binary) -> Arrow.
//
// The bytes of a binary COPY are decoded straight into Arrow builders, one
// decoder per column built from the catalog's description (pg_types.h): no
// text, no row objects. The stream is the 19-byte header, then per row a
// 16-bit field count and each field as a 32-bit length (-1: NULL) and its
// bytes in the type's binary send format, then a trailer of -1. CopyData
// messages may cut the stream anywhere; a partial row waits for the next.
//
// Errors are one line naming the table, the row (counted from 0 over the
// whole copy) and the column, e.g. a date PostgreSQL stores as 'infinity',
// which no Spark date holds.
#pragma once

#include <arrow/record_batch.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lakeflow/connectors/postgres/pg_types.h"
#include "lakeflow/core/status.h"

namespace lakeflow::postgres {

class PgCopyDecoder {
 public:
  // `schema` holds FieldFor() of each of `columns`, in order.
  static Result<std::unique_ptr<PgCopyDecoder>> Make(std::string table,
                                                     std::vector<PgColumn> columns,
                                                     SchemaPtr schema);
  virtual ~PgCopyDecoder() = default;

  // Decodes the rows `data` completes.
  virtual Status Feed(std::string_view data) = 0;
  // Rows decoded since the last Flush.
  virtual int64_t num_rows() const = 0;
  // Whether the trailer has been read.
  virtual bool finished() const = 0;
  virtual Result<std::shared_ptr<arrow::RecordBatch>> Flush() = 0;
};

}  // namespace lakeflow::postgres
