// RecordStream: the records a read returns, produced lazily.
//
// A connector hands records over in whichever form is cheapest for it:
//   - JsonChunk: raw JSON bytes, either a document with a JSON pointer to the
//     records (a REST page) or newline-delimited records. The engine converts
//     them to Arrow with the table's schema; the connector never builds rows.
//   - an Arrow RecordBatch it built itself (databases, columnar files), which
//     must have the table's schema.
// The stream is pulled one chunk at a time, so memory stays bounded by what a
// single chunk holds, not by the size of the table.
#pragma once

#include <arrow/record_batch.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "lakeflow/core/status.h"

namespace lakeflow {

struct JsonChunk {
  enum class Layout { kDocument, kLines };

  // One JSON document whose records sit at `pointer` (RFC 6901; "" = the
  // document): an array of record objects, or one record object.
  static JsonChunk Document(std::string bytes, std::string pointer = "") {
    return JsonChunk{std::move(bytes), std::move(pointer), Layout::kDocument};
  }
  // One record object per line.
  static JsonChunk Lines(std::string bytes) {
    return JsonChunk{std::move(bytes), "", Layout::kLines};
  }

  std::string bytes;
  std::string pointer;
  Layout layout = Layout::kDocument;
};

using Chunk = std::variant<JsonChunk, std::shared_ptr<arrow::RecordBatch>>;

class RecordStream {
 public:
  // Returns the next chunk, std::nullopt at the end, or the error that stopped
  // the read. Called until it returns nullopt or an error, never after.
  using Generator = std::function<Result<std::optional<Chunk>>()>;

  RecordStream();  // an empty stream
  explicit RecordStream(Generator next) : next_(std::move(next)) {}

  static RecordStream Empty() { return RecordStream(); }
  static RecordStream FromChunks(std::vector<Chunk> chunks);
  // Records given as JSON object texts, handed over as one JSON-lines chunk.
  static RecordStream FromJsonRecords(const std::vector<std::string>& records);
  // Concatenates streams, pulling each only after the one before has ended.
  static RecordStream Concat(std::vector<RecordStream> streams);

  Result<std::optional<Chunk>> Next() { return next_(); }

 private:
  Generator next_;
};

}  // namespace lakeflow
