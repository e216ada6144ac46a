// Schemas in Spark's two textual forms.
//
// DDL is what connector authors write ("id LONG NOT NULL, labels
// ARRAY<STRUCT<name: STRING>>"); StructType JSON is what Spark's
// StructType.fromJson reads, so Python rebuilds exactly the same schema.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "lakeflow/core/types.h"

namespace lakeflow {

// How deeply types may nest (ARRAY<ARRAY<...>>, STRUCT<a: STRUCT<...>>) in
// either form: parsers recurse per level, and no real schema comes near it.
inline constexpr int kMaxTypeDepth = 64;

// Parses a Spark DDL column list. Errors name the position and what was expected.
Result<SchemaPtr> ParseDdl(std::string_view ddl);

// Parses one Spark type in DDL form ("array<struct<a: int>>").
Result<TypePtr> ParseDdlType(std::string_view type);

// The schema as DDL ("`id` LONG NOT NULL, ..."); ParseDdl reads it back.
std::string SchemaToDdl(const arrow::Schema& schema);

// Spark StructType JSON:
// {"type":"struct","fields":[{"name":..,"type":..,"nullable":..,"metadata":{}}]}
nlohmann::json SchemaToSparkJson(const arrow::Schema& schema);
Result<SchemaPtr> SchemaFromSparkJson(const nlohmann::json& json);
Result<SchemaPtr> SchemaFromSparkJson(std::string_view text);

// Errors for duplicate field names (case-insensitive, as Spark resolves them).
Status CheckNoDuplicateFields(const arrow::Schema& schema);

}  // namespace lakeflow
