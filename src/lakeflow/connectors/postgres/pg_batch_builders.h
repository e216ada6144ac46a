// The Arrow builders a PostgreSQL decoder fills, one per field of the batch's
// schema: the binary COPY decoder and the text decoder of changes share them.
#pragma once

#include <arrow/builder.h>
#include <arrow/record_batch.h>

#include <memory>
#include <vector>

#include "lakeflow/core/status.h"
#include "lakeflow/core/types.h"

namespace lakeflow::postgres {

// An Arrow call's outcome as ours.
Status FromArrow(const arrow::Status& status);

class BatchBuilders {
 public:
  static Result<BatchBuilders> Make(SchemaPtr schema);

  const SchemaPtr& schema() const { return schema_; }
  arrow::ArrayBuilder* column(size_t i) const { return builders_[i].get(); }

  // The `rows` rows appended since the last call, as a batch of the schema
  // (each array carrying its field's type); the builders start over.
  Result<std::shared_ptr<arrow::RecordBatch>> Finish(int64_t rows);

 private:
  SchemaPtr schema_;
  std::vector<std::unique_ptr<arrow::ArrayBuilder>> builders_;
};

}  // namespace lakeflow::postgres
