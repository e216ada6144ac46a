#include "lakeflow/connectors/postgres/pg_types.h"

#include <arrow/api.h>

#include <map>
#include <optional>

#include "lakeflow/connectors/postgres/pg_connection.h"

namespace lakeflow::postgres {
namespace {

constexpr int32_t kMaxDecimalPrecision = 38;
constexpr int32_t kVarHeaderSize = 4;  // numeric typmods carry it

// Base types with a native binary decoder, by typname.
std::optional<PgKind> NativeKind(const std::string& name, char type_type) {
  if (type_type == 'e') return PgKind::kText;  // an enum's binary form is its label
  static const std::map<std::string, PgKind, std::less<>> kinds = {
      {"bool", PgKind::kBool},
      {"int2", PgKind::kInt2},
      {"int4", PgKind::kInt4},
      {"int8", PgKind::kInt8},
      {"float4", PgKind::kFloat4},
      {"float8", PgKind::kFloat8},
      {"numeric", PgKind::kNumeric},
      {"text", PgKind::kText},
      {"varchar", PgKind::kText},
      {"bpchar", PgKind::kText},
      {"name", PgKind::kText},
      {"char", PgKind::kText},
      {"json", PgKind::kText},
      {"jsonb", PgKind::kJsonb},
      {"bytea", PgKind::kBytea},
      {"uuid", PgKind::kUuid},
      {"date", PgKind::kDate},
      {"timestamp", PgKind::kTimestamp},
      {"timestamptz", PgKind::kTimestampTz},
  };
  auto it = kinds.find(name);
  if (it == kinds.end()) return std::nullopt;
  return it->second;
}

// Fills precision and scale; false for a numeric that fits no DECIMAL.
bool DecimalShape(int32_t type_modifier, PgColumn* column) {
  if (type_modifier < kVarHeaderSize) return false;  // numeric without precision
  int32_t packed = type_modifier - kVarHeaderSize;
  column->precision = (packed >> 16) & 0xFFFF;
  column->scale = packed & 0xFFFF;
  // PostgreSQL 15 allows a negative scale or one above the precision.
  if (column->scale > 0x7FFF) return false;
  return column->precision <= kMaxDecimalPrecision && column->scale <= column->precision;
}

TypePtr ArrowTypeOf(PgKind kind, const PgColumn& column) {
  switch (kind) {
    case PgKind::kBool:
      return arrow::boolean();
    case PgKind::kInt2:
      return arrow::int16();
    case PgKind::kInt4:
      return arrow::int32();
    case PgKind::kInt8:
      return arrow::int64();
    case PgKind::kFloat4:
      return arrow::float32();
    case PgKind::kFloat8:
      return arrow::float64();
    case PgKind::kNumeric:
      return arrow::decimal128(column.precision, column.scale);
    case PgKind::kBytea:
      return arrow::binary();
    case PgKind::kDate:
      return arrow::date32();
    case PgKind::kTimestamp:
      return arrow::timestamp(arrow::TimeUnit::MICRO);
    case PgKind::kTimestampTz:
      return arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
    case PgKind::kArray:
      return arrow::list(arrow::field("element", ArrowTypeOf(column.element, column)));
    case PgKind::kText:
    case PgKind::kJsonb:
    case PgKind::kUuid:
      return arrow::utf8();
  }
  return arrow::utf8();
}

}  // namespace

PgColumn DescribeColumn(std::string name, std::string declared, bool not_null,
                        const PgTypeInfo& type) {
  PgColumn column;
  column.name = std::move(name);
  column.declared = std::move(declared);
  column.not_null = not_null;
  if (type.category == 'A') {
    column.kind = PgKind::kArray;
    auto element = NativeKind(type.element_name, type.element_type_type);
    bool fits =
        element && (*element != PgKind::kNumeric || DecimalShape(type.type_modifier, &column));
    column.element = fits ? *element : PgKind::kText;
    column.cast_to_text = !fits;
    return column;
  }
  auto kind = NativeKind(type.name, type.type_type);
  bool fits = kind && (*kind != PgKind::kNumeric || DecimalShape(type.type_modifier, &column));
  column.kind = fits ? *kind : PgKind::kText;
  column.cast_to_text = !fits;
  return column;
}

FieldPtr FieldFor(const PgColumn& column) {
  return arrow::field(column.name, ArrowTypeOf(column.kind, column), !column.not_null);
}

// Values without a native decoding are read as their type's output text: the
// text pgoutput streams for them too, so a snapshot and a change agree. A
// plain ::text cast is not always that (inet's shows the netmask), while an
// array's cast to text always goes through its elements' output functions.
std::string SelectExpression(const PgColumn& column) {
  std::string quoted = QuoteIdentifier(column.name);
  if (!column.cast_to_text) return quoted;
  if (column.kind == PgKind::kArray) return quoted + "::text::text[]";
  return "(ARRAY[" + quoted + "]::text::text[])[1]";
}

}  // namespace lakeflow::postgres
