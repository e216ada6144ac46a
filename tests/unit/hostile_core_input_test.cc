// Core parsers fed hostile text: each answers with one error line, never an
// exception, an abort or a stack overflow.
#include <gtest/gtest.h>

#include <string>

#include "lakeflow/core/offset.h"
#include "lakeflow/core/schema.h"
#include "testing/hostile.h"

namespace lakeflow {
namespace {

using testing::Deep;
using testing::DeepJsonObject;

bool Mentions(const Status& st, const std::string& text) {
  return st.message().find(text) != std::string::npos;
}

TEST(HostileOffset, DeepNestingIsRefusedBeforeParsing) {
  auto offset = OffsetFromString(DeepJsonObject(100000), "checkpoint file ck/offsets/3");
  ASSERT_FALSE(offset.ok());
  EXPECT_TRUE(Mentions(offset.status(), "checkpoint file ck/offsets/3"))
      << offset.status().message();
  EXPECT_TRUE(Mentions(offset.status(), "nested deeper")) << offset.status().message();
}

TEST(HostileOffset, ModestNestingStillParses) {
  auto offset = OffsetFromString(DeepJsonObject(50), "offset");
  ASSERT_TRUE(offset.ok()) << offset.status().ToString();
  EXPECT_EQ(OffsetFromString(OffsetToString(*offset), "offset")->value(), offset->value());
}

TEST(HostileDdl, DeepTypeNestingIsOneErrorLine) {
  auto schema = ParseDdl("a " + Deep("ARRAY<", "INT", ">", 200000));
  ASSERT_FALSE(schema.ok());
  EXPECT_TRUE(Mentions(schema.status(), "nested deeper than 64")) << schema.status().message();
  EXPECT_LT(schema.status().message().size(), 400u);  // one line, not the whole DDL
  auto type = ParseDdlType(Deep("STRUCT<a: ", "INT", ">", 200000));
  ASSERT_FALSE(type.ok());
  auto map = ParseDdlType(Deep("MAP<STRING, ", "INT", ">", 200000));
  ASSERT_FALSE(map.ok());
}

TEST(HostileDdl, SixtyFourLevelsAreAccepted) {
  auto type = ParseDdlType(Deep("ARRAY<", "INT", ">", 63));
  ASSERT_TRUE(type.ok()) << type.status().ToString();
  EXPECT_FALSE(ParseDdlType(Deep("ARRAY<", "INT", ">", 65)).ok());
}

TEST(HostileSchemaJson, DeepNestingIsOneErrorLine) {
  std::string deep =
      Deep(R"({"type":"array","containsNull":true,"elementType":)", R"("int")", "}", 100000);
  std::string text =
      R"({"type":"struct","fields":[{"name":"a","nullable":true,"type":)" + deep + "}]}";
  auto schema = SchemaFromSparkJson(std::string_view(text));
  ASSERT_FALSE(schema.ok());
  EXPECT_TRUE(Mentions(schema.status(), "nested deeper")) << schema.status().message();
}

TEST(HostileSchemaJson, TypesNestedPastTheDdlLimitAreRefused) {
  std::string deep =
      Deep(R"({"type":"array","containsNull":true,"elementType":)", R"("int")", "}", 100);
  std::string text =
      R"({"type":"struct","fields":[{"name":"a","nullable":true,"type":)" + deep + "}]}";
  auto schema = SchemaFromSparkJson(std::string_view(text));
  ASSERT_FALSE(schema.ok());
  EXPECT_TRUE(Mentions(schema.status(), "nested deeper than 64")) << schema.status().message();
}

TEST(HostileSchemaJson, MembersOfTheWrongTypeAreErrorsNotExceptions) {
  for (
      const char* text : {
          R"({"type":1,"fields":[]})",
          R"({"type":"struct","fields":[{"name":"a","type":"int","nullable":"yes"}]})",
          R"({"type":"struct","fields":[{"name":"a","type":{"type":"array","elementType":"int","containsNull":0}}]})",
          R"({"type":"struct","fields":[{"name":"a","type":{"type":"map","keyType":"string","valueType":"int","valueContainsNull":"no"}}]})",
          R"({"type":"struct","fields":[{"name":"a","type":{"type":"array"}}]})",
      }) {
    auto schema = SchemaFromSparkJson(std::string_view(text));
    EXPECT_FALSE(schema.ok()) << text;
  }
}

}  // namespace
}  // namespace lakeflow
