// Python records -> Arrow, driven by the schema.
//
// A Python connector's read_table yields dicts. PyRecordConverter walks them
// with CPython's C API straight into Arrow builders, one appender per field
// as the JSON converter does, and applies the same coercions as the JSON
// converter (core/json_converter.h) to the JSON text of the same records, so
// a connector's records land the same whether its values arrive as JSON or as
// Python objects. Python-only values are taken as the JSON text the template's
// runner would have written for them: datetime, date and time as ISO 8601,
// Decimal as its text, bytes as base64 (a binary column takes bytes as they
// are), a pyspark Row as its dict.
//
// This replaced one json.dumps per page parsed back by the JSON converter: on
// GitHub issues it converts a record in 18-22 µs, where json.dumps alone took
// 68-80 (docs/BENCHMARKS.md, Python connectors).
//
// Errors name the table, the record's index in the Append call, the field
// path and the value, as the JSON converter's do. Unlike the JSON converter,
// a failed Append is not rolled back: the read that called it fails, and the
// converter is dropped with it.
//
// Every call needs the GIL.
#pragma once

#include <pybind11/pybind11.h>

#include <memory>
#include <string>

#include "lakeflow/core/status.h"
#include "lakeflow/core/types.h"

namespace lakeflow::python {

class PyRecordConverter {
 public:
  // `table` names the table in errors.
  static Result<std::unique_ptr<PyRecordConverter>> Make(std::string table, SchemaPtr schema);
  virtual ~PyRecordConverter() = default;

  // Appends every record of `records`, a list of dicts.
  virtual Status Append(pybind11::handle records) = 0;

  // Rows appended since the last Flush.
  virtual int64_t num_rows() const = 0;

  // Finishes the rows appended so far as one batch and starts a new one.
  virtual Result<std::shared_ptr<arrow::RecordBatch>> Flush() = 0;
};

}  // namespace lakeflow::python
