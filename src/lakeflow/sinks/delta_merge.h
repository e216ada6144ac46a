// AUTO CDC merges in memory: a microbatch of events against the rows the table
// already has for the keys it touches, and the deletes remembered for them
// (see destination.h for the semantics). The caller bounds the memory: it
// hands in only the touched keys' rows, gathered file by file.
#pragma once

#include <arrow/record_batch.h>

#include <memory>
#include <vector>

#include "lakeflow/core/status.h"

namespace lakeflow::sinks::delta {

// Where the merge reads keys and sequences, as column indexes of the table's
// schema, which every batch below has.
struct MergeColumns {
  std::vector<int> keys;
  int sequence = -1;  // -1: no sequence, events ordered by arrival alone
  int start = -1;     // SCD2's __START_AT / __END_AT; -1: an SCD1 table
  int end = -1;
};

struct MergeInput {
  std::shared_ptr<arrow::RecordBatch> existing;    // the table's rows of the touched keys
  std::shared_ptr<arrow::RecordBatch> tombstones;  // remembered deletes of those keys
  std::shared_ptr<arrow::RecordBatch> events;      // the microbatch, in arrival order
  bool deletes = false;                            // the events are deletes, not upserts
};

// The deletes of `input.events` with each null sequence resolved: a delete
// without a sequence applies at the read's position, so it takes the sequence
// of its key's current row at that point (arrival order, after the deletes
// before it), and one whose key has no current row is dropped. The same batch
// when no sequence is null.
Result<std::shared_ptr<arrow::RecordBatch>> ResolveNullDeletes(const MergeColumns& columns,
                                                               const MergeInput& input);

// The touched keys' rows after the merge: for SCD1 each key's winning row (or
// none), for SCD2 each key's versions with __START_AT/__END_AT set.
Result<std::shared_ptr<arrow::RecordBatch>> MergeEvents(const MergeColumns& columns,
                                                        const MergeInput& input);

// The remembered deletes after `deletes`: for SCD1 each key's highest delete
// sequence, for SCD2 each distinct (key, sequence).
Result<std::shared_ptr<arrow::RecordBatch>> MergeTombstones(
    const MergeColumns& columns, const std::shared_ptr<arrow::RecordBatch>& tombstones,
    const std::shared_ptr<arrow::RecordBatch>& deletes);

// Batches of one schema as one.
Result<std::shared_ptr<arrow::RecordBatch>> ConcatBatches(
    const std::shared_ptr<arrow::Schema>& schema,
    const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches);

}  // namespace lakeflow::sinks::delta
