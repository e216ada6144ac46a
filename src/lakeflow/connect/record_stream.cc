#include "lakeflow/connect/record_stream.h"

namespace lakeflow {

RecordStream::RecordStream()
    : next_([]() -> Result<std::optional<Chunk>> { return std::optional<Chunk>(); }) {}

RecordStream RecordStream::FromChunks(std::vector<Chunk> chunks) {
  auto state = std::make_shared<std::pair<std::vector<Chunk>, size_t>>(std::move(chunks), 0);
  return RecordStream([state]() -> Result<std::optional<Chunk>> {
    auto& [items, next] = *state;
    if (next >= items.size()) return std::optional<Chunk>();
    return std::optional<Chunk>(std::move(items[next++]));
  });
}

RecordStream RecordStream::FromJsonRecords(const std::vector<std::string>& records) {
  if (records.empty()) return Empty();
  std::string lines;
  for (const auto& r : records) {
    lines += r;
    lines += '\n';
  }
  std::vector<Chunk> chunks;
  chunks.emplace_back(JsonChunk::Lines(std::move(lines)));
  return FromChunks(std::move(chunks));
}

RecordStream RecordStream::Concat(std::vector<RecordStream> streams) {
  auto state =
      std::make_shared<std::pair<std::vector<RecordStream>, size_t>>(std::move(streams), 0);
  return RecordStream([state]() -> Result<std::optional<Chunk>> {
    auto& [parts, current] = *state;
    while (current < parts.size()) {
      LF_ASSIGN_OR_RETURN(auto chunk, parts[current].Next());
      if (chunk) return chunk;
      ++current;
    }
    return std::optional<Chunk>();
  });
}

}  // namespace lakeflow
