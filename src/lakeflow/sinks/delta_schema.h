// A Delta table's columns: how a source schema becomes the table's (Spark
// StructType JSON in `metaData.schemaString`), how it evolves when the source
// gains columns, and how incoming rows are made to fit it.
#pragma once

#include <arrow/record_batch.h>

#include <memory>
#include <string>

#include "lakeflow/core/offset.h"
#include "lakeflow/core/types.h"

namespace lakeflow::sinks::delta {

// The SCD2 validity columns, of the sequence's type.
inline constexpr const char* kStartAt = "__START_AT";
inline constexpr const char* kEndAt = "__END_AT";

// `schemaString` for `schema`. Variant columns are stored as JSON text
// (string): Delta's variant type needs a table feature readers may lack.
// Every column is nullable, so rows written before a column existed, and
// deleted keys' tombstones, fit.
Json DeltaSchemaJson(const arrow::Schema& schema);

// The Arrow schema of a table's `schemaString`: what every batch written is
// aligned to.
Result<SchemaPtr> TableSchemaFromDelta(const std::string& schema_string, const std::string& table);

// The table's schema once `source` is written to it: `current` (null for a new
// table) with the source's new columns appended as nullable, and for SCD2 the
// validity columns of `history_type` (null: none) last. A source column whose
// type the table's cannot hold is an error naming table, column and types.
Result<SchemaPtr> EvolveSchema(const std::string& table, const SchemaPtr& current,
                               const arrow::Schema& source, TypePtr history_type);

// `batch` with the columns of `target`, in its order: missing columns null,
// narrower types widened. A column of `batch` that `target` lacks is an error
// unless `ignore_extra` (deletes carry only keys and sequence).
Result<std::shared_ptr<arrow::RecordBatch>> AlignBatch(
    const std::string& table, const std::shared_ptr<arrow::RecordBatch>& batch,
    const SchemaPtr& target, bool ignore_extra = false);

// Whether a column (at any depth) is timestamp_ntz: the table then needs the
// `timestampNtz` feature (reader version 3, writer version 7).
bool NeedsTimestampNtz(const arrow::Schema& schema);

}  // namespace lakeflow::sinks::delta
