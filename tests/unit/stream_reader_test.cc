#include "lakeflow/datasource/stream_reader.h"

#include <arrow/array.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "testing/test_connector.h"
#include "testing/test_util.h"

namespace lakeflow {
namespace {

namespace fs = std::filesystem;
using Ids = std::vector<int64_t>;

Ids Range(int64_t from, int64_t to) {
  Ids out;
  for (int64_t i = from; i <= to; ++i) out.push_back(i);
  return out;
}

// Records each micro-batch's id and the values of its key column.
class RecordingSink : public MicroBatchSink {
 public:
  struct Batch {
    int64_t id;
    Ids keys;
    bool operator==(const Batch&) const = default;
  };

  explicit RecordingSink(std::string key = "id") : key_(std::move(key)) {}

  Status WriteMicroBatch(int64_t id, BatchIterator* batches) override {
    Batch batch{id, {}};
    while (true) {
      LF_ASSIGN_OR_RETURN(auto b, batches->Next());
      if (!b) break;
      auto column = std::static_pointer_cast<arrow::Int64Array>(b->GetColumnByName(key_));
      if (!column) return Status::Internal("no column {}", key_);
      for (int64_t i = 0; i < column->length(); ++i) batch.keys.push_back(column->Value(i));
    }
    attempts.push_back(batch);
    if (fail_on && *fail_on == id) return Status::IOError("sink could not write batch {}", id);
    committed.push_back(std::move(batch));
    if (stop_after && static_cast<int64_t>(committed.size()) >= *stop_after) stop->store(true);
    return Status::OK();
  }

  std::optional<int64_t> fail_on;
  std::optional<int64_t> stop_after;
  std::atomic<bool>* stop = nullptr;
  std::vector<Batch> attempts;   // every call, failed ones included
  std::vector<Batch> committed;  // calls that succeeded

 private:
  std::string key_;
};

class StreamReaderTest : public ::testing::Test {
 protected:
  void SetUp() override { lakeflow::testing::RegisterTestConnector(&registry_); }

  std::unique_ptr<DataSource> OpenSource(const Options& options) {
    auto ds = DataSource::Open(
        options, OpenOptions{.store = nullptr, .registry = &registry_, .source = "test"});
    EXPECT_TRUE(ds.ok()) << ds.status().ToString();
    return ds.ok() ? std::move(ds).value() : nullptr;
  }

  // Runs one stream over a fresh DataSource and the shared checkpoint.
  Result<StreamProgress> Run(const Options& options, MicroBatchSink* sink,
                             Trigger trigger = Trigger(), const std::atomic<bool>* stop = nullptr) {
    auto source = OpenSource(options);
    if (!source) return Status::Internal("could not open the source");
    LF_ASSIGN_OR_RETURN(Checkpoint checkpoint,
                        Checkpoint::Open(checkpoint_dir_, StreamReader::Identity(*source)));
    StreamReader reader(source.get(), std::move(checkpoint));
    return reader.Run(trigger, sink, stop);
  }

  static Options Events(int64_t num_rows) {
    return {{"tableName", "events"}, {"num_rows", std::to_string(num_rows)}, {"page_size", "10"}};
  }

  ConnectorRegistry registry_;
  testing::TempDir tmp_{"lakeflow_stream"};
  std::string root_ = tmp_.path();
  std::string checkpoint_dir_ = root_ + "/checkpoint";
};

using Batch = RecordingSink::Batch;

TEST_F(StreamReaderTest, AvailableNowReadsEveryPageThenStops) {
  RecordingSink sink;
  auto progress = Run(Events(25), &sink);
  ASSERT_TRUE(progress.ok()) << progress.status().ToString();
  EXPECT_EQ(sink.committed,
            (std::vector<Batch>{{0, Range(1, 10)}, {1, Range(11, 20)}, {2, Range(21, 25)}}));
  EXPECT_EQ(progress->batches, 3);
  EXPECT_EQ(progress->rows, 25);
  EXPECT_EQ(OffsetToString(progress->last_offset),
            R"({"cursor":"2024-01-01T00:25:00Z","minute":25})");
  for (int id = 0; id < 3; ++id) {
    EXPECT_TRUE(fs::exists(checkpoint_dir_ + "/offsets/" + std::to_string(id))) << id;
    EXPECT_TRUE(fs::exists(checkpoint_dir_ + "/commits/" + std::to_string(id))) << id;
  }
  EXPECT_FALSE(fs::exists(checkpoint_dir_ + "/offsets/3"));
}

TEST_F(StreamReaderTest, ASecondRunOnTheSameCheckpointYieldsNothing) {
  RecordingSink first;
  ASSERT_TRUE(Run(Events(25), &first).ok());
  RecordingSink second;
  auto progress = Run(Events(25), &second);
  ASSERT_TRUE(progress.ok()) << progress.status().ToString();
  EXPECT_TRUE(second.attempts.empty());
  EXPECT_EQ(progress->batches, 0);
  EXPECT_EQ(progress->rows, 0);
  EXPECT_EQ(OffsetToString(progress->last_offset),
            R"({"cursor":"2024-01-01T00:25:00Z","minute":25})");
}

TEST_F(StreamReaderTest, NewRowsArriveUnderTheNextIds) {
  RecordingSink first;
  ASSERT_TRUE(Run(Events(25), &first).ok());
  RecordingSink second;
  auto progress = Run(Events(37), &second);
  ASSERT_TRUE(progress.ok()) << progress.status().ToString();
  EXPECT_EQ(second.committed, (std::vector<Batch>{{3, Range(26, 35)}, {4, Range(36, 37)}}));
  EXPECT_EQ(progress->rows, 12);
}

TEST_F(StreamReaderTest, ACrashedBatchIsReplayedWithTheSameIdAndRows) {
  RecordingSink crashing;
  crashing.fail_on = 1;
  auto failed = Run(Events(25), &crashing);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kIO);
  EXPECT_NE(failed.status().message().find("batch 1"), std::string::npos)
      << failed.status().message();
  ASSERT_EQ(crashing.attempts.size(), 2u);
  EXPECT_TRUE(fs::exists(checkpoint_dir_ + "/offsets/1"));
  EXPECT_FALSE(fs::exists(checkpoint_dir_ + "/commits/1"));

  RecordingSink good;
  ASSERT_TRUE(Run(Events(25), &good).ok());
  ASSERT_FALSE(good.committed.empty());
  EXPECT_EQ(good.committed.front(), crashing.attempts[1]);  // same id, same rows
  EXPECT_EQ(good.committed, (std::vector<Batch>{{1, Range(11, 20)}, {2, Range(21, 25)}}));

  // Everything committed, across both runs, is every row exactly once.
  Ids all;
  for (const auto* sink : {&crashing, &good}) {
    for (const auto& b : sink->committed) all.insert(all.end(), b.keys.begin(), b.keys.end());
  }
  EXPECT_EQ(all, Range(1, 25));
}

TEST_F(StreamReaderTest, TheConnectorHearsOfEachCommitAfterItIsDurable) {
  testing::TestConnectorCommits().clear();
  RecordingSink crashing;
  crashing.fail_on = 1;
  ASSERT_FALSE(Run(Events(25), &crashing).ok());
  // Batch 0 was committed, batch 1 failed in the sink: only batch 0 is told.
  EXPECT_EQ(testing::TestConnectorCommits(),
            (std::vector<std::string>{R"(events {"cursor":"2024-01-01T00:10:00Z","minute":10})"}));

  RecordingSink good;
  ASSERT_TRUE(Run(Events(25), &good).ok());
  EXPECT_EQ(testing::TestConnectorCommits(),
            (std::vector<std::string>{R"(events {"cursor":"2024-01-01T00:10:00Z","minute":10})",
                                      R"(events {"cursor":"2024-01-01T00:20:00Z","minute":20})",
                                      R"(events {"cursor":"2024-01-01T00:25:00Z","minute":25})"}));
}

TEST_F(StreamReaderTest, TriggerOnceRunsExactlyOneBatch) {
  RecordingSink sink;
  auto progress = Run(Events(25), &sink, Trigger{Trigger::Kind::kOnce, {}});
  ASSERT_TRUE(progress.ok()) << progress.status().ToString();
  EXPECT_EQ(sink.committed, (std::vector<Batch>{{0, Range(1, 10)}}));
  EXPECT_EQ(progress->batches, 1);
  RecordingSink next;
  ASSERT_TRUE(Run(Events(25), &next, Trigger{Trigger::Kind::kOnce, {}}).ok());
  EXPECT_EQ(next.committed, (std::vector<Batch>{{1, Range(11, 20)}}));
}

TEST_F(StreamReaderTest, TriggerOnceWhenCaughtUpRunsNothing) {
  RecordingSink all;
  ASSERT_TRUE(Run(Events(25), &all).ok());
  RecordingSink sink;
  auto progress = Run(Events(25), &sink, Trigger{Trigger::Kind::kOnce, {}});
  ASSERT_TRUE(progress.ok());
  EXPECT_EQ(progress->batches, 0);
  EXPECT_TRUE(sink.attempts.empty());
}

TEST_F(StreamReaderTest, AStopFlagAlreadySetRunsZeroBatches) {
  std::atomic<bool> stop{true};
  RecordingSink sink;
  auto progress = Run(Events(25), &sink, Trigger(), &stop);
  ASSERT_TRUE(progress.ok()) << progress.status().ToString();
  EXPECT_EQ(progress->batches, 0);
  EXPECT_TRUE(sink.attempts.empty());
  EXPECT_FALSE(fs::exists(checkpoint_dir_ + "/offsets/0"));
}

TEST_F(StreamReaderTest, IntervalTriggerRunsUntilStopped) {
  std::atomic<bool> stop{false};
  RecordingSink sink;
  sink.stop = &stop;
  sink.stop_after = 2;
  auto trigger = Trigger::Parse("interval:10ms");
  ASSERT_TRUE(trigger.ok());
  auto progress = Run(Events(25), &sink, *trigger, &stop);
  ASSERT_TRUE(progress.ok()) << progress.status().ToString();
  EXPECT_EQ(sink.committed, (std::vector<Batch>{{0, Range(1, 10)}, {1, Range(11, 20)}}));
  EXPECT_EQ(progress->batches, 2);
}

TEST_F(StreamReaderTest, DeleteFlowStreamsTheDeletedKeys) {
  RecordingSink sink("order_id");
  auto progress =
      Run({{"tableName", "orders"}, {"isDeleteFlow", "true"}, {"deleted", "2,9,12"}}, &sink);
  ASSERT_TRUE(progress.ok()) << progress.status().ToString();
  EXPECT_EQ(sink.committed, (std::vector<Batch>{{0, {2, 9, 12}}}));
  auto meta = ReadWholeFile(checkpoint_dir_ + "/metadata");
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(Json::parse(*meta),
            (Json{{"source", "test"}, {"table", "orders"}, {"delete_flow", true}}));
}

TEST_F(StreamReaderTest, PartitionedStreamBatchesFollowMaxRecordsPerBatch) {
  RecordingSink sink;
  auto progress =
      Run({{"tableName", "metrics"}, {"num_rows", "25"}, {"max_records_per_batch", "10"}}, &sink);
  ASSERT_TRUE(progress.ok()) << progress.status().ToString();
  EXPECT_EQ(sink.committed,
            (std::vector<Batch>{{0, Range(1, 10)}, {1, Range(11, 20)}, {2, Range(21, 25)}}));
  EXPECT_EQ(OffsetToString(progress->last_offset), R"({"seq":25})");
}

TEST_F(StreamReaderTest, ACheckpointOfAnotherTableIsRefused) {
  RecordingSink sink;
  ASSERT_TRUE(Run(Events(25), &sink).ok());
  auto users = Run({{"tableName", "users"}}, &sink);
  ASSERT_FALSE(users.ok());
  EXPECT_EQ(users.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(users.status().message().find(checkpoint_dir_), std::string::npos)
      << users.status().message();
}

TEST_F(StreamReaderTest, SourceErrorsStopTheStreamWithoutCommitting) {
  RecordingSink sink;
  auto progress =
      Run({{"tableName", "events"}, {"fail_table", "events"}, {"token", "supersecret99"}}, &sink);
  ASSERT_FALSE(progress.ok());
  EXPECT_EQ(progress.status().code(), StatusCode::kSource);
  EXPECT_EQ(progress.status().message().find("supersecret99"), std::string::npos);
  EXPECT_TRUE(sink.attempts.empty());
  EXPECT_FALSE(fs::exists(checkpoint_dir_ + "/offsets/0"));
}

TEST(StreamIdentity, NamesSourceTableAndFlow) {
  ConnectorRegistry registry;
  lakeflow::testing::RegisterTestConnector(&registry);
  auto ds =
      DataSource::Open({{"tableName", "events"}},
                       OpenOptions{.store = nullptr, .registry = &registry, .source = "test"});
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(StreamReader::Identity(**ds),
            (Json{{"source", "test"}, {"table", "events"}, {"delete_flow", false}}));
}

TEST(TriggerParse, GoodForms) {
  EXPECT_EQ(Trigger::Parse("available-now")->kind, Trigger::Kind::kAvailableNow);
  EXPECT_EQ(Trigger::Parse("availableNow")->kind, Trigger::Kind::kAvailableNow);
  EXPECT_EQ(Trigger::Parse("once")->kind, Trigger::Kind::kOnce);
  struct Case {
    const char* text;
    int64_t ms;
  };
  for (const Case& c : {Case{"interval:250ms", 250}, Case{"interval:10s", 10000},
                        Case{"interval:2m", 120000}, Case{"interval:1h", 3600000}}) {
    auto t = Trigger::Parse(c.text);
    ASSERT_TRUE(t.ok()) << c.text << ": " << t.status().ToString();
    EXPECT_EQ(t->kind, Trigger::Kind::kInterval) << c.text;
    EXPECT_EQ(t->interval.count(), c.ms) << c.text;
  }
}

TEST(TriggerParse, BadFormsNameTheText) {
  for (const char* bad :
       {"", "sometimes", "ONCE", "interval:", "interval:0s", "interval:10", "interval:-5s",
        "interval:5d", "interval:1.5s", "interval:s", "interval:10 s"}) {
    auto t = Trigger::Parse(bad);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(t.status().message().find(std::string("'") + bad + "'"), std::string::npos)
        << t.status().message();
  }
}

TEST(TriggerParse, AnIntervalTooLargeToRepresentIsRefused) {
  auto t = Trigger::Parse("interval:9999999999999h");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("at most a week"), std::string::npos);
  EXPECT_TRUE(Trigger::Parse("interval:168h").ok());
  EXPECT_FALSE(Trigger::Parse("interval:169h").ok());
}

}  // namespace
}  // namespace lakeflow
