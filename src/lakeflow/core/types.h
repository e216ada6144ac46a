// Spark SQL types as Arrow types.
//
// A connector declares its schema in Spark's terms (DDL or StructType JSON);
// inside the engine a schema is an arrow::Schema. The mapping is one-to-one so a
// schema survives the round trip Spark -> Arrow -> Spark unchanged:
//
//   string -> utf8            byte -> int8          short -> int16
//   int -> int32              long -> int64         float -> float32
//   double -> float64         boolean -> bool       decimal(p,s) -> decimal128(p,s)
//   date -> date32            timestamp -> timestamp[us, UTC]
//   timestamp_ntz -> timestamp[us]                   binary -> binary
//   array<T> -> list<T>       map<K,V> -> map<K,V>  struct<...> -> struct<...>
//   variant -> utf8 holding JSON text, marked by field metadata
//
// Variant has no Arrow type of its own that every reader understands, so it is
// carried as JSON text and tagged with kSparkTypeKey = "variant" on the field.
#pragma once

#include <arrow/type.h>

#include <memory>
#include <string>

#include "lakeflow/core/status.h"

namespace lakeflow {

using SchemaPtr = std::shared_ptr<arrow::Schema>;
using FieldPtr = std::shared_ptr<arrow::Field>;
using TypePtr = std::shared_ptr<arrow::DataType>;

inline constexpr const char* kSparkTypeKey = "lakeflow.spark_type";

// A field of Spark type variant.
FieldPtr VariantField(const std::string& name, bool nullable = true);
bool IsVariant(const arrow::Field& field);

// Spark's simpleString of a field's type: "bigint"-free, using Spark's JSON
// names: "long", "array<struct<name:string>>", "decimal(10,2)", "variant".
std::string SparkTypeString(const arrow::Field& field);

// Spark's type name for an Arrow type, or an error for types Spark lacks.
Result<std::string> SparkTypeName(const arrow::DataType& type);

// Arrow type for a primitive Spark type name ("long", "bigint", "decimal(10,2)").
// Case-insensitive; accepts the DDL aliases. Not for array/map/struct.
Result<TypePtr> PrimitiveTypeFromSparkName(std::string_view name);

// Whether an Arrow type is one the engine can carry (the mapping above).
Status CheckSupportedType(const arrow::Field& field);

// `column` with exactly `type` (field names, nullability, metadata). Builders
// rebuild nested types from their children, which loses what the schema said.
std::shared_ptr<arrow::Array> WithFieldType(std::shared_ptr<arrow::Array> column,
                                            const TypePtr& type);

}  // namespace lakeflow
