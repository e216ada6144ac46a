// Runs a planned pipeline once, available-now: each table's flow is read from
// its last committed offset until it catches up, a microbatch at a time, each
// microbatch committed into the destination together with its offset.
//
// In progress (issue 4): cdc and append tables into SQLite, SCD1 or
// APPEND_ONLY. Snapshot and cdc_with_deletes tables, SCD2 and Delta are
// refused with one line naming the table, before any data moves.
#pragma once

#include <string>
#include <vector>

#include "lakeflow/pipeline/table_plan.h"

namespace lakeflow::pipeline {

struct TableRun {
  std::string table;  // destination name
  int64_t batches = 0;
  int64_t rows = 0;
};

// Refuses what the runner cannot do yet; one line naming the spec and table.
Status CheckRunnable(const PipelineSpec& spec, const std::vector<TablePlan>& plans);

// Reads through the sources the plan opened.
Result<std::vector<TableRun>> RunPipeline(const PipelineSpec& spec,
                                          const std::vector<TablePlan>& plans);

}  // namespace lakeflow::pipeline
