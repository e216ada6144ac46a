// PostgreSQL column types and how they land in Arrow (docs/connectors/postgres.md).
//
// The connector reads with COPY ... (FORMAT binary), so each column is decoded
// from PostgreSQL's binary send format. Types decoded natively:
//
//   bool -> BOOLEAN          int2 -> SHORT    int4 -> INT    int8 -> LONG
//   float4 -> FLOAT          float8 -> DOUBLE
//   numeric(p,s), p <= 38 -> DECIMAL(p,s)
//   text, varchar, bpchar, name, char, json, jsonb, enums -> STRING
//   bytea -> BINARY          uuid -> STRING (8-4-4-4-12 hex)
//   date -> DATE             timestamp -> TIMESTAMP_NTZ    timestamptz -> TIMESTAMP
//   one-dimensional arrays of the above -> ARRAY<T>
//
// Everything else (numeric without a precision or above 38 digits, time,
// timetz, interval, inet, money, xml, ranges, geometric types, ...) is
// selected as text and lands as STRING holding the type's output text, as
// psql shows it and as logical replication streams it.
// Domains take their base type.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lakeflow/core/types.h"

namespace lakeflow::postgres {

enum class PgKind {
  kBool,
  kInt2,
  kInt4,
  kInt8,
  kFloat4,
  kFloat8,
  kNumeric,
  kText,   // any type whose binary form is its text: text, varchar, json, enums, ::text casts
  kJsonb,  // a version byte, then the text
  kBytea,
  kUuid,
  kDate,
  kTimestamp,
  kTimestampTz,
  kArray,
};

// What the catalog says of a column's type (domains resolved to their base).
struct PgTypeInfo {
  std::string name;      // pg_type.typname: "int4", "_int4", "numeric"
  char type_type = 'b';  // pg_type.typtype: b base, e enum, d domain, ...
  char category = 'U';   // pg_type.typcategory: A array, ...
  int32_t type_modifier = -1;
  std::string element_name;  // arrays: the element's typname
  char element_type_type = 'b';
};

struct PgColumn {
  std::string name;
  std::string declared;  // format_type(): "numeric(10,2)", "character varying(20)"
  bool not_null = false;
  PgKind kind = PgKind::kText;
  PgKind element = PgKind::kText;  // arrays
  bool cast_to_text = false;       // selected as its output text (or text[])
  int32_t precision = 0;           // numeric
  int32_t scale = 0;
};

// How a column of `type` is read.
PgColumn DescribeColumn(std::string name, std::string declared, bool not_null,
                        const PgTypeInfo& type);

// The Arrow field (with its Spark type) a column lands as. Columns are
// nullable unless NOT NULL.
FieldPtr FieldFor(const PgColumn& column);

// The column's expression in the SELECT that COPY runs.
std::string SelectExpression(const PgColumn& column);

}  // namespace lakeflow::postgres
