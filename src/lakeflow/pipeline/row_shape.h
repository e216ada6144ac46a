// What a pipeline table keeps of its source's rows: the columns its spec
// includes or excludes, and the rows its row_filter passes. The filter sees
// every source column; the destination gets the kept columns only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lakeflow/connect/batch_iterator.h"
#include "lakeflow/connect/lakeflow_connect.h"
#include "lakeflow/pipeline/pipeline_spec.h"
#include "lakeflow/pipeline/row_filter.h"

namespace lakeflow::pipeline {

class RowShape {
 public:
  // The shape `object` asks of `source` rows. The keys and the sequence
  // column stay whatever the spec says: excluding one is an error, as are
  // unknown columns and both lists at once. `where` prefixes errors.
  static Result<RowShape> Make(const TableObject& object, const SchemaPtr& source,
                               const std::vector<std::string>& primary_keys,
                               const std::string& sequence_by, const std::string& where);

  // The destination table's schema.
  const SchemaPtr& schema() const { return schema_; }
  bool filters() const { return filter_ != nullptr; }

  // `rows` filtered (when `filter_rows`; deletes are never filtered) and
  // projected; the iterator refers to `rows` and this shape.
  std::unique_ptr<BatchIterator> Apply(BatchIterator* rows, bool filter_rows) const;

 private:
  SchemaPtr schema_;
  std::vector<std::string> columns_;  // kept, in source order; empty when all are
  std::shared_ptr<const RowFilter> filter_;
};

}  // namespace lakeflow::pipeline
