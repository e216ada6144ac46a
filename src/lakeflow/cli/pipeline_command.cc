// `lakeflow pipeline ...`.
#include <fmt/format.h>

#include <iostream>

#include "lakeflow/cli/commands.h"
#include "lakeflow/pipeline/pipeline_runner.h"
#include "lakeflow/pipeline/table_plan.h"

namespace lakeflow::cli {

namespace {

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ",") + p;
  return out.empty() ? "-" : out;
}

}  // namespace

Status RunPipelineValidate(const std::string& spec_path) {
  LF_ASSIGN_OR_RETURN(auto spec, pipeline::LoadPipelineSpec(spec_path));
  ConnectionStore store = ConnectionStore::Default();
  LF_ASSIGN_OR_RETURN(auto plans, pipeline::PlanPipeline(spec, store));
  std::cout << fmt::format(
      "{}: connection '{}', {} table{} into {} {}\n", spec.file, spec.connection_name, plans.size(),
      plans.size() == 1 ? "" : "s",
      spec.destination.type == pipeline::DestinationSpec::Type::kSqlite ? "sqlite" : "delta",
      spec.destination.path);
  for (const auto& p : plans) {
    std::cout << fmt::format(
        "  {} <- {}: {}, {}, keys {}, sequence_by {}\n", p.object.DestinationName(),
        p.object.source_table, IngestionTypeName(p.metadata.ingestion_type),
        pipeline::ScdTypeName(p.object.scd_type), Join(p.metadata.primary_keys),
        p.sequence_by.empty() ? "-" : p.sequence_by);
  }
  return Status::OK();
}

Status RunPipelineRun(const std::string& spec_path) {
  LF_ASSIGN_OR_RETURN(auto spec, pipeline::LoadPipelineSpec(spec_path));
  ConnectionStore store = ConnectionStore::Default();
  LF_ASSIGN_OR_RETURN(auto plans, pipeline::PlanPipeline(spec, store));
  LF_ASSIGN_OR_RETURN(auto runs, pipeline::RunPipeline(spec, plans));
  for (const auto& r : runs) {
    std::cout << fmt::format("{}: {} rows in {} batch{}\n", r.table, r.rows, r.batches,
                             r.batches == 1 ? "" : "es");
  }
  return Status::OK();
}

}  // namespace lakeflow::cli
