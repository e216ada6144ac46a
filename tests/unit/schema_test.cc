#include "lakeflow/core/schema.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lakeflow {
namespace {

using nlohmann::json;

TEST(SchemaDdl, ParsesNestedTypes) {
  auto schema =
      ParseDdl("id LONG NOT NULL, labels ARRAY<STRUCT<name: STRING>>, m MAP<STRING, INT>");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  ASSERT_EQ((*schema)->num_fields(), 3);
  EXPECT_FALSE((*schema)->field(0)->nullable());
  EXPECT_EQ((*schema)->field(0)->type()->id(), arrow::Type::INT64);
  EXPECT_EQ(SparkTypeString(*(*schema)->field(1)), "array<struct<name:string>>");
  EXPECT_EQ(SparkTypeString(*(*schema)->field(2)), "map<string,integer>");
}

TypePtr Ts() {
  return arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
}
TypePtr TsNtz() {
  return arrow::timestamp(arrow::TimeUnit::MICRO);
}
TypePtr ListOf(TypePtr t) {
  return arrow::list(arrow::field("element", std::move(t)));
}
TypePtr MapOf(TypePtr k, TypePtr v) {
  return std::make_shared<arrow::MapType>(arrow::field("key", std::move(k), false),
                                          arrow::field("value", std::move(v)));
}

struct TypeCase {
  const char* ddl;
  TypePtr expected;
  const char* spark;  // SparkTypeString
};

TEST(SchemaDdl, ParsesEveryTypeAndAlias) {
  const std::vector<TypeCase> cases = {
      {"string", arrow::utf8(), "string"},
      {"STRING", arrow::utf8(), "string"},
      {"byte", arrow::int8(), "byte"},
      {"TINYINT", arrow::int8(), "byte"},
      {"short", arrow::int16(), "short"},
      {"smallint", arrow::int16(), "short"},
      {"int", arrow::int32(), "integer"},
      {"Integer", arrow::int32(), "integer"},
      {"long", arrow::int64(), "long"},
      {"BIGINT", arrow::int64(), "long"},
      {"float", arrow::float32(), "float"},
      {"double", arrow::float64(), "double"},
      {"boolean", arrow::boolean(), "boolean"},
      {"decimal(10,2)", arrow::decimal128(10, 2), "decimal(10,2)"},
      {"DECIMAL( 38 , 0 )", arrow::decimal128(38, 0), "decimal(38,0)"},
      {"decimal(5)", arrow::decimal128(5, 0), "decimal(5,0)"},
      {"decimal", arrow::decimal128(10, 0), "decimal(10,0)"},
      {"date", arrow::date32(), "date"},
      {"timestamp", Ts(), "timestamp"},
      {"TIMESTAMP_NTZ", TsNtz(), "timestamp_ntz"},
      {"binary", arrow::binary(), "binary"},
      {"array<int>", ListOf(arrow::int32()), "array<integer>"},
      {"ARRAY < ARRAY<string> >", ListOf(ListOf(arrow::utf8())), "array<array<string>>"},
      {"map<string, bigint>", MapOf(arrow::utf8(), arrow::int64()), "map<string,long>"},
      {"struct<a: int, b string>",
       arrow::struct_({arrow::field("a", arrow::int32()), arrow::field("b", arrow::utf8())}),
       "struct<a:integer,b:string>"},
      {"struct<>", arrow::struct_(arrow::FieldVector{}), "struct<>"},
  };
  for (const auto& c : cases) {
    auto type = ParseDdlType(c.ddl);
    ASSERT_TRUE(type.ok()) << c.ddl << ": " << type.status().ToString();
    EXPECT_TRUE((*type)->Equals(*c.expected))
        << c.ddl << " gave " << (*type)->ToString() << ", expected " << c.expected->ToString();
    EXPECT_EQ(SparkTypeString(arrow::Field("f", *type)), c.spark) << c.ddl;
  }
}

TEST(SchemaDdl, VariantIsUtf8MarkedByMetadata) {
  auto schema = ParseDdl("v VARIANT, s STRING, a ARRAY<VARIANT>");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  const auto& v = *(*schema)->field(0);
  EXPECT_TRUE(v.type()->Equals(*arrow::utf8()));
  EXPECT_TRUE(IsVariant(v));
  EXPECT_EQ(SparkTypeString(v), "variant");
  EXPECT_FALSE(IsVariant(*(*schema)->field(1)));
  EXPECT_EQ(SparkTypeString(*(*schema)->field(2)), "array<variant>");
}

TEST(SchemaDdl, NotNullCommentAndBackQuotedNames) {
  auto schema = ParseDdl(
      "id BIGINT NOT NULL COMMENT 'the key', `my col` STRING COMMENT \"x, y\", `a``b` INT not "
      "null, "
      "c: DOUBLE");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  ASSERT_EQ((*schema)->num_fields(), 4);
  EXPECT_EQ((*schema)->field(0)->name(), "id");
  EXPECT_FALSE((*schema)->field(0)->nullable());
  EXPECT_EQ((*schema)->field(1)->name(), "my col");
  EXPECT_TRUE((*schema)->field(1)->nullable());
  EXPECT_EQ((*schema)->field(2)->name(), "a`b");
  EXPECT_FALSE((*schema)->field(2)->nullable());
  EXPECT_EQ((*schema)->field(3)->name(), "c");
  EXPECT_TRUE((*schema)->field(3)->type()->Equals(*arrow::float64()));
}

TEST(SchemaDdl, StructFieldsTakeNotNullAndCommentWithOrWithoutColon) {
  auto type = ParseDdlType("STRUCT<a: INT NOT NULL COMMENT 'c', b STRING, `c d`: ARRAY<LONG>>");
  ASSERT_TRUE(type.ok()) << type.status().ToString();
  auto expected =
      arrow::struct_({arrow::field("a", arrow::int32(), false), arrow::field("b", arrow::utf8()),
                      arrow::field("c d", ListOf(arrow::int64()))});
  EXPECT_TRUE((*type)->Equals(*expected)) << (*type)->ToString();
}

TEST(SchemaDdl, ToDdlWritesQuotedNamesAndSparkTypeNames) {
  auto schema = ParseDdl(
      "id long not null, m map<string,int>, s struct<a: decimal(10,2) not null>, v variant, "
      "`a``b` timestamp_ntz");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_EQ(SchemaToDdl(**schema),
            "`id` LONG NOT NULL, `m` MAP<STRING, INT>, `s` STRUCT<`a`: DECIMAL(10,2) NOT NULL>, "
            "`v` VARIANT, "
            "`a``b` TIMESTAMP_NTZ");
}

TEST(SchemaDdl, ToDdlThenParseRoundTrips) {
  const char* ddl =
      "id LONG NOT NULL, name STRING, tags ARRAY<STRING>, address STRUCT<city: STRING NOT NULL, "
      "zip: STRING>, "
      "attrs MAP<STRING, ARRAY<INT>>, score DECIMAL(10,2), birthday DATE, active BOOLEAN, avatar "
      "BINARY, "
      "profile VARIANT NOT NULL, level BYTE, rank SHORT, ratio FLOAT, weight DOUBLE, age INT, "
      "created_at TIMESTAMP, local_at TIMESTAMP_NTZ, `odd ``name```: ARRAY<STRUCT<v: VARIANT>>";
  auto schema = ParseDdl(ddl);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  std::string text = SchemaToDdl(**schema);
  auto again = ParseDdl(text);
  ASSERT_TRUE(again.ok()) << text << ": " << again.status().ToString();
  EXPECT_TRUE((*again)->Equals(**schema, /*check_metadata=*/true)) << text;
  EXPECT_EQ(SchemaToDdl(**again), text);
  EXPECT_TRUE(IsVariant(*(*again)->GetFieldByName("profile")));
  EXPECT_FALSE((*again)->GetFieldByName("profile")->nullable());
}

void ExpectBadDdl(std::string_view ddl, std::string_view position, std::string_view what) {
  auto schema = ParseDdl(ddl);
  ASSERT_FALSE(schema.ok()) << ddl;
  EXPECT_EQ(schema.status().code(), StatusCode::kInvalidArgument) << ddl;
  const std::string& m = schema.status().message();
  EXPECT_NE(m.find(std::string("position ") + std::string(position)), std::string::npos) << m;
  EXPECT_NE(m.find(what), std::string::npos) << m;
}

TEST(SchemaDdlErrors, UnknownTypeNamesPositionAndType) {
  ExpectBadDdl("id INT, x FOO", "10", "'FOO'");
}

TEST(SchemaDdlErrors, MissingClosingAngleNamesPosition) {
  ExpectBadDdl("a ARRAY<INT", "11", "'>' closing ARRAY");
  ExpectBadDdl("m MAP<STRING, INT", "17", "'>' closing MAP");
  ExpectBadDdl("s STRUCT<a INT", "14", "STRUCT");
}

TEST(SchemaDdlErrors, TrailingGarbageNamesPosition) {
  ExpectBadDdl("id INT garbage", "7", "','");
}

TEST(SchemaDdlErrors, DecimalPrecisionOutOfRange) {
  ExpectBadDdl("d DECIMAL(40,2)", "2", "DECIMAL(40,2)");
  ExpectBadDdl("d DECIMAL(5,6)", "2", "DECIMAL(5,6)");
  ExpectBadDdl("d DECIMAL(10,2", "9", "')'");
}

TEST(SchemaDdlErrors, OtherSyntaxErrorsNamePosition) {
  ExpectBadDdl("", "0", "empty schema");
  ExpectBadDdl("id INT NOT", "10", "NULL after NOT");
  ExpectBadDdl("`id INT", "7", "'`'");
  ExpectBadDdl("id", "2", "a type");
  ExpectBadDdl("id INT COMMENT x", "15", "quoted string");
  ExpectBadDdl("id INT,", "7", "column name");
}

TEST(SchemaDdlErrors, DuplicateColumnNamesCaseInsensitively) {
  auto schema = ParseDdl("id INT, name STRING, ID LONG");
  ASSERT_FALSE(schema.ok());
  EXPECT_EQ(schema.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(schema.status().message().find("duplicate"), std::string::npos)
      << schema.status().message();
  EXPECT_NE(schema.status().message().find("'ID'"), std::string::npos) << schema.status().message();
}

TEST(SchemaDdlErrors, DuplicateColumnErrorNamesPosition) {
  ExpectBadDdl("id INT, name STRING, ID LONG", "21", "'ID'");
}

TEST(SchemaDdlErrors, NamesThatOnlyStartLikeATypeAreUnknown) {
  for (const char* bad : {"x CHARM", "x DECADE", "x NUMERICAL", "x VARCHARS", "x DECIMALS"}) {
    auto schema = ParseDdl(bad);
    ASSERT_FALSE(schema.ok()) << bad << " parsed as " << (*schema)->ToString();
    EXPECT_EQ(schema.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(schema.status().message().find("position 2"), std::string::npos)
        << schema.status().message();
  }
}

TEST(SchemaDdlErrors, SingleTypeRefusesTrailingText) {
  auto type = ParseDdlType("INT, LONG");
  ASSERT_FALSE(type.ok());
  EXPECT_EQ(type.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(type.status().message().find("position 3"), std::string::npos)
      << type.status().message();
}

// Spark's StructType.json() form, written out by hand from Spark's format.
const json& NestedSparkJson() {
  static const json kJson = json::parse(R"js({
    "type": "struct",
    "fields": [
      {"name": "id", "type": "long", "nullable": false, "metadata": {}},
      {"name": "n", "type": "integer", "nullable": true, "metadata": {}},
      {"name": "price", "type": "decimal(10,2)", "nullable": true, "metadata": {}},
      {"name": "ts", "type": "timestamp_ntz", "nullable": true, "metadata": {}},
      {"name": "v", "type": "variant", "nullable": true, "metadata": {}},
      {"name": "tags", "type": {"type": "array", "elementType": "string", "containsNull": true},
       "nullable": true, "metadata": {}},
      {"name": "attrs",
       "type": {"type": "map", "keyType": "string", "valueType": "long", "valueContainsNull": true},
       "nullable": true, "metadata": {}},
      {"name": "addr",
       "type": {"type": "struct", "fields": [
         {"name": "city", "type": "string", "nullable": false, "metadata": {}},
         {"name": "geo", "type": {"type": "array", "elementType": "double", "containsNull": true},
          "nullable": true, "metadata": {}}]},
       "nullable": true, "metadata": {}}
    ]
  })js");
  return kJson;
}

TEST(SchemaSparkJson, NestedSchemaGivesSparksExactJson) {
  auto schema = ParseDdl(
      "id LONG NOT NULL, n INT, price DECIMAL(10,2), ts TIMESTAMP_NTZ, v VARIANT, tags "
      "ARRAY<STRING>, "
      "attrs MAP<STRING, LONG>, addr STRUCT<city: STRING NOT NULL, geo: ARRAY<DOUBLE>>");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_EQ(SchemaToSparkJson(**schema), NestedSparkJson()) << SchemaToSparkJson(**schema).dump(2);
}

TEST(SchemaSparkJson, PrimitiveTypeNames) {
  auto schema = ParseDdl(
      "a BYTE, b SHORT, c FLOAT, d DOUBLE, e BOOLEAN, f DATE, g TIMESTAMP, h BINARY, i STRING");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  json j = SchemaToSparkJson(**schema);
  std::vector<std::string> types;
  for (const auto& f : j["fields"]) types.push_back(f["type"].get<std::string>());
  EXPECT_EQ(types, (std::vector<std::string>{"byte", "short", "float", "double", "boolean", "date",
                                             "timestamp", "binary", "string"}));
}

TEST(SchemaSparkJson, JsonToSchemaToJsonRoundTrips) {
  json j = NestedSparkJson();
  // Non-default nullability of elements and values must survive too.
  j["fields"].push_back(json::parse(R"({"name": "strict",
      "type": {"type": "map", "keyType": "string",
               "valueType": {"type": "array", "elementType": "variant", "containsNull": false},
               "valueContainsNull": false},
      "nullable": false, "metadata": {}})"));
  auto schema = SchemaFromSparkJson(j);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_EQ(SchemaToSparkJson(**schema), j) << SchemaToSparkJson(**schema).dump(2);
  auto text = SchemaFromSparkJson(std::string_view(j.dump()));
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_TRUE((*text)->Equals(**schema, /*check_metadata=*/true));
}

TEST(SchemaSparkJson, JsonGivesTheSameSchemaAsDdl) {
  auto from_ddl = ParseDdl(
      "id LONG NOT NULL, n INT, price DECIMAL(10,2), ts TIMESTAMP_NTZ, v VARIANT, tags "
      "ARRAY<STRING>, "
      "attrs MAP<STRING, LONG>, addr STRUCT<city: STRING NOT NULL, geo: ARRAY<DOUBLE>>");
  auto from_json = SchemaFromSparkJson(NestedSparkJson());
  ASSERT_TRUE(from_ddl.ok() && from_json.ok());
  EXPECT_TRUE((*from_json)->Equals(**from_ddl, /*check_metadata=*/true))
      << (*from_json)->ToString() << "\nvs\n"
      << (*from_ddl)->ToString();
}

TEST(SchemaSparkJson, MissingNullableDefaultsToTrue) {
  auto schema = SchemaFromSparkJson(
      std::string_view(R"({"type":"struct","fields":[{"name":"a","type":"long"}]})"));
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_TRUE((*schema)->field(0)->nullable());
  EXPECT_TRUE((*schema)->field(0)->type()->Equals(*arrow::int64()));
}

void ExpectBadJson(std::string_view text, std::string_view what) {
  auto schema = SchemaFromSparkJson(text);
  ASSERT_FALSE(schema.ok()) << text;
  EXPECT_EQ(schema.status().code(), StatusCode::kInvalidArgument) << text;
  EXPECT_NE(schema.status().message().find(what), std::string::npos) << schema.status().message();
}

TEST(SchemaSparkJsonErrors, NotJson) {
  ExpectBadJson("{\"type\": ", "not valid JSON");
}

TEST(SchemaSparkJsonErrors, TopLevelMustBeAStruct) {
  ExpectBadJson(R"({"type":"array","elementType":"long","containsNull":true})", "top level");
  ExpectBadJson(R"("long")", "top level");
}

TEST(SchemaSparkJsonErrors, StructWithoutFields) {
  ExpectBadJson(R"({"type":"struct"})", "'fields'");
}

TEST(SchemaSparkJsonErrors, FieldWithoutNameOrType) {
  ExpectBadJson(R"({"type":"struct","fields":[{"type":"long"}]})", "'name' and 'type'");
  ExpectBadJson(R"({"type":"struct","fields":[{"name":"a"}]})", "'name' and 'type'");
}

TEST(SchemaSparkJsonErrors, UnknownTypeNamesTheFieldPath) {
  ExpectBadJson(R"({"type":"struct","fields":[{"name":"addr","type":{"type":"struct","fields":[
                   {"name":"zip","type":"uuid"}]}}]})",
                "'addr.zip'");
  ExpectBadJson(R"({"type":"struct","fields":[{"name":"addr","type":{"type":"struct","fields":[
                   {"name":"zip","type":"uuid"}]}}]})",
                "'uuid'");
  ExpectBadJson(R"({"type":"struct","fields":[{"name":"t","type":{"type":"tuple"}}]})", "'t'");
  ExpectBadJson(
      R"({"type":"struct","fields":[{"name":"t","type":{"type":"array","elementType":"nope"}}]})",
      "'t[]'");
}

TEST(SchemaSparkJsonErrors, DuplicateFieldsCaseInsensitively) {
  ExpectBadJson(
      R"({"type":"struct","fields":[{"name":"Id","type":"long"},{"name":"id","type":"long"}]})",
      "duplicate field 'id'");
}

TEST(SchemaChecks, CheckSupportedTypeRefusesTypesSparkLacks) {
  EXPECT_TRUE(CheckSupportedType(arrow::Field("a", ListOf(arrow::int64()))).ok());
  Status st = CheckSupportedType(arrow::Field("a", ListOf(arrow::uint32())));
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("a: "), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("uint32"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace lakeflow
