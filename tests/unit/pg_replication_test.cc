// What the replication layer decides without a server: slot names within
// PostgreSQL's rules, and sequence texts that sort in log order.
#include "lakeflow/connectors/postgres/pg_replication.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "lakeflow/connectors/postgres/pg_change_reader.h"

namespace lakeflow::postgres {
namespace {

bool IsSlotName(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

TEST(SlotNameTest, KeepsToPostgresRulesAndReadsAsTheTable) {
  std::string name = SlotName("lakeflow", "shop.public.orders");
  EXPECT_TRUE(IsSlotName(name)) << name;
  EXPECT_TRUE(name.starts_with("lakeflow_shop_public_orders_")) << name;
  EXPECT_EQ(name, SlotName("lakeflow", "shop.public.orders"));  // stable across calls

  std::string odd = SlotName("My-Pipeline", "db.\"Sales\".\"Q1 orders\"");
  EXPECT_TRUE(IsSlotName(odd)) << odd;
  EXPECT_TRUE(odd.starts_with("my_pipeline_db__sales___q1_orders__")) << odd;
}

TEST(SlotNameTest, LongNamesAreCutButStayDistinct) {
  const std::string prefix(40, 'p');
  std::set<std::string> names;
  for (const char* table :
       {"db.public.a_very_long_table_name_number_one",
        "db.public.a_very_long_table_name_number_two", "db.public.Orders", "db.public.orders"}) {
    std::string name = SlotName(prefix, table);
    EXPECT_TRUE(IsSlotName(name)) << name;
    EXPECT_EQ(name.size(), 63u) << name;
    names.insert(name);
  }
  // Same text once cut, or once lower-cased: the hash of the whole name tells them apart.
  EXPECT_EQ(names.size(), 4u);
}

TEST(SequenceTextTest, FixedWidthHexSortsInLogOrder) {
  EXPECT_EQ(SequenceText(0x16B374D848, 0x10), "00000016B374D848/0000000000000010");
  std::string snapshot = SequenceText(0x1000, 0);
  std::string change = SequenceText(0x1000, 0x0FFF);
  std::string later = SequenceText(0x10000, 1);
  std::string far = SequenceText(0xFFFFFFFF00000000, 0xFFFFFFFF00000001);
  EXPECT_LT(snapshot, change);
  EXPECT_LT(change, later);
  EXPECT_LT(later, far);
}

}  // namespace
}  // namespace lakeflow::postgres
