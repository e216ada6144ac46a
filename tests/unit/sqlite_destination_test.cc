// The SQLite destination: typed tables, merges where the highest sequence wins,
// and rows committed together with their flow's offset.
#include "lakeflow/sinks/sqlite_destination.h"

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "lakeflow/connect/record_stream.h"
#include "lakeflow/core/schema.h"
#include "lakeflow/sinks/sqlite_values.h"
#include "testing/sqlite_query.h"
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
  return lakeflow::testing::QueryLines(
      path, "SELECT id, name, updated_at, tags FROM " + table + " ORDER BY id");
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
    return dest_->CommitMicroBatch(w, ChangeKind::kUpsert, it.get(), "flow",
                                   FlowProgress{id, Json{{"n", id}}});
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
  auto progress = dest_->Progress("issues", "flow");
  ASSERT_TRUE(progress.ok());
  ASSERT_TRUE(progress->has_value());
  EXPECT_EQ((*progress)->batch_id, 1);
  EXPECT_EQ((*progress)->end, Offset(Json{{"n", 1}}));
}

TEST_F(SqliteDestinationTest, AppendKeepsEveryRow) {
  TableWrite w{"events", Schema(), {}, ""};
  auto rows = Rows({R"({"id":1,"name":"a"})", R"({"id":1,"name":"a"})"});
  ASSERT_TRUE(dest_
                  ->CommitMicroBatch(w, ChangeKind::kAppend, rows.get(), "events",
                                     FlowProgress{0, Json::object()})
                  .ok());
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
  auto progress = dest_->Progress("issues", "flow");
  ASSERT_TRUE(progress.ok() && progress->has_value());
  EXPECT_EQ((*progress)->batch_id, 0);
}

TEST_F(SqliteDestinationTest, NewSourceColumnsAreAdded) {
  TableWrite narrow{"t", *ParseDdl("id BIGINT"), {"id"}, ""};
  auto first =
      MakeBatchIterator("t", narrow.schema, RecordStream::FromJsonRecords({R"({"id":1})"}));
  ASSERT_TRUE(dest_
                  ->CommitMicroBatch(narrow, ChangeKind::kUpsert, first.get(), "flow",
                                     FlowProgress{0, Json::object()})
                  .ok());
  TableWrite wide{"t", Schema(), {"id"}, ""};
  ASSERT_TRUE(Commit(wide, {R"({"id":1,"name":"now named"})"}, 1).ok());
  EXPECT_EQ(Dump(path_, "t"), std::vector<std::string>{"1|now named|NULL|NULL"});
}

std::vector<std::string> Query(const std::string& path, const std::string& sql) {
  return lakeflow::testing::QueryLines(path, sql);
}

SchemaPtr Events() {
  return *ParseDdl("id BIGINT, v STRING, seq BIGINT");
}

class SqliteChangesTest : public SqliteDestinationTest {
 protected:
  // Applies `records` as `kind`, each call its own microbatch of `flow`.
  Status Apply(const TableWrite& w, ChangeKind kind, const std::vector<std::string>& records,
               const std::string& flow = "t") {
    auto it = MakeBatchIterator("t", w.schema, RecordStream::FromJsonRecords(records));
    return dest_->CommitMicroBatch(w, kind, it.get(), flow, FlowProgress{next_++, Json::object()});
  }
  Status Stage(const TableWrite& w, const std::vector<std::string>& records) {
    return Apply(w, ChangeKind::kStage, records);
  }
  Status Snapshot(const TableWrite& w, int64_t version) {
    return dest_->ApplySnapshot(w, version, "t", FlowProgress{next_++, Json{{"v", version}}});
  }
  int64_t next_ = 0;
};

TEST_F(SqliteChangesTest, DeletedKeysStayDeletedAgainstOlderUpserts) {
  TableWrite w{"t", Events(), {"id"}, "seq"};
  ASSERT_TRUE(
      Apply(w, ChangeKind::kUpsert, {R"({"id":1,"v":"a","seq":5})", R"({"id":2,"v":"b","seq":5})"})
          .ok());
  // 1 deleted after its upsert; 2's delete is older than its row, so it stays.
  ASSERT_TRUE(Apply(w, ChangeKind::kDelete, {R"({"id":1,"seq":6})", R"({"id":2,"seq":4})"}).ok());
  // A late upsert of 1 older than its delete is refused; a newer one of 2 wins.
  ASSERT_TRUE(Apply(w, ChangeKind::kUpsert,
                    {R"({"id":1,"v":"late","seq":6})", R"({"id":2,"v":"b2","seq":7})"})
                  .ok());
  EXPECT_EQ(Query(path_, "SELECT id, v, seq FROM t ORDER BY id"),
            std::vector<std::string>{"2|b2|7"});
  // A newer upsert of 1 brings it back.
  ASSERT_TRUE(Apply(w, ChangeKind::kUpsert, {R"({"id":1,"v":"back","seq":8})"}).ok());
  EXPECT_EQ(Query(path_, "SELECT id, v FROM t ORDER BY id"),
            (std::vector<std::string>{"1|back", "2|b2"}));
}

TEST_F(SqliteChangesTest, DeletesWithoutASequenceRemoveTheCurrentRow) {
  TableWrite w{"t", Events(), {"id"}, "seq"};
  ASSERT_TRUE(
      Apply(w, ChangeKind::kUpsert,
            {R"({"id":1,"v":"a","seq":5})", R"({"id":2,"v":"b","seq":900})", R"({"id":3,"v":"c"})"})
          .ok());
  // Keys only: each delete removes its key's row whatever its sequence (3's
  // has none) and is remembered at it; 9 has no row, so its delete changes
  // nothing and is not remembered.
  ASSERT_TRUE(Apply(w, ChangeKind::kDelete,
                    {R"({"id":1})", R"({"id":2})", R"({"id":3})", R"({"id":9})"}, "t#deletes")
                  .ok());
  EXPECT_TRUE(Query(path_, "SELECT id FROM t").empty());
  EXPECT_EQ(Query(path_,
                  "SELECT id, __lakeflow_sequence, __END_AT FROM t__lakeflow_tombstones "
                  "ORDER BY id"),
            (std::vector<std::string>{"1|5|5", "2|900|900", "3|NULL|NULL"}));
  // Late upserts no newer than the removed rows stay out; 9 was never deleted.
  ASSERT_TRUE(
      Apply(w, ChangeKind::kUpsert,
            {R"({"id":1,"v":"late","seq":4})", R"({"id":1,"v":"tie","seq":5})",
             R"({"id":2,"v":"late","seq":899})", R"({"id":3,"v":"late"})", R"({"id":9,"v":"new"})"})
          .ok());
  EXPECT_EQ(Query(path_, "SELECT id, v FROM t ORDER BY id"), std::vector<std::string>{"9|new"});
  // Newer ones come back.
  ASSERT_TRUE(Apply(w, ChangeKind::kUpsert,
                    {R"({"id":1,"v":"back","seq":6})", R"({"id":3,"v":"back","seq":1})"})
                  .ok());
  EXPECT_EQ(Query(path_, "SELECT id, v, seq FROM t ORDER BY id"),
            (std::vector<std::string>{"1|back|6", "3|back|1", "9|new|NULL"}));
}

TEST_F(SqliteChangesTest, Scd2DeletesWithoutASequenceWinTheCurrentVersionsSequence) {
  TableWrite w{"h", Events(), {"id"}, "seq", History::kScd2};
  ASSERT_TRUE(Apply(w, ChangeKind::kUpsert,
                    {R"({"id":1,"v":"a","seq":1})", R"({"id":1,"v":"b","seq":5})",
                     R"({"id":2,"v":"x","seq":2})"})
                  .ok());
  // 1's delete is one at 5, its current version's sequence, and wins the tie:
  // b goes and a still ends at 5. 2 is deleted at 9, then without a sequence
  // in the same batch, when it has no current version: that one changes
  // nothing, nor does the delete of 9, which has no row.
  ASSERT_TRUE(Apply(w, ChangeKind::kDelete,
                    {R"({"id":1})", R"({"id":2,"seq":9})", R"({"id":2})", R"({"id":9})"},
                    "h#deletes")
                  .ok());
  const std::string history = "SELECT id, v, __START_AT, __END_AT FROM h ORDER BY id, __START_AT";
  EXPECT_EQ(Query(path_, history), (std::vector<std::string>{"1|a|1|5", "2|x|2|9"}));
  EXPECT_EQ(Query(path_, "SELECT id, __END_AT FROM h__lakeflow_tombstones ORDER BY id"),
            (std::vector<std::string>{"1|5", "2|9"}));
  // A late upsert at the removed version's sequence stays out, an older one
  // goes into the history, and 9 starts its own.
  ASSERT_TRUE(Apply(w, ChangeKind::kUpsert,
                    {R"({"id":1,"v":"tie","seq":5})", R"({"id":1,"v":"mid","seq":3})",
                     R"({"id":9,"v":"new","seq":1})"})
                  .ok());
  EXPECT_EQ(Query(path_, history),
            (std::vector<std::string>{"1|a|1|3", "1|mid|3|5", "2|x|2|9", "9|new|1|NULL"}));
  // A newer one opens a current version.
  ASSERT_TRUE(Apply(w, ChangeKind::kUpsert, {R"({"id":1,"v":"back","seq":7})"}).ok());
  EXPECT_EQ(Query(path_, history),
            (std::vector<std::string>{"1|a|1|3", "1|mid|3|5", "1|back|7|NULL", "2|x|2|9",
                                      "9|new|1|NULL"}));
}

TEST_F(SqliteChangesTest, Scd2KeepsEveryVersionInSequenceOrder) {
  TableWrite w{"h", Events(), {"id"}, "seq", History::kScd2};
  ASSERT_TRUE(Apply(w, ChangeKind::kUpsert,
                    {R"({"id":1,"v":"a","seq":10})", R"({"id":1,"v":"c","seq":30})"})
                  .ok());
  // Out of order: 20 goes between 10 and 30; a repeat of 30 is the same version.
  ASSERT_TRUE(Apply(w, ChangeKind::kUpsert,
                    {R"({"id":1,"v":"b","seq":20})", R"({"id":1,"v":"c2","seq":30})"})
                  .ok());
  EXPECT_EQ(Query(path_, "SELECT v, __START_AT, __END_AT FROM h ORDER BY __START_AT"),
            (std::vector<std::string>{"a|10|20", "b|20|30", "c2|30|NULL"}));
  // A delete closes the current version; a later upsert opens a new one.
  ASSERT_TRUE(Apply(w, ChangeKind::kDelete, {R"({"id":1,"seq":40})"}).ok());
  ASSERT_TRUE(Apply(w, ChangeKind::kUpsert, {R"({"id":1,"v":"d","seq":50})"}).ok());
  // A late upsert before the delete ends at the delete.
  ASSERT_TRUE(Apply(w, ChangeKind::kUpsert, {R"({"id":1,"v":"late","seq":35})"}).ok());
  EXPECT_EQ(
      Query(path_, "SELECT v, __START_AT, __END_AT FROM h ORDER BY __START_AT"),
      (std::vector<std::string>{"a|10|20", "b|20|30", "c2|30|35", "late|35|40", "d|50|NULL"}));
}

TEST_F(SqliteChangesTest, Scd2TimestampsKeepTheirType) {
  TableWrite w{"ts", Schema(), {"id"}, "updated_at", History::kScd2};
  ASSERT_TRUE(Apply(w, ChangeKind::kUpsert,
                    {R"({"id":1,"name":"a","updated_at":"2024-01-02T00:00:00Z"})",
                     R"({"id":1,"name":"b","updated_at":"2024-01-02T00:00:00.5Z"})"})
                  .ok());
  EXPECT_EQ(Query(path_, "SELECT name, __START_AT, __END_AT FROM ts ORDER BY __lakeflow_sequence"),
            (std::vector<std::string>{"a|2024-01-02T00:00:00Z|2024-01-02T00:00:00.500000Z",
                                      "b|2024-01-02T00:00:00.500000Z|NULL"}));
}

TEST_F(SqliteChangesTest, Scd2NeedsASequenceValue) {
  TableWrite w{"h", Events(), {"id"}, "seq", History::kScd2};
  Status st = Apply(w, ChangeKind::kUpsert, {R"({"id":1,"v":"a"})"});
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("sequence_by"), std::string::npos) << st.ToString();
}

TEST_F(SqliteChangesTest, SnapshotScd1InsertsUpdatesAndDeletes) {
  TableWrite w{"s", Events(), {"id"}, ""};
  ASSERT_TRUE(Stage(w, {R"({"id":1,"v":"a"})", R"({"id":2,"v":"b"})"}).ok());
  ASSERT_TRUE(Stage(w, {R"({"id":3,"v":"c"})"}).ok());
  ASSERT_TRUE(Snapshot(w, 1).ok());
  EXPECT_EQ(Query(path_, "SELECT id, v FROM s ORDER BY id"),
            (std::vector<std::string>{"1|a", "2|b", "3|c"}));
  ASSERT_TRUE(
      Stage(w, {R"({"id":1,"v":"a"})", R"({"id":3,"v":"c2"})", R"({"id":4,"v":"d"})"}).ok());
  ASSERT_TRUE(Snapshot(w, 2).ok());
  EXPECT_EQ(Query(path_, "SELECT id, v FROM s ORDER BY id"),
            (std::vector<std::string>{"1|a", "3|c2", "4|d"}));
  EXPECT_EQ(Query(path_, "SELECT count(*) FROM s__lakeflow_stage"), std::vector<std::string>{"0"});
  // An empty snapshot empties the table.
  ASSERT_TRUE(Snapshot(w, 3).ok());
  EXPECT_TRUE(Query(path_, "SELECT id FROM s").empty());
}

TEST_F(SqliteChangesTest, SnapshotScd2ClosesChangedAndDeletedKeys) {
  TableWrite w{"s2", Events(), {"id"}, "", History::kScd2};
  ASSERT_TRUE(Stage(w, {R"({"id":1,"v":"a"})", R"({"id":2,"v":"b"})"}).ok());
  ASSERT_TRUE(Snapshot(w, 1).ok());
  ASSERT_TRUE(Stage(w, {R"({"id":1,"v":"a"})", R"({"id":3,"v":"c"})"}).ok());
  ASSERT_TRUE(Snapshot(w, 2).ok());
  ASSERT_TRUE(Stage(w, {R"({"id":1,"v":"a2"})", R"({"id":3,"v":"c"})"}).ok());
  ASSERT_TRUE(Snapshot(w, 3).ok());
  EXPECT_EQ(Query(path_, "SELECT id, v, __START_AT, __END_AT FROM s2 ORDER BY id, __START_AT"),
            (std::vector<std::string>{"1|a|1|3", "1|a2|3|NULL", "2|b|1|2", "3|c|2|NULL"}));
}

TEST_F(SqliteChangesTest, AColumnThatCannotWidenIsAnError) {
  TableWrite w{"t", Events(), {"id"}, "seq"};
  ASSERT_TRUE(Apply(w, ChangeKind::kUpsert, {R"({"id":1,"v":"a","seq":1})"}).ok());
  TableWrite changed{"t", *ParseDdl("id BIGINT, v BIGINT, seq BIGINT"), {"id"}, "seq"};
  Status st = Apply(changed, ChangeKind::kUpsert, {R"({"id":1,"v":2,"seq":2})"});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("column \"v\" changed type from TEXT to INTEGER"), std::string::npos)
      << st.ToString();
  EXPECT_EQ(Query(path_, "SELECT v FROM t"), std::vector<std::string>{"a"});
}

TEST_F(SqliteChangesTest, AnUnorderableSequenceIsRefused) {
  TableWrite w{"t", *ParseDdl("id BIGINT, seq ARRAY<INT>"), {"id"}, "seq"};
  Status st = Apply(w, ChangeKind::kUpsert, {R"({"id":1,"seq":[1]})"});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("cannot order events"), std::string::npos) << st.ToString();
}

TEST_F(SqliteChangesTest, ResetForgetsTheTableAndItsFlows) {
  TableWrite w{"t", Events(), {"id"}, "seq"};
  ASSERT_TRUE(Apply(w, ChangeKind::kUpsert, {R"({"id":1,"v":"a","seq":1})"}).ok());
  ASSERT_TRUE(Apply(w, ChangeKind::kDelete, {R"({"id":2,"seq":1})"}, "t#deletes").ok());
  ASSERT_TRUE(Apply(w, ChangeKind::kAppend, {R"({"id":9,"v":"x","seq":1})"}, "other").ok());
  ASSERT_TRUE(dest_->Reset("t", {"t", "t#deletes"}).ok());
  EXPECT_EQ(Query(path_, "SELECT name FROM sqlite_master WHERE name LIKE 't%' AND type='table'"),
            std::vector<std::string>{});
  EXPECT_FALSE(*dest_->Progress("t", "t"));
  EXPECT_FALSE(*dest_->Progress("t", "t#deletes"));
  EXPECT_TRUE(*dest_->Progress("t", "other"));
}

TEST_F(SqliteChangesTest, FlowsReportRowsAndTheLastError) {
  TableWrite w{"t", Events(), {"id"}, "seq"};
  ASSERT_TRUE(
      Apply(w, ChangeKind::kUpsert, {R"({"id":1,"v":"a","seq":1})", R"({"id":2,"v":"b","seq":1})"})
          .ok());
  ASSERT_TRUE(dest_->RecordRun("t", "t", "source: HTTP 500").ok());
  ASSERT_TRUE(dest_->RecordRun("u", "u", "").ok());
  auto flows = dest_->Flows();
  ASSERT_TRUE(flows.ok());
  ASSERT_EQ(flows->size(), 2u);
  EXPECT_EQ((*flows)[0].table, "t");
  EXPECT_EQ((*flows)[0].rows, 2);
  EXPECT_EQ((*flows)[0].batch_id, 0);
  EXPECT_EQ((*flows)[0].last_error, "source: HTTP 500");
  EXPECT_FALSE((*flows)[0].ran_at.empty());
  // A run that committed nothing is known to have run, without an error.
  EXPECT_EQ((*flows)[1].batch_id, -1);
  EXPECT_FALSE((*flows)[1].ran_at.empty());
  EXPECT_EQ((*flows)[1].last_error, "");
  EXPECT_FALSE(*dest_->Progress("u", "u"));
  // A later commit clears the error and adds its rows.
  ASSERT_TRUE(Apply(w, ChangeKind::kUpsert, {R"({"id":3,"v":"c","seq":1})"}).ok());
  flows = dest_->Flows();
  EXPECT_EQ((*flows)[0].rows, 3);
  EXPECT_EQ((*flows)[0].last_error, "");
}

TEST(QuoteIdentifierTest, DoublesQuotes) {
  EXPECT_EQ(QuoteIdentifier(R"(we"ird name)"), R"("we""ird name")");
}

}  // namespace
}  // namespace lakeflow::sinks
