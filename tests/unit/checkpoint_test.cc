#include "lakeflow/datasource/checkpoint.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "testing/test_util.h"

namespace lakeflow {
namespace {

namespace fs = std::filesystem;

class CheckpointTest : public ::testing::Test {
 protected:
  static Json Identity() {
    return {{"source", "test"}, {"table", "events"}, {"delete_flow", false}};
  }

  Checkpoint OpenOk() {
    auto c = Checkpoint::Open(dir_, Identity());
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return std::move(c).value();
  }

  void Write(const std::string& relative, const std::string& text) {
    std::ofstream(dir_ + "/" + relative) << text;
  }

  testing::TempDir tmp_{"lakeflow_ckpt"};
  std::string root_ = tmp_.path();
  std::string dir_ = root_ + "/stream";
};

TEST_F(CheckpointTest, OpenCreatesTheLayout) {
  Checkpoint c = OpenOk();
  EXPECT_EQ(c.dir(), dir_);
  EXPECT_TRUE(fs::is_directory(dir_ + "/offsets"));
  EXPECT_TRUE(fs::is_directory(dir_ + "/commits"));
  auto meta = ReadWholeFile(dir_ + "/metadata");
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(Json::parse(*meta), Identity());
  auto last = c.LastPlanned();
  ASSERT_TRUE(last.ok());
  EXPECT_FALSE(last->has_value());
}

TEST_F(CheckpointTest, ReopenWithTheSameIdentityInAnyKeyOrder) {
  OpenOk();
  auto again = Checkpoint::Open(
      dir_, Json::parse(R"({"table":"events","delete_flow":false,"source":"test"})"));
  EXPECT_TRUE(again.ok()) << again.status().ToString();
}

TEST_F(CheckpointTest, AnotherStreamsCheckpointIsRefused) {
  OpenOk();
  Json other = {{"source", "test"}, {"table", "users"}, {"delete_flow", false}};
  auto c = Checkpoint::Open(dir_, other);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find(dir_), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find("another stream"), std::string::npos) << c.status().message();
  // The delete flow of the same table is another stream too.
  auto deletes =
      Checkpoint::Open(dir_, Json{{"source", "test"}, {"table", "events"}, {"delete_flow", true}});
  EXPECT_EQ(deletes.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(CheckpointTest, PlannedBatchesRoundTrip) {
  Checkpoint c = OpenOk();
  ASSERT_TRUE(c.WritePlanned({0, Json::object(), Json{{"page", 1}}}).ok());
  ASSERT_TRUE(c.WritePlanned({1, Json{{"page", 1}}, Json{{"page", 2}, {"cursor", "x"}}}).ok());
  auto last = c.LastPlanned();
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  ASSERT_TRUE(last->has_value());
  EXPECT_EQ((*last)->id, 1);
  EXPECT_EQ(OffsetToString((*last)->start), R"({"page":1})");
  EXPECT_EQ(OffsetToString((*last)->end), R"({"cursor":"x","page":2})");
  EXPECT_FALSE(fs::exists(dir_ + "/offsets/1.tmp"));
}

TEST_F(CheckpointTest, NoOffsetRoundTripsAsNoOffset) {
  Checkpoint c = OpenOk();
  ASSERT_TRUE(c.WritePlanned({0, Offset(), Json::object()}).ok());
  auto last = c.LastPlanned();
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_FALSE((*last)->start.has_value());
  ASSERT_TRUE((*last)->end.has_value());
  EXPECT_EQ(OffsetToString((*last)->end), "{}");
}

TEST_F(CheckpointTest, LastPlannedIsTheHighestIdNumerically) {
  Checkpoint c = OpenOk();
  for (int64_t id : {2, 10, 9})
    ASSERT_TRUE(c.WritePlanned({id, Json::object(), Json{{"n", id}}}).ok());
  auto last = c.LastPlanned();
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->id, 10);
  EXPECT_EQ(OffsetToString((*last)->end), R"({"n":10})");
}

TEST_F(CheckpointTest, CommitsAreRecordedPerBatch) {
  {
    Checkpoint c = OpenOk();
    ASSERT_TRUE(c.WritePlanned({0, Json::object(), Json{{"page", 1}}}).ok());
    EXPECT_FALSE(*c.IsCommitted(0));
    ASSERT_TRUE(c.WriteCommit(0).ok());
    EXPECT_TRUE(*c.IsCommitted(0));
    EXPECT_FALSE(*c.IsCommitted(1));
  }
  // A reopened checkpoint sees the same state.
  auto again = Checkpoint::Open(dir_, Identity());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again->IsCommitted(0));
  EXPECT_EQ((*again->LastPlanned())->id, 0);
}

// One stream at a time: a second open of a checkpoint in use is refused with
// one line naming the holder; the lock goes with the first.
TEST_F(CheckpointTest, ASecondStreamOnTheSameCheckpointIsRefused) {
  std::optional<Checkpoint> first(OpenOk());
  auto second = Checkpoint::Open(dir_, Identity());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kIO);
  const std::string& m = second.status().message();
  EXPECT_NE(m.find("is being written by another run (pid " + std::to_string(::getpid())),
            std::string::npos)
      << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  first.reset();
  EXPECT_TRUE(Checkpoint::Open(dir_, Identity()).ok());
}

TEST_F(CheckpointTest, CorruptOffsetsFileIsAnIOErrorNamingTheFile) {
  Checkpoint c = OpenOk();
  Write("offsets/3", "{\"batch\": 3, \"start\":");
  auto last = c.LastPlanned();
  ASSERT_FALSE(last.ok());
  EXPECT_EQ(last.status().code(), StatusCode::kIO);
  EXPECT_NE(last.status().message().find(dir_ + "/offsets/3"), std::string::npos)
      << last.status().message();
}

TEST_F(CheckpointTest, OffsetsFileOfTheWrongBatchIsCorrupt) {
  Checkpoint c = OpenOk();
  Write("offsets/5", R"({"batch": 4, "start": {}, "end": {}})");
  auto last = c.LastPlanned();
  ASSERT_FALSE(last.ok());
  EXPECT_EQ(last.status().code(), StatusCode::kIO);
  EXPECT_NE(last.status().message().find(dir_ + "/offsets/5"), std::string::npos)
      << last.status().message();
}

TEST_F(CheckpointTest, OffsetsFileWithANonObjectOffsetIsAnIOError) {
  Checkpoint c = OpenOk();
  Write("offsets/0", R"({"batch": 0, "start": [1, 2], "end": {}})");
  auto last = c.LastPlanned();
  ASSERT_FALSE(last.ok());
  EXPECT_EQ(last.status().code(), StatusCode::kIO);
  EXPECT_NE(last.status().message().find(dir_ + "/offsets/0"), std::string::npos)
      << last.status().message();
}

TEST_F(CheckpointTest, UnexpectedFileInOffsetsIsAnIOError) {
  Checkpoint c = OpenOk();
  Write("offsets/notes.txt", "hello");
  auto last = c.LastPlanned();
  ASSERT_FALSE(last.ok());
  EXPECT_EQ(last.status().code(), StatusCode::kIO);
  EXPECT_NE(last.status().message().find("'notes.txt'"), std::string::npos)
      << last.status().message();
}

TEST_F(CheckpointTest, InterruptedWriteLeftoversAreIgnored) {
  Checkpoint c = OpenOk();
  ASSERT_TRUE(c.WritePlanned({1, Json::object(), Json{{"page", 1}}}).ok());
  Write("offsets/2.tmp", "{\"batch\": 2, \"st");
  auto last = c.LastPlanned();
  ASSERT_TRUE(last.ok()) << last.status().ToString();
  EXPECT_EQ((*last)->id, 1);
}

TEST_F(CheckpointTest, CorruptCommitFileIsAnIOError) {
  Checkpoint c = OpenOk();
  Write("commits/0", "garbage");
  auto committed = c.IsCommitted(0);
  ASSERT_FALSE(committed.ok());
  EXPECT_EQ(committed.status().code(), StatusCode::kIO);
  EXPECT_NE(committed.status().message().find(dir_ + "/commits/0"), std::string::npos);
}

TEST_F(CheckpointTest, CorruptMetadataIsAnIOError) {
  OpenOk();
  Write("metadata", "[not an object]");
  auto c = Checkpoint::Open(dir_, Identity());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kIO);
  EXPECT_NE(c.status().message().find(dir_ + "/metadata"), std::string::npos)
      << c.status().message();
}

TEST_F(CheckpointTest, OpenOnAFileIsAnIOError) {
  std::ofstream(root_ + "/file") << "x";
  auto c = Checkpoint::Open(root_ + "/file", Identity());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kIO);
  EXPECT_NE(c.status().message().find(root_ + "/file"), std::string::npos) << c.status().message();
}

TEST_F(CheckpointTest, PruneKeepsTheLastN) {
  Checkpoint c = OpenOk();
  for (int64_t id = 0; id < 10; ++id) {
    ASSERT_TRUE(c.WritePlanned({id, Json{{"n", id}}, Json{{"n", id + 1}}}).ok());
    ASSERT_TRUE(c.WriteCommit(id).ok());
  }
  c.Prune(9, 3);
  for (int64_t id = 0; id < 10; ++id) {
    bool kept = id >= 7;
    EXPECT_EQ(fs::exists(dir_ + "/offsets/" + std::to_string(id)), kept) << id;
    EXPECT_EQ(fs::exists(dir_ + "/commits/" + std::to_string(id)), kept) << id;
  }
  EXPECT_EQ((*c.LastPlanned())->id, 9);

  // A later prune removes what became old since, and only that.
  for (int64_t id = 10; id < 13; ++id) {
    ASSERT_TRUE(c.WritePlanned({id, Json{{"n", id}}, Json{{"n", id + 1}}}).ok());
    ASSERT_TRUE(c.WriteCommit(id).ok());
  }
  c.Prune(12, 3);
  for (int64_t id = 0; id < 13; ++id) {
    EXPECT_EQ(fs::exists(dir_ + "/offsets/" + std::to_string(id)), id >= 10) << id;
  }
}

TEST_F(CheckpointTest, PruneWithFewerBatchesThanKeptDoesNothing) {
  Checkpoint c = OpenOk();
  for (int64_t id = 0; id < 3; ++id)
    ASSERT_TRUE(c.WritePlanned({id, Json::object(), Json::object()}).ok());
  c.Prune(2, 100);
  for (int64_t id = 0; id < 3; ++id)
    EXPECT_TRUE(fs::exists(dir_ + "/offsets/" + std::to_string(id))) << id;
}

TEST_F(CheckpointTest, WriteFileAtomicallyReplacesContents) {
  fs::create_directories(dir_);
  std::string path = dir_ + "/f";
  ASSERT_TRUE(WriteFileAtomically(path, "one").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "two\n").ok());
  EXPECT_EQ(*ReadWholeFile(path), "two\n");
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  auto missing = ReadWholeFile(dir_ + "/missing");
  EXPECT_EQ(missing.status().code(), StatusCode::kIO);
  EXPECT_NE(missing.status().message().find(dir_ + "/missing"), std::string::npos);
  Status bad = WriteFileAtomically(root_ + "/no/such/dir/f", "x");
  EXPECT_EQ(bad.code(), StatusCode::kIO);
  EXPECT_NE(bad.message().find(root_ + "/no/such/dir/f"), std::string::npos) << bad.message();
}

}  // namespace
}  // namespace lakeflow
