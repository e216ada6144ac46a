#include "lakeflow/pipeline/pipeline_runner.h"

#include "lakeflow/sinks/sqlite_destination.h"

namespace lakeflow::pipeline {
namespace {

bool Appends(const TablePlan& plan) {
  return plan.object.scd_type == ScdType::kAppendOnly ||
         plan.metadata.ingestion_type == IngestionType::kAppend;
}

sinks::TableWrite WriteFor(const TablePlan& plan, SchemaPtr schema) {
  sinks::TableWrite w;
  w.table = plan.object.DestinationName();
  w.schema = std::move(schema);
  if (!Appends(plan)) {
    w.primary_keys = plan.metadata.primary_keys;
    w.sequence_by = plan.sequence_by;
  }
  return w;
}

Result<TableRun> RunTable(const TablePlan& plan, sinks::SqliteDestination* dest) {
  TableRun run;
  run.table = plan.object.DestinationName();
  DataSource* source = plan.source.get();
  sinks::TableWrite write = WriteFor(plan, plan.schema);
  LF_ASSIGN_OR_RETURN(auto progress, dest->Progress(run.table));
  Offset start = progress ? progress->end : Offset(Json::object());
  int64_t next_id = progress ? progress->batch_id + 1 : 0;
  while (true) {
    LF_ASSIGN_OR_RETURN(MicroBatchRead read, source->ReadMicroBatch(start));
    if (OffsetsEqual(read.end, start)) return run;
    CountingIterator counted(read.batches.get(), &run.rows);
    LF_RETURN_IF_ERROR(
        dest->CommitMicroBatch(write, &counted, run.table, sinks::FlowProgress{next_id, read.end}));
    ++run.batches;
    ++next_id;
    start = read.end;
  }
}

}  // namespace

Status CheckRunnable(const PipelineSpec& spec, const std::vector<TablePlan>& plans) {
  if (spec.destination.type != DestinationSpec::Type::kSqlite)
    return Status::Invalid("{}: destination type delta is not supported by pipeline run yet",
                           spec.file);
  for (const auto& p : plans) {
    std::string where =
        fmt::format("{}:{}: {}", spec.file, p.object.line, p.object.DestinationName());
    auto type = p.metadata.ingestion_type;
    if (p.object.scd_type == ScdType::kType2)
      return Status::Invalid("{}: SCD_TYPE_2 is not supported by pipeline run yet", where);
    if (!Appends(p) && (type == IngestionType::kSnapshot || type == IngestionType::kCdcWithDeletes))
      return Status::Invalid(
          "{}: {} tables are not supported by pipeline run yet (use "
          "scd_type APPEND_ONLY to append them)",
          where, IngestionTypeName(type));
    if (!Appends(p) && p.sequence_by.find('.') != std::string::npos)
      return Status::Invalid("{}: sequence_by '{}' must be a top-level column", where,
                             p.sequence_by);
  }
  return Status::OK();
}

Result<std::vector<TableRun>> RunPipeline(const PipelineSpec& spec,
                                          const std::vector<TablePlan>& plans) {
  LF_RETURN_IF_ERROR(CheckRunnable(spec, plans));
  LF_ASSIGN_OR_RETURN(auto dest, sinks::SqliteDestination::Open(spec.destination.path));
  std::vector<TableRun> runs;
  for (const auto& plan : plans) {
    auto run = RunTable(plan, dest.get());
    if (!run.ok()) return run.status().WithContext(plan.object.DestinationName());
    runs.push_back(*run);
  }
  return runs;
}

}  // namespace lakeflow::pipeline
