// Where `lakeflow read` and `lakeflow stream` put records.
//
//   jsonl          one JSON object per line on stdout (the default)
//   csv            a header, then one line per record; nested values as JSON
//   table          aligned columns for a person to read
//   parquet:PATH   a Parquet file (a stream writes PATH/part-<batch>.parquet)
//   arrow:PATH     an Arrow IPC file (a stream writes PATH/part-<batch>.arrow)
//
// Stream outputs to files are exactly once: a replayed micro-batch rewrites
// its own part file. Output to stdout cannot be taken back, so a replayed
// batch may print again.
#pragma once

#include <arrow/record_batch.h>

#include <cstdio>
#include <memory>
#include <string>

#include "lakeflow/core/types.h"

namespace lakeflow {

class OutputWriter {
 public:
  virtual ~OutputWriter() = default;
  virtual Status Write(const arrow::RecordBatch& batch) = 0;
  virtual Status Finish() = 0;
};

struct OutputSpec {
  enum class Format { kJsonLines, kCsv, kTable, kParquet, kArrow };
  Format format = Format::kJsonLines;
  std::string path;  // parquet and arrow only

  static Result<OutputSpec> Parse(std::string_view text);
  bool to_files() const { return format == Format::kParquet || format == Format::kArrow; }
};

// A writer of `spec` for records of `schema`; `path` overrides spec.path (a
// stream's part file). Text formats write to `out`.
Result<std::unique_ptr<OutputWriter>> MakeOutputWriter(const OutputSpec& spec,
                                                       const SchemaPtr& schema,
                                                       const std::string& path, std::FILE* out);

}  // namespace lakeflow
