// The checked accessors for outside JSON (core/json_access.h).
#include "lakeflow/core/json_access.h"

#include <gtest/gtest.h>

#include "testing/hostile.h"

namespace lakeflow {
namespace {

TEST(JsonDepth, CountsBracketsOutsideStringsOnly) {
  EXPECT_TRUE(JsonDepthWithin("[[1]]", 2));
  EXPECT_FALSE(JsonDepthWithin("[[[1]]]", 2));
  EXPECT_TRUE(JsonDepthWithin(R"(["[[[[", "\"[[[["])", 1));
  EXPECT_TRUE(JsonDepthWithin("[1] [2] [3]", 1));  // siblings do not add up
  EXPECT_FALSE(JsonDepthWithin(testing::DeepJsonObject(kMaxJsonDepth + 1)));
  EXPECT_TRUE(JsonDepthWithin(testing::DeepJsonObject(kMaxJsonDepth)));
}

TEST(ParseJson, OneLineNamingWhere) {
  auto bad = ParseJson("{", "file f", StatusCode::kIO);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kIO);
  EXPECT_EQ(bad.status().message(), "file f: not valid JSON");
  auto deep = ParseJson(testing::Deep("[", "", "]", 100000), "file f");
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().message(), "file f: JSON nested deeper than 256 levels");
  EXPECT_EQ(ParseJson(R"({"a":1})", "x")->at("a"), 1);
}

TEST(JsonFields, TypesAreCheckedAndNamed) {
  Json j = {{"s", "text"},     {"i", 3},           {"f", 2.5},
            {"b", true},       {"n", nullptr},     {"o", {{"inner", "x"}}},
            {"l", {"a", "b"}}, {"mixed", {"a", 1}}};
  auto fields = JsonFields::Of(j, "doc");
  ASSERT_TRUE(fields.ok());
  EXPECT_EQ(*fields->String("s"), "text");
  EXPECT_EQ(fields->String("i").status().message(), "doc: 'i' must be a string");
  EXPECT_EQ(fields->String("missing").status().message(), "doc: 'missing' is missing");
  EXPECT_EQ(*fields->StringOr("n", "fallback"), "fallback");  // null is absent
  EXPECT_EQ(*fields->Int("i"), 3);
  EXPECT_FALSE(fields->Int("f").ok());
  EXPECT_FALSE(fields->IntOr("s", 0).ok());
  EXPECT_TRUE(*fields->BoolOr("b", false));
  EXPECT_FALSE(fields->BoolOr("i", false).ok());
  auto inner = fields->Object("o");
  ASSERT_TRUE(inner.ok());
  EXPECT_EQ(inner->Int("inner").status().message(), "doc: 'o.inner' must be an integer");
  EXPECT_EQ(*fields->StringsOr("l"), (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(fields->StringsOr("mixed").ok());
  EXPECT_TRUE(fields->StringsOr("absent")->empty());
  EXPECT_FALSE(JsonFields::Of(Json::array(), "doc").ok());
}

TEST(JsonInteger, OnlyWholeNumbersInRange) {
  EXPECT_EQ(JsonInteger(Json(3.0)), 3);
  EXPECT_EQ(JsonInteger(Json(-7)), -7);
  EXPECT_EQ(JsonInteger(Json(3.5)), std::nullopt);
  EXPECT_EQ(JsonInteger(Json(1e300)), std::nullopt);
  EXPECT_EQ(JsonInteger(Json(uint64_t{18446744073709551615ULL})), std::nullopt);
  EXPECT_EQ(JsonInteger(Json("3")), std::nullopt);
}

TEST(DumpJson, BytesThatAreNotUtf8AreReplacedNotThrown) {
  Json j = {{"name", testing::kNotUtf8}};
  EXPECT_EQ(DumpJson(j), "{\"name\":\"bad\xEF\xBF\xBD\xEF\xBF\xBD\"}");
}

TEST(DumpExactJson, RefusesWhatItCannotWriteExactly) {
  Json good = {{"page", "https://h/x?q=caf\xC3\xA9"}};
  auto text = DumpExactJson(good, "an offset");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, good.dump());
  Json bad = {{"page", std::string("caf\xE9")}};
  auto refused = DumpExactJson(bad, "the end offset of batch 3");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(),
            "the end offset of batch 3 holds text that is not valid UTF-8");
}

}  // namespace
}  // namespace lakeflow
