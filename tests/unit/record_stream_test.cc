#include "lakeflow/connect/record_stream.h"

#include <arrow/array.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lakeflow/connect/batch_iterator.h"
#include "lakeflow/core/schema.h"
#include "testing/test_util.h"

namespace lakeflow {
namespace {

using testing::Batches;
using Ids = std::vector<int64_t>;

// A chunk as text, to compare streams: "lines:<bytes>", "doc:<pointer>:<bytes>"
// or "arrow:<rows>".
std::string Describe(const Chunk& chunk) {
  if (const auto* json = std::get_if<JsonChunk>(&chunk)) {
    if (json->layout == JsonChunk::Layout::kLines) return "lines:" + json->bytes;
    return "doc:" + json->pointer + ":" + json->bytes;
  }
  return "arrow:" +
         std::to_string(std::get<std::shared_ptr<arrow::RecordBatch>>(chunk)->num_rows());
}

std::vector<std::string> DescribeAll(RecordStream stream) {
  std::vector<std::string> out;
  while (true) {
    auto chunk = stream.Next();
    EXPECT_TRUE(chunk.ok()) << chunk.status().ToString();
    if (!chunk.ok() || !*chunk) return out;
    out.push_back(Describe(**chunk));
  }
}

SchemaPtr IdName() {
  auto schema = ParseDdl("id LONG, name STRING");
  EXPECT_TRUE(schema.ok());
  return *schema;
}

std::shared_ptr<arrow::RecordBatch> ArrowBatch(const SchemaPtr& schema, std::string_view ids,
                                               std::string_view names) {
  auto a = arrow::json::ArrayFromJSONString(arrow::int64(), ids);
  auto b = arrow::json::ArrayFromJSONString(arrow::utf8(), names);
  EXPECT_TRUE(a.ok() && b.ok());
  return arrow::RecordBatch::Make(schema, (*a)->length(), {*a, *b});
}

Result<Batches> Drain(BatchIterator* it) {
  return testing::DrainBatches(it);
}

Ids IdsOf(const Batches& batches) {
  Ids out;
  for (const auto& b : batches) {
    auto ids = std::static_pointer_cast<arrow::Int64Array>(b->column(0));
    for (int64_t i = 0; i < ids->length(); ++i) out.push_back(ids->Value(i));
  }
  return out;
}

std::vector<int64_t> Sizes(const Batches& batches) {
  std::vector<int64_t> out;
  for (const auto& b : batches) out.push_back(b->num_rows());
  return out;
}

std::string Line(int64_t id) {
  return "{\"id\":" + std::to_string(id) + ",\"name\":\"n" + std::to_string(id) + "\"}\n";
}

TEST(RecordStream, EmptyEndsAtOnce) {
  RecordStream empty;
  auto chunk = empty.Next();
  ASSERT_TRUE(chunk.ok());
  EXPECT_FALSE(chunk->has_value());
  EXPECT_TRUE(DescribeAll(RecordStream::Empty()).empty());
}

TEST(RecordStream, FromChunksYieldsEachChunkInOrder) {
  std::vector<Chunk> chunks;
  chunks.emplace_back(JsonChunk::Lines("{\"id\":1}\n"));
  chunks.emplace_back(JsonChunk::Document("{\"data\":[]}", "/data"));
  chunks.emplace_back(ArrowBatch(IdName(), "[1, 2]", R"(["a", "b"])"));
  EXPECT_EQ(DescribeAll(RecordStream::FromChunks(std::move(chunks))),
            (std::vector<std::string>{"lines:{\"id\":1}\n", "doc:/data:{\"data\":[]}", "arrow:2"}));
}

TEST(RecordStream, FromJsonRecordsIsOneLinesChunk) {
  EXPECT_EQ(DescribeAll(RecordStream::FromJsonRecords({"{\"id\":1}", "{\"id\":2}"})),
            (std::vector<std::string>{"lines:{\"id\":1}\n{\"id\":2}\n"}));
  EXPECT_TRUE(DescribeAll(RecordStream::FromJsonRecords({})).empty());
}

TEST(RecordStream, ConcatKeepsOrderAndSkipsEmptyStreams) {
  std::vector<RecordStream> parts;
  parts.push_back(RecordStream::FromJsonRecords({"{\"a\":1}"}));
  parts.push_back(RecordStream::Empty());
  parts.push_back(RecordStream::FromJsonRecords({"{\"b\":2}", "{\"c\":3}"}));
  parts.push_back(RecordStream::FromJsonRecords({"{\"d\":4}"}));
  EXPECT_EQ(DescribeAll(RecordStream::Concat(std::move(parts))),
            (std::vector<std::string>{"lines:{\"a\":1}\n", "lines:{\"b\":2}\n{\"c\":3}\n",
                                      "lines:{\"d\":4}\n"}));
  EXPECT_TRUE(DescribeAll(RecordStream::Concat({})).empty());
}

TEST(RecordStream, ConcatPullsAStreamOnlyAfterTheOneBeforeEnded) {
  auto pulled_second = std::make_shared<bool>(false);
  std::vector<RecordStream> parts;
  parts.push_back(RecordStream::FromJsonRecords({"{\"a\":1}"}));
  parts.push_back(RecordStream([pulled_second]() -> Result<std::optional<Chunk>> {
    *pulled_second = true;
    return std::optional<Chunk>();
  }));
  RecordStream stream = RecordStream::Concat(std::move(parts));
  auto first = stream.Next();
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_FALSE(*pulled_second);
  auto end = stream.Next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
  EXPECT_TRUE(*pulled_second);
}

TEST(RecordStream, ConcatStopsAtAnError) {
  std::vector<RecordStream> parts;
  parts.push_back(RecordStream::FromJsonRecords({"{\"a\":1}"}));
  parts.push_back(RecordStream(
      []() -> Result<std::optional<Chunk>> { return Status::SourceError("HTTP 500"); }));
  RecordStream stream = RecordStream::Concat(std::move(parts));
  ASSERT_TRUE(stream.Next().ok());
  auto failed = stream.Next();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kSource);
  EXPECT_EQ(failed.status().message(), "HTTP 500");
}

TEST(BatchIterator, JsonThenArrowChunksKeepRecordOrder) {
  SchemaPtr schema = IdName();
  std::vector<Chunk> chunks;
  chunks.emplace_back(JsonChunk::Lines(Line(1) + Line(2)));
  chunks.emplace_back(ArrowBatch(schema, "[3, 4]", R"(["n3", "n4"])"));
  chunks.emplace_back(
      JsonChunk::Document("{\"page\":{\"items\":[" + Line(5) + "]}}", "/page/items"));
  auto it = MakeBatchIterator("t", schema, RecordStream::FromChunks(std::move(chunks)));
  auto batches = Drain(it.get());
  ASSERT_TRUE(batches.ok()) << batches.status().ToString();
  EXPECT_EQ(IdsOf(*batches), (Ids{1, 2, 3, 4, 5}));
  EXPECT_EQ(Sizes(*batches), (std::vector<int64_t>{2, 2, 1}));
  for (const auto& b : *batches) EXPECT_TRUE(b->schema()->Equals(*schema));
  // Past the end it stays at the end.
  auto again = it->Next();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, nullptr);
}

TEST(BatchIterator, JsonChunksAreGatheredIntoBatchesOfBatchRows) {
  auto stream = [] {
    std::vector<Chunk> chunks;
    for (int64_t i = 0; i < 5; ++i)
      chunks.emplace_back(JsonChunk::Lines(Line(2 * i + 1) + Line(2 * i + 2)));
    return RecordStream::FromChunks(std::move(chunks));
  };
  auto four = MakeBatchIterator("t", IdName(), stream(), /*batch_rows=*/4);
  auto batches = Drain(four.get());
  ASSERT_TRUE(batches.ok()) << batches.status().ToString();
  EXPECT_EQ(Sizes(*batches), (std::vector<int64_t>{4, 4, 2}));
  EXPECT_EQ(IdsOf(*batches), (Ids{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));

  auto one = MakeBatchIterator("t", IdName(), stream(), /*batch_rows=*/1);
  EXPECT_EQ(Sizes(*Drain(one.get())), (std::vector<int64_t>{2, 2, 2, 2, 2}));

  auto big = MakeBatchIterator("t", IdName(), stream());
  EXPECT_EQ(Sizes(*Drain(big.get())), (std::vector<int64_t>{10}));
}

TEST(BatchIterator, EmptyArrowBatchesAreSkipped) {
  SchemaPtr schema = IdName();
  std::vector<Chunk> chunks;
  chunks.emplace_back(ArrowBatch(schema, "[]", "[]"));
  chunks.emplace_back(ArrowBatch(schema, "[7]", R"(["x"])"));
  auto it = MakeBatchIterator("t", schema, RecordStream::FromChunks(std::move(chunks)));
  auto batches = Drain(it.get());
  ASSERT_TRUE(batches.ok());
  EXPECT_EQ(Sizes(*batches), (std::vector<int64_t>{1}));
}

TEST(BatchIterator, ArrowBatchOfTheWrongSchemaIsASourceError) {
  SchemaPtr schema = IdName();
  auto wrong_schema =
      arrow::schema({arrow::field("id", arrow::int32()), arrow::field("name", arrow::utf8())});
  auto ids = arrow::json::ArrayFromJSONString(arrow::int32(), "[1]");
  auto names = arrow::json::ArrayFromJSONString(arrow::utf8(), R"(["a"])");
  ASSERT_TRUE(ids.ok() && names.ok());
  std::vector<Chunk> chunks;
  chunks.emplace_back(JsonChunk::Lines(Line(1)));
  chunks.emplace_back(arrow::RecordBatch::Make(wrong_schema, 1, {*ids, *names}));
  auto it = MakeBatchIterator("orders", schema, RecordStream::FromChunks(std::move(chunks)));
  auto batch = it->Next();
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.status().code(), StatusCode::kSource);
  const std::string& m = batch.status().message();
  EXPECT_NE(m.find("table 'orders'"), std::string::npos) << m;
  EXPECT_NE(m.find("int32"), std::string::npos) << m;
  EXPECT_NE(m.find("int64"), std::string::npos) << m;
}

TEST(BatchIterator, ConversionErrorsNameTheTable) {
  std::vector<Chunk> chunks;
  chunks.emplace_back(JsonChunk::Lines("{\"id\": \"twelve\"}\n"));
  auto it = MakeBatchIterator("people", IdName(), RecordStream::FromChunks(std::move(chunks)));
  auto batch = it->Next();
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.status().code(), StatusCode::kConversion);
  EXPECT_NE(batch.status().message().find("table 'people'"), std::string::npos)
      << batch.status().message();
  EXPECT_NE(batch.status().message().find("twelve"), std::string::npos) << batch.status().message();
}

TEST(BatchIterator, StreamErrorsPassThrough) {
  auto it = MakeBatchIterator("t", IdName(), RecordStream([]() -> Result<std::optional<Chunk>> {
                                return Status::SourceError("connection reset");
                              }));
  auto batch = it->Next();
  ASSERT_FALSE(batch.ok());
  EXPECT_EQ(batch.status().code(), StatusCode::kSource);
  EXPECT_EQ(batch.status().message(), "connection reset");
}

TEST(BatchIterator, InMemoryBatchesComeBackThenEnd) {
  SchemaPtr schema = IdName();
  auto it = MakeBatchIterator(schema, {ArrowBatch(schema, "[1]", R"(["a"])"),
                                       ArrowBatch(schema, "[2, 3]", R"(["b", "c"])")});
  EXPECT_EQ(it->schema(), schema);
  auto batches = Drain(it.get());
  ASSERT_TRUE(batches.ok());
  EXPECT_EQ(IdsOf(*batches), (Ids{1, 2, 3}));
}

TEST(BatchIterator, ChainedIteratorsRunEndToEndSkippingEmptyParts) {
  SchemaPtr schema = IdName();
  int part = 0;
  auto it = ChainBatchIterators(schema, [&]() -> Result<std::unique_ptr<BatchIterator>> {
    switch (part++) {
      case 0:
        return MakeBatchIterator(schema, {ArrowBatch(schema, "[1]", R"(["a"])")});
      case 1:
        return MakeBatchIterator(schema, {});
      case 2:
        return MakeBatchIterator(schema, {ArrowBatch(schema, "[2]", R"(["b"])")});
      default:
        return std::unique_ptr<BatchIterator>();
    }
  });
  auto batches = Drain(it.get());
  ASSERT_TRUE(batches.ok());
  EXPECT_EQ(IdsOf(*batches), (Ids{1, 2}));
  EXPECT_EQ(part, 4);
}

TEST(BatchIterator, ChainedIteratorStopsAtAGeneratorError) {
  SchemaPtr schema = IdName();
  int part = 0;
  auto it = ChainBatchIterators(schema, [&]() -> Result<std::unique_ptr<BatchIterator>> {
    if (part++ == 0) return MakeBatchIterator(schema, {ArrowBatch(schema, "[1]", R"(["a"])")});
    return Status::SourceError("partition 2 failed");
  });
  ASSERT_TRUE(it->Next().ok());
  auto failed = it->Next();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().message(), "partition 2 failed");
}

}  // namespace
}  // namespace lakeflow
