// Reading single cells of Arrow arrays, for the destinations' per-row paths.
#pragma once

#include <arrow/api.h>

namespace lakeflow::sinks {

// Whether a cell of `id` reads as one int64 (booleans as 0/1, dates as days,
// timestamps in their unit).
inline bool IsIntegerLike(arrow::Type::type id) {
  switch (id) {
    case arrow::Type::BOOL:
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64:
    case arrow::Type::DATE32:
    case arrow::Type::TIMESTAMP:
      return true;
    default:
      return false;
  }
}

// The cell as int64; `a` must be IsIntegerLike.
inline int64_t IntegerCell(const arrow::Array& a, int64_t row) {
  switch (a.type_id()) {
    case arrow::Type::BOOL:
      return static_cast<const arrow::BooleanArray&>(a).Value(row) ? 1 : 0;
    case arrow::Type::INT8:
      return static_cast<const arrow::Int8Array&>(a).Value(row);
    case arrow::Type::INT16:
      return static_cast<const arrow::Int16Array&>(a).Value(row);
    case arrow::Type::INT32:
      return static_cast<const arrow::Int32Array&>(a).Value(row);
    case arrow::Type::DATE32:
      return static_cast<const arrow::Date32Array&>(a).Value(row);
    case arrow::Type::TIMESTAMP:
      return static_cast<const arrow::TimestampArray&>(a).Value(row);
    default:
      return static_cast<const arrow::Int64Array&>(a).Value(row);
  }
}

}  // namespace lakeflow::sinks
