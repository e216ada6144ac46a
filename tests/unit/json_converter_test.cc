#include "lakeflow/core/json_converter.h"

#include <arrow/api.h>
#include <arrow/json/from_string.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "lakeflow/core/schema.h"

namespace lakeflow {
namespace {

constexpr int64_t kSecond = 1'000'000;

SchemaPtr Ddl(std::string_view ddl) {
  auto schema = ParseDdl(ddl);
  EXPECT_TRUE(schema.ok()) << schema.status().ToString();
  return schema.ok() ? *schema : nullptr;
}

std::unique_ptr<JsonConverter> Converter(SchemaPtr schema, std::string table = "t") {
  auto converter = JsonConverter::Make(std::move(table), std::move(schema));
  EXPECT_TRUE(converter.ok()) << converter.status().ToString();
  return converter.ok() ? std::move(converter).value() : nullptr;
}

// Converts one document (an array or an object) and returns the batch.
std::shared_ptr<arrow::RecordBatch> Convert(std::string_view ddl, std::string_view json) {
  auto converter = Converter(Ddl(ddl));
  if (converter == nullptr) return nullptr;
  Status st = converter->AppendDocument(json);
  EXPECT_TRUE(st.ok()) << st.ToString();
  auto batch = converter->Flush();
  EXPECT_TRUE(batch.ok()) << batch.status().ToString();
  if (!batch.ok()) return nullptr;
  auto valid = (*batch)->ValidateFull();
  EXPECT_TRUE(valid.ok()) << valid.ToString();
  return *batch;
}

// The error a document gives.
Status ConvertError(std::string_view ddl, std::string_view json, std::string table = "t") {
  auto converter = Converter(Ddl(ddl), std::move(table));
  if (converter == nullptr) return Status::Internal("no converter");
  return converter->AppendDocument(json);
}

template <typename ArrayType>
const ArrayType& Column(const std::shared_ptr<arrow::RecordBatch>& batch, const std::string& name) {
  auto column = batch->GetColumnByName(name);
  EXPECT_NE(column, nullptr) << name;
  return static_cast<const ArrayType&>(*column);
}

// Checks a column against Arrow's own reading of `expected_json`.
void ExpectColumn(const std::shared_ptr<arrow::RecordBatch>& batch, const std::string& name,
                  const std::string& expected_json) {
  ASSERT_NE(batch, nullptr);
  auto column = batch->GetColumnByName(name);
  ASSERT_NE(column, nullptr) << name;
  auto expected = arrow::json::ArrayFromJSONString(column->type(), expected_json);
  ASSERT_TRUE(expected.ok()) << expected.status().ToString();
  EXPECT_TRUE(column->Equals(**expected))
      << "got " << column->ToString() << "\nwant " << (*expected)->ToString();
}

void ExpectConversionError(const Status& st, std::initializer_list<std::string_view> parts) {
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kConversion) << st.ToString();
  EXPECT_EQ(st.message().find('\n'), std::string::npos) << "one line: " << st.message();
  for (auto part : parts) {
    EXPECT_NE(st.message().find(part), std::string::npos)
        << "'" << part << "' not in: " << st.message();
  }
}

// A value that cannot convert, in the second record of a page: checks the
// code and the whole one-line message (table, record, field path, value).
void ExpectValueError(std::string_view ddl, std::string_view bad_record, std::string_view path,
                      std::string_view what) {
  Status st = ConvertError(ddl, fmt::format("[{{}}, {}]", bad_record));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kConversion) << st.ToString();
  EXPECT_EQ(st.message(), fmt::format("table 't', record 1, field '{}': {}", path, what));
}

// --- Coercions ---------------------------------------------------------------

TEST(JsonConverterString, TakesAnyJsonValue) {
  auto batch = Convert("s STRING", R"([
    {"s": "plain"}, {"s": "esc\"aped\n\u00e9"}, {"s": 42}, {"s": -1.5e3}, {"s": true},
    {"s": {"a" : [1, 2], "b": "x y"}}, {"s": [ 1, "two" ]}, {"s": null}, {}])");
  ASSERT_NE(batch, nullptr);
  const auto& s = Column<arrow::StringArray>(batch, "s");
  ASSERT_EQ(s.length(), 9);
  EXPECT_EQ(s.GetView(0), "plain");
  EXPECT_EQ(s.GetView(1), "esc\"aped\n\xc3\xa9");
  EXPECT_EQ(s.GetView(2), "42");
  EXPECT_EQ(s.GetView(3), "-1.5e3");
  EXPECT_EQ(s.GetView(4), "true");
  EXPECT_EQ(s.GetView(5), R"({"a":[1,2],"b":"x y"})");
  EXPECT_EQ(s.GetView(6), R"([1,"two"])");
  EXPECT_TRUE(s.IsNull(7));
  EXPECT_TRUE(s.IsNull(8));
}

TEST(JsonConverterVariant, HoldsJsonTextAndKeepsTheMarker) {
  auto schema = arrow::schema({VariantField("v")});
  auto converter = Converter(schema);
  ASSERT_TRUE(
      converter
          ->AppendDocument(R"([{"v": "x\ty"}, {"v": 7}, {"v": {"k" : [true, null]}}, {"v": null}])")
          .ok());
  auto batch = converter->Flush();
  ASSERT_TRUE(batch.ok());
  EXPECT_TRUE((*batch)->schema()->Equals(*schema, /*check_metadata=*/true));
  EXPECT_TRUE(IsVariant(*(*batch)->schema()->field(0)));
  const auto& v = Column<arrow::StringArray>(*batch, "v");
  EXPECT_EQ(v.GetView(0), R"("x\ty")");  // a string stays a JSON string
  EXPECT_EQ(v.GetView(1), "7");
  EXPECT_EQ(v.GetView(2), R"({"k":[true,null]})");
  EXPECT_TRUE(v.IsNull(3));
}

TEST(JsonConverterInt, FromNumbersAndNumericStrings) {
  auto batch = Convert("b BYTE, s SHORT, i INT, l LONG", R"([
    {"b": -128, "s": 32767, "i": -2147483648, "l": 9223372036854775807},
    {"b": "12", "s": " -7 ", "i": "+5", "l": "-9223372036854775808"},
    {"b": 3.0, "s": "4.0", "i": 1e2, "l": 12345678901}])");
  ExpectColumn(batch, "b", "[-128, 12, 3]");
  ExpectColumn(batch, "s", "[32767, -7, 4]");
  ExpectColumn(batch, "i", "[-2147483648, 5, 100]");
  const auto& l = Column<arrow::Int64Array>(batch, "l");
  EXPECT_EQ(l.Value(0), INT64_MAX);
  EXPECT_EQ(l.Value(1), INT64_MIN);
  EXPECT_EQ(l.Value(2), 12345678901);
}

TEST(JsonConverterInt, RangeAndFormatAreChecked) {
  ExpectValueError("b BYTE", R"({"b": 128})", "b", R"(cannot convert 128 to byte)");
  ExpectValueError("s SHORT", R"({"s": "-32769"})", "s", R"(cannot convert "-32769" to short)");
  ExpectValueError("i INT", R"({"i": 2147483648})", "i", R"(cannot convert 2147483648 to integer)");
  ExpectValueError("l LONG", R"({"l": 9223372036854775808})", "l",
                   R"(cannot convert 9223372036854775808 to long)");
  ExpectValueError("l LONG", R"({"l": 3.5})", "l", R"(cannot convert 3.5 to long)");
  ExpectValueError("l LONG", R"({"l": "12abc"})", "l", R"(cannot convert "12abc" to long)");
  ExpectValueError("l LONG", R"({"l": true})", "l", R"(cannot convert true to long)");
  ExpectValueError("l LONG", R"({"l": [1]})", "l", R"(cannot convert [1] to long)");
  ExpectValueError("l LONG", R"({"l": 1e30})", "l", R"(cannot convert 1e30 to long)");
  ExpectValueError("l LONG", R"({"l": "+-5"})", "l", R"(cannot convert "+-5" to long)");
  ExpectValueError("l LONG", R"({"l": ""})", "l", R"(cannot convert "" to long)");
}

TEST(JsonConverterFloat, FromNumbersAndStrings) {
  auto batch = Convert("f FLOAT, d DOUBLE", R"([
    {"f": 1.5, "d": -2.25}, {"f": "3.25", "d": "1e3"}, {"f": 7, "d": " 0.1 "}, {"f": null, "d": "nan"}])");
  ASSERT_NE(batch, nullptr);
  const auto& f = Column<arrow::FloatArray>(batch, "f");
  const auto& d = Column<arrow::DoubleArray>(batch, "d");
  EXPECT_EQ(f.Value(0), 1.5f);
  EXPECT_EQ(f.Value(1), 3.25f);
  EXPECT_EQ(f.Value(2), 7.0f);
  EXPECT_TRUE(f.IsNull(3));
  EXPECT_EQ(d.Value(0), -2.25);
  EXPECT_EQ(d.Value(1), 1000.0);
  EXPECT_EQ(d.Value(2), 0.1);
  EXPECT_TRUE(std::isnan(d.Value(3)));
  ExpectValueError("f FLOAT", R"({"f": 1e39})", "f", R"(cannot convert 1e39 to float)");
  ExpectValueError("d DOUBLE", R"({"d": "1.5x"})", "d", R"(cannot convert "1.5x" to double)");
}

TEST(JsonConverterBool, FromLiteralsStringsAndZeroOne) {
  auto batch = Convert("b BOOLEAN", R"([
    {"b": true}, {"b": false}, {"b": "TRUE"}, {"b": "t"}, {"b": "Yes"}, {"b": "y"}, {"b": "1"},
    {"b": "False"}, {"b": "F"}, {"b": "no"}, {"b": "N"}, {"b": "0"}, {"b": 1}, {"b": 0}, {"b": null}])");
  ExpectColumn(batch, "b",
               "[true, false, true, true, true, true, true, false, false, false, false, false, "
               "true, false, null]");
  ExpectValueError("b BOOLEAN", R"({"b": "maybe"})", "b", R"(cannot convert "maybe" to boolean)");
  ExpectValueError("b BOOLEAN", R"({"b": 2})", "b", R"(cannot convert 2 to boolean)");
}

TEST(JsonConverterDecimal, ScaledAndRoundedToTheColumn) {
  auto batch = Convert("d DECIMAL(10,2)", R"([
    {"d": 12.345}, {"d": "1.005"}, {"d": -1.005}, {"d": 7}, {"d": "123.4"}, {"d": 1e2},
    {"d": 0.123456789012345678901234567890}, {"d": null}])");
  ASSERT_NE(batch, nullptr);
  const auto& d = Column<arrow::Decimal128Array>(batch, "d");
  EXPECT_EQ(d.FormatValue(0), "12.35");  // half away from zero
  EXPECT_EQ(d.FormatValue(1), "1.01");
  EXPECT_EQ(d.FormatValue(2), "-1.01");
  EXPECT_EQ(d.FormatValue(3), "7.00");
  EXPECT_EQ(d.FormatValue(4), "123.40");
  EXPECT_EQ(d.FormatValue(5), "100.00");
  EXPECT_EQ(d.FormatValue(6), "0.12");  // read from its text: no double rounding
  EXPECT_TRUE(d.IsNull(7));
  // Nine digits before the point do not fit decimal(10,2).
  ExpectValueError("d DECIMAL(10,2)", R"({"d": 123456789.1})", "d",
                   R"(cannot convert 123456789.1 to decimal(10,2))");
  // Rounding up can overflow the precision too.
  ExpectValueError("d DECIMAL(3,1)", R"({"d": 99.96})", "d",
                   R"(cannot convert 99.96 to decimal(3,1))");
  ExpectValueError("d DECIMAL(10,2)", R"({"d": "abc"})", "d",
                   R"(cannot convert "abc" to decimal(10,2))");
}

TEST(JsonConverterDate, AllDateFormsAndTimestamps) {
  auto batch = Convert("d DATE", R"([
    {"d": "2024-03-05"}, {"d": "03/05/2024"}, {"d": "05-03-2024"}, {"d": "2024/03/05"},
    {"d": "2024-03-05T23:30:00-02:00"}, {"d": null}])");
  ASSERT_NE(batch, nullptr);
  const auto& d = Column<arrow::Date32Array>(batch, "d");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(d.Value(i), 19787) << i;
  EXPECT_EQ(d.Value(4), 19788);
  EXPECT_TRUE(d.IsNull(5));
  ExpectValueError("d DATE", R"({"d": "2023-02-29"})", "d",
                   R"(cannot convert "2023-02-29" to date)");
  ExpectValueError("d DATE", R"({"d": 20240305})", "d", R"(cannot convert 20240305 to date)");
}

TEST(JsonConverterTimestamp, IsoStringsAndEpochSeconds) {
  auto batch = Convert("ts TIMESTAMP, ntz TIMESTAMP_NTZ", R"([
    {"ts": "2024-03-03T16:58:00Z", "ntz": "2024-03-03 16:58:00"},
    {"ts": "2024-03-03T18:58:00.250+02:00", "ntz": "2024-03-03T16:58:00.123456789"},
    {"ts": 1709485080, "ntz": "1709485080.5"},
    {"ts": 1709485080.25, "ntz": null}])");
  ASSERT_NE(batch, nullptr);
  const int64_t t = 1709485080 * kSecond;
  const auto& ts = Column<arrow::TimestampArray>(batch, "ts");
  const auto& ntz = Column<arrow::TimestampArray>(batch, "ntz");
  EXPECT_EQ(ts.Value(0), t);
  EXPECT_EQ(ts.Value(1), t + 250000);
  EXPECT_EQ(ts.Value(2), t);
  EXPECT_EQ(ts.Value(3), t + 250000);
  EXPECT_EQ(ntz.Value(0), t);
  EXPECT_EQ(ntz.Value(1), t + 123456);
  EXPECT_EQ(ntz.Value(2), t + 500000);
  EXPECT_TRUE(ntz.IsNull(3));
  EXPECT_EQ(static_cast<const arrow::TimestampType&>(*ts.type()).timezone(), "UTC");
  EXPECT_EQ(static_cast<const arrow::TimestampType&>(*ntz.type()).timezone(), "");
  ExpectValueError("ts TIMESTAMP", R"({"ts": "yesterday"})", "ts",
                   R"(cannot convert "yesterday" to timestamp)");
  ExpectValueError("ts TIMESTAMP", R"({"ts": 1e300})", "ts",
                   R"(cannot convert 1e300 to timestamp)");
}

TEST(JsonConverterBinary, Base64ThenHexThenUtf8) {
  auto batch = Convert("b BINARY", R"([
    {"b": "aGVsbG8="}, {"b": "68656c6c6f"}, {"b": "h\u00e9llo!"}, {"b": "abc"}, {"b": ""}, {"b": "AAE="}])");
  ASSERT_NE(batch, nullptr);
  const auto& b = Column<arrow::BinaryArray>(batch, "b");
  EXPECT_EQ(b.GetView(0), "hello");          // base64
  EXPECT_EQ(b.GetView(1), "hello");          // hex (not valid base64: length 10)
  EXPECT_EQ(b.GetView(2), "h\xc3\xa9llo!");  // neither: the UTF-8 bytes
  EXPECT_EQ(b.GetView(3), "abc");            // odd length, not base64 either
  EXPECT_EQ(b.GetView(4), "");
  EXPECT_EQ(b.GetView(5), std::string_view("\x00\x01", 2));
  ExpectValueError("b BINARY", R"({"b": 12})", "b", R"(cannot convert 12 to binary)");
}

TEST(JsonConverterList, ArraysAndLoneValues) {
  auto batch = Convert("a ARRAY<LONG>, s ARRAY<STRUCT<n: INT>>", R"([
    {"a": [1, 2, 3], "s": [{"n": 1}, {"n": 2}]},
    {"a": 5, "s": {"n": 9}},
    {"a": [], "s": []},
    {"a": null},
    {"a": [1, null, "3"], "s": [null, {"x": 1}]}])");
  ExpectColumn(batch, "a", "[[1, 2, 3], [5], [], null, [1, null, 3]]");
  ExpectColumn(batch, "s", R"([[{"n": 1}, {"n": 2}], [{"n": 9}], [], null, [null, {"n": null}]])");
}

TEST(JsonConverterMap, FromObjects) {
  auto batch = Convert("m MAP<STRING, LONG>, k MAP<INT, STRING>", R"([
    {"m": {"a": 1, "b": "2"}, "k": {"10": "x", "-2": "y"}},
    {"m": {}, "k": null},
    {"m": {"w\"q": null}}])");
  ExpectColumn(batch, "m", R"([[["a", 1], ["b", 2]], [], [["w\"q", null]]])");
  ExpectColumn(batch, "k", R"([[[10, "x"], [-2, "y"]], null, null])");
  ExpectValueError("k MAP<INT, STRING>", R"({"k": {"ten": "x"}})", "k[ten]",
                   R"(cannot convert "ten" to integer)");
  ExpectValueError("m MAP<STRING, LONG>", R"({"m": {"a": "x"}})", "m[a]",
                   R"(cannot convert "x" to long)");
  ExpectValueError("m MAP<STRING, LONG>", R"({"m": [1]})", "m",
                   R"(cannot convert [1] to map<string,long>)");
}

TEST(JsonConverterStruct, MissingUnknownAndNestedFields) {
  auto batch = Convert(
      "id LONG NOT NULL, u STRUCT<login: STRING, id: LONG, org: STRUCT<name: STRING>>, note STRING",
      R"([
    {"id": 1, "u": {"login": "ana", "id": 7, "org": {"name": "db"}}, "note": "x"},
    {"id": 2, "extra": {"deep": [1, {"a": 2}]}, "u": {"id": 8, "unknown": true}},
    {"note": "y", "u": null, "id": 3}])");
  ExpectColumn(batch, "id", "[1, 2, 3]");
  ExpectColumn(batch, "u", R"([{"login": "ana", "id": 7, "org": {"name": "db"}},
                               {"login": null, "id": 8, "org": null}, null])");
  ExpectColumn(batch, "note", R"(["x", null, "y"])");
}

TEST(JsonConverterStruct, KeyOrderMayChangeBetweenRecords) {
  // The converter learns key order from earlier objects; later objects in
  // other orders, with keys missing, added or escaped, must still match.
  auto batch = Convert("a INT, b INT, c INT, d INT", R"([
    {"a": 1, "b": 2, "c": 3, "d": 4},
    {"d": 14, "c": 13, "b": 12, "a": 11},
    {"a": 21, "x": 0, "c": 23},
    {"b": 32, "a": 31, "y": 0, "d": 34, "c": 33},
    {"\u0061": 41, "b": 42, "c\u0000": 0, "c": 43, "d": 44},
    {"a": 51, "b": 52, "c": 53, "d": 54}])");
  ExpectColumn(batch, "a", "[1, 11, 21, 31, 41, 51]");
  ExpectColumn(batch, "b", "[2, 12, null, 32, 42, 52]");
  ExpectColumn(batch, "c", "[3, 13, 23, 33, 43, 53]");
  ExpectColumn(batch, "d", "[4, 14, null, 34, 44, 54]");
}

TEST(JsonConverterStruct, LongAndEscapedKeysMatchEveryTime) {
  // Keys too long to be remembered, or written with escapes, take the slow
  // path on every object and must still land in their fields.
  const std::string long_name(40, 'k');
  auto batch =
      Convert("`" + long_name + "` INT, `q\"x` INT, b INT",
              fmt::format(R"([{{"{0}": 1, "q\"x": 10, "b": 2}}, {{"b": 3, "{0}": 4, "q\"x": 11}},
                                      {{"{0}": 5, "q\u0022x": 12, "b": 6}}])",
                          long_name));
  ASSERT_NE(batch, nullptr);
  ExpectColumn(batch, long_name, "[1, 4, 5]");
  ExpectColumn(batch, "q\"x", "[10, 11, 12]");
  ExpectColumn(batch, "b", "[2, 3, 6]");
}

TEST(JsonConverterStruct, DuplicateKeysKeepTheFirstValue) {
  auto batch = Convert("a INT, b INT", R"([{"a": 1, "b": 2, "a": 3}])");
  ExpectColumn(batch, "a", "[1]");
  ExpectColumn(batch, "b", "[2]");
}

TEST(JsonConverterStruct, NullAndMissingInNonNullableFields) {
  ExpectConversionError(
      ConvertError("id LONG NOT NULL", R"([{"id": 1}, {"id": null}])", "issues"),
      {"table 'issues', record 1, field 'id'", "cannot convert null to long", "not nullable"});
  ExpectConversionError(ConvertError("id LONG NOT NULL, x INT", R"([{"x": 1}])", "issues"),
                        {"table 'issues', record 0, field 'id'", "missing"});
  ExpectConversionError(
      ConvertError("u STRUCT<login: STRING NOT NULL>", R"([{"u": {"login": "a"}}, {"u": {}}])"),
      {"record 1, field 'u.login'", "missing"});
  // A missing nullable struct is fine even when its children are not nullable.
  auto batch = Convert("u STRUCT<login: STRING NOT NULL>", R"([{}])");
  ExpectColumn(batch, "u", "[null]");
  auto strict_list = Converter(arrow::schema(
      {arrow::field("a", arrow::list(arrow::field("element", arrow::int32(), false)))}));
  ExpectConversionError(strict_list->AppendDocument(R"([{"a": [1, null]}])"),
                        {"field 'a[1]'", "cannot convert null to integer"});
}

// --- Errors --------------------------------------------------------------------

TEST(JsonConverterErrors, MessageNamesTableRecordPathAndValue) {
  Status st = ConvertError("user STRUCT<login: LONG>", R"([
    {"user": {"login": 1}}, {"user": {"login": 2}}, {"user": null}, {"user": {"login": "abc"}}])",
                           "issues");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kConversion);
  EXPECT_EQ(st.message(),
            R"(table 'issues', record 3, field 'user.login': cannot convert "abc" to long)");
}

TEST(JsonConverterErrors, ListElementsAppearInThePath) {
  Status st =
      ConvertError("labels ARRAY<STRUCT<name: INT>>",
                   R"([{"labels": [{"name": 1}, {"name": 2}, {"name": "bug"}]}])", "issues");
  EXPECT_EQ(st.message(),
            R"(table 'issues', record 0, field 'labels[2].name': cannot convert "bug" to integer)");
}

TEST(JsonConverterErrors, LongValuesAreClipped) {
  std::string long_text(500, 'x');
  Status st = ConvertError("n LONG", R"([{"n": ")" + long_text + R"("}])");
  ExpectConversionError(st, {"field 'n'", "\"xxxx", "...", "to long"});
  EXPECT_LT(st.message().size(), 160u);
}

TEST(JsonConverterErrors, StructExpectedButScalarGiven) {
  ExpectConversionError(ConvertError("u STRUCT<a: INT>", R"([{"u": "text"}])"),
                        {"field 'u'", "cannot convert \"text\" to struct<a:integer>"});
}

TEST(JsonConverterErrors, MalformedJsonIsAOneLineConversionError) {
  for (const char* bad : {R"([{"a": 1}, {"a": }])", R"([{"a": 1}, {"a" 2}])", R"([{"a": 1})",
                          R"({"a": "open)", R"([{"a": 1}] [{"a": 2}])", R"([{"a": tru}])", ""}) {
    Status st = ConvertError("a INT", bad, "issues");
    ExpectConversionError(st, {"table 'issues'", "JSON"});
  }
  // Where the position is known, the message gives the byte offset.
  Status st = ConvertError("a INT", R"([{"a": 1}, {"a": ]}])", "issues");
  ExpectConversionError(st, {"table 'issues', record 1", "malformed JSON at byte"});
}

TEST(JsonConverterErrors, RecordsMustBeObjects) {
  ExpectConversionError(ConvertError("a INT", R"([{"a": 1}, [1, 2]])"),
                        {"record 1", "a record must be a JSON object, got [1, 2]"});
  ExpectConversionError(ConvertError("a INT", "42"),
                        {"expected an array of records or a record object, got 42"});
}

TEST(JsonConverterErrors, UnsupportedTypesAreRefusedAtMake) {
  auto converter = JsonConverter::Make("t", arrow::schema({arrow::field("u", arrow::uint32())}));
  ASSERT_FALSE(converter.ok());
  EXPECT_EQ(converter.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(converter.status().message().find("'u'"), std::string::npos);
}

TEST(JsonConverterErrors, AFailedCallIsRolledBack) {
  auto converter = Converter(Ddl("id LONG, u STRUCT<a: INT, b: ARRAY<INT>, c: INT>, tail STRING"));
  ASSERT_TRUE(
      converter->AppendDocument(R"([{"id": 1, "u": {"a": 1, "b": [1], "c": 1}, "tail": "x"}])")
          .ok());
  // The second record fails half-way through u.b, after id, u.a and part of
  // u.b were appended.
  Status st = converter->AppendDocument(R"([
    {"id": 2, "u": {"a": 2, "b": [2], "c": 2}, "tail": "y"},
    {"id": 3, "u": {"a": 3, "b": [3, "bad"], "c": 3}, "tail": "z"}])");
  ExpectConversionError(st, {"record 1, field 'u.b[1]'"});
  EXPECT_EQ(converter->num_rows(), 1);
  ASSERT_TRUE(
      converter->AppendDocument(R"({"id": 4, "u": {"a": 4, "b": [4, 4], "c": 4}, "tail": "w"})")
          .ok());
  auto batch = converter->Flush();
  ASSERT_TRUE(batch.ok());
  ASSERT_TRUE((*batch)->ValidateFull().ok());
  ExpectColumn(*batch, "id", "[1, 4]");
  ExpectColumn(*batch, "u", R"([{"a": 1, "b": [1], "c": 1}, {"a": 4, "b": [4, 4], "c": 4}])");
  ExpectColumn(*batch, "tail", R"(["x", "w"])");
}

// --- Documents, pointers, JSON lines, Flush ---------------------------------

TEST(JsonConverterDocument, PointersSelectTheRecords) {
  auto converter = Converter(Ddl("a INT"));
  ASSERT_TRUE(converter
                  ->AppendDocument(R"({"meta": {"n": 2}, "data": {"items": [{"a": 1}, {"a": 2}]}})",
                                   "/data/items")
                  .ok());
  ASSERT_TRUE(converter->AppendDocument(R"({"record": {"a": 3}})", "/record").ok());
  ASSERT_TRUE(converter->AppendDocument(R"({"a": 4})").ok());
  ASSERT_TRUE(converter->AppendDocument(R"([[{"a": 5}], [{"a": 6}]])", "/1").ok());
  ASSERT_TRUE(converter->AppendDocument(R"({"items": null})", "/items").ok());  // no records
  EXPECT_EQ(converter->num_rows(), 5);
  auto batch = converter->Flush();
  ASSERT_TRUE(batch.ok());
  ExpectColumn(*batch, "a", "[1, 2, 3, 4, 6]");

  ExpectConversionError(converter->AppendDocument(R"({"data": []})", "/items"),
                        {"table 't'", "'/items' not found"});
  EXPECT_EQ(converter->AppendDocument(R"({"data": []})", "items").code(),
            StatusCode::kInvalidArgument);
  ExpectConversionError(converter->AppendDocument(R"({"data": 5})", "/data"), {"got 5"});
}

TEST(JsonConverterDocument, JsonLines) {
  auto converter = Converter(Ddl("a INT, b STRING"));
  ASSERT_TRUE(converter
                  ->AppendJsonLines(
                      "{\"a\": 1, \"b\": \"x\"}\n\n  \r\n{\"a\": 2}\r\n{\"b\": \"z\", \"a\": 3}")
                  .ok());
  EXPECT_EQ(converter->num_rows(), 3);
  ExpectConversionError(converter->AppendJsonLines("{\"a\": 4}\n\n{\"a\": \"four\"}\n"),
                        {"table 't', record 1, field 'a'", "\"four\""});
  ExpectConversionError(converter->AppendJsonLines("{\"a\": 4}\n{\"a\": 5} {\"a\": 6}\n"),
                        {"record 1", "JSON"});
  ExpectConversionError(converter->AppendJsonLines("{\"a\": 4}\n[1]\n"),
                        {"record 1", "must be a JSON object"});
  EXPECT_EQ(converter->num_rows(), 3);  // failed calls left nothing behind
  auto batch = converter->Flush();
  ASSERT_TRUE(batch.ok());
  ExpectColumn(*batch, "a", "[1, 2, 3]");
  ExpectColumn(*batch, "b", R"(["x", null, "z"])");
}

TEST(JsonConverterDocument, FlushReturnsTheSchemaAndResets) {
  auto schema =
      Ddl("id LONG NOT NULL, tags ARRAY<STRING>, m MAP<STRING, INT>, u STRUCT<x: INT NOT NULL>");
  auto converter = Converter(schema);
  const std::string page = R"([{"id": 1, "tags": ["a"], "m": {"k": 1}, "u": {"x": 1}}, {"id": 2}])";
  ASSERT_TRUE(converter->AppendDocument(page).ok());
  EXPECT_EQ(converter->num_rows(), 2);
  EXPECT_EQ(converter->num_bytes(), static_cast<int64_t>(page.size()));
  auto first = converter->Flush();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)->num_rows(), 2);
  EXPECT_TRUE((*first)->schema()->Equals(*schema, /*check_metadata=*/true));
  for (int i = 0; i < schema->num_fields(); ++i) {
    EXPECT_TRUE((*first)->column(i)->type()->Equals(*schema->field(i)->type())) << i;
  }
  EXPECT_EQ(converter->num_rows(), 0);
  EXPECT_EQ(converter->num_bytes(), 0);

  ASSERT_TRUE(converter->AppendDocument(R"([{"id": 3}])").ok());
  auto second = converter->Flush();
  ASSERT_TRUE(second.ok());
  ExpectColumn(*second, "id", "[3]");
  ExpectColumn(*second, "u", "[null]");

  auto empty = converter->Flush();
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ((*empty)->num_rows(), 0);
  EXPECT_TRUE((*empty)->schema()->Equals(*schema));
  EXPECT_TRUE((*empty)->ValidateFull().ok());
}

TEST(JsonConverterDocument, ManyRecordsAcrossBuilderGrowth) {
  std::string json = "[";
  int64_t expected_sum = 0;
  for (int i = 0; i < 20000; ++i) {
    if (i > 0) json += ",";
    json += fmt::format(R"({{"n": {}, "s": "v{}"}})", i, i % 7);
    expected_sum += i;
  }
  json += "]";
  auto batch = Convert("s STRING, n LONG", json);
  ASSERT_NE(batch, nullptr);
  ASSERT_EQ(batch->num_rows(), 20000);
  const auto& n = Column<arrow::Int64Array>(batch, "n");
  const auto& s = Column<arrow::StringArray>(batch, "s");
  int64_t sum = 0;
  for (int64_t i = 0; i < n.length(); ++i) sum += n.Value(i);
  EXPECT_EQ(sum, expected_sum);
  EXPECT_EQ(s.GetView(19999), fmt::format("v{}", 19999 % 7));
}

// --- A page of GitHub issues ----------------------------------------------------

constexpr const char* kIssuesDdl =
    "id LONG NOT NULL, number INT, title STRING, state STRING, locked BOOLEAN, "
    "user STRUCT<login: STRING, id: LONG, site_admin: BOOLEAN>, "
    "labels ARRAY<STRUCT<id: LONG, name: STRING, color: STRING, `default`: BOOLEAN, description: "
    "STRING>>, "
    "milestone STRUCT<id: LONG, title: STRING, due_on: TIMESTAMP>, comments INT, "
    "created_at TIMESTAMP, updated_at TIMESTAMP, closed_at TIMESTAMP, "
    "pull_request STRUCT<url: STRING, merged_at: TIMESTAMP>, reactions STRUCT<total_count: INT, "
    "`+1`: INT>, "
    "body STRING";

constexpr const char* kIssuesPage = R"({
  "total_count": 3, "incomplete_results": false,
  "items": [
  {
    "url": "https://api.github.com/repos/o/r/issues/1", "id": 2000104729, "node_id": "I_kwDOIu2000104729",
    "number": 1, "title": "Incremental read returns duplicates",
    "user": {"login": "ana-\u00df", "id": 40595, "type": "User", "site_admin": false},
    "labels": [], "state": "open", "locked": false, "assignee": null, "assignees": [], "milestone": null,
    "comments": 3, "created_at": "2024-03-03T16:58:00Z", "updated_at": "2024-03-15T15:58:00Z", "closed_at": null,
    "author_association": "NONE", "body": "Quote \"inside\" and backslash \\ and tab\tend.",
    "reactions": {"url": "https://api.github.com/x", "total_count": 10, "+1": 0, "-1": 0, "laugh": 2},
    "state_reason": null
  },
  {
    "url": "https://api.github.com/repos/o/r/issues/2", "id": 2000209458, "node_id": "I_kwDOIu2000209458",
    "number": 2, "title": "Schema drift: new column `closed_by`",
    "user": {"login": "octocat", "id": 8919, "type": "User", "site_admin": true},
    "labels": [
      {"id": 5000000062, "node_id": "LA_1", "name": "documentation", "color": "0075ca", "default": true,
       "description": null},
      {"id": 5000000093, "node_id": "LA_2", "name": "connector:github", "color": "5319e7", "default": false,
       "description": "GitHub source"}],
    "state": "closed", "locked": false,
    "milestone": {"url": "https://api.github.com/m/3", "id": 9000003, "number": 3, "title": "Backlog",
                  "creator": {"login": "yyoli-db", "id": 1000}, "due_on": null},
    "comments": 0, "created_at": "2024-03-05T01:02:07Z", "updated_at": "2024-03-30T23:02:07Z",
    "closed_at": "2024-03-30T23:02:07Z", "body": null,
    "reactions": {"total_count": 0, "+1": 0}
  },
  {
    "url": "https://api.github.com/repos/o/r/issues/4", "id": 2000400000, "number": 4, "title": "Emoji \ud83d\ude80",
    "user": {"login": "hubot", "id": 16838, "site_admin": false},
    "labels": [{"id": 5000000124, "name": "good first issue", "color": "7057ff", "default": true,
                "description": "Good for newcomers"}],
    "state": "open", "locked": true, "milestone": null, "comments": 1,
    "created_at": "2024-04-01T00:00:00Z", "updated_at": "2024-04-02T00:00:00Z", "closed_at": null,
    "body": "",
    "reactions": {"total_count": 1, "+1": 1},
    "pull_request": {"url": "https://api.github.com/repos/o/r/pulls/4", "html_url": "https://github.com/o/r/pull/4",
                     "merged_at": "2024-04-03T10:00:00Z"}
  }]
})";

TEST(JsonConverterGithub, PageOfIssuesThroughAPointer) {
  auto schema = Ddl(kIssuesDdl);
  auto converter = Converter(schema, "issues");
  Status st = converter->AppendDocument(kIssuesPage, "/items");
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto result = converter->Flush();
  ASSERT_TRUE(result.ok());
  auto batch = *result;
  ASSERT_TRUE(batch->ValidateFull().ok());
  ASSERT_EQ(batch->num_rows(), 3);
  EXPECT_TRUE(batch->schema()->Equals(*schema, true));

  ExpectColumn(batch, "id", "[2000104729, 2000209458, 2000400000]");
  ExpectColumn(batch, "number", "[1, 2, 4]");
  ExpectColumn(batch, "title",
               R"(["Incremental read returns duplicates", "Schema drift: new column `closed_by`",
                                    "Emoji \ud83d\ude80"])");
  ExpectColumn(batch, "locked", "[false, false, true]");
  ExpectColumn(batch, "user", R"([{"login": "ana-\u00df", "id": 40595, "site_admin": false},
                                  {"login": "octocat", "id": 8919, "site_admin": true},
                                  {"login": "hubot", "id": 16838, "site_admin": false}])");
  ExpectColumn(batch, "labels", R"([[],
      [{"id": 5000000062, "name": "documentation", "color": "0075ca", "default": true, "description": null},
       {"id": 5000000093, "name": "connector:github", "color": "5319e7", "default": false,
        "description": "GitHub source"}],
      [{"id": 5000000124, "name": "good first issue", "color": "7057ff", "default": true,
        "description": "Good for newcomers"}]])");
  ExpectColumn(batch, "milestone",
               R"([null, {"id": 9000003, "title": "Backlog", "due_on": null}, null])");
  ExpectColumn(batch, "comments", "[3, 0, 1]");
  const auto& created = Column<arrow::TimestampArray>(batch, "created_at");
  EXPECT_EQ(created.Value(0), 1709485080 * kSecond);
  EXPECT_EQ(created.Value(1), 1709600527 * kSecond);
  const auto& closed = Column<arrow::TimestampArray>(batch, "closed_at");
  EXPECT_TRUE(closed.IsNull(0));
  EXPECT_EQ(closed.Value(1), 1711839727 * kSecond);
  EXPECT_TRUE(closed.IsNull(2));
  const auto& pr = Column<arrow::StructArray>(batch, "pull_request");
  EXPECT_TRUE(pr.IsNull(0));  // missing key
  EXPECT_TRUE(pr.IsNull(1));
  ASSERT_TRUE(pr.IsValid(2));
  const auto& merged = static_cast<const arrow::TimestampArray&>(*pr.GetFieldByName("merged_at"));
  EXPECT_EQ(merged.Value(2), (1712138400) * kSecond);
  ExpectColumn(batch, "reactions", R"([{"total_count": 10, "+1": 0}, {"total_count": 0, "+1": 0},
                                       {"total_count": 1, "+1": 1}])");
  const auto& body = Column<arrow::StringArray>(batch, "body");
  EXPECT_EQ(body.GetView(0), "Quote \"inside\" and backslash \\ and tab\tend.");
  EXPECT_TRUE(body.IsNull(1));
  EXPECT_EQ(body.GetView(2), "");
}

}  // namespace
}  // namespace lakeflow
