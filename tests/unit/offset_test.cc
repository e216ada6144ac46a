#include "lakeflow/core/offset.h"

#include <gtest/gtest.h>

#include <string>

namespace lakeflow {
namespace {

Offset Parse(std::string_view text) {
  auto o = OffsetFromString(text, "test");
  EXPECT_TRUE(o.ok()) << o.status().ToString();
  return o.ok() ? *o : Offset();
}

TEST(Offset, EqualRegardlessOfKeyOrder) {
  Offset a = Parse(R"({"b": 1, "a": {"y": 2, "x": 3}})");
  Offset b = Parse(R"({"a": {"x": 3, "y": 2}, "b": 1})");
  EXPECT_TRUE(OffsetsEqual(a, b));
  EXPECT_EQ(OffsetToString(a), OffsetToString(b));
}

TEST(Offset, CanonicalTextIsTheCompactSortedDump) {
  Offset a = Parse(R"({ "page" : 2, "cursor": "2024-01-01T00:00:00Z", "a": [3, 1] })");
  EXPECT_EQ(OffsetToString(a), R"({"a":[3,1],"cursor":"2024-01-01T00:00:00Z","page":2})");
}

TEST(Offset, DifferentValuesAreNotEqual) {
  EXPECT_FALSE(OffsetsEqual(Parse(R"({"page":1})"), Parse(R"({"page":2})")));
  EXPECT_FALSE(OffsetsEqual(Parse(R"({"page":1})"), Parse(R"({"page":"1"})")));
  EXPECT_FALSE(OffsetsEqual(Parse(R"({"page":1})"), Parse(R"({"page":1,"more":true})")));
}

TEST(Offset, NoOffsetIsNotTheEmptyObject) {
  Offset none;
  Offset empty = Json::object();
  EXPECT_TRUE(OffsetsEqual(none, Offset()));
  EXPECT_TRUE(OffsetsEqual(empty, Offset(Json::object())));
  EXPECT_FALSE(OffsetsEqual(none, empty));
  EXPECT_FALSE(OffsetsEqual(empty, none));
  EXPECT_EQ(OffsetToString(none), "null");
  EXPECT_EQ(OffsetToString(empty), "{}");
}

TEST(Offset, NullAndEmptyTextGiveNoOffset) {
  EXPECT_FALSE(Parse("null").has_value());
  EXPECT_FALSE(Parse("").has_value());
  Offset empty = Parse("{}");
  ASSERT_TRUE(empty.has_value());
  EXPECT_TRUE(empty->is_object());
  EXPECT_TRUE(empty->empty());
}

TEST(Offset, TextRoundTrips) {
  Offset a = Parse(R"({"cursor":"x","n":[1,{"z":null}]})");
  Offset b = Parse(OffsetToString(a));
  EXPECT_TRUE(OffsetsEqual(a, b));
  EXPECT_FALSE(Parse(OffsetToString(Offset())).has_value());
}

void ExpectRefused(std::string_view text, std::string_view what) {
  auto o = OffsetFromString(text, "checkpoint/offsets/7");
  ASSERT_FALSE(o.ok()) << text;
  EXPECT_EQ(o.status().code(), StatusCode::kInvalidArgument) << text;
  EXPECT_NE(o.status().message().find("checkpoint/offsets/7"), std::string::npos)
      << o.status().message();
  EXPECT_NE(o.status().message().find(what), std::string::npos) << o.status().message();
}

TEST(Offset, RefusesAnArrayNamingWhere) {
  ExpectRefused("[1, 2]", "array");
}

TEST(Offset, RefusesAStringNamingWhere) {
  ExpectRefused(R"("page-2")", "string");
}

TEST(Offset, RefusesANumberOrBooleanNamingWhere) {
  ExpectRefused("42", "number");
  ExpectRefused("true", "boolean");
}

TEST(Offset, RefusesInvalidJsonNamingWhere) {
  ExpectRefused(R"({"page":)", "not valid JSON");
  ExpectRefused("{page: 1}", "not valid JSON");
}

}  // namespace
}  // namespace lakeflow
