// The Delta destination: AUTO CDC semantics on real Delta tables, each state
// checked twice: through lakeflow's own log replay and through the `deltalake`
// Python package (tests/python/delta_readback.py), an independent reader.
#include "lakeflow/sinks/delta_destination.h"

#include <arrow/api.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "lakeflow/connect/record_stream.h"
#include "lakeflow/core/arrow_json.h"
#include "lakeflow/core/file_io.h"
#include "lakeflow/core/schema.h"
#include "lakeflow/sinks/delta_data.h"
#include "lakeflow/sinks/delta_log.h"
#include "testing/test_util.h"

namespace lakeflow::sinks {
namespace {

namespace fs = std::filesystem;
using Rows = std::vector<std::string>;

SchemaPtr Ddl(const char* ddl) {
  return *ParseDdl(ddl);
}

// A JSON value as a test expects it: strings bare, null as NULL.
std::string Text(const Json& v) {
  if (v.is_null()) return "NULL";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

// Rows (JSON objects) as sorted "a|b|c" lines of `columns`.
Rows Lines(const std::vector<Json>& rows, const std::vector<std::string>& columns) {
  Rows out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < columns.size(); ++i) {
      line += (i ? "|" : "") + Text(row.contains(columns[i]) ? row[columns[i]] : Json());
    }
    out.push_back(line);
  }
  std::sort(out.begin(), out.end());
  return out;
}

class DeltaDestinationTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    auto d = DeltaDestination::Open(root_);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    dest_ = std::move(d).value();
  }

  std::string Dir(std::string table) const {
    std::replace(table.begin(), table.end(), '.', '/');
    return root_ + "/" + table;
  }

  Status Commit(const TableWrite& w, ChangeKind kind, const Rows& records, int64_t batch,
                const std::string& flow = "f", SchemaPtr rows_schema = nullptr) {
    auto it = MakeBatchIterator(w.table, rows_schema ? rows_schema : w.schema,
                                RecordStream::FromJsonRecords(records));
    return dest_->CommitMicroBatch(w, kind, it.get(), flow,
                                   FlowProgress{batch, Json{{"n", batch}}});
  }
  void MustCommit(const TableWrite& w, ChangeKind kind, const Rows& records, int64_t batch,
                  const std::string& flow = "f") {
    Status st = Commit(w, kind, records, batch, flow);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  void MustApply(const TableWrite& w, int64_t version, int64_t batch) {
    Status st = dest_->ApplySnapshot(w, version, "f", FlowProgress{batch, Json{{"n", batch}}});
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  // The table as lakeflow itself reads it: log replay and Parquet files.
  Rows Own(const std::string& table, const std::vector<std::string>& columns) {
    auto state = delta::LoadTable(Dir(table), table);
    EXPECT_TRUE(state.ok()) << state.status().ToString();
    std::vector<Json> rows;
    if (!state.ok()) return {};
    for (const auto& [path, file] : state->files) {
      auto batch = delta::ReadParquetFile(Dir(table) + "/" + path, table);
      EXPECT_TRUE(batch.ok()) << batch.status().ToString();
      if (!batch.ok()) continue;
      for (int64_t r = 0; r < (*batch)->num_rows(); ++r) {
        std::string text;
        AppendJsonRecord(**batch, r, &text);
        rows.push_back(Json::parse(text));
      }
    }
    return Lines(rows, columns);
  }

  // The table as the deltalake package reads it.
  Rows Deltalake(const std::string& table, const std::vector<std::string>& columns) {
    std::string cmd = std::string(LAKEFLOW_DELTA_READBACK) + " '" + Dir(table) + "' 2>&1";
    FILE* pipe = ::popen(cmd.c_str(), "r");
    EXPECT_NE(pipe, nullptr);
    std::string out;
    char buf[4096];
    while (pipe && fgets(buf, sizeof buf, pipe)) out += buf;
    int rc = pipe ? ::pclose(pipe) : -1;
    EXPECT_EQ(rc, 0) << out;
    std::vector<Json> rows;
    size_t start = 0;
    while (start < out.size()) {
      size_t end = out.find('\n', start);
      auto line = out.substr(start, end - start);
      start = end == std::string::npos ? out.size() : end + 1;
      if (line.empty() || line[0] != '{') continue;  // warnings on stderr
      auto j = Json::parse(line, nullptr, false);
      EXPECT_FALSE(j.is_discarded()) << line;
      if (!j.is_discarded()) rows.push_back(j);
    }
    return Lines(rows, columns);
  }

  // Both readers see exactly `expected`.
  void ExpectRows(const std::string& table, const std::vector<std::string>& columns,
                  Rows expected) {
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(Own(table, columns), expected) << "lakeflow's reading of " << table;
    EXPECT_EQ(Deltalake(table, columns), expected) << "deltalake's reading of " << table;
  }

  std::optional<FlowProgress> ProgressOf(const std::string& table, const std::string& flow = "f") {
    auto p = dest_->Progress(table, flow);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? *p : std::nullopt;
  }

  lakeflow::testing::TempDir dir_{"lakeflow_delta"};
  std::string root_ = dir_.path() + "/lake";
  std::unique_ptr<DeltaDestination> dest_;
};

const std::vector<std::string> kIdNameSeq = {"id", "name", "seq"};

TableWrite Scd1(const std::string& table) {
  return TableWrite{table,
                    Ddl("id BIGINT, name STRING, seq BIGINT, tags ARRAY<STRING>, "
                        "info STRUCT<a: INT, m: MAP<STRING, BIGINT>>"),
                    {"id"},
                    "seq",
                    History::kScd1};
}

TEST_F(DeltaDestinationTest, AppendKeepsEveryRowAndRecordsProgress) {
  TableWrite w{"main.raw.events",
               Ddl("id BIGINT, name STRING, at TIMESTAMP, day DATE, price DECIMAL(10,2), "
                   "tags ARRAY<STRING>, who STRUCT<login: STRING, n: INT>, payload VARIANT"),
               {},
               "",
               History::kScd1};
  MustCommit(w, ChangeKind::kAppend,
             {R"({"id":1,"name":"a","at":"2024-01-02T03:04:05.5Z","day":"2024-01-02",)"
              R"("price":"1.25","tags":["x","y"],"who":{"login":"l","n":3},"payload":{"k":[1]}})",
              R"({"id":1,"name":"a"})"},
             0);
  MustCommit(w, ChangeKind::kAppend, {R"({"id":2,"name":"b","at":"2024-01-03T00:00:00Z"})"}, 1);
  EXPECT_TRUE(fs::exists(root_ + "/main/raw/events/_delta_log/00000000000000000001.json"));
  ExpectRows(w.table, {"id", "name", "at"},
             {"1|a|2024-01-02T03:04:05.500000Z", "1|a|NULL", "2|b|2024-01-03T00:00:00Z"});
  EXPECT_EQ(Deltalake(w.table, {"id", "day", "price", "tags", "who", "payload"})[0],
            R"(1|2024-01-02|1.25|["x","y"]|{"login":"l","n":3}|{"k":[1]})");
  auto p = ProgressOf(w.table);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->batch_id, 1);
  EXPECT_EQ(p->end, Offset(Json{{"n", 1}}));
  EXPECT_FALSE(ProgressOf(w.table, "other").has_value());
}

TEST_F(DeltaDestinationTest, Scd1HighestSequenceWins) {
  auto w = Scd1("issues");
  MustCommit(w, ChangeKind::kUpsert,
             {R"({"id":1,"name":"a","seq":2})", R"({"id":2,"name":"b","seq":2})"}, 0);
  // A newer 1, a late older 2, a new key twice at one sequence (the later wins).
  MustCommit(w, ChangeKind::kUpsert,
             {R"({"id":1,"name":"a2","seq":3})", R"({"id":2,"name":"old","seq":1})",
              R"({"id":3,"name":"c","seq":1})", R"({"id":3,"name":"c2","seq":1})"},
             1);
  ExpectRows(w.table, kIdNameSeq, {"1|a2|3", "2|b|2", "3|c2|1"});
  // Equal sequence: the later arrival wins.
  MustCommit(w, ChangeKind::kUpsert,
             {R"({"id":2,"name":"b2","seq":2,"tags":["t"],"info":{"a":1,"m":{"k":2}}})"}, 2);
  ExpectRows(w.table, kIdNameSeq, {"1|a2|3", "2|b2|2", "3|c2|1"});
  // A late event rewrites the file of its key: nested values come through.
  MustCommit(w, ChangeKind::kUpsert, {R"({"id":2,"name":"late","seq":1})"}, 3);
  ExpectRows(w.table, {"id", "name", "tags", "info"},
             {"1|a2|NULL|NULL", R"(2|b2|["t"]|{"a":1,"m":{"k":2}})", "3|c2|NULL|NULL"});
}

TEST_F(DeltaDestinationTest, DeletesLeaveTombstonesThatStopLateUpserts) {
  auto w = Scd1("issues");
  MustCommit(w, ChangeKind::kUpsert,
             {R"({"id":1,"name":"a","seq":5})", R"({"id":2,"name":"b","seq":5})"}, 0);
  auto keys_only = Ddl("id BIGINT, seq BIGINT");
  // 1 deleted; the delete of 2 is older than its row; 3 deleted before it exists.
  ASSERT_TRUE(Commit(w, ChangeKind::kDelete,
                     {R"({"id":1,"seq":6})", R"({"id":2,"seq":4})", R"({"id":3,"seq":10})"}, 1, "f",
                     keys_only)
                  .ok());
  ExpectRows(w.table, kIdNameSeq, {"2|b|5"});
  // Late upserts at or below the deletes do not bring the keys back.
  MustCommit(w, ChangeKind::kUpsert,
             {R"({"id":1,"name":"late","seq":6})", R"({"id":3,"name":"late","seq":9})"}, 2);
  ExpectRows(w.table, kIdNameSeq, {"2|b|5"});
  // A newer upsert does.
  MustCommit(w, ChangeKind::kUpsert,
             {R"({"id":1,"name":"back","seq":7})", R"({"id":3,"name":"new","seq":11})"}, 3);
  ExpectRows(w.table, kIdNameSeq, {"1|back|7", "2|b|5", "3|new|11"});
  // Tombstones live only under _lakeflow/, never as table data.
  EXPECT_TRUE(fs::exists(Dir("issues") + "/_lakeflow/tombstones"));
}

TEST_F(DeltaDestinationTest, Scd2KeepsHistoryInSequenceOrder) {
  TableWrite w{"hist", Ddl("id BIGINT, name STRING, at TIMESTAMP"), {"id"}, "at", History::kScd2};
  const std::vector<std::string> cols = {"id", "name", "__START_AT", "__END_AT"};
  MustCommit(w, ChangeKind::kUpsert,
             {R"({"id":1,"name":"a","at":"2024-01-01T00:00:00Z"})",
              R"({"id":1,"name":"c","at":"2024-01-03T00:00:00Z"})",
              R"({"id":2,"name":"x","at":"2024-01-01T00:00:00Z"})",
              R"({"id":2,"name":"x2","at":"2024-01-01T00:00:00Z"})"},
             0);
  ExpectRows(w.table, cols,
             {"1|a|2024-01-01T00:00:00Z|2024-01-03T00:00:00Z", "1|c|2024-01-03T00:00:00Z|NULL",
              "2|x2|2024-01-01T00:00:00Z|NULL"});
  // A late event is put in its place in the history.
  MustCommit(w, ChangeKind::kUpsert, {R"({"id":1,"name":"b","at":"2024-01-02T00:00:00Z"})"}, 1);
  ExpectRows(w.table, cols,
             {"1|a|2024-01-01T00:00:00Z|2024-01-02T00:00:00Z",
              "1|b|2024-01-02T00:00:00Z|2024-01-03T00:00:00Z", "1|c|2024-01-03T00:00:00Z|NULL",
              "2|x2|2024-01-01T00:00:00Z|NULL"});
  // A delete closes the current version; a late upsert before it goes into
  // the history without reopening the key.
  auto keys_only = Ddl("id BIGINT, at TIMESTAMP");
  ASSERT_TRUE(
      Commit(w, ChangeKind::kDelete, {R"({"id":1,"at":"2024-01-04T00:00:00Z"})"}, 2, "f", keys_only)
          .ok());
  MustCommit(w, ChangeKind::kUpsert, {R"({"id":1,"name":"c2","at":"2024-01-03T12:00:00Z"})"}, 3);
  ExpectRows(w.table, cols,
             {"1|a|2024-01-01T00:00:00Z|2024-01-02T00:00:00Z",
              "1|b|2024-01-02T00:00:00Z|2024-01-03T00:00:00Z",
              "1|c|2024-01-03T00:00:00Z|2024-01-03T12:00:00Z",
              "1|c2|2024-01-03T12:00:00Z|2024-01-04T00:00:00Z", "2|x2|2024-01-01T00:00:00Z|NULL"});
  // After the delete, a newer upsert opens a new current version.
  MustCommit(w, ChangeKind::kUpsert, {R"({"id":1,"name":"d","at":"2024-01-05T00:00:00Z"})"}, 4);
  EXPECT_EQ(Deltalake(w.table, cols).size(), 6u);
  EXPECT_EQ(Own(w.table, cols).back(), "2|x2|2024-01-01T00:00:00Z|NULL");
}

TEST_F(DeltaDestinationTest, Scd2DeletesWinTheirSequenceAndAreRemembered) {
  TableWrite w{"hist2", Ddl("id BIGINT, name STRING, seq BIGINT"), {"id"}, "seq", History::kScd2};
  const std::vector<std::string> cols = {"id", "name", "__START_AT", "__END_AT"};
  auto keys_only = Ddl("id BIGINT, seq BIGINT");
  MustCommit(w, ChangeKind::kUpsert,
             {R"({"id":1,"name":"a","seq":1})", R"({"id":1,"name":"b","seq":5})"}, 0);
  // A delete at the sequence of an upsert wins it; key 2 is deleted before
  // it is ever upserted.
  ASSERT_TRUE(Commit(w, ChangeKind::kDelete, {R"({"id":1,"seq":5})", R"({"id":2,"seq":8})"}, 1, "f",
                     keys_only)
                  .ok());
  ExpectRows(w.table, cols, {"1|a|1|5"});
  // Late upserts of 2 go into its history before the remembered delete.
  MustCommit(w, ChangeKind::kUpsert,
             {R"({"id":2,"name":"x","seq":3})", R"({"id":2,"name":"y","seq":6})"}, 2);
  ExpectRows(w.table, cols, {"1|a|1|5", "2|x|3|6", "2|y|6|8"});
  // Every delete is remembered, not only the last: key 3 deleted at 2 and 9.
  ASSERT_TRUE(Commit(w, ChangeKind::kDelete, {R"({"id":3,"seq":2})", R"({"id":3,"seq":9})"}, 3, "f",
                     keys_only)
                  .ok());
  MustCommit(w, ChangeKind::kUpsert,
             {R"({"id":3,"name":"tie","seq":2})", R"({"id":3,"name":"p","seq":7})"}, 4);
  ExpectRows(w.table, cols, {"1|a|1|5", "2|x|3|6", "2|y|6|8", "3|p|7|9"});
}

TEST_F(DeltaDestinationTest, DeletesWithoutASequenceRemoveTheCurrentRow) {
  auto w = Scd1("keys_only");
  auto keys_only = Ddl("id BIGINT, seq BIGINT");
  MustCommit(w, ChangeKind::kUpsert,
             {R"({"id":1,"name":"a","seq":5})", R"({"id":2,"name":"b","seq":900})",
              R"({"id":3,"name":"c"})", R"({"id":4,"name":"d","seq":1})"},
             0);
  // Keys only: each delete removes its key's row whatever its sequence (3's
  // has none) and is remembered at it; 9 has no row, so its delete changes
  // nothing and is not remembered.
  ASSERT_TRUE(Commit(w, ChangeKind::kDelete,
                     {R"({"id":1})", R"({"id":2})", R"({"id":3})", R"({"id":9})"}, 1, "f",
                     keys_only)
                  .ok());
  ExpectRows(w.table, kIdNameSeq, {"4|d|1"});
  // Late upserts no newer than the removed rows stay out; 9, never deleted,
  // takes even an upsert without a sequence.
  MustCommit(w, ChangeKind::kUpsert,
             {R"({"id":1,"name":"late","seq":4})", R"({"id":1,"name":"tie","seq":5})",
              R"({"id":2,"name":"late","seq":899})", R"({"id":3,"name":"late"})",
              R"({"id":9,"name":"new"})"},
             2);
  ExpectRows(w.table, kIdNameSeq, {"4|d|1", "9|new|NULL"});
  // Newer ones come back.
  MustCommit(w, ChangeKind::kUpsert,
             {R"({"id":1,"name":"back","seq":6})", R"({"id":3,"name":"back","seq":1})"}, 3);
  ExpectRows(w.table, kIdNameSeq, {"1|back|6", "3|back|1", "4|d|1", "9|new|NULL"});
}

TEST_F(DeltaDestinationTest, Scd2DeletesWithoutASequenceWinTheCurrentVersionsSequence) {
  TableWrite w{"hist3", Ddl("id BIGINT, name STRING, seq BIGINT"), {"id"}, "seq", History::kScd2};
  const std::vector<std::string> cols = {"id", "name", "__START_AT", "__END_AT"};
  auto keys_only = Ddl("id BIGINT, seq BIGINT");
  MustCommit(w, ChangeKind::kUpsert,
             {R"({"id":1,"name":"a","seq":1})", R"({"id":1,"name":"b","seq":5})",
              R"({"id":2,"name":"x","seq":2})"},
             0);
  // 1's delete is one at 5, its current version's sequence, and wins the tie:
  // b goes and a still ends at 5. 2 is deleted at 9, then without a sequence
  // in the same batch, when it has no current version: that one changes
  // nothing, nor does the delete of 9, which has no row.
  ASSERT_TRUE(Commit(w, ChangeKind::kDelete,
                     {R"({"id":1})", R"({"id":2,"seq":9})", R"({"id":2})", R"({"id":9})"}, 1, "f",
                     keys_only)
                  .ok());
  ExpectRows(w.table, cols, {"1|a|1|5", "2|x|2|9"});
  // A late upsert at the removed version's sequence stays out, an older one
  // goes into the history, and 9 starts its own.
  MustCommit(w, ChangeKind::kUpsert,
             {R"({"id":1,"name":"tie","seq":5})", R"({"id":1,"name":"mid","seq":3})",
              R"({"id":9,"name":"new","seq":1})"},
             2);
  ExpectRows(w.table, cols, {"1|a|1|3", "1|mid|3|5", "2|x|2|9", "9|new|1|NULL"});
  // A newer one opens a current version.
  MustCommit(w, ChangeKind::kUpsert, {R"({"id":1,"name":"back","seq":7})"}, 3);
  ExpectRows(w.table, cols, {"1|a|1|3", "1|mid|3|5", "1|back|7|NULL", "2|x|2|9", "9|new|1|NULL"});
}

TEST(DeltaDataFileTest, FilesRollOverAtTheTargetSize) {
  lakeflow::testing::TempDir dir("lakeflow_delta_files");
  const int64_t n = 2 * delta::kTargetFileRows + 5;
  arrow::Int64Builder ids;
  ASSERT_TRUE(ids.Reserve(n).ok());
  for (int64_t i = 0; i < n; ++i) ids.UnsafeAppend(n - i);
  std::shared_ptr<arrow::Array> column;
  ASSERT_TRUE(ids.Finish(&column).ok());
  auto schema = arrow::schema({arrow::field("id", arrow::int64())});
  delta::DataFileWriter writer(dir.path(), "", schema, "t");
  ASSERT_TRUE(writer.Write(arrow::RecordBatch::Make(schema, n, {column})).ok());
  auto files = writer.Finish();
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 3u);
  EXPECT_EQ((*files)[0].rows, delta::kTargetFileRows);
  EXPECT_EQ((*files)[2].rows, 5);
  EXPECT_EQ((*files)[2].stats["numRecords"], 5);
  EXPECT_EQ((*files)[2].stats["minValues"]["id"], 1);
  EXPECT_EQ((*files)[2].stats["maxValues"]["id"], 5);
  EXPECT_EQ((*files)[0].stats["nullCount"]["id"], 0);
}

TEST(DeltaLogTest, ACommitIsNeverReplaced) {
  lakeflow::testing::TempDir dir("lakeflow_delta_log");
  std::vector<Json> actions = {Json{{"commitInfo", {{"timestamp", 1}}}}};
  ASSERT_TRUE(delta::WriteCommit(dir.path(), 0, actions, "t").ok());
  Status again = delta::WriteCommit(dir.path(), 0, actions, "t");
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.message().find("already exists"), std::string::npos) << again.message();
  EXPECT_NE(again.message().find("'t'"), std::string::npos) << again.message();
}

TEST_F(DeltaDestinationTest, SnapshotScd1UpdatesOnlyWhatChanged) {
  TableWrite w{"snap", Ddl("id BIGINT, name STRING"), {"id"}, "", History::kScd1};
  MustCommit(w, ChangeKind::kStage,
             {R"({"id":1,"name":"a"})", R"({"id":2,"name":"b"})", R"({"id":3,"name":"c"})"}, 0);
  // Staged rows are not table data.
  ExpectRows(w.table, {"id", "name"}, {});
  MustApply(w, 1, 1);
  ExpectRows(w.table, {"id", "name"}, {"1|a", "2|b", "3|c"});
  MustCommit(w, ChangeKind::kStage, {R"({"id":1,"name":"a"})", R"({"id":2,"name":"B"})"}, 2);
  MustCommit(w, ChangeKind::kStage, {R"({"id":4,"name":"d"})"}, 3);
  MustApply(w, 2, 4);
  ExpectRows(w.table, {"id", "name"}, {"1|a", "2|B", "4|d"});
  // An empty stage deletes every row.
  MustApply(w, 3, 5);
  ExpectRows(w.table, {"id", "name"}, {});
  EXPECT_EQ(ProgressOf(w.table)->batch_id, 5);
}

TEST_F(DeltaDestinationTest, SnapshotScd2ClosesChangedAndMissingKeys) {
  TableWrite w{"snap2", Ddl("id BIGINT, name STRING"), {"id"}, "", History::kScd2};
  const std::vector<std::string> cols = {"id", "name", "__START_AT", "__END_AT"};
  MustCommit(w, ChangeKind::kStage,
             {R"({"id":1,"name":"a"})", R"({"id":2,"name":"b"})", R"({"id":3,"name":"c"})"}, 0);
  MustApply(w, 1, 1);
  ExpectRows(w.table, cols, {"1|a|1|NULL", "2|b|1|NULL", "3|c|1|NULL"});
  MustCommit(w, ChangeKind::kStage,
             {R"({"id":1,"name":"a"})", R"({"id":2,"name":"B"})", R"({"id":4,"name":"d"})"}, 2);
  MustApply(w, 2, 3);
  ExpectRows(w.table, cols, {"1|a|1|NULL", "2|b|1|2", "2|B|2|NULL", "3|c|1|2", "4|d|2|NULL"});
  MustApply(w, 3, 4);
  ExpectRows(w.table, cols, {"1|a|1|3", "2|b|1|2", "2|B|2|3", "3|c|1|2", "4|d|2|3"});
}

TEST_F(DeltaDestinationTest, NewColumnsAreAddedAndTypesMustWiden) {
  TableWrite narrow{"evolve", Ddl("id BIGINT, n INT"), {"id"}, "", History::kScd1};
  MustCommit(narrow, ChangeKind::kUpsert, {R"({"id":1,"n":1})"}, 0);
  TableWrite wide{"evolve", Ddl("id BIGINT, n INT, extra STRING"), {"id"}, "", History::kScd1};
  MustCommit(wide, ChangeKind::kUpsert, {R"({"id":2,"n":2,"extra":"x"})"}, 1);
  ExpectRows("evolve", {"id", "n", "extra"}, {"1|1|NULL", "2|2|x"});
  // A narrower source type is widened to the table's.
  TableWrite smaller{"evolve", Ddl("id INT, n SMALLINT"), {"id"}, "", History::kScd1};
  MustCommit(smaller, ChangeKind::kUpsert, {R"({"id":3,"n":3})"}, 2);
  ExpectRows("evolve", {"id", "n", "extra"}, {"1|1|NULL", "2|2|x", "3|3|NULL"});
  // A type the table cannot hold is one error naming table, column and types.
  TableWrite changed{"evolve", Ddl("id BIGINT, n STRING"), {"id"}, "", History::kScd1};
  Status st = Commit(changed, ChangeKind::kUpsert, {R"({"id":4,"n":"four"})"}, 3);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("'evolve'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("'n'"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("integer"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("string"), std::string::npos) << st.message();
  EXPECT_EQ(ProgressOf("evolve")->batch_id, 2);
}

TEST_F(DeltaDestinationTest, AFailedBatchLeavesProgressAndDataUnchanged) {
  auto w = Scd1("issues");
  MustCommit(w, ChangeKind::kUpsert, {R"({"id":1,"name":"a","seq":1})"}, 0);
  // A record that does not convert fails the whole batch.
  EXPECT_FALSE(Commit(w, ChangeKind::kUpsert,
                      {R"({"id":2,"name":"b","seq":1})", R"({"id":"not a number"})"}, 1)
                   .ok());
  // Rows whose schema does not match the table's.
  EXPECT_FALSE(Commit(w, ChangeKind::kUpsert, {R"({"id":"x","name":"b","seq":1})"}, 1, "f",
                      Ddl("id STRING, name STRING, seq BIGINT"))
                   .ok());
  // A batch already committed is a retry: it succeeds and changes nothing.
  EXPECT_TRUE(Commit(w, ChangeKind::kUpsert, {R"({"id":3,"name":"c","seq":1})"}, 0).ok());
  ExpectRows(w.table, kIdNameSeq, {"1|a|1"});
  auto p = ProgressOf(w.table);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->batch_id, 0);
  EXPECT_EQ(p->end, Offset(Json{{"n", 0}}));
  EXPECT_FALSE(fs::exists(Dir("issues") + "/_delta_log/00000000000000000001.json"));
  // The retry of batch 1 commits.
  MustCommit(w, ChangeKind::kUpsert, {R"({"id":2,"name":"b","seq":1})"}, 1);
  EXPECT_EQ(ProgressOf(w.table)->batch_id, 1);
}

TEST_F(DeltaDestinationTest, FilesOfACrashedAttemptDoNotCount) {
  auto w = Scd1("crash");
  MustCommit(w, ChangeKind::kUpsert, {R"({"id":1,"name":"a","seq":5})"}, 0);
  // Commit 1 cannot be created: the attempt dies after writing its progress
  // and tombstone files, as a crash before the commit would.
  std::string blocker = Dir("crash") + "/_delta_log/00000000000000000001.json";
  fs::create_directories(blocker);
  Status st =
      Commit(w, ChangeKind::kDelete, {R"({"id":1,"seq":6})"}, 1, "f", Ddl("id BIGINT, seq BIGINT"));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("already exists"), std::string::npos) << st.message();
  EXPECT_TRUE(fs::exists(Dir("crash") + "/_lakeflow/tombstones/00000000000000000001.parquet"));
  fs::remove(blocker);
  EXPECT_EQ(ProgressOf("crash")->batch_id, 0);
  ExpectRows("crash", kIdNameSeq, {"1|a|5"});
  // The retry of batch 1 differs (no delete): the orphan tombstone is never
  // named, so a later upsert of key 1 at sequence 5 is not blocked by it.
  MustCommit(w, ChangeKind::kUpsert, {R"({"id":2,"name":"b","seq":1})"}, 1);
  MustCommit(w, ChangeKind::kUpsert, {R"({"id":1,"name":"newer","seq":5})"}, 2);
  ExpectRows("crash", kIdNameSeq, {"1|newer|5", "2|b|1"});
  auto p = ProgressOf("crash");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->batch_id, 2);
  EXPECT_EQ(p->end, Offset(Json{{"n", 2}}));
}

TEST_F(DeltaDestinationTest, CheckpointIsWrittenAndRead) {
  auto w = Scd1("cp");
  for (int64_t b = 0; b < 12; ++b) {
    MustCommit(w, ChangeKind::kUpsert,
               {fmt::format(R"({{"id":{},"name":"v{}","seq":{}}})", b % 4, b, b)}, b);
  }
  std::string log = Dir("cp") + "/_delta_log";
  EXPECT_TRUE(fs::exists(log + "/00000000000000000010.checkpoint.parquet"));
  auto last = ReadWholeFile(log + "/_last_checkpoint");
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(Json::parse(*last)["version"], 10);
  // Reading from the checkpoint alone: the commits before it are not needed.
  for (int v = 0; v < 10; ++v) fs::remove(fmt::format("{}/{:020d}.json", log, v));
  Reopen();
  auto p = ProgressOf("cp");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->batch_id, 11);
  EXPECT_EQ(p->end, Offset(Json{{"n", 11}}));
  ExpectRows("cp", kIdNameSeq, {"0|v8|8", "1|v9|9", "2|v10|10", "3|v11|11"});
  // A new column after the checkpoint: metaData is written again from its state.
  TableWrite wide{
      "cp", Ddl("id BIGINT, name STRING, seq BIGINT, extra STRING"), {"id"}, "seq", History::kScd1};
  MustCommit(wide, ChangeKind::kUpsert, {R"({"id":0,"name":"last","seq":12,"extra":"e"})"}, 12);
  ExpectRows("cp", {"id", "name", "seq", "extra"},
             {"0|last|12|e", "1|v9|9|NULL", "2|v10|10|NULL", "3|v11|11|NULL"});
}

TEST_F(DeltaDestinationTest, Scd2TimestampsReadAfterACheckpoint) {
  TableWrite w{"cp2", Ddl("id BIGINT, name STRING, at TIMESTAMP"), {"id"}, "at", History::kScd2};
  Rows expected;
  for (int64_t b = 0; b < 11; ++b) {
    MustCommit(
        w, ChangeKind::kUpsert,
        {fmt::format(R"({{"id":1,"name":"v{}","at":"2024-01-{:02d}T00:00:00Z"}})", b, b + 1)}, b);
    expected.push_back(
        fmt::format("1|v{}|2024-01-{:02d}T00:00:00Z|{}", b, b + 1,
                    b < 10 ? fmt::format("2024-01-{:02d}T00:00:00Z", b + 2) : std::string("NULL")));
  }
  EXPECT_TRUE(fs::exists(Dir("cp2") + "/_delta_log/00000000000000000010.checkpoint.parquet"));
  ExpectRows("cp2", {"id", "name", "__START_AT", "__END_AT"}, expected);
}

TEST_F(DeltaDestinationTest, ResetStartsTheTableAgain) {
  auto w = Scd1("a.b");
  MustCommit(w, ChangeKind::kUpsert, {R"({"id":1,"name":"a","seq":1})"}, 0);
  MustCommit(w, ChangeKind::kUpsert, {R"({"id":2,"name":"b","seq":1})"}, 1);
  ASSERT_TRUE(dest_->Reset("a.b", {"f"}).ok());
  EXPECT_FALSE(ProgressOf("a.b").has_value());
  EXPECT_FALSE(fs::exists(Dir("a.b")));
  MustCommit(w, ChangeKind::kUpsert, {R"({"id":3,"name":"c","seq":1})"}, 0);
  EXPECT_TRUE(fs::exists(Dir("a.b") + "/_delta_log/00000000000000000000.json"));
  ExpectRows("a.b", kIdNameSeq, {"3|c|1"});
}

TEST_F(DeltaDestinationTest, FlowsListProgressAndErrors) {
  MustCommit(Scd1("t1"), ChangeKind::kUpsert, {R"({"id":1,"name":"a","seq":1})"}, 0, "f1");
  MustCommit(Scd1("t1"), ChangeKind::kUpsert, {R"({"id":2,"name":"b","seq":1})"}, 1, "f1");
  ASSERT_TRUE(dest_->RecordRun("t1", "f1", "boom").ok());
  ASSERT_TRUE(dest_->RecordRun("t2", "f2", "").ok());
  auto flows = dest_->Flows();
  ASSERT_TRUE(flows.ok()) << flows.status().ToString();
  ASSERT_EQ(flows->size(), 2u);
  const auto& f1 = (*flows)[0];
  EXPECT_EQ(f1.table, "t1");
  EXPECT_EQ(f1.flow, "f1");
  EXPECT_EQ(f1.batch_id, 1);
  EXPECT_EQ(f1.rows, 2);
  EXPECT_EQ(f1.end, Offset(Json{{"n", 1}}));
  EXPECT_FALSE(f1.committed_at.empty());
  EXPECT_EQ(f1.last_error, "boom");
  EXPECT_FALSE(f1.ran_at.empty());
  // A run that committed nothing is known to have run, without an error.
  EXPECT_EQ((*flows)[1].flow, "f2");
  EXPECT_EQ((*flows)[1].batch_id, -1);
  EXPECT_FALSE((*flows)[1].ran_at.empty());
  EXPECT_EQ((*flows)[1].last_error, "");
  // A later commit of the flow clears its error.
  MustCommit(Scd1("t1"), ChangeKind::kUpsert, {R"({"id":3,"name":"c","seq":1})"}, 2, "f1");
  flows = dest_->Flows();
  ASSERT_TRUE(flows.ok());
  EXPECT_EQ((*flows)[0].last_error, "");
  EXPECT_EQ((*flows)[0].rows, 3);
}

TEST_F(DeltaDestinationTest, TimestampNtzNeedsItsTableFeature) {
  TableWrite w{"ntz", Ddl("id BIGINT, local TIMESTAMP_NTZ"), {}, "", History::kScd1};
  MustCommit(w, ChangeKind::kAppend, {R"({"id":1,"local":"2024-01-02T03:04:05"})"}, 0);
  auto state = delta::LoadTable(Dir("ntz"), "ntz");
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(state->protocol["minReaderVersion"], 3);
  EXPECT_EQ(state->protocol["readerFeatures"], Json::array({"timestampNtz"}));
  ExpectRows("ntz", {"id", "local"}, {"1|2024-01-02T03:04:05"});
}

TEST_F(DeltaDestinationTest, BadTableNamesAreRefused) {
  for (const char* name : {"", "a..b", ".a", "a/b", "a._delta_log"}) {
    auto w = Scd1(name);
    Status st = Commit(w, ChangeKind::kUpsert, {R"({"id":1,"name":"a","seq":1})"}, 0);
    EXPECT_FALSE(st.ok()) << name;
  }
  // A table inside another, either way round.
  MustCommit(Scd1("outer.inner"), ChangeKind::kUpsert, {R"({"id":1,"name":"a","seq":1})"}, 0);
  EXPECT_FALSE(
      Commit(Scd1("outer"), ChangeKind::kUpsert, {R"({"id":1,"name":"a","seq":1})"}, 0).ok());
  EXPECT_FALSE(
      Commit(Scd1("outer.inner.deeper"), ChangeKind::kUpsert, {R"({"id":1,"name":"a","seq":1})"}, 0)
          .ok());
}

TEST_F(DeltaDestinationTest, MergesRewriteOnlyFilesThatMayHoldTheKeys) {
  auto w = Scd1("prune");
  MustCommit(w, ChangeKind::kUpsert, {R"({"id":1,"name":"a","seq":1})"}, 0);
  MustCommit(w, ChangeKind::kUpsert, {R"({"id":100,"name":"z","seq":1})"}, 1);
  MustCommit(w, ChangeKind::kUpsert, {R"({"id":100,"name":"z2","seq":2})"}, 2);
  auto commit = ReadWholeFile(Dir("prune") + "/_delta_log/00000000000000000002.json");
  ASSERT_TRUE(commit.ok());
  // The file of key 1 is neither read into the merge nor removed.
  int removes = 0;
  std::istringstream lines(*commit);
  for (std::string line; std::getline(lines, line);)
    removes += Json::parse(line).contains("remove");
  EXPECT_EQ(removes, 1);
  ExpectRows("prune", kIdNameSeq, {"1|a|1", "100|z2|2"});
}

// The names of a table's live data files' rows, file by file.
std::vector<std::vector<std::string>> NamesByFile(const std::string& dir,
                                                  const std::string& table) {
  std::vector<std::vector<std::string>> out;
  auto state = delta::LoadTable(dir, table);
  EXPECT_TRUE(state.ok()) << state.status().ToString();
  if (!state.ok()) return out;
  for (const auto& [path, file] : state->files) {
    auto batch = delta::ReadParquetFile(dir + "/" + path, table);
    EXPECT_TRUE(batch.ok()) << batch.status().ToString();
    if (!batch.ok()) continue;
    auto names = std::static_pointer_cast<arrow::StringArray>((*batch)->GetColumnByName("name"));
    std::vector<std::string> rows;
    for (int64_t r = 0; r < names->length(); ++r) {
      rows.push_back(names->IsNull(r) ? "NULL" : names->GetString(r));
    }
    out.push_back(std::move(rows));
  }
  return out;
}

std::string ClusteringOf(const std::string& dir, const std::string& table) {
  auto state = delta::LoadTable(dir, table);
  EXPECT_TRUE(state.ok()) << state.status().ToString();
  if (!state.ok()) return "";
  auto it = state->domains.find(delta::kClusteringDomain);
  return it == state->domains.end() ? "" : it->second;
}

TEST_F(DeltaDestinationTest, ClusterByRecordsTheColumnsAndSortsEveryFile) {
  TableWrite w{
      "clustered", Ddl("id BIGINT, name STRING, seq BIGINT"), {"id"}, "seq", History::kScd1};
  w.cluster_by = {"name"};
  // Names in an order that is neither the ids' nor the arrival's; a null last.
  MustCommit(w, ChangeKind::kUpsert,
             {R"({"id":1,"name":"pear","seq":1})", R"({"id":2,"name":"apple","seq":1})",
              R"({"id":3,"seq":1})", R"({"id":4,"name":"fig","seq":1})"},
             0);
  // Enough commits for a checkpoint: the clustering must survive it.
  for (int b = 1; b <= DeltaDestination::kCheckpointInterval + 1; ++b) {
    MustCommit(w, ChangeKind::kUpsert,
               {fmt::format(R"({{"id":{},"name":"k{}","seq":1}})", 100 + b, 20 - b),
                fmt::format(R"({{"id":2,"name":"b{}","seq":{}}})", 20 - b, b + 1)},
               b);
  }
  EXPECT_TRUE(fs::exists(Dir("clustered") + "/_delta_log/_last_checkpoint"));
  EXPECT_EQ(ClusteringOf(Dir("clustered"), "clustered"), R"({"clusteringColumns":[["name"]]})");
  for (const auto& names : NamesByFile(Dir("clustered"), "clustered")) {
    auto sorted = names;
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
      return a != "NULL" && (b == "NULL" || a < b);
    });
    EXPECT_EQ(names, sorted);
  }
  // The rows are what they would be unclustered, by both readers.
  Rows expected = {"1|pear|1", "2|b9|12", "3|NULL|1", "4|fig|1"};
  for (int b = 1; b <= DeltaDestination::kCheckpointInterval + 1; ++b) {
    expected.push_back(fmt::format("{}|k{}|1", 100 + b, 20 - b));
  }
  ExpectRows(w.table, kIdNameSeq, expected);

  // The last commit repeats nothing the table already records.
  auto state = delta::LoadTable(Dir("clustered"), "clustered");
  ASSERT_TRUE(state.ok());
  auto last = ReadWholeFile(delta::CommitPath(Dir("clustered"), state->version));
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->find("domainMetadata"), std::string::npos) << *last;
  EXPECT_EQ(last->find("protocol"), std::string::npos) << *last;
  const Json& writer = state->protocol["writerFeatures"];
  EXPECT_EQ(state->protocol["minWriterVersion"], 7);
  EXPECT_NE(std::find(writer.begin(), writer.end(), "clustering"), writer.end());
  EXPECT_NE(std::find(writer.begin(), writer.end(), "domainMetadata"), writer.end());

  // New columns are recorded; none at all leaves a clustered table with none.
  w.cluster_by = {"seq", "id"};
  MustCommit(w, ChangeKind::kUpsert, {R"({"id":5,"name":"z","seq":1})"}, 20);
  EXPECT_EQ(ClusteringOf(Dir("clustered"), "clustered"),
            R"({"clusteringColumns":[["seq"],["id"]]})");
  w.cluster_by.clear();
  MustCommit(w, ChangeKind::kUpsert, {R"({"id":6,"name":"y","seq":1})"}, 21);
  EXPECT_EQ(ClusteringOf(Dir("clustered"), "clustered"), R"({"clusteringColumns":[]})");

  // Without new rows: a commit of its own, no row and no progress changed.
  w.cluster_by = {"id"};
  Rows before = Own("clustered", kIdNameSeq);
  ASSERT_TRUE(dest_->SetClustering(w).ok());
  EXPECT_EQ(ClusteringOf(Dir("clustered"), "clustered"), R"({"clusteringColumns":[["id"]]})");
  EXPECT_EQ(Own("clustered", kIdNameSeq), before);
  EXPECT_EQ(ProgressOf("clustered")->batch_id, 21);
  auto now = delta::LoadTable(Dir("clustered"), "clustered");
  ASSERT_TRUE(now.ok());
  ASSERT_TRUE(dest_->SetClustering(w).ok());  // already so: no commit
  EXPECT_EQ(delta::LoadTable(Dir("clustered"), "clustered")->version, now->version);
  // A table not created yet is left alone.
  TableWrite fresh{"not_yet", Ddl("id BIGINT"), {}, "", History::kScd1};
  fresh.cluster_by = {"id"};
  ASSERT_TRUE(dest_->SetClustering(fresh).ok());
  EXPECT_FALSE(fs::exists(Dir("not_yet")));
}

TEST_F(DeltaDestinationTest, ClusterByAColumnTheTableLacksIsRefused) {
  TableWrite w{"badcluster", Ddl("id BIGINT, tags ARRAY<STRING>"), {}, "", History::kScd1};
  w.cluster_by = {"nope"};
  Status st = Commit(w, ChangeKind::kAppend, {R"({"id":1})"}, 0);
  EXPECT_NE(st.message().find("cluster_by 'nope' is not a column"), std::string::npos)
      << st.ToString();
  w.cluster_by = {"tags"};
  st = Commit(w, ChangeKind::kAppend, {R"({"id":1})"}, 0);
  EXPECT_NE(st.message().find("cluster_by 'tags' has type list"), std::string::npos)
      << st.ToString();
  EXPECT_FALSE(fs::exists(Dir("badcluster") + "/_delta_log"));
}

}  // namespace
}  // namespace lakeflow::sinks
