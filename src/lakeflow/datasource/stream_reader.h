// The streaming read: micro-batches from the offset protocol, with a
// checkpoint so a stream stopped at any moment resumes without losing or
// repeating a committed batch.
//
// For each micro-batch N the reader
//   1. asks the data source for the records after the last end offset;
//      if the end offset did not move, the stream has caught up (except for
//      batch 0, which is delivered whatever offset it ends at);
//   2. writes offsets/N (start, end) to the checkpoint;
//   3. hands the records to the sink, tagged with N;
//   4. writes commits/N.
// A crash between 2 and 4 replays batch N from the same start on restart, so a
// sink that replaces batch N's output by id (files per batch, a transaction
// keyed by N) ends up with each batch exactly once.
#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include "lakeflow/datasource/checkpoint.h"
#include "lakeflow/datasource/data_source.h"

namespace lakeflow {

struct Trigger {
  enum class Kind { kAvailableNow, kOnce, kInterval };
  Kind kind = Kind::kAvailableNow;
  std::chrono::milliseconds interval{0};

  // "available-now", "once", "interval:10s" (ms, s, m, h).
  static Result<Trigger> Parse(std::string_view text);
};

class MicroBatchSink {
 public:
  virtual ~MicroBatchSink() = default;
  // Writes batch `id`'s records. A replayed id must replace what an earlier,
  // uncommitted attempt at the same id wrote.
  virtual Status WriteMicroBatch(int64_t id, BatchIterator* batches) = 0;
};

struct StreamProgress {
  int64_t batches = 0;  // micro-batches written in this run
  int64_t rows = 0;
  Offset last_offset;
};

class StreamReader {
 public:
  StreamReader(DataSource* source, Checkpoint checkpoint)
      : source_(source), checkpoint_(std::move(checkpoint)) {}

  // The identity a checkpoint records for this read: source, table and flow.
  static Json Identity(const DataSource& source);

  // Runs micro-batches until the trigger is satisfied or `stop` turns true
  // (checked between batches and while waiting for the next interval).
  Result<StreamProgress> Run(const Trigger& trigger, MicroBatchSink* sink,
                             const std::atomic<bool>* stop);

 private:
  // Runs one micro-batch from `start`; returns false when caught up.
  Result<bool> RunOne(int64_t id, const Offset& start, MicroBatchSink* sink,
                      StreamProgress* progress);

  DataSource* source_;
  Checkpoint checkpoint_;
};

}  // namespace lakeflow
