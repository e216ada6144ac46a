// A pipeline table's row_filter: the SQL it understands, kept rows exactly as
// SQL's three-valued logic keeps them, and one line for anything else.
#include "lakeflow/pipeline/row_filter.h"

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "lakeflow/core/schema.h"

namespace lakeflow::pipeline {
namespace {

SchemaPtr Schema() {
  auto schema = ParseDdl(
      "id LONG NOT NULL, name STRING, price DECIMAL(10,2), ok BOOLEAN, at TIMESTAMP, day DATE, "
      "n INT, info STRUCT<kind: STRING>");
  EXPECT_TRUE(schema.ok());
  return *schema;
}

// Six rows: id 1..6, with nulls in some columns.
std::shared_ptr<arrow::RecordBatch> Rows() {
  arrow::Int64Builder id;
  arrow::StringBuilder name;
  arrow::Decimal128Builder price(arrow::decimal128(10, 2));
  arrow::BooleanBuilder ok;
  arrow::TimestampBuilder at(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"),
                             arrow::default_memory_pool());
  arrow::Date32Builder day;
  arrow::Int32Builder n;
  const char* names[] = {"apple", "banana", "it's", nullptr, "apricot", "cherry"};
  for (int i = 0; i < 6; ++i) {
    EXPECT_TRUE(id.Append(i + 1).ok());
    EXPECT_TRUE((names[i] ? name.Append(names[i]) : name.AppendNull()).ok());
    EXPECT_TRUE((i == 4 ? price.AppendNull() : price.Append(arrow::Decimal128(i * 125))).ok());
    EXPECT_TRUE((i == 5 ? ok.AppendNull() : ok.Append(i % 2 == 0)).ok());
    // 2024-01-01T00:00:00Z plus i days
    EXPECT_TRUE(at.Append(1704067200000000LL + i * 86400000000LL).ok());
    EXPECT_TRUE(day.Append(19723 + i).ok());
    EXPECT_TRUE(n.Append(i * 10).ok());
  }
  auto kind = std::make_shared<arrow::StringBuilder>();
  arrow::StructBuilder info(arrow::struct_({arrow::field("kind", arrow::utf8())}),
                            arrow::default_memory_pool(), {kind});
  for (int i = 0; i < 6; ++i) {
    EXPECT_TRUE(info.Append().ok());
    EXPECT_TRUE(kind->Append(i < 3 ? "a" : "b").ok());
  }
  std::vector<std::shared_ptr<arrow::Array>> columns(8);
  EXPECT_TRUE(id.Finish(&columns[0]).ok());
  EXPECT_TRUE(name.Finish(&columns[1]).ok());
  EXPECT_TRUE(price.Finish(&columns[2]).ok());
  EXPECT_TRUE(ok.Finish(&columns[3]).ok());
  EXPECT_TRUE(at.Finish(&columns[4]).ok());
  EXPECT_TRUE(day.Finish(&columns[5]).ok());
  EXPECT_TRUE(n.Finish(&columns[6]).ok());
  EXPECT_TRUE(info.Finish(&columns[7]).ok());
  return arrow::RecordBatch::Make(Schema(), 6, columns);
}

std::vector<int64_t> Kept(const std::string& filter) {
  auto parsed = RowFilter::Parse(filter, Schema());
  EXPECT_TRUE(parsed.ok()) << filter << ": " << parsed.status().ToString();
  if (!parsed.ok()) return {-1};
  auto kept = parsed->Apply(Rows());
  EXPECT_TRUE(kept.ok()) << kept.status().ToString();
  if (!kept.ok()) return {-2};
  auto ids = std::static_pointer_cast<arrow::Int64Array>((*kept)->GetColumnByName("id"));
  return std::vector<int64_t>(ids->raw_values(), ids->raw_values() + ids->length());
}

using Ids = std::vector<int64_t>;

TEST(RowFilter, Comparisons) {
  EXPECT_EQ(Kept("id = 3"), (Ids{3}));
  EXPECT_EQ(Kept("id <> 3"), (Ids{1, 2, 4, 5, 6}));
  EXPECT_EQ(Kept("id != 3 AND id >= 5"), (Ids{5, 6}));
  EXPECT_EQ(Kept("3 > id"), (Ids{1, 2}));
  EXPECT_EQ(Kept("price > 2.5"), (Ids{4, 6}));  // 0, 1.25, 2.5, 3.75, null, 6.25
  EXPECT_EQ(Kept("n <= 20"), (Ids{1, 2, 3}));
  EXPECT_EQ(Kept("name = 'it''s'"), (Ids{3}));
  EXPECT_EQ(Kept("ok = TRUE"), (Ids{1, 3, 5}));
  EXPECT_EQ(Kept("info.kind = 'b'"), (Ids{4, 5, 6}));
  EXPECT_EQ(Kept("`id` = n"), Ids{});
}

TEST(RowFilter, TimesCompareAsTimes) {
  EXPECT_EQ(Kept("at >= '2024-01-05'"), (Ids{5, 6}));
  EXPECT_EQ(Kept("at < TIMESTAMP '2024-01-02T12:00:00+00:00'"), (Ids{1, 2}));
  EXPECT_EQ(Kept("day = DATE '2024-01-03'"), (Ids{3}));
}

TEST(RowFilter, NullsAreUnknownAndDropped) {
  EXPECT_EQ(Kept("name IS NULL"), (Ids{4}));
  EXPECT_EQ(Kept("name IS NOT NULL AND price IS NOT NULL"), (Ids{1, 2, 3, 6}));
  // NOT of unknown is unknown: row 5 (price null) is in neither.
  EXPECT_EQ(Kept("price < 2"), (Ids{1, 2}));
  EXPECT_EQ(Kept("NOT (price < 2)"), (Ids{3, 4, 6}));
  // Kleene: unknown OR true is true.
  EXPECT_EQ(Kept("price < 2 OR id = 5"), (Ids{1, 2, 5}));
  EXPECT_EQ(Kept("ok = NULL"), Ids{});
}

TEST(RowFilter, SetsRangesAndPatterns) {
  EXPECT_EQ(Kept("id IN (2, 4, 9)"), (Ids{2, 4}));
  EXPECT_EQ(Kept("name NOT IN ('apple', 'banana')"), (Ids{3, 5, 6}));
  EXPECT_EQ(Kept("n BETWEEN 10 AND 30"), (Ids{2, 3, 4}));
  EXPECT_EQ(Kept("n NOT BETWEEN 10 AND 30"), (Ids{1, 5, 6}));
  EXPECT_EQ(Kept("name LIKE 'ap%'"), (Ids{1, 5}));
  EXPECT_EQ(Kept("name like '_anana' or name like 'ch%'"), (Ids{2, 6}));
  EXPECT_EQ(Kept("name NOT LIKE '%a%'"), (Ids{3, 6}));
}

TEST(RowFilter, WhatCannotBeEvaluatedIsOneLine) {
  struct Bad {
    const char* filter;
    const char* words;
  };
  for (const auto& [filter, words] : std::vector<Bad>{
           {"upper(name) = 'A'", "functions are not supported ('upper(')"},
           {"nope = 1", "no column 'nope' in the source table"},
           {"id = 1.5", "'1.5' is not a int64 value for column 'id'"},
           {"id = 'x'", "'x' is not a int64 value for column 'id'"},
           {"at > 'yesterday'", "'yesterday' is not a timestamp"},
           {"name > 3", "'3' is not a string value for column 'name'"},
           {"1 = 1", "a comparison needs a column"},
           {"id = 1 AND", "expected a column or a value"},
           {"(id = 1", "expected ')'"},
           {"name = 'open", "unclosed string"},
           {"id + 1 = 2", "unexpected character '+'"},
           {"id", "expected a comparison"},
           {"info.kind.x = 'a'", "'kind' is not a struct"},
           {"id IN (1, n)", "IN takes values, not columns"},
           {"n LIKE '1%'", "LIKE needs a string column"},
           {"  ", "row_filter is empty"},
       }) {
    auto parsed = RowFilter::Parse(filter, Schema());
    ASSERT_FALSE(parsed.ok()) << filter;
    EXPECT_NE(parsed.status().message().find(words), std::string::npos)
        << filter << " -> " << parsed.status().message();
    EXPECT_EQ(parsed.status().message().find('\n'), std::string::npos);
  }
}

}  // namespace
}  // namespace lakeflow::pipeline
