#include <gtest/gtest.h>

#include "lakeflow/core/schema.h"

namespace lakeflow {
namespace {

TEST(SchemaDdl, ParsesNestedTypes) {
  auto schema = ParseDdl("id LONG NOT NULL, labels ARRAY<STRUCT<name: STRING>>, m MAP<STRING, INT>");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  ASSERT_EQ((*schema)->num_fields(), 3);
  EXPECT_FALSE((*schema)->field(0)->nullable());
  EXPECT_EQ((*schema)->field(0)->type()->id(), arrow::Type::INT64);
  EXPECT_EQ(SparkTypeString(*(*schema)->field(1)), "array<struct<name:string>>");
  EXPECT_EQ(SparkTypeString(*(*schema)->field(2)), "map<string,integer>");
}

}  // namespace
}  // namespace lakeflow
