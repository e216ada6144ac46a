#include "lakeflow/connect/batch_iterator.h"

#include "lakeflow/core/json_converter.h"

namespace lakeflow {

namespace {

class ConvertingIterator : public BatchIterator {
 public:
  ConvertingIterator(std::string table, SchemaPtr schema, RecordStream records, int64_t batch_rows)
      : table_(std::move(table)),
        schema_(std::move(schema)),
        records_(std::move(records)),
        batch_rows_(batch_rows) {}

  const SchemaPtr& schema() const override { return schema_; }

  Result<std::shared_ptr<arrow::RecordBatch>> Next() override {
    if (pending_) return std::exchange(pending_, nullptr);
    while (!done_) {
      LF_ASSIGN_OR_RETURN(auto chunk, records_.Next());
      if (!chunk) {
        done_ = true;
        break;
      }
      if (auto* batch = std::get_if<std::shared_ptr<arrow::RecordBatch>>(&*chunk)) {
        LF_RETURN_IF_ERROR(CheckBatchSchema(**batch));
        // Keep record order: rows converted before this batch go out first.
        if (converter_ && converter_->num_rows() > 0) {
          pending_ = std::move(*batch);
          return converter_->Flush();
        }
        if ((*batch)->num_rows() == 0) continue;
        return std::move(*batch);
      }
      LF_RETURN_IF_ERROR(Append(std::get<JsonChunk>(*chunk)));
      if (converter_->num_rows() >= batch_rows_) return converter_->Flush();
    }
    if (converter_ && converter_->num_rows() > 0) return converter_->Flush();
    return std::shared_ptr<arrow::RecordBatch>();
  }

 private:
  Status Append(const JsonChunk& chunk) {
    if (!converter_) {
      LF_ASSIGN_OR_RETURN(converter_, JsonConverter::Make(table_, schema_));
    }
    if (chunk.layout == JsonChunk::Layout::kLines) return converter_->AppendJsonLines(chunk.bytes);
    return converter_->AppendDocument(chunk.bytes, chunk.pointer);
  }

  Status CheckBatchSchema(const arrow::RecordBatch& batch) const {
    if (batch.schema()->Equals(*schema_, /*check_metadata=*/false)) return Status::OK();
    return Status::SourceError(
        "table '{}': the connector returned a batch of schema [{}], not the table's schema [{}]",
        table_, batch.schema()->ToString(), schema_->ToString());
  }

  std::string table_;
  SchemaPtr schema_;
  RecordStream records_;
  int64_t batch_rows_;
  std::unique_ptr<JsonConverter> converter_;
  std::shared_ptr<arrow::RecordBatch> pending_;
  bool done_ = false;
};

class VectorIterator : public BatchIterator {
 public:
  VectorIterator(SchemaPtr schema, std::vector<std::shared_ptr<arrow::RecordBatch>> batches)
      : schema_(std::move(schema)), batches_(std::move(batches)) {}
  const SchemaPtr& schema() const override { return schema_; }
  Result<std::shared_ptr<arrow::RecordBatch>> Next() override {
    if (next_ >= batches_.size()) return std::shared_ptr<arrow::RecordBatch>();
    return batches_[next_++];
  }

 private:
  SchemaPtr schema_;
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches_;
  size_t next_ = 0;
};

class ChainedIterator : public BatchIterator {
 public:
  ChainedIterator(SchemaPtr schema, BatchIteratorGenerator next_part)
      : schema_(std::move(schema)), next_part_(std::move(next_part)) {}
  const SchemaPtr& schema() const override { return schema_; }
  Result<std::shared_ptr<arrow::RecordBatch>> Next() override {
    while (true) {
      if (!current_) {
        LF_ASSIGN_OR_RETURN(current_, next_part_());
        if (!current_) return std::shared_ptr<arrow::RecordBatch>();
      }
      LF_ASSIGN_OR_RETURN(auto batch, current_->Next());
      if (batch) return batch;
      current_.reset();
    }
  }

 private:
  SchemaPtr schema_;
  BatchIteratorGenerator next_part_;
  std::unique_ptr<BatchIterator> current_;
};

}  // namespace

std::unique_ptr<BatchIterator> MakeBatchIterator(std::string table, SchemaPtr schema,
                                                 RecordStream records, int64_t batch_rows) {
  return std::make_unique<ConvertingIterator>(std::move(table), std::move(schema),
                                              std::move(records), batch_rows);
}

std::unique_ptr<BatchIterator> MakeBatchIterator(
    SchemaPtr schema, std::vector<std::shared_ptr<arrow::RecordBatch>> batches) {
  return std::make_unique<VectorIterator>(std::move(schema), std::move(batches));
}

std::unique_ptr<BatchIterator> ChainBatchIterators(SchemaPtr schema,
                                                   BatchIteratorGenerator next_part) {
  return std::make_unique<ChainedIterator>(std::move(schema), std::move(next_part));
}

}  // namespace lakeflow
