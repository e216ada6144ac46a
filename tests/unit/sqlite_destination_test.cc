// The SQLite destination: typed tables, merges where the highest sequence wins,
// and rows committed together with their flow's offset.
#include "lakeflow/sinks/sqlite_destination.h"

#include <arrow/api.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "lakeflow/connect/record_stream.h"
#include "lakeflow/core/schema.h"
#include "testing/test_util.h"

namespace lakeflow::sinks {
namespace {

SchemaPtr Schema() {
  return *ParseDdl("id BIGINT, name STRING, updated_at TIMESTAMP, tags ARRAY<STRING>");
}

std::unique_ptr<BatchIterator> Rows(const std::vector<std::string>& records) {
  return MakeBatchIterator("t", Schema(), RecordStream::FromJsonRecords(records));
}

// Rows as "id|name|updated_at|tags" lines, ordered by id.
std::vector<std::string> Dump(const std::string& path, const std::string& table) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* stmt = nullptr;
  std::string sql = "SELECT id, name, updated_at, tags FROM " + table + " ORDER BY id";
  std::vector<std::string> out;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      std::string line;
      for (int c = 0; c < 4; ++c) {
        const unsigned char* text = sqlite3_column_text(stmt, c);
        line += (c ? "|" : "") + std::string(text ? reinterpret_cast<const char*>(text) : "NULL");
      }
      out.push_back(line);
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

class SqliteDestinationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = SqliteDestination::Open(path_);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    dest_ = std::move(d).value();
  }
  Status Commit(const TableWrite& w, const std::vector<std::string>& rows, int64_t id) {
    auto it = Rows(rows);
    return dest_->CommitMicroBatch(w, it.get(), "flow", FlowProgress{id, Json{{"n", id}}});
  }

  lakeflow::testing::TempDir dir_;
  std::string path_ = dir_.path() + "/lake.db";
  std::unique_ptr<SqliteDestination> dest_;
};

TEST_F(SqliteDestinationTest, MergeKeepsTheHighestSequence) {
  TableWrite w{"issues", Schema(), {"id"}, "updated_at"};
  ASSERT_TRUE(Commit(w,
                     {R"({"id":1,"name":"a","updated_at":"2024-01-02T00:00:00Z","tags":["x"]})",
                      R"({"id":2,"name":"b","updated_at":"2024-01-02T00:00:00Z","tags":[]})"},
                     0)
                  .ok());
  // A newer version of 1, a late older version of 2, and a new key.
  ASSERT_TRUE(
      Commit(w,
             {R"({"id":1,"name":"a2","updated_at":"2024-01-03T00:00:00Z","tags":null})",
              R"({"id":2,"name":"old","updated_at":"2024-01-01T00:00:00Z","tags":[]})",
              R"({"id":3,"name":"c","updated_at":"2024-01-01T12:00:00.5Z","tags":["y","z"]})"},
             1)
          .ok());
  EXPECT_EQ(
      Dump(path_, "issues"),
      (std::vector<std::string>{"1|a2|2024-01-03T00:00:00Z|NULL", "2|b|2024-01-02T00:00:00Z|[]",
                                "3|c|2024-01-01T12:00:00.500000Z|[\"y\",\"z\"]"}));
  auto progress = dest_->Progress("flow");
  ASSERT_TRUE(progress.ok());
  ASSERT_TRUE(progress->has_value());
  EXPECT_EQ((*progress)->batch_id, 1);
  EXPECT_EQ((*progress)->end, Offset(Json{{"n", 1}}));
}

TEST_F(SqliteDestinationTest, AppendKeepsEveryRow) {
  TableWrite w{"events", Schema(), {}, ""};
  ASSERT_TRUE(Commit(w, {R"({"id":1,"name":"a"})", R"({"id":1,"name":"a"})"}, 0).ok());
  EXPECT_EQ(Dump(path_, "events").size(), 2u);
}

TEST_F(SqliteDestinationTest, AFailedBatchLeavesNeitherRowsNorOffset) {
  TableWrite w{"issues", Schema(), {"id"}, "updated_at"};
  ASSERT_TRUE(Commit(w, {R"({"id":1,"name":"a","updated_at":"2024-01-02T00:00:00Z"})"}, 0).ok());
  // The second record cannot be converted: the whole batch is refused.
  Status st = Commit(
      w, {R"({"id":2,"name":"b","updated_at":"2024-01-02T00:00:00Z"})", R"({"id":"not a number"})"},
      1);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(Dump(path_, "issues").size(), 1u);
  auto progress = dest_->Progress("flow");
  ASSERT_TRUE(progress.ok() && progress->has_value());
  EXPECT_EQ((*progress)->batch_id, 0);
}

TEST_F(SqliteDestinationTest, NewSourceColumnsAreAdded) {
  TableWrite narrow{"t", *ParseDdl("id BIGINT"), {"id"}, ""};
  auto first =
      MakeBatchIterator("t", narrow.schema, RecordStream::FromJsonRecords({R"({"id":1})"}));
  ASSERT_TRUE(
      dest_->CommitMicroBatch(narrow, first.get(), "f", FlowProgress{0, Json::object()}).ok());
  TableWrite wide{"t", Schema(), {"id"}, ""};
  ASSERT_TRUE(Commit(wide, {R"({"id":1,"name":"now named"})"}, 1).ok());
  EXPECT_EQ(Dump(path_, "t"), std::vector<std::string>{"1|now named|NULL|NULL"});
}

TEST(QuoteIdentifierTest, DoublesQuotes) {
  EXPECT_EQ(QuoteIdentifier(R"(we"ird name)"), R"("we""ird name")");
}

}  // namespace
}  // namespace lakeflow::sinks
