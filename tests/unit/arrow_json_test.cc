#include "lakeflow/core/arrow_json.h"

#include <arrow/builder.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "lakeflow/core/types.h"

namespace lakeflow {
namespace {

std::shared_ptr<arrow::Array> Array(const TypePtr& type, std::string_view values) {
  auto array = arrow::json::ArrayFromJSONString(type, values);
  EXPECT_TRUE(array.ok()) << array.status().ToString();
  return *array;
}

std::string ValueAt(const arrow::Array& array, int64_t row, const arrow::Field* field = nullptr) {
  std::string out;
  AppendJsonValue(array, row, field, &out);
  return out;
}

std::string Value(const TypePtr& type, std::string_view values, int64_t row = 0) {
  return ValueAt(*Array(type, values), row);
}

TypePtr TsUtc() {
  return arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
}
TypePtr TsNtz() {
  return arrow::timestamp(arrow::TimeUnit::MICRO);
}

TEST(ArrowJson, Integers) {
  EXPECT_EQ(Value(arrow::int8(), "[-128]"), "-128");
  EXPECT_EQ(Value(arrow::int16(), "[32767]"), "32767");
  EXPECT_EQ(Value(arrow::int32(), "[-2147483648]"), "-2147483648");
  EXPECT_EQ(Value(arrow::int64(), "[9007199254740993]"), "9007199254740993");
}

TEST(ArrowJson, FloatsAndNonFiniteAsNull) {
  EXPECT_EQ(Value(arrow::float64(), "[70.25]"), "70.25");
  EXPECT_EQ(Value(arrow::float32(), "[0.5]"), "0.5");
  arrow::DoubleBuilder b;
  ASSERT_TRUE(b.AppendValues({std::nan(""), std::numeric_limits<double>::infinity(),
                              -std::numeric_limits<double>::infinity(), -1.5})
                  .ok());
  std::shared_ptr<arrow::Array> a;
  ASSERT_TRUE(b.Finish(&a).ok());
  EXPECT_EQ(ValueAt(*a, 0), "null");
  EXPECT_EQ(ValueAt(*a, 1), "null");
  EXPECT_EQ(ValueAt(*a, 2), "null");
  EXPECT_EQ(ValueAt(*a, 3), "-1.5");
}

TEST(ArrowJson, Booleans) {
  auto a = Array(arrow::boolean(), "[true, false]");
  EXPECT_EQ(ValueAt(*a, 0), "true");
  EXPECT_EQ(ValueAt(*a, 1), "false");
}

TEST(ArrowJson, StringsAreEscaped) {
  auto a = Array(arrow::utf8(), R"(["plain", "q\"b\\s", "line\nbreak\ttab", "\u0001", "é"])");
  EXPECT_EQ(ValueAt(*a, 0), R"("plain")");
  EXPECT_EQ(ValueAt(*a, 1), R"("q\"b\\s")");
  EXPECT_EQ(ValueAt(*a, 2), R"("line\nbreak\ttab")");
  EXPECT_EQ(ValueAt(*a, 3), R"("\u0001")");
  EXPECT_EQ(ValueAt(*a, 4), "\"é\"");
}

TEST(ArrowJson, VariantTextPassesThroughAsJson) {
  auto a = Array(arrow::utf8(), R"(["{\"k\":[1,2]}", "\"text\""])");
  auto variant = VariantField("v");
  EXPECT_EQ(ValueAt(*a, 0, variant.get()), R"({"k":[1,2]})");
  EXPECT_EQ(ValueAt(*a, 1, variant.get()), R"("text")");
  // The same column without the variant mark is a string.
  arrow::Field plain("v", arrow::utf8());
  EXPECT_EQ(ValueAt(*a, 0, &plain), R"("{\"k\":[1,2]}")");
}

TEST(ArrowJson, TimestampsWithAndWithoutZoneAndMicros) {
  // 2024-01-02T03:04:05Z = 1704164645 s.
  auto utc = Array(TsUtc(), "[1704164645123456, 1704164645000000, 1704164645000001]");
  EXPECT_EQ(ValueAt(*utc, 0), R"("2024-01-02T03:04:05.123456Z")");
  EXPECT_EQ(ValueAt(*utc, 1), R"("2024-01-02T03:04:05Z")");
  EXPECT_EQ(ValueAt(*utc, 2), R"("2024-01-02T03:04:05.000001Z")");
  auto ntz = Array(TsNtz(), "[1704164645123456, 0]");
  EXPECT_EQ(ValueAt(*ntz, 0), R"("2024-01-02T03:04:05.123456")");
  EXPECT_EQ(ValueAt(*ntz, 1), R"("1970-01-01T00:00:00")");
}

TEST(ArrowJson, NegativeTimestamps) {
  auto a = Array(TsUtc(), "[-1, -1000000, -86400000000, -1500000]");
  EXPECT_EQ(ValueAt(*a, 0), R"("1969-12-31T23:59:59.999999Z")");
  EXPECT_EQ(ValueAt(*a, 1), R"("1969-12-31T23:59:59Z")");
  EXPECT_EQ(ValueAt(*a, 2), R"("1969-12-31T00:00:00Z")");
  EXPECT_EQ(ValueAt(*a, 3), R"("1969-12-31T23:59:58.500000Z")");
}

TEST(ArrowJson, FormatTimestampMicrosDirectly) {
  EXPECT_EQ(FormatTimestampMicros(0, true), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestampMicros(951782400000000, false), "2000-02-29T00:00:00");
  EXPECT_EQ(FormatTimestampMicros(-62135596800000000, true), "0001-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestampMicros(253402300799999999, true), "9999-12-31T23:59:59.999999Z");
}

TEST(ArrowJson, Dates) {
  auto a = Array(arrow::date32(), "[0, -1, 19723, 11016, -719162]");
  EXPECT_EQ(ValueAt(*a, 0), R"("1970-01-01")");
  EXPECT_EQ(ValueAt(*a, 1), R"("1969-12-31")");
  EXPECT_EQ(ValueAt(*a, 2), R"("2024-01-01")");
  EXPECT_EQ(ValueAt(*a, 3), R"("2000-02-29")");
  EXPECT_EQ(ValueAt(*a, 4), R"("0001-01-01")");
  EXPECT_EQ(FormatDate(19782), "2024-02-29");
  // Before year 1, ISO 8601's expanded years: 1 BC is year 0, 44 BC year -43.
  EXPECT_EQ(FormatDate(-719528), "0000-01-01");
  EXPECT_EQ(FormatDate(-735160), "-0043-03-15");
}

TEST(ArrowJson, Base64OfRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(ArrowJson, BinaryIsBase64) {
  arrow::BinaryBuilder b;
  ASSERT_TRUE(b.Append(std::string_view("hello")).ok());
  ASSERT_TRUE(b.Append(std::string_view("\xfb\xff", 2)).ok());
  ASSERT_TRUE(b.Append(std::string_view()).ok());
  std::shared_ptr<arrow::Array> a;
  ASSERT_TRUE(b.Finish(&a).ok());
  EXPECT_EQ(ValueAt(*a, 0), R"("aGVsbG8=")");
  EXPECT_EQ(ValueAt(*a, 1), R"("+/8=")");
  EXPECT_EQ(ValueAt(*a, 2), R"("")");
}

TEST(ArrowJson, DecimalsAreExactJsonNumbers) {
  auto a = Array(arrow::decimal128(10, 2), R"(["123.45", "-0.05", "0.00", "-99999999.99"])");
  EXPECT_EQ(ValueAt(*a, 0), "123.45");
  EXPECT_EQ(ValueAt(*a, 1), "-0.05");
  EXPECT_EQ(ValueAt(*a, 2), "0.00");
  EXPECT_EQ(ValueAt(*a, 3), "-99999999.99");
  EXPECT_EQ(Value(arrow::decimal128(38, 0), R"(["12345678901234567890123456789012345678"])"),
            "12345678901234567890123456789012345678");
}

TEST(ArrowJson, NullsOfEveryKind) {
  for (const auto& type : {arrow::int64(), arrow::utf8(), arrow::float64(), arrow::boolean(),
                           arrow::date32(), TsUtc(), arrow::binary(), arrow::decimal128(10, 2),
                           arrow::list(arrow::int32()), arrow::map(arrow::utf8(), arrow::int32()),
                           arrow::struct_({arrow::field("a", arrow::int32())})}) {
    EXPECT_EQ(Value(type, "[null]"), "null") << type->ToString();
  }
  auto variant = VariantField("v");
  EXPECT_EQ(ValueAt(*Array(arrow::utf8(), "[null]"), 0, variant.get()), "null");
}

TEST(ArrowJson, Lists) {
  auto a = Array(arrow::list(arrow::int32()), "[[1, null, 3], [], null, [4]]");
  EXPECT_EQ(ValueAt(*a, 0), "[1,null,3]");
  EXPECT_EQ(ValueAt(*a, 1), "[]");
  EXPECT_EQ(ValueAt(*a, 2), "null");
  EXPECT_EQ(ValueAt(*a, 3), "[4]");
  // A slice starts its rows at its offset.
  auto sliced = a->Slice(3);
  EXPECT_EQ(ValueAt(*sliced, 0), "[4]");
}

TEST(ArrowJson, NestedListOfStrings) {
  auto a = Array(arrow::list(arrow::list(arrow::utf8())), R"([[["a", "b"], [], null]])");
  EXPECT_EQ(ValueAt(*a, 0), R"([["a","b"],[],null])");
}

TEST(ArrowJson, MapsWithStringAndNonStringKeys) {
  auto m = Array(arrow::map(arrow::utf8(), arrow::int64()), R"([[["a", 1], ["b", null]], []])");
  EXPECT_EQ(ValueAt(*m, 0), R"({"a":1,"b":null})");
  EXPECT_EQ(ValueAt(*m, 1), "{}");
  auto ints = Array(arrow::map(arrow::int32(), arrow::utf8()), R"([[[1, "x"], [-2, "y"]]])");
  EXPECT_EQ(ValueAt(*ints, 0), R"({"1":"x","-2":"y"})");
  auto sliced =
      Array(arrow::map(arrow::utf8(), arrow::int64()), R"([[["a", 1]], [["z", 26]]])")->Slice(1);
  EXPECT_EQ(ValueAt(*sliced, 0), R"({"z":26})");
}

TEST(ArrowJson, Structs) {
  auto type = arrow::struct_({arrow::field("a", arrow::int32()), arrow::field("b", arrow::utf8()),
                              arrow::field("c", arrow::list(arrow::boolean()))});
  auto s =
      Array(type, R"([{"a": 1, "b": "x", "c": [true]}, {"a": null, "b": "y", "c": null}, null])");
  EXPECT_EQ(ValueAt(*s, 0), R"({"a":1,"b":"x","c":[true]})");
  EXPECT_EQ(ValueAt(*s, 1), R"({"a":null,"b":"y","c":null})");
  EXPECT_EQ(ValueAt(*s, 2), "null");
  auto sliced = s->Slice(1);
  EXPECT_EQ(ValueAt(*sliced, 0), R"({"a":null,"b":"y","c":null})");
}

TEST(ArrowJson, VariantInsideStructListAndMapPassesThrough) {
  auto st = arrow::struct_({VariantField("v"), arrow::field("s", arrow::utf8())});
  EXPECT_EQ(Value(st, R"([{"v": "{\"k\":1}", "s": "{\"k\":1}"}])"),
            R"({"v":{"k":1},"s":"{\"k\":1}"})");
  auto list = arrow::list(VariantField("element"));
  EXPECT_EQ(Value(list, R"([["[1,2]", "null", "true"]])"), "[[1,2],null,true]");
  // Built from its parts: ArrayFromJSONString drops the item field's metadata.
  auto map = std::make_shared<arrow::MapType>(arrow::field("key", arrow::utf8(), false),
                                              VariantField("value"));
  auto m = arrow::MapArray::FromArrays(map, Array(arrow::int32(), "[0, 2]"),
                                       Array(arrow::utf8(), R"(["k", "n"])"),
                                       Array(arrow::utf8(), R"(["{\"a\":[]}", null])"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(ValueAt(**m, 0), R"({"k":{"a":[]},"n":null})");
}

TEST(ArrowJson, RecordWritesEveryColumnByName) {
  auto schema =
      arrow::schema({arrow::field("id", arrow::int64()), arrow::field("na\"me", arrow::utf8()),
                     VariantField("v"), arrow::field("d", arrow::date32())});
  auto batch = arrow::RecordBatch::Make(
      schema, 2,
      {Array(arrow::int64(), "[1, 2]"), Array(arrow::utf8(), R"(["a", null])"),
       Array(arrow::utf8(), R"(["{}", "[1]"])"), Array(arrow::date32(), "[0, 1]")});
  std::string out;
  AppendJsonRecord(*batch, 1, &out);
  EXPECT_EQ(out, R"({"id":2,"na\"me":null,"v":[1],"d":"1970-01-02"})");
  out.clear();
  AppendJsonRecord(*batch, 0, &out);
  EXPECT_EQ(out, R"({"id":1,"na\"me":"a","v":{},"d":"1970-01-01"})");
}

}  // namespace
}  // namespace lakeflow
