#include "lakeflow/connectors/postgres/pg_batch_builders.h"

namespace lakeflow::postgres {

Status FromArrow(const arrow::Status& status) {
  return status.ok() ? Status::OK() : Status::Internal("arrow: {}", status.ToString());
}

Result<BatchBuilders> BatchBuilders::Make(SchemaPtr schema) {
  BatchBuilders out;
  for (const auto& field : schema->fields()) {
    std::unique_ptr<arrow::ArrayBuilder> builder;
    LF_RETURN_IF_ERROR(
        FromArrow(arrow::MakeBuilder(arrow::default_memory_pool(), field->type(), &builder)));
    out.builders_.push_back(std::move(builder));
  }
  out.schema_ = std::move(schema);
  return out;
}

Result<std::shared_ptr<arrow::RecordBatch>> BatchBuilders::Finish(int64_t rows) {
  arrow::ArrayVector arrays;
  for (int i = 0; i < schema_->num_fields(); ++i) {
    std::shared_ptr<arrow::Array> array;
    LF_RETURN_IF_ERROR(FromArrow(builders_[i]->Finish(&array)));
    arrays.push_back(WithFieldType(std::move(array), schema_->field(i)->type()));
  }
  return arrow::RecordBatch::Make(schema_, rows, std::move(arrays));
}

}  // namespace lakeflow::postgres
