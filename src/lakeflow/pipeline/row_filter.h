// A pipeline table's row_filter: a SQL predicate over the source's columns,
// evaluated on each Arrow batch before it is written. A row is kept when the
// predicate is TRUE; FALSE and NULL (SQL's unknown) drop it.
//
// The SQL understood is a predicate's usual vocabulary, enough for the filters
// managed ingestion offers, and nothing the engine cannot evaluate exactly:
//
//   column = literal, <>, !=, <, <=, >, >=   (either side a column or a literal)
//   column IS [NOT] NULL
//   column [NOT] IN (literal, ...)
//   column [NOT] BETWEEN literal AND literal
//   column [NOT] LIKE 'pattern'               (% and _)
//   NOT p, p AND p, p OR p, (p)
//
// Columns are names (`a`, or `a.b` for a struct's field; backticks quote a
// name); literals are numbers, 'strings' ('' for a quote), TRUE, FALSE, NULL,
// DATE '2024-01-31' and TIMESTAMP '2024-01-31T10:00:00Z'. A literal compared
// with a column is converted to the column's type, so `updated_at >
// '2024-01-01'` compares timestamps. Anything else (functions, arithmetic,
// unknown columns, a literal that is not of its column's type) is refused
// with one line naming the filter and the place.
#pragma once

#include <arrow/compute/expression.h>

#include <memory>
#include <string>

#include "lakeflow/connect/batch_iterator.h"
#include "lakeflow/core/status.h"
#include "lakeflow/core/types.h"

namespace lakeflow::pipeline {

class RowFilter {
 public:
  // `text` parsed against the source table's `schema`.
  static Result<RowFilter> Parse(const std::string& text, const SchemaPtr& schema);

  // The rows of `batch` the predicate keeps (the batch itself when all are).
  Result<std::shared_ptr<arrow::RecordBatch>> Apply(
      const std::shared_ptr<arrow::RecordBatch>& batch) const;

  const std::string& text() const { return text_; }

 private:
  RowFilter(std::string text, arrow::compute::Expression bound)
      : text_(std::move(text)), bound_(std::move(bound)) {}

  std::string text_;
  arrow::compute::Expression bound_;  // bound to the source schema
};

}  // namespace lakeflow::pipeline
