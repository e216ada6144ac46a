#include "lakeflow/pipeline/row_shape.h"

#include <algorithm>
#include <set>

#include "lakeflow/core/strings.h"

namespace lakeflow::pipeline {
namespace {

class ShapedRows : public BatchIterator {
 public:
  ShapedRows(BatchIterator* rows, SchemaPtr schema, const std::vector<std::string>* columns,
             const RowFilter* filter)
      : rows_(rows), schema_(std::move(schema)), columns_(columns), filter_(filter) {}

  const SchemaPtr& schema() const override { return schema_; }

  Result<std::shared_ptr<arrow::RecordBatch>> Next() override {
    while (true) {
      LF_ASSIGN_OR_RETURN(auto batch, rows_->Next());
      if (!batch) return batch;
      if (filter_) {
        LF_ASSIGN_OR_RETURN(batch, filter_->Apply(batch));
        if (batch->num_rows() == 0) continue;
      }
      if (columns_->empty()) return batch;
      std::vector<int> indices;
      for (const auto& name : *columns_) {
        int i = batch->schema()->GetFieldIndex(name);
        if (i < 0) return Status::Internal("a batch lacks column '{}'", name);
        indices.push_back(i);
      }
      LF_ASSIGN_OR_RETURN_ARROW(auto projected, batch->SelectColumns(indices));
      return projected;
    }
  }

 private:
  BatchIterator* rows_;
  SchemaPtr schema_;
  const std::vector<std::string>* columns_;
  const RowFilter* filter_;
};

// The top-level column a name or path (`a.b`) starts with.
std::string TopLevel(const std::string& path) {
  return path.substr(0, path.find('.'));
}

}  // namespace

Result<RowShape> RowShape::Make(const TableObject& object, const SchemaPtr& source,
                                const std::vector<std::string>& primary_keys,
                                const std::string& sequence_by, const std::string& where) {
  RowShape shape;
  shape.schema_ = source;
  if (object.row_filter) {
    auto filter = RowFilter::Parse(*object.row_filter, source);
    if (!filter.ok()) return filter.status().WithContext(where);
    shape.filter_ = std::make_shared<const RowFilter>(std::move(filter).value());
  }
  const bool include = !object.include_columns.empty();
  const auto& listed = include ? object.include_columns : object.exclude_columns;
  if (listed.empty()) return shape;
  if (include && !object.exclude_columns.empty())
    return Status::Invalid("{}: include_columns and exclude_columns: give one or the other", where);
  const char* option = include ? "include_columns" : "exclude_columns";
  for (const auto& name : listed) {
    if (!source->GetFieldByName(name))
      return Status::Invalid("{}: {}: '{}' is not a column of source table '{}'", where, option,
                             name, object.source_table);
  }
  std::set<std::string> named(listed.begin(), listed.end());
  std::vector<std::pair<std::string, const char*>> needed;
  for (const auto& key : primary_keys) needed.emplace_back(TopLevel(key), "primary key");
  if (!sequence_by.empty()) needed.emplace_back(TopLevel(sequence_by), "sequence column");
  for (const auto& [column, role] : needed) {
    if (include != (named.count(column) > 0))
      return Status::Invalid("{}: {}: the {} '{}' must be kept", where, option, role, column);
  }
  arrow::FieldVector kept;
  for (const auto& field : source->fields()) {
    if (include != (named.count(field->name()) > 0)) continue;
    kept.push_back(field);
    shape.columns_.push_back(field->name());
  }
  if (kept.empty()) return Status::Invalid("{}: {} leaves no column", where, option);
  shape.schema_ = arrow::schema(std::move(kept));
  return shape;
}

std::unique_ptr<BatchIterator> RowShape::Apply(BatchIterator* rows, bool filter_rows) const {
  return std::make_unique<ShapedRows>(rows, schema_, &columns_,
                                      filter_rows ? filter_.get() : nullptr);
}

}  // namespace lakeflow::pipeline
