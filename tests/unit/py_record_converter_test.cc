// PyRecordConverter against the JSON converter: Python records converted
// directly must give the batch (or the error) the JSON converter gives for the
// JSON text json.dumps writes of the same records — the path Python
// connectors took before, and the coercion rules connectors were written for.
#include "lakeflow/connectors/python/py_record_converter.h"

#include <arrow/api.h>
#include <gtest/gtest.h>
#include <pybind11/eval.h>

#include <string>

#include "lakeflow/connectors/python/python_runtime.h"
#include "lakeflow/core/json_converter.h"
#include "lakeflow/core/schema.h"

namespace lakeflow::python {
namespace {

// Imports for the record expressions below.
constexpr const char* kPrelude = R"PY(
import base64, datetime, decimal
from pyspark.sql import Row
UTC = datetime.timezone.utc
PLUS2 = datetime.timezone(datetime.timedelta(hours=2))
)PY";

class PyRecordConverterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status started = EnsureInterpreter();
    ASSERT_TRUE(started.ok()) << started.ToString();
  }

  // Records from a Python expression (a list of dicts).
  static py::object Records(const std::string& expression) {
    py::dict scope;
    py::exec(kPrelude, scope);
    return py::eval(expression, scope);
  }

  static SchemaPtr Schema(std::string_view ddl) {
    auto schema = ParseDdl(ddl);
    EXPECT_TRUE(schema.ok()) << schema.status().ToString();
    return schema.ok() ? *schema : nullptr;
  }

  static Result<std::shared_ptr<arrow::RecordBatch>> Direct(const SchemaPtr& schema,
                                                            const py::object& records) {
    LF_ASSIGN_OR_RETURN(auto converter, PyRecordConverter::Make("t", schema));
    LF_RETURN_IF_ERROR(converter->Append(records));
    return converter->Flush();
  }

  static Result<std::shared_ptr<arrow::RecordBatch>> ThroughJson(const SchemaPtr& schema,
                                                                 const py::object& records) {
    std::string json = py::module_::import("json")
                           .attr("dumps")(records, py::arg("default") = Bridge().attr("plain"))
                           .cast<std::string>();
    LF_ASSIGN_OR_RETURN(auto converter, JsonConverter::Make("t", schema));
    LF_RETURN_IF_ERROR(converter->AppendDocument(json));
    return converter->Flush();
  }

  // Both ways give equal, valid batches; returns the direct one.
  std::shared_ptr<arrow::RecordBatch> ExpectSame(std::string_view ddl,
                                                 const std::string& expression) {
    PythonGil gil;
    SchemaPtr schema = Schema(ddl);
    py::object records = Records(expression);
    auto direct = Direct(schema, records);
    auto json = ThroughJson(schema, records);
    EXPECT_TRUE(direct.ok()) << direct.status().ToString();
    EXPECT_TRUE(json.ok()) << json.status().ToString();
    if (!direct.ok() || !json.ok()) return nullptr;
    EXPECT_TRUE((*direct)->ValidateFull().ok());
    EXPECT_TRUE((*direct)->Equals(**json, /*check_metadata=*/true))
        << "direct:\n"
        << (*direct)->ToString() << "\nthrough JSON:\n"
        << (*json)->ToString();
    return *direct;
  }

  // Both ways fail, with the same message; returns it.
  std::string ExpectSameError(std::string_view ddl, const std::string& expression) {
    PythonGil gil;
    SchemaPtr schema = Schema(ddl);
    py::object records = Records(expression);
    auto direct = Direct(schema, records);
    auto json = ThroughJson(schema, records);
    EXPECT_FALSE(direct.ok());
    EXPECT_FALSE(json.ok());
    if (direct.ok() || json.ok()) return "";
    EXPECT_EQ(direct.status().code(), StatusCode::kConversion);
    EXPECT_EQ(direct.status().message(), json.status().message());
    return direct.status().message();
  }
};

TEST_F(PyRecordConverterTest, IntegersFromIntsIntegralFloatsAndNumericStrings) {
  auto batch = ExpectSame("a BYTE, b SHORT, c INT, d LONG",
                          "[{'a': 1, 'b': -2, 'c': 3, 'd': 2**62},"
                          " {'a': 4.0, 'b': ' 7 ', 'c': '+9', 'd': '3.0'},"
                          " {'a': None, 'd': decimal.Decimal('12')}]");
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(batch->num_rows(), 3);
}

TEST_F(PyRecordConverterTest, FloatsBooleansAndDecimals) {
  ExpectSame("f FLOAT, d DOUBLE, b BOOLEAN, x DECIMAL(10,2)",
             "[{'f': 1.5, 'd': 2, 'b': True, 'x': decimal.Decimal('3.14159')},"
             " {'f': '2.25', 'd': '-1e3', 'b': 'yes', 'x': 7},"
             " {'f': 0, 'd': 0.1, 'b': 0, 'x': 0.1},"
             " {'b': 'F', 'x': '-12.345'}]");
}

TEST_F(PyRecordConverterTest, DatesAndTimestampsFromTextNumbersAndDatetimes) {
  ExpectSame("d DATE, t TIMESTAMP, n TIMESTAMP_NTZ",
             "[{'d': '2024-03-01', 't': '2024-03-01T10:00:00Z', 'n': '2024-03-01 10:00:00'},"
             " {'d': datetime.date(2024, 2, 29), 't': 1700000000, 'n': 1700000000.25},"
             " {'d': datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),"
             "  't': datetime.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=PLUS2),"
             "  'n': datetime.datetime(2024, 1, 2, 3, 4, 5)},"
             " {'d': '03/04/2024', 't': '2024-03-01T10:00:00.5+0200'}]");
}

TEST_F(PyRecordConverterTest, BinaryFromBytesBase64HexAndText) {
  ExpectSame("b BINARY",
             "[{'b': b'\\x00\\xffraw'}, {'b': base64.b64encode(b'hello').decode()},"
             " {'b': 'cafe'}, {'b': 'not base64!'}, {'b': bytearray(b'ab')}]");
}

TEST_F(PyRecordConverterTest, StringsTakeAnyValueAsItsJsonText) {
  ExpectSame("s STRING",
             "[{'s': 'plain'}, {'s': 42}, {'s': 1.5}, {'s': True}, {'s': {'k': [1, 'x', None]}},"
             " {'s': [1, 2]}, {'s': decimal.Decimal('1.10')},"
             " {'s': datetime.datetime(2024, 1, 2, 3, 4, 5)}, {'s': 'ünïcødé ✓'}]");
}

TEST_F(PyRecordConverterTest, VariantsHoldJsonText) {
  ExpectSame("v VARIANT", "[{'v': 'text'}, {'v': 7}, {'v': {'a': [True, None]}}, {'v': None}]");
}

TEST_F(PyRecordConverterTest, ArraysMapsAndStructs) {
  ExpectSame(
      "tags ARRAY<STRING>, nums ARRAY<LONG>, m MAP<STRING, LONG>, k MAP<INT, STRING>,"
      " s STRUCT<a: LONG, b: ARRAY<STRUCT<c: STRING, d: BOOLEAN>>>",
      "[{'tags': ['a', 'b'], 'nums': (1, '2', 3.0), 'm': {'x': 1, 'y': '2'}, 'k': {1: 'one'},"
      "  's': {'a': 1, 'b': [{'c': 'x', 'd': 'true'}, {'c': None}], 'extra': 'ignored'}},"
      " {'tags': 'lone', 'nums': 5, 'm': {}, 'k': {'2': 'two'}, 's': {}},"
      " {'tags': None, 'nums': [], 'm': None, 's': None}]");
}

TEST_F(PyRecordConverterTest, RowsAreTheirDicts) {
  PythonGil gil;
  SchemaPtr schema = Schema("s STRUCT<a: LONG, b: STRING>");
  auto batch = Direct(schema, Records("[{'s': Row(a=1, b='x')}, {'s': Row(b='y', a=2)}]"));
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  auto expected =
      ThroughJson(schema, Records("[{'s': {'a': 1, 'b': 'x'}}, {'s': {'a': 2, 'b': 'y'}}]"));
  ASSERT_TRUE(expected.ok()) << expected.status().ToString();
  EXPECT_TRUE((*batch)->Equals(**expected));
}

TEST_F(PyRecordConverterTest, BadValuesGiveTheJsonConvertersMessage) {
  EXPECT_EQ(ExpectSameError("id LONG", "[{'id': 1}, {'id': 'abc'}]"),
            "table 't', record 1, field 'id': cannot convert \"abc\" to long");
  EXPECT_EQ(ExpectSameError("id INT", "[{'id': 2**40}]"),
            "table 't', record 0, field 'id': cannot convert 1099511627776 to integer");
  EXPECT_EQ(ExpectSameError("s STRUCT<xs: ARRAY<BOOLEAN>>", "[{'s': {'xs': [True, 'maybe']}}]"),
            "table 't', record 0, field 's.xs[1]': cannot convert \"maybe\" to boolean");
  EXPECT_EQ(ExpectSameError("id LONG NOT NULL", "[{'name': 'no id'}]"),
            "table 't', record 0, field 'id': missing, and the field is not nullable");
  ExpectSameError("flag BOOLEAN", "[{'flag': 2}]");
  ExpectSameError("d DATE", "[{'d': 20240101}]");
  ExpectSameError("t TIMESTAMP", "[{'t': 'yesterday'}]");
  ExpectSameError("m MAP<INT, STRING>", "[{'m': {'x': 'y'}}]");
  ExpectSameError("n LONG", "[{'n': True}]");
}

TEST_F(PyRecordConverterTest, ValuesJsonCannotWriteAreOneLine) {
  PythonGil gil;
  auto batch = Direct(Schema("s STRING"), Records("[{'s': {1, 2}}]"));
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.status().message(),
            "table 't', record 0, field 's': TypeError: a value of type set cannot be converted");
  auto not_a_dict = Direct(Schema("s STRING"), Records("[{'s': 'ok'}, ['s']]"));
  ASSERT_FALSE(not_a_dict.ok());
  EXPECT_EQ(not_a_dict.status().message(), "table 't', record 1: a list, not a dict");
}

TEST_F(PyRecordConverterTest, FlushStartsANewBatch) {
  PythonGil gil;
  auto converter = PyRecordConverter::Make("t", Schema("id LONG, tags ARRAY<STRING>"));
  ASSERT_TRUE(converter.ok());
  ASSERT_TRUE((*converter)->Append(Records("[{'id': 1, 'tags': ['a']}] * 3")).ok());
  EXPECT_EQ((*converter)->num_rows(), 3);
  auto first = (*converter)->Flush();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)->num_rows(), 3);
  ASSERT_TRUE((*converter)->Append(Records("[{'id': 2}]")).ok());
  auto second = (*converter)->Flush();
  ASSERT_TRUE(second.ok());
  ASSERT_EQ((*second)->num_rows(), 1);
  EXPECT_TRUE((*second)->ValidateFull().ok());
  EXPECT_EQ((*second)->column(1)->null_count(), 1);
}

}  // namespace
}  // namespace lakeflow::python
