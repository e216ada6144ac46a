// PostgreSQL's text output (as pgoutput sends it, with DateStyle=ISO,
// TimeZone=UTC, extra_float_digits=3, bytea_output=hex) decoded to Arrow.
// Expected values are written by hand or read by Arrow from JSON; the epoch
// offsets of BC dates are what PostgreSQL itself computes
// ('0044-03-15 BC'::date - '1970-01-01'::date).
#include "lakeflow/connectors/postgres/pg_text_decoder.h"

#include <arrow/api.h>
#include <arrow/json/from_string.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lakeflow/connectors/postgres/pg_copy_decoder.h"

namespace lakeflow::postgres {
namespace {

using Text = std::optional<std::string_view>;

constexpr int64_t kMicrosPerHour = 3'600'000'000;
// 2024-01-02 03:04:05 UTC.
constexpr int64_t kJan2At030405 = 1'704'164'645'000'000;

PgTypeInfo Type(std::string name, char type_type = 'b') {
  PgTypeInfo type;
  type.name = std::move(name);
  type.type_type = type_type;
  return type;
}

// numeric(precision, scale): the typmod packs both after a 4-byte header.
PgTypeInfo NumericType(int32_t precision, int32_t scale) {
  PgTypeInfo type = Type("numeric");
  type.category = 'N';
  type.type_modifier = ((precision << 16) | scale) + 4;
  return type;
}

PgTypeInfo ArrayOf(PgTypeInfo element) {
  PgTypeInfo type = element;
  type.name = "_" + element.name;
  type.type_type = 'b';
  type.category = 'A';
  type.element_name = element.name;
  type.element_type_type = element.type_type;
  return type;
}

PgColumn Column(std::string name, std::string declared, const PgTypeInfo& type,
                bool not_null = false) {
  return DescribeColumn(std::move(name), std::move(declared), not_null, type);
}

SchemaPtr SchemaFor(const std::vector<PgColumn>& columns) {
  arrow::FieldVector fields;
  for (const auto& column : columns) fields.push_back(FieldFor(column));
  return arrow::schema(fields);
}

std::unique_ptr<PgTextDecoder> Decoder(const std::vector<PgColumn>& columns) {
  auto made = PgTextDecoder::Make("public.t", columns, SchemaFor(columns));
  EXPECT_TRUE(made.ok()) << made.status().ToString();
  return made.ok() ? std::move(*made) : nullptr;
}

std::shared_ptr<arrow::RecordBatch> FlushValid(PgTextDecoder& decoder) {
  auto batch = decoder.Flush();
  EXPECT_TRUE(batch.ok()) << batch.status().ToString();
  if (!batch.ok()) return nullptr;
  auto valid = (*batch)->ValidateFull();
  EXPECT_TRUE(valid.ok()) << valid.ToString();
  return *batch;
}

// One row per value, of the one column; the column decoded.
std::shared_ptr<arrow::Array> DecodeColumn(const PgColumn& column,
                                           const std::vector<Text>& values) {
  auto decoder = Decoder({column});
  if (decoder == nullptr) return nullptr;
  for (const Text& value : values) {
    Status status = decoder->AppendRow(std::span(&value, 1));
    EXPECT_TRUE(status.ok()) << (value ? *value : "NULL") << ": " << status.ToString();
  }
  EXPECT_EQ(decoder->num_rows(), static_cast<int64_t>(values.size()));
  auto batch = FlushValid(*decoder);
  return batch == nullptr ? nullptr : batch->column(0);
}

// Checks the column decoded from `values` against Arrow's reading of `json`.
void ExpectColumn(const PgColumn& column, const std::vector<Text>& values,
                  const std::string& json) {
  auto array = DecodeColumn(column, values);
  ASSERT_NE(array, nullptr);
  EXPECT_TRUE(array->type()->Equals(*FieldFor(column)->type())) << array->type()->ToString();
  auto expected = arrow::json::ArrayFromJSONString(array->type(), json);
  ASSERT_TRUE(expected.ok()) << expected.status().ToString();
  EXPECT_TRUE(array->Equals(**expected))
      << "got " << array->ToString() << "\nwant " << (*expected)->ToString();
}

// The error that one value of `column` gives, checked to be a conversion error.
std::string ErrorOf(const PgColumn& column, Text value) {
  auto decoder = Decoder({column});
  if (decoder == nullptr) return "";
  Status status = decoder->AppendRow(std::span(&value, 1));
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), StatusCode::kConversion) << status.ToString();
  EXPECT_EQ(status.message().find('\n'), std::string::npos) << status.message();
  return status.message();
}

template <typename ArrayType>
const ArrayType& As(const std::shared_ptr<arrow::Array>& array) {
  return static_cast<const ArrayType&>(*array);
}

// --- Scalars -------------------------------------------------------------------

TEST(PgTextDecoderTest, Booleans) {
  auto column = Column("ok", "boolean", Type("bool"));
  ExpectColumn(column, {"t", "f", std::nullopt}, "[true, false, null]");
  EXPECT_EQ(ErrorOf(column, "true"), "column 'ok': cannot read 'true' as boolean");
  EXPECT_EQ(ErrorOf(column, ""), "column 'ok': cannot read '' as boolean");
}

TEST(PgTextDecoderTest, IntegersOfEachWidth) {
  ExpectColumn(Column("a", "smallint", Type("int2")), {"-32768", "32767", "0", std::nullopt},
               "[-32768, 32767, 0, null]");
  ExpectColumn(Column("b", "integer", Type("int4")), {"-2147483648", "2147483647", "42"},
               "[-2147483648, 2147483647, 42]");
  auto column = Column("c", "bigint", Type("int8"));
  auto array = DecodeColumn(column, {"-9223372036854775808", "9223372036854775807", "-7"});
  ASSERT_NE(array, nullptr);
  const auto& values = As<arrow::Int64Array>(array);
  EXPECT_EQ(values.Value(0), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(values.Value(1), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(values.Value(2), -7);
}

TEST(PgTextDecoderTest, IntegersBeyondTheColumnWidthOrNotIntegersAreErrors) {
  EXPECT_EQ(ErrorOf(Column("a", "smallint", Type("int2")), "32768"),
            "column 'a': cannot read '32768' as smallint");
  EXPECT_EQ(ErrorOf(Column("a", "smallint", Type("int2")), "-32769"),
            "column 'a': cannot read '-32769' as smallint");
  EXPECT_EQ(ErrorOf(Column("b", "integer", Type("int4")), "2147483648"),
            "column 'b': cannot read '2147483648' as integer");
  EXPECT_EQ(ErrorOf(Column("c", "bigint", Type("int8")), "9223372036854775808"),
            "column 'c': cannot read '9223372036854775808' as bigint");
  auto column = Column("b", "integer", Type("int4"));
  for (std::string_view bad : {"", "1.5", "1e3", " 1", "1 ", "+1", "x", "--1", "0x10"})
    EXPECT_EQ(ErrorOf(column, bad), fmt::format("column 'b': cannot read '{}' as integer", bad));
}

TEST(PgTextDecoderTest, FloatsReadBackToTheStoredValue) {
  auto array = DecodeColumn(Column("d", "double precision", Type("float8")),
                            {"0.1", "1e+30", "1.2345678e-05", "-0", "NaN", "Infinity", "-Infinity",
                             "5e-324", "1.7976931348623157e+308", std::nullopt});
  ASSERT_NE(array, nullptr);
  const auto& d = As<arrow::DoubleArray>(array);
  EXPECT_EQ(d.Value(0), 0.1);
  EXPECT_EQ(d.Value(1), 1e30);
  EXPECT_EQ(d.Value(2), 1.2345678e-05);
  EXPECT_EQ(d.Value(3), 0.0);
  EXPECT_TRUE(std::signbit(d.Value(3)));
  EXPECT_TRUE(std::isnan(d.Value(4)));
  EXPECT_EQ(d.Value(5), std::numeric_limits<double>::infinity());
  EXPECT_EQ(d.Value(6), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(d.Value(7), std::numeric_limits<double>::denorm_min());
  EXPECT_EQ(d.Value(8), std::numeric_limits<double>::max());
  EXPECT_TRUE(d.IsNull(9));

  array = DecodeColumn(Column("r", "real", Type("float4")),
                       {"0.1", "3.4028235e+38", "1e-45", "NaN", "-Infinity", "1.5"});
  ASSERT_NE(array, nullptr);
  const auto& r = As<arrow::FloatArray>(array);
  EXPECT_EQ(r.Value(0), 0.1f);  // the float nearest 0.1, not the double's rounding
  EXPECT_EQ(r.Value(1), std::numeric_limits<float>::max());
  EXPECT_EQ(r.Value(2), std::numeric_limits<float>::denorm_min());
  EXPECT_TRUE(std::isnan(r.Value(3)));
  EXPECT_EQ(r.Value(4), -std::numeric_limits<float>::infinity());
  EXPECT_EQ(r.Value(5), 1.5f);
}

TEST(PgTextDecoderTest, FloatsBeyondTheColumnOrNotNumbersAreErrors) {
  EXPECT_EQ(ErrorOf(Column("r", "real", Type("float4")), "1e+39"),
            "column 'r': cannot read '1e+39' as real");
  EXPECT_EQ(ErrorOf(Column("d", "double precision", Type("float8")), "one"),
            "column 'd': cannot read 'one' as double precision");
  EXPECT_EQ(ErrorOf(Column("d", "double precision", Type("float8")), ""),
            "column 'd': cannot read '' as double precision");
}

TEST(PgTextDecoderTest, NumericsAsDecimals) {
  ExpectColumn(Column("amount", "numeric(10,2)", NumericType(10, 2)),
               {"123.45", "-0.50", "0.00", "99999999.99", "-99999999.99", std::nullopt},
               R"(["123.45", "-0.50", "0.00", "99999999.99", "-99999999.99", null])");
  ExpectColumn(Column("big", "numeric(38,0)", NumericType(38, 0)),
               {"12345678901234567890123456789012345678", "-1"},
               R"(["12345678901234567890123456789012345678", "-1"])");
  ExpectColumn(Column("tiny", "numeric(5,5)", NumericType(5, 5)), {"0.00001", "-0.99999"},
               R"(["0.00001", "-0.99999"])");
}

TEST(PgTextDecoderTest, NumericsSparkCannotHoldSayWhy) {
  auto column = Column("amount", "numeric(10,2)", NumericType(10, 2));
  EXPECT_EQ(ErrorOf(column, "NaN"), "column 'amount': NaN has no value in decimal(10,2)");
  EXPECT_EQ(ErrorOf(column, "Infinity"),
            "column 'amount': an infinite numeric has no value in decimal(10,2)");
  EXPECT_EQ(ErrorOf(column, "-Infinity"),
            "column 'amount': an infinite numeric has no value in decimal(10,2)");
  EXPECT_EQ(ErrorOf(column, "12.3.4"), "column 'amount': cannot read '12.3.4' as numeric(10,2)");
  EXPECT_EQ(ErrorOf(column, "123456789.00"),
            "column 'amount': cannot read '123456789.00' as numeric(10,2)");
}

TEST(PgTextDecoderTest, TextKindsLandAsWritten) {
  ExpectColumn(Column("s", "text", Type("text")), {"plain", "", "é \"q\" \\ {x}", std::nullopt},
               R"(["plain", "", "é \"q\" \\ {x}", null])");
  ExpectColumn(Column("v", "character varying(20)", Type("varchar")), {"abc"}, R"(["abc"])");
  ExpectColumn(Column("c", "character(3)", Type("bpchar")), {"ab "}, R"(["ab "])");
  ExpectColumn(Column("mood", "mood", Type("mood", 'e')), {"happy"}, R"(["happy"])");
  ExpectColumn(Column("j", "json", Type("json")), {R"({"b": 1,   "a": [1,2]})"},
               R"(["{\"b\": 1,   \"a\": [1,2]}"])");
  // jsonb's text form has no version byte; its first character is kept.
  ExpectColumn(Column("jb", "jsonb", Type("jsonb")), {R"({"a": [1, 2], "b": 1})", "1"},
               R"(["{\"a\": [1, 2], \"b\": 1}", "1"])");
  ExpectColumn(Column("id", "uuid", Type("uuid")), {"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
               R"(["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"])");
  // Types without a native decoder land as their text.
  auto interval = Column("span", "interval", Type("interval"));
  ASSERT_TRUE(interval.cast_to_text);
  ExpectColumn(interval, {"1 day 02:00:00"}, R"(["1 day 02:00:00"])");
  auto wide = Column("n", "numeric", Type("numeric"));
  ASSERT_TRUE(wide.cast_to_text);
  ExpectColumn(wide, {"NaN", "1.000000000000000000000000000000000000000001"},
               R"(["NaN", "1.000000000000000000000000000000000000000001"])");
}

TEST(PgTextDecoderTest, ByteaFromHex) {
  auto array = DecodeColumn(Column("b", "bytea", Type("bytea")),
                            {"\\x0a0bff", "\\x", "\\x00FF", std::nullopt});
  ASSERT_NE(array, nullptr);
  const auto& b = As<arrow::BinaryArray>(array);
  EXPECT_EQ(b.GetView(0), std::string_view("\x0a\x0b\xff", 3));
  EXPECT_EQ(b.GetView(1), "");
  EXPECT_EQ(b.GetView(2), std::string_view("\x00\xff", 2));
  EXPECT_TRUE(b.IsNull(3));
}

TEST(PgTextDecoderTest, ByteaOtherThanHexIsAnError) {
  auto column = Column("b", "bytea", Type("bytea"));
  EXPECT_EQ(ErrorOf(column, "abc"), "column 'b': cannot read 'abc' as bytea");
  EXPECT_EQ(ErrorOf(column, "\\x0"), "column 'b': cannot read '\\x0' as bytea");
  EXPECT_EQ(ErrorOf(column, "\\xzz"), "column 'b': cannot read '\\xzz' as bytea");
  EXPECT_EQ(ErrorOf(column, "\\"), "column 'b': cannot read '\\' as bytea");
  EXPECT_EQ(ErrorOf(column, "\\001"), "column 'b': cannot read '\\001' as bytea");
}

TEST(PgTextDecoderTest, DatesIncludingBeforeChrist) {
  // 1 BC is the astronomical year 0 (a leap year), so 44 BC is the year -43.
  ExpectColumn(
      Column("d", "date", Type("date")),
      {"2024-01-02", "1970-01-01", "1969-12-31", "2000-02-29", "0044-03-15 BC", "0001-01-01 BC",
       "0001-02-29 BC", "4714-11-24 BC", "5874897-12-31", "12345-01-01", std::nullopt},
      "[19724, 0, -1, 11016, -735160, -719528, -719469, -2440588, 2145042905, 3789391, "
      "null]");
}

TEST(PgTextDecoderTest, DatesThatAreNoneAreErrors) {
  auto column = Column("d", "date", Type("date"));
  EXPECT_EQ(ErrorOf(column, "infinity"), "column 'd': the date 'infinity' has no value in Spark");
  EXPECT_EQ(ErrorOf(column, "-infinity"), "column 'd': the date '-infinity' has no value in Spark");
  for (std::string_view bad :
       {"2023-02-29", "1900-02-29", "0002-02-29 BC", "2024-13-01", "2024-00-10", "2024-01-00",
        "0000-01-01", "24-01-02", "2024-1-2", "2024/01/02", "2024-01-02 BC ", "2024-01-02 AD",
        "2024-01-02 00:00:00", "12345678-01-01", "", "Infinity"})
    EXPECT_EQ(ErrorOf(column, bad), fmt::format("column 'd': cannot read '{}' as date", bad));
  EXPECT_EQ(ErrorOf(column, "9999999-12-31"),
            "column 'd': the date '9999999-12-31' has no value in Spark");
}

TEST(PgTextDecoderTest, TimestampsWithFractionsAndEras) {
  ExpectColumn(Column("at", "timestamp without time zone", Type("timestamp")),
               {"2024-01-02 03:04:05", "2024-01-02 03:04:05.123456", "2024-01-02 03:04:05.5",
                "2024-01-02 03:04:05.05", "1969-12-31 23:59:59.999999", "0001-01-01 00:00:00 BC",
                "0044-03-15 12:00:00 BC", std::nullopt},
               fmt::format("[{}, {}, {}, {}, -1, -62167219200000000, -63517780800000000, null]",
                           kJan2At030405, kJan2At030405 + 123456, kJan2At030405 + 500000,
                           kJan2At030405 + 50000));
}

TEST(PgTextDecoderTest, TimestampsWithZonesLandInUtc) {
  auto column = Column("at", "timestamp with time zone", Type("timestamptz"));
  ExpectColumn(
      column,
      {"2024-01-02 03:04:05+00", "2024-01-02 03:04:05.25+00", "2024-01-02 03:04:05+05:30",
       "2024-01-02 03:04:05-03", "2024-01-02 03:04:05+01:02:03", "0001-01-01 00:00:00+00 BC",
       "1970-01-01 00:00:00-00:30", std::nullopt},
      fmt::format("[{}, {}, {}, {}, {}, -62167219200000000, {}, null]", kJan2At030405,
                  kJan2At030405 + 250000, kJan2At030405 - 5 * kMicrosPerHour - 1'800'000'000,
                  kJan2At030405 + 3 * kMicrosPerHour, kJan2At030405 - kMicrosPerHour - 123'000'000,
                  1'800'000'000));
  auto array = DecodeColumn(column, {"2024-01-02 03:04:05+00"});
  ASSERT_NE(array, nullptr);
  EXPECT_TRUE(array->type()->Equals(*arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")));
}

TEST(PgTextDecoderTest, TimestampsThatAreNoneAreErrors) {
  auto plain = Column("at", "timestamp without time zone", Type("timestamp"));
  auto zoned = Column("at", "timestamp with time zone", Type("timestamptz"));
  EXPECT_EQ(ErrorOf(plain, "infinity"),
            "column 'at': the timestamp 'infinity' has no value in Spark");
  EXPECT_EQ(ErrorOf(zoned, "-infinity"),
            "column 'at': the timestamp '-infinity' has no value in Spark");
  // PostgreSQL's last years are beyond int64 microseconds since 1970.
  EXPECT_EQ(ErrorOf(plain, "294276-12-31 23:59:59.999999"),
            "column 'at': the timestamp '294276-12-31 23:59:59.999999' has no value in Spark");
  for (std::string_view bad :
       {"2024-01-02", "2024-01-02T03:04:05", "2024-01-02 3:04:05", "2024-01-02 24:00:00",
        "2024-01-02 03:60:00", "2024-01-02 03:04:60", "2024-01-02 03:04:05.",
        "2024-01-02 03:04:05.1234567", "2024-01-02 03:04:05+00", "2024-02-30 00:00:00",
        "2024-01-02 03:04:05 bc"})
    EXPECT_EQ(ErrorOf(plain, bad),
              fmt::format("column 'at': cannot read '{}' as timestamp without time zone", bad));
  for (std::string_view bad :
       {"2024-01-02 03:04:05", "2024-01-02 03:04:05Z", "2024-01-02 03:04:05+5",
        "2024-01-02 03:04:05+05:3", "2024-01-02 03:04:05+05:30:", "2024-01-02 03:04:05+24",
        "2024-01-02 03:04:05+00:60", "2024-01-02 03:04:05 BC+00", "2024-01-02 03:04:05+00 "})
    EXPECT_EQ(ErrorOf(zoned, bad),
              fmt::format("column 'at': cannot read '{}' as timestamp with time zone", bad));
}

// --- Arrays --------------------------------------------------------------------

TEST(PgTextDecoderTest, IntegerArrays) {
  ExpectColumn(Column("vals", "integer[]", ArrayOf(Type("int4"))),
               {"{1,2,NULL}", "{}", "[0:2]={1,2,3}", "[-1:0]={7,8}", " { 1 , -2 } ", "{null,Null}",
                std::nullopt, "{2147483647}"},
               "[[1, 2, null], [], [1, 2, 3], [7, 8], [1, -2], [null, null], null, [2147483647]]");
}

TEST(PgTextDecoderTest, TextArraysUnquoteAndUnescape) {
  ExpectColumn(Column("tags", "text[]", ArrayOf(Type("text"))),
               {R"({"a b","c\"d","NULL",NULL,"back\\slash","","x{y"," lead",plain})",
                R"({"only one"})", R"({"\a\b"})", R"({ "spaced" , bare word })"},
               R"([["a b", "c\"d", "NULL", null, "back\\slash", "", "x{y", " lead", "plain"],
                   ["only one"], ["ab"], ["spaced", "bare word"]])");
}

TEST(PgTextDecoderTest, ArraysOfEveryElementKind) {
  ExpectColumn(Column("b", "boolean[]", ArrayOf(Type("bool"))), {"{t,f,NULL}"},
               "[[true, false, null]]");
  ExpectColumn(Column("s", "smallint[]", ArrayOf(Type("int2"))), {"{-32768,32767}"},
               "[[-32768, 32767]]");
  ExpectColumn(Column("l", "bigint[]", ArrayOf(Type("int8"))), {"{9007199254740993}"},
               "[[9007199254740993]]");
  ExpectColumn(Column("r", "real[]", ArrayOf(Type("float4"))), {"{1.5,-0.25}"}, "[[1.5, -0.25]]");
  ExpectColumn(Column("d", "double precision[]", ArrayOf(Type("float8"))), {"{1e+30,2.5}"},
               "[[1e30, 2.5]]");
  ExpectColumn(Column("n", "numeric(5,2)[]", ArrayOf(NumericType(5, 2))), {"{1.50,-999.99,NULL}"},
               R"([["1.50", "-999.99", null]])");
  ExpectColumn(Column("v", "character varying(5)[]", ArrayOf(Type("varchar"))), {"{a,\"b c\"}"},
               R"([["a", "b c"]])");
  ExpectColumn(Column("jb", "jsonb[]", ArrayOf(Type("jsonb"))), {R"({"{\"a\": 1}",NULL})"},
               R"([["{\"a\": 1}", null]])");
  ExpectColumn(Column("u", "uuid[]", ArrayOf(Type("uuid"))),
               {"{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}"},
               R"([["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"]])");
  ExpectColumn(Column("m", "mood[]", ArrayOf(Type("mood", 'e'))), {"{happy,sad}"},
               R"([["happy", "sad"]])");
  ExpectColumn(Column("d", "date[]", ArrayOf(Type("date"))), {R"({2024-01-02,"0044-03-15 BC"})"},
               "[[19724, -735160]]");
  ExpectColumn(Column("t", "timestamp without time zone[]", ArrayOf(Type("timestamp"))),
               {R"({"2024-01-02 03:04:05",NULL})"}, fmt::format("[[{}, null]]", kJan2At030405));
  ExpectColumn(Column("tz", "timestamp with time zone[]", ArrayOf(Type("timestamptz"))),
               {R"({"2024-01-02 03:04:05+00","2024-01-02 03:04:05-01"})"},
               fmt::format("[[{}, {}]]", kJan2At030405, kJan2At030405 + kMicrosPerHour));
  // Types without a native decoder arrive as text arrays.
  auto intervals = Column("i", "interval[]", ArrayOf(Type("interval")));
  ASSERT_TRUE(intervals.cast_to_text);
  ExpectColumn(intervals, {R"({"1 day","2 days"})"}, R"([["1 day", "2 days"]])");
}

TEST(PgTextDecoderTest, ByteaArrays) {
  auto array =
      DecodeColumn(Column("b", "bytea[]", ArrayOf(Type("bytea"))), {R"({"\\x0a0b",NULL,"\\x"})"});
  ASSERT_NE(array, nullptr);
  const auto& list = As<arrow::ListArray>(array);
  ASSERT_EQ(list.value_length(0), 3);
  const auto& bytes = As<arrow::BinaryArray>(list.values());
  EXPECT_EQ(bytes.GetView(0), "\x0a\x0b");
  EXPECT_TRUE(bytes.IsNull(1));
  EXPECT_EQ(bytes.GetView(2), "");
}

TEST(PgTextDecoderTest, MultiDimensionalArraysAreErrors) {
  auto column = Column("m", "integer[]", ArrayOf(Type("int4")));
  const std::string two =
      "column 'm': an array of 2 dimensions (only one-dimensional arrays are read)";
  EXPECT_EQ(ErrorOf(column, "{{1,2},{3,4}}"), two);
  EXPECT_EQ(ErrorOf(column, "[1:2][1:2]={{1,2},{3,4}}"), two);
  EXPECT_EQ(ErrorOf(column, "{{{1}}}"),
            "column 'm': an array of 3 dimensions (only one-dimensional arrays are read)");
}

TEST(PgTextDecoderTest, BadElementsNameTheirIndex) {
  EXPECT_EQ(ErrorOf(Column("vals", "integer[]", ArrayOf(Type("int4"))), "{1,x}"),
            "column 'vals': [1]: cannot read 'x' as integer");
  EXPECT_EQ(ErrorOf(Column("vals", "smallint[]", ArrayOf(Type("int2"))), "{70000}"),
            "column 'vals': [0]: cannot read '70000' as smallint");
  EXPECT_EQ(ErrorOf(Column("n", "numeric(5,2)[]", ArrayOf(NumericType(5, 2))), "{1.50,NaN}"),
            "column 'n': [1]: NaN has no value in decimal(5,2)");
  EXPECT_EQ(ErrorOf(Column("d", "date[]", ArrayOf(Type("date"))), "{2024-01-02,infinity}"),
            "column 'd': [1]: the date 'infinity' has no value in Spark");
  EXPECT_EQ(ErrorOf(Column("b", "bytea[]", ArrayOf(Type("bytea"))), R"({"\\xzz"})"),
            "column 'b': [0]: cannot read '\\xzz' as bytea");
}

TEST(PgTextDecoderTest, MalformedArraysAreErrors) {
  auto column = Column("vals", "integer[]", ArrayOf(Type("int4")));
  for (std::string_view bad :
       {"",         "1,2",     "{1,2",     "{1,,2}", "{,}",    "{1,}",   "{1}x",
        "{1}}",     "{\"1}",   "{\"1\"x}", "{\"1\\", "{a\"b}", "{a\\b}", "{1,{2}}",
        "[0:2]{1}", "[a]={1}", "[0:2]=",   "{",      "}",      "{ }x"})
    EXPECT_EQ(ErrorOf(column, bad),
              fmt::format("column 'vals': cannot read '{}' as integer[]", bad));
}

// --- Rows ----------------------------------------------------------------------

TEST(PgTextDecoderTest, RowsOfSeveralColumnsFlushInBatches) {
  std::vector<PgColumn> columns = {Column("id", "integer", Type("int4"), /*not_null=*/true),
                                   Column("name", "text", Type("text")),
                                   Column("at", "timestamp with time zone", Type("timestamptz"))};
  auto decoder = Decoder(columns);
  ASSERT_NE(decoder, nullptr);
  const Text first[] = {"1", "one", "2024-01-02 03:04:05+00"};
  const Text second[] = {"2", std::nullopt, std::nullopt};
  ASSERT_TRUE(decoder->AppendRow(first).ok());
  ASSERT_TRUE(decoder->AppendRow(second).ok());
  EXPECT_EQ(decoder->num_rows(), 2);
  auto batch = FlushValid(*decoder);
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(decoder->num_rows(), 0);
  EXPECT_TRUE(batch->schema()->Equals(*SchemaFor(columns)));
  EXPECT_EQ(batch->num_rows(), 2);
  EXPECT_EQ(As<arrow::Int32Array>(batch->column(0)).Value(1), 2);
  EXPECT_EQ(As<arrow::StringArray>(batch->column(1)).GetView(0), "one");
  EXPECT_TRUE(batch->column(1)->IsNull(1));
  EXPECT_EQ(As<arrow::TimestampArray>(batch->column(2)).Value(0), kJan2At030405);

  const Text third[] = {"3", "three", std::nullopt};
  ASSERT_TRUE(decoder->AppendRow(third).ok());
  batch = FlushValid(*decoder);
  ASSERT_NE(batch, nullptr);
  ASSERT_EQ(batch->num_rows(), 1);
  EXPECT_EQ(As<arrow::Int32Array>(batch->column(0)).Value(0), 3);
  EXPECT_EQ(FlushValid(*decoder)->num_rows(), 0);
}

TEST(PgTextDecoderTest, NullsInNotNullColumnsAreErrorsUnlessTheSchemaAllowsThem) {
  std::vector<PgColumn> columns = {Column("id", "integer", Type("int4"), /*not_null=*/true),
                                   Column("name", "text", Type("text"), /*not_null=*/true)};
  auto decoder = Decoder(columns);
  ASSERT_NE(decoder, nullptr);
  const Text row[] = {"1", std::nullopt};
  Status status = decoder->AppendRow(row);
  EXPECT_EQ(status.code(), StatusCode::kConversion);
  EXPECT_EQ(status.message(), "column 'name': NULL in a NOT NULL column");

  // A delete's old key leaves the other columns NULL: the reader relaxes them.
  auto relaxed = arrow::schema({FieldFor(columns[0]), FieldFor(columns[1])->WithNullable(true)});
  auto made = PgTextDecoder::Make("public.t", columns, relaxed);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  ASSERT_TRUE((*made)->AppendRow(row).ok());
  auto batch = FlushValid(**made);
  ASSERT_NE(batch, nullptr);
  EXPECT_TRUE(batch->column(1)->IsNull(0));
  EXPECT_TRUE(batch->schema()->field(1)->nullable());
}

TEST(PgTextDecoderTest, LongValuesAreClippedInErrors) {
  std::string long_value(200, '7');
  EXPECT_EQ(ErrorOf(Column("n", "bigint", Type("int8")), long_value),
            "column 'n': cannot read '" + std::string(77, '7') + "...' as bigint");
}

TEST(PgTextDecoderTest, ARowOfTheWrongWidthIsASourceError) {
  auto decoder = Decoder({Column("a", "integer", Type("int4")), Column("b", "text", Type("text"))});
  ASSERT_NE(decoder, nullptr);
  const Text row[] = {"1"};
  Status status = decoder->AppendRow(row);
  EXPECT_EQ(status.code(), StatusCode::kSource);
  EXPECT_EQ(status.message(), "postgres: 1 values for 2 columns");
}

TEST(PgTextDecoderTest, ASchemaThatDoesNotMatchTheColumnsIsRefused) {
  std::vector<PgColumn> columns = {Column("a", "integer", Type("int4"))};
  auto made = PgTextDecoder::Make("public.t", columns, arrow::schema(arrow::FieldVector{}));
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().code(), StatusCode::kInternal);
  made =
      PgTextDecoder::Make("public.t", columns, arrow::schema({arrow::field("a", arrow::utf8())}));
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.status().message(),
            "postgres: the schema of 'public.t' does not match column 'a'");
}

// --- The same values as a snapshot ----------------------------------------------

// Big-endian integers and length-prefixed fields, appended.
class BigEndian {
 public:
  template <typename T>
  BigEndian& Int(T value) {
    for (int shift = 8 * (static_cast<int>(sizeof(T)) - 1); shift >= 0; shift -= 8)
      data_ += static_cast<char>((static_cast<uint64_t>(value) >> shift) & 0xFF);
    return *this;
  }
  template <typename T>
  BigEndian& Field(T value) {
    return Int<int32_t>(sizeof(T)).Int<T>(value);
  }
  BigEndian& Bytes(std::string_view bytes) {
    Int<int32_t>(static_cast<int32_t>(bytes.size()));
    data_ += bytes;
    return *this;
  }
  BigEndian& Null() { return Int<int32_t>(-1); }
  std::string str() const { return data_; }

 private:
  std::string data_;
};

// Binary COPY as PostgreSQL documents it: the header, then per row a field
// count and each field's length and bytes, then -1.
BigEndian CopyStream() {
  BigEndian out;
  for (char c : std::string_view("PGCOPY\n\377\r\n\0", 11)) out.Int<char>(c);
  out.Int<int32_t>(0).Int<int32_t>(0);  // flags, header extension
  return out;
}

TEST(PgTextDecoderTest, MatchesTheCopyDecoderOnTheSameRow) {
  // PostgreSQL counts days and microseconds from 2000-01-01.
  constexpr int32_t kPgEpochDays = 10957;
  constexpr int64_t kPgEpochMicros = 946'684'800'000'000;
  std::vector<PgColumn> columns = {
      Column("flag", "boolean", Type("bool")),
      Column("small", "smallint", Type("int2")),
      Column("id", "bigint", Type("int8"), /*not_null=*/true),
      Column("ratio", "double precision", Type("float8")),
      Column("name", "text", Type("text")),
      Column("id2", "uuid", Type("uuid")),
      Column("raw", "bytea", Type("bytea")),
      Column("day", "date", Type("date")),
      Column("at", "timestamp with time zone", Type("timestamptz")),
      Column("old", "timestamp without time zone", Type("timestamp")),
      Column("vals", "integer[]", ArrayOf(Type("int4"))),
      Column("missing", "text", Type("text")),
  };
  const std::string uuid_bytes = "\xa0\xee\xbc\x99\x9c\x0b\x4e\xf8\xbb\x6d\x6b\xb9\xbd\x38\x0a\x11";
  std::string array_bytes = BigEndian()
                                .Int<int32_t>(1)    // dimensions
                                .Int<int32_t>(1)    // has nulls
                                .Int<uint32_t>(23)  // int4
                                .Int<int32_t>(3)    // size
                                .Int<int32_t>(1)    // lower bound
                                .Field<int32_t>(1)
                                .Null()
                                .Field<int32_t>(-3)
                                .str();
  std::string copy = CopyStream()
                         .Int<int16_t>(12)
                         .Field<int8_t>(1)
                         .Field<int16_t>(-5)
                         .Field<int64_t>(1234567890123)
                         .Field<uint64_t>(std::bit_cast<uint64_t>(1.2345678e-05))
                         .Bytes("é")
                         .Bytes(uuid_bytes)
                         .Bytes("\x0a\xff")
                         .Field<int32_t>(-735160 - kPgEpochDays)
                         .Field<int64_t>(kJan2At030405 + 5 - kPgEpochMicros)
                         .Field<int64_t>(-62167219200000000 - kPgEpochMicros)
                         .Bytes(array_bytes)
                         .Null()
                         .Int<int16_t>(-1)
                         .str();
  auto copy_decoder = PgCopyDecoder::Make("public.t", columns, SchemaFor(columns));
  ASSERT_TRUE(copy_decoder.ok()) << copy_decoder.status().ToString();
  Status fed = (*copy_decoder)->Feed(copy);
  ASSERT_TRUE(fed.ok()) << fed.ToString();
  auto from_copy = (*copy_decoder)->Flush();
  ASSERT_TRUE(from_copy.ok());

  auto text_decoder = Decoder(columns);
  ASSERT_NE(text_decoder, nullptr);
  const Text row[] = {"t",
                      "-5",
                      "1234567890123",
                      "1.2345678e-05",
                      "é",
                      "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                      "\\x0aff",
                      "0044-03-15 BC",
                      "2024-01-02 03:04:05.000005+00",
                      "0001-01-01 00:00:00 BC",
                      "{1,NULL,-3}",
                      std::nullopt};
  ASSERT_TRUE(text_decoder->AppendRow(row).ok());
  auto from_text = FlushValid(*text_decoder);
  ASSERT_NE(from_text, nullptr);
  EXPECT_TRUE(from_text->Equals(**from_copy, /*check_metadata=*/true))
      << "text:\n"
      << from_text->ToString() << "\ncopy:\n"
      << (*from_copy)->ToString();
}

}  // namespace
}  // namespace lakeflow::postgres
