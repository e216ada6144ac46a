#include "lakeflow/connectors/postgres/pg_table_name.h"

#include <gtest/gtest.h>

namespace lakeflow::postgres {
namespace {

TEST(PgTableNameTest, PlainPartsShowBareAndOthersQuoted) {
  EXPECT_EQ((TableName{"public", "orders"}).Display(), "public.orders");
  EXPECT_EQ((TableName{"public", "Order Items"}).Display(), "public.\"Order Items\"");
  EXPECT_EQ((TableName{"my.schema", "t"}).Display(), "\"my.schema\".t");
  EXPECT_EQ((TableName{"s", "say \"hi\""}).Display(), "s.\"say \"\"hi\"\"\"");
  EXPECT_EQ((TableName{"s", "1st"}).Display(), "s.\"1st\"");
  EXPECT_EQ((TableName{"s", "t"}).Sql(), "\"s\".\"t\"");
}

TEST(PgTableNameTest, EveryDisplayedNameParsesBack) {
  for (const TableName& name :
       {TableName{"public", "orders"}, TableName{"my.schema", "a.b"}, TableName{"s", "say \"hi\""},
        TableName{"Upper", "x y"}, TableName{"s", "\""}}) {
    auto parsed = ParseTableName(name.Display(), "public");
    ASSERT_TRUE(parsed.ok()) << name.Display() << ": " << parsed.status().ToString();
    EXPECT_EQ(parsed->schema, name.schema);
    EXPECT_EQ(parsed->table, name.table);
  }
}

TEST(PgTableNameTest, ANameWithoutSchemaIsInTheDefault) {
  auto parsed = ParseTableName("orders", "sales");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->schema, "sales");
  EXPECT_EQ(parsed->table, "orders");
}

TEST(PgTableNameTest, MalformedNamesSayWhy) {
  EXPECT_EQ(ParseTableName("a.b.c", "p").status().message(),
            "postgres: bad table name 'a.b.c': more than schema.table");
  EXPECT_EQ(ParseTableName("\"open", "p").status().message(),
            "postgres: bad table name '\"open': an unterminated quote");
  EXPECT_EQ(ParseTableName("a.", "p").status().message(),
            "postgres: bad table name 'a.': an empty part");
  EXPECT_EQ(ParseTableName("\"a\"b", "p").status().message(),
            "postgres: bad table name '\"a\"b': text after a quoted part");
}

}  // namespace
}  // namespace lakeflow::postgres
