#include "lakeflow/connect/parallel_batch_iterator.h"

#include <arrow/api.h>
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

namespace lakeflow {
namespace {

SchemaPtr IdSchema() {
  return arrow::schema({arrow::field("id", arrow::int64())});
}

std::shared_ptr<arrow::RecordBatch> Batch(int64_t first, int64_t rows) {
  arrow::Int64Builder builder;
  for (int64_t i = 0; i < rows; ++i) EXPECT_TRUE(builder.Append(first + i).ok());
  return arrow::RecordBatch::Make(IdSchema(), rows, {builder.Finish().ValueOrDie()});
}

// A part of `batches` batches of 10 ids, numbered from part * 1000; counts
// the batches produced so far in `*produced`.
class Part : public BatchIterator {
 public:
  Part(size_t part, int batches, std::atomic<int>* produced)
      : part_(part), batches_(batches), produced_(produced) {}
  const SchemaPtr& schema() const override { return schema_; }
  Result<std::shared_ptr<arrow::RecordBatch>> Next() override {
    if (next_ == batches_) return std::shared_ptr<arrow::RecordBatch>();
    ++*produced_;
    return Batch(static_cast<int64_t>(part_) * 1000 + 10 * next_++, 10);
  }

 private:
  SchemaPtr schema_ = IdSchema();
  size_t part_;
  int batches_;
  int next_ = 0;
  std::atomic<int>* produced_;
};

std::set<int64_t> Drain(BatchIterator& it, Status* error = nullptr) {
  std::set<int64_t> ids;
  while (true) {
    auto batch = it.Next();
    if (!batch.ok()) {
      if (error) *error = batch.status();
      return ids;
    }
    if (*batch == nullptr) return ids;
    auto column = std::static_pointer_cast<arrow::Int64Array>((*batch)->column(0));
    for (int64_t i = 0; i < column->length(); ++i) EXPECT_TRUE(ids.insert(column->Value(i)).second);
  }
}

TEST(ParallelBatchIteratorsTest, EveryPartIsReadOnceWhateverTheThreads) {
  for (size_t threads : {1, 2, 3, 8}) {
    std::atomic<int> produced = 0;
    auto it = ParallelBatchIterators(
        IdSchema(), 5,
        [&](size_t i) -> Result<std::unique_ptr<BatchIterator>> {
          return std::unique_ptr<BatchIterator>(std::make_unique<Part>(i, 7, &produced));
        },
        threads, 2);
    std::set<int64_t> ids = Drain(*it);
    EXPECT_EQ(ids.size(), 5u * 7 * 10) << threads << " threads";
    EXPECT_EQ(*ids.begin(), 0);
    EXPECT_EQ(*ids.rbegin(), 4069);
  }
}

TEST(ParallelBatchIteratorsTest, TheQueueBoundsWhatIsReadAhead) {
  std::atomic<int> produced = 0;
  auto it = ParallelBatchIterators(
      IdSchema(), 4,
      [&](size_t i) -> Result<std::unique_ptr<BatchIterator>> {
        return std::unique_ptr<BatchIterator>(std::make_unique<Part>(i, 100, &produced));
      },
      2, 3);
  ASSERT_TRUE(it->Next().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // Taken 1, queued at most 3, and each of 2 workers holding at most one more.
  EXPECT_LE(produced.load(), 1 + 3 + 2);
  it.reset();  // stops and joins the workers mid-read
}

TEST(ParallelBatchIteratorsTest, TheFirstErrorStopsTheRead) {
  std::atomic<int> produced = 0;
  auto it = ParallelBatchIterators(
      IdSchema(), 6,
      [&](size_t i) -> Result<std::unique_ptr<BatchIterator>> {
        if (i == 2) return Status::SourceError("part 2 is broken");
        return std::unique_ptr<BatchIterator>(std::make_unique<Part>(i, 3, &produced));
      },
      2, 2);
  Status error;
  Drain(*it, &error);
  EXPECT_EQ(error.message(), "part 2 is broken");
  auto again = it->Next();
  EXPECT_FALSE(again.ok());
}

TEST(ParallelBatchIteratorsTest, NoPartsIsAnEmptyRead) {
  auto it = ParallelBatchIterators(
      IdSchema(), 0,
      [](size_t) -> Result<std::unique_ptr<BatchIterator>> {
        return std::unique_ptr<BatchIterator>();
      },
      4, 2);
  auto batch = it->Next();
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(*batch, nullptr);
}

}  // namespace
}  // namespace lakeflow
