// Runs a planned pipeline: each table's flows read from their last committed
// offsets until they catch up, a microbatch at a time, each microbatch
// committed into the destination together with its offset (exactly once).
//
// Flows of a table, by what the plan says:
//   append (or APPEND_ONLY)  rows appended                       flow TABLE
//   cdc                      upserts by key, SCD1 or SCD2         flow TABLE
//   cdc_with_deletes         the same, then the delete flow       flows TABLE, TABLE#deletes
//   snapshot                 the batch read of the table staged, then applied
//                            as its new content (AUTO CDC FROM SNAPSHOT)
//
// A stream flow's first microbatch is taken whatever offset it ends at;
// later ones stop the flow when the offset stops moving (the template's
// "caught up"). A snapshot flow's stored offset says which snapshot it is on
// and whether it has been applied: {"snapshot": N, "applied": BOOL}. A run
// after an applied snapshot reads the next one; a run after a crash before
// the apply reads the same one again from its start.
//
// One run at a time writes a destination: RunPipeline holds its lock
// (LockDestination) from start to end.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "lakeflow/pipeline/table_plan.h"
#include "lakeflow/sinks/destination.h"

namespace lakeflow::pipeline {

struct TableRun {
  std::string table;  // destination name
  int64_t batches = 0;
  int64_t rows = 0;
  double seconds = 0;
  Status status;  // the first error, which stopped this table (others go on)
};

// Told of progress as a run goes. Calls come from the worker threads, one at
// a time (the runner serializes them).
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void TableStarted(const std::string& /*table*/) {}
  // `rows` so far in this run, after each committed microbatch.
  virtual void Committed(const std::string& /*table*/, int64_t /*rows*/, double /*seconds*/) {}
  virtual void TableFinished(const TableRun& /*run*/) {}
};

struct RunOptions {
  std::vector<std::string> full_refresh;  // destination names rebuilt from scratch
  bool full_refresh_all = false;
  int parallel = 1;  // tables run at once
  // Microbatches each stream flow commits at most in this run (0: until it
  // has caught up). A snapshot flow always reads its whole snapshot.
  int64_t max_batches_per_flow = 0;
  RunObserver* observer = nullptr;
  const std::atomic<bool>* stop = nullptr;  // set: stop after the current microbatch
};

// The flows that write `plan`'s table, by id.
std::string TableFlow(const TablePlan& plan);
std::string DeleteFlow(const TablePlan& plan);

// Refuses what cannot run (unknown --full-refresh tables, a destination not
// available); one line naming the spec.
Status CheckRunnable(const PipelineSpec& spec, const std::vector<TablePlan>& plans,
                     const RunOptions& options);

// One available-now run of every table, through the sources the plan opened.
// A table's error is recorded in the destination (see `pipeline status`) and
// in its TableRun; the other tables go on. Errors opening the destination or
// resetting a table stop the run.
Result<std::vector<TableRun>> RunPipeline(const PipelineSpec& spec,
                                          const std::vector<TablePlan>& plans,
                                          const RunOptions& options);

}  // namespace lakeflow::pipeline
