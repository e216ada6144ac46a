// Destination: where a pipeline's tables land, and where each flow's progress
// is kept. Implementations: SqliteDestination (the embedded default) and
// DeltaDestination (one Delta Lake table per folder).
//
// Exactly once. Every call that changes a table records its flow's progress
// in the same atomic step (one SQLite transaction, one Delta commit), so a
// process killed at any instant leaves either the whole microbatch and its
// offset, or neither. A flow is resumed from Progress(). A call whose batch
// id is at or below the flow's last committed one was applied already (a
// retry whose first answer was lost): it changes nothing and succeeds.
//
// The semantics are Databricks' AUTO CDC, the same for every destination:
//
// Merged tables (keys given) order events by `sequence_by`, a top-level
// column. Upserts: the highest sequence wins; an upsert older than the row it
// would replace changes nothing; at an equal sequence the later arrival wins.
// Deletes: a delete at sequence d removes the current row when its sequence is
// <= d, and the key is remembered with d (a tombstone), so a late upsert with
// sequence <= d never brings it back. A null sequence sorts below every other,
// except a delete's: connectors often send deletes with only the keys, so a
// delete whose sequence is null applies at the read's position. It takes the
// sequence of the key's current row (the latest event the destination holds
// for the key, after the events before it), so it removes that row whatever
// its sequence and is remembered at it; a late upsert no newer than the
// removed row stays out, a newer one comes back. A null-sequence delete of a
// key with no current row changes nothing and leaves no tombstone.
//
// SCD2 tables keep every version: the source's columns plus `__START_AT` and
// `__END_AT`, of the sequence's type. A version starts at its event's
// sequence and ends at the key's next event (upsert or delete); the current
// version has `__END_AT` null; a deleted key has no current version. Events
// arriving out of order are put in their place in the history. Two upserts of
// a key at the same sequence are one version (the later arrival's values); a
// delete at the same sequence as an upsert wins. So a null-sequence delete,
// which takes the current version's sequence, removes that version, and the
// version before it still ends there. An upsert needs a sequence.
//
// Snapshot flows (AUTO CDC FROM SNAPSHOT): a snapshot is staged microbatch by
// microbatch (ChangeKind::kRestage for its first, which drops whatever an
// interrupted read had staged, then kStage), then ApplySnapshot makes it the table's
// content: new keys inserted, rows whose values changed updated, keys missing
// from the snapshot deleted. SCD1 rows carry no sequence; SCD2 versions start
// and end at the snapshot's `version` (1, 2, ...: BIGINT), and only changed or
// deleted keys close a version.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lakeflow/connect/batch_iterator.h"
#include "lakeflow/core/offset.h"

namespace lakeflow::sinks {

struct FlowProgress {
  int64_t batch_id = -1;  // the flow's microbatches are numbered 0, 1, ...
  Offset end;             // where the flow resumes
};

// What a flow has done, for `lakeflow pipeline status`.
struct FlowStatus {
  std::string table;
  std::string flow;
  int64_t batch_id = -1;     // the last committed microbatch; -1: none
  Offset end;                // its end offset
  int64_t rows = 0;          // rows the flow has written since its table was built
  std::string committed_at;  // ISO 8601 UTC of the last commit; empty: none
  std::string ran_at;        // ISO 8601 UTC of the last run's end, ok or failed; empty: never
  std::string last_error;    // the last run's error; empty once a later run or commit succeeds
  std::string error_at;      // ISO 8601 UTC of that error
};

enum class History { kScd1, kScd2 };

// Which table a call writes, and how its rows are keyed.
struct TableWrite {
  std::string table;                      // destination name, "catalog.schema.table" allowed
  SchemaPtr schema;                       // the table's columns (the source's)
  std::vector<std::string> primary_keys;  // merge keys; empty: appended
  std::string sequence_by;                // top-level ordering column; empty: none
  History history = History::kScd1;
  // Columns the data is laid out by (Delta: clustering columns, recorded in
  // the table's metadata and each new data file sorted by them; SQLite: an
  // index). Top-level, orderable, at most kMaxClusterColumns; empty: none.
  std::vector<std::string> cluster_by = {};
};

// Delta's limit on clustering columns, applied to every destination.
inline constexpr size_t kMaxClusterColumns = 4;

enum class ChangeKind {
  kAppend,   // rows appended as they are
  kUpsert,   // each row an upsert of its key at its sequence
  kDelete,   // each row a delete of its key at its sequence; only the keys and
             // sequence_by are read, and the rows' schema may be narrower
  kStage,    // rows added to the table's pending snapshot (see ApplySnapshot)
  kRestage,  // rows that start the table's pending snapshot afresh: what was
             // staged before (by an interrupted read) is dropped
};

class Destination {
 public:
  virtual ~Destination() = default;

  // The last committed microbatch of `flow`, which writes `table`, if any.
  virtual Result<std::optional<FlowProgress>> Progress(const std::string& table,
                                                       const std::string& flow) = 0;

  // Applies every row of `rows` as `kind` to `write.table` (created, or given
  // the columns the schema has gained) and records `flow`'s progress, all in
  // one atomic step. On any error nothing of it is kept. A column whose type
  // changed in a way the table cannot widen to is an error naming both types.
  virtual Status CommitMicroBatch(const TableWrite& write, ChangeKind kind, BatchIterator* rows,
                                  const std::string& flow, const FlowProgress& progress) = 0;

  // Makes the staged snapshot the table's content (see above), empties the
  // stage and records `flow`'s progress, in one atomic step. An empty stage
  // deletes every row.
  virtual Status ApplySnapshot(const TableWrite& write, int64_t version, const std::string& flow,
                               const FlowProgress& progress) = 0;

  // Makes an existing table laid out by `write.cluster_by` from now on (the
  // recorded clustering columns, the index), in one atomic step of its own
  // that changes no row and no flow's progress. A table not created yet is
  // left alone: its first commit lays it out.
  virtual Status SetClustering(const TableWrite& write) = 0;

  // Full refresh: drops the table, its tombstones and stage, and forgets
  // `flows`, in one atomic step, so they start again from nothing.
  virtual Status Reset(const std::string& table, const std::vector<std::string>& flows) = 0;

  // Remembers, for status, that a run of `flow` ended now: caught up when
  // `error` is empty (which clears the last error), else failed with it.
  // Changes no table's data.
  virtual Status RecordRun(const std::string& table, const std::string& flow,
                           const std::string& error) = 0;

  // Every flow the destination knows, ordered by table and flow.
  virtual Result<std::vector<FlowStatus>> Flows() = 0;
};

}  // namespace lakeflow::sinks
