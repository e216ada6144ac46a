// BatchIterator: Arrow record batches pulled one at a time.
//
// What every consumer of a read sees (the CLI's outputs, the stream reader,
// the pipeline, Spark), whatever form the connector handed its records in.
#pragma once

#include <arrow/array.h>
#include <arrow/record_batch.h>

#include <memory>
#include <string>
#include <vector>

#include "lakeflow/connect/record_stream.h"
#include "lakeflow/core/types.h"

namespace lakeflow {

class BatchIterator {
 public:
  virtual ~BatchIterator() = default;
  virtual const SchemaPtr& schema() const = 0;
  // The next batch, or nullptr at the end.
  virtual Result<std::shared_ptr<arrow::RecordBatch>> Next() = 0;
};

// Batches converted from a connector's records with the table's schema. JSON
// records are gathered into batches of about `batch_rows` rows; Arrow batches
// from the connector pass through after a schema check.
std::unique_ptr<BatchIterator> MakeBatchIterator(std::string table, SchemaPtr schema,
                                                 RecordStream records, int64_t batch_rows = 8192);

// Passes batches through, adding their rows to `*rows` (progress counters).
class CountingIterator : public BatchIterator {
 public:
  CountingIterator(BatchIterator* inner, int64_t* rows) : inner_(inner), rows_(rows) {}
  const SchemaPtr& schema() const override { return inner_->schema(); }
  Result<std::shared_ptr<arrow::RecordBatch>> Next() override {
    LF_ASSIGN_OR_RETURN(auto batch, inner_->Next());
    if (batch) *rows_ += batch->num_rows();
    return batch;
  }

 private:
  BatchIterator* inner_;
  int64_t* rows_;
};

// Batches already in memory (small results: metadata, table lists).
std::unique_ptr<BatchIterator> MakeBatchIterator(
    SchemaPtr schema, std::vector<std::shared_ptr<arrow::RecordBatch>> batches);

// A generator of iterators chained end to end: `next_part` returns the next
// iterator, or nullptr when there are no more.
using BatchIteratorGenerator = std::function<Result<std::unique_ptr<BatchIterator>>()>;
std::unique_ptr<BatchIterator> ChainBatchIterators(SchemaPtr schema,
                                                   BatchIteratorGenerator next_part);

}  // namespace lakeflow
