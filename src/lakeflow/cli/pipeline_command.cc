// `lakeflow pipeline ...`.
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "lakeflow/cli/commands.h"
#include "lakeflow/cli/progress_display.h"
#include "lakeflow/core/strings.h"
#include "lakeflow/pipeline/open_destination.h"
#include "lakeflow/pipeline/pipeline_runner.h"
#include "lakeflow/pipeline/table_plan.h"

namespace lakeflow::cli {

namespace {

// "a,b" for a list, "-" for none.
std::string Listed(const std::vector<std::string>& parts) {
  return parts.empty() ? "-" : Join(parts, ",");
}

// The non-empty parts of a comma-separated flag.
std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> out;
  for (auto& part : Split(text, ',')) {
    if (!part.empty()) out.push_back(std::move(part));
  }
  return out;
}

// "available-now" and "once" (0) or "interval:30s" / "interval:5m" / "interval:1h".
Result<std::chrono::seconds> ParseTrigger(const std::string& trigger) {
  if (trigger == "available-now" || trigger == "once") return std::chrono::seconds(0);
  const std::string prefix = "interval:";
  std::string bad = fmt::format(
      "bad --trigger '{}': expected available-now, once or interval:N[s|m|h] (e.g. interval:30s)",
      trigger);
  if (trigger.rfind(prefix, 0) != 0) return Status::Invalid("{}", bad);
  std::string value = trigger.substr(prefix.size());
  int64_t unit = 1;
  if (!value.empty() && (value.back() == 's' || value.back() == 'm' || value.back() == 'h')) {
    unit = value.back() == 'h' ? 3600 : value.back() == 'm' ? 60 : 1;
    value.pop_back();
  }
  if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos ||
      value.size() > 9)
    return Status::Invalid("{}", bad);
  int64_t n = std::stoll(value) * unit;
  if (n <= 0) return Status::Invalid("{}", bad);
  return std::chrono::seconds(n);
}

// SIGINT/SIGTERM ask the run to stop after its current microbatch; a second
// one stops the process at once (which is safe too: see exactly once).
std::atomic<bool> g_stop{false};

void OnSignal(int) {
  if (g_stop.exchange(true)) _exit(130);
}

void InstallStopHandlers() {
  struct sigaction action {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

// Sleeps until `deadline` or a stop request.
void SleepUntil(std::chrono::steady_clock::time_point deadline) {
  while (!g_stop && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
}

// One run: the summary on stdout, failures on stderr; an error if any failed.
// `started` says whether the run got as far as the tables (the destination
// opened and locked, full refreshes done).
Status RunOnce(const pipeline::PipelineSpec& spec, const std::vector<pipeline::TablePlan>& plans,
               pipeline::RunOptions options, bool* started = nullptr) {
  std::vector<std::string> names;
  for (const auto& p : plans) names.push_back(p.object.DestinationName());
  ProgressDisplay display(names, stderr, isatty(STDERR_FILENO) == 1);
  options.observer = &display;
  LF_ASSIGN_OR_RETURN(auto runs, pipeline::RunPipeline(spec, plans, options));
  if (started) *started = true;
  int failed = 0;
  for (const auto& r : runs) {
    if (!r.status.ok()) {
      ++failed;
      std::cerr << "lakeflow: " << r.status.ToString() << "\n";
      continue;
    }
    std::cout << fmt::format("{}: {} rows in {} batch{}\n", r.table, r.rows, r.batches,
                             r.batches == 1 ? "" : "es");
  }
  std::cout.flush();
  if (failed)
    return Status::SourceError(
        "{}: {} of {} tables failed (see above; `lakeflow pipeline status "
        "{}` keeps the errors)",
        spec.file, failed, runs.size(), spec.file);
  return Status::OK();
}

// "NAME: 152 rows written, batch 1 committed AT, offset {...}; last run AT"
// and the last error, if the last run failed. A flow that ran and found
// nothing reads "no batch committed; last run AT"; one that never ran is not
// listed (its table reads "never run").
std::string Describe(const std::string& name, const sinks::FlowStatus& f) {
  std::string out = name + ": ";
  if (f.batch_id < 0) {
    out += "no batch committed";
  } else {
    out += fmt::format("{} rows written, batch {} committed {}, offset {}", f.rows, f.batch_id,
                       f.committed_at, f.end ? f.end->dump() : "null");
  }
  // "ran" says a run reached the end (or failed): 0 rows is then an answer.
  if (!f.ran_at.empty()) out += fmt::format("; last run {}", f.ran_at);
  if (!f.last_error.empty())
    out += fmt::format("\n  last error at {}: {}", f.error_at, f.last_error);
  return out + "\n";
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
        pipeline::ScdTypeName(p.object.scd_type), Listed(p.metadata.primary_keys),
        p.sequence_by.empty() ? "-" : p.sequence_by);
  }
  return Status::OK();
}

Status RunPipelineRun(const PipelineRunArgs& args) {
  LF_ASSIGN_OR_RETURN(auto interval, ParseTrigger(args.trigger));
  LF_ASSIGN_OR_RETURN(auto spec, pipeline::LoadPipelineSpec(args.spec));
  ConnectionStore store = ConnectionStore::Default();
  LF_ASSIGN_OR_RETURN(auto plans, pipeline::PlanPipeline(spec, store));
  pipeline::RunOptions options;
  options.full_refresh = SplitCommas(args.full_refresh);
  options.full_refresh_all = args.full_refresh_all;
  options.parallel = args.parallel;
  if (args.trigger == "once") options.max_batches_per_flow = 1;
  options.stop = &g_stop;
  InstallStopHandlers();
  LF_RETURN_IF_ERROR(pipeline::CheckRunnable(spec, plans, options));
  if (interval.count() == 0) return RunOnce(spec, plans, options);
  while (!g_stop) {
    auto next = std::chrono::steady_clock::now() + interval;
    bool started = false;
    Status st = RunOnce(spec, plans, options, &started);
    // A failed table is retried at the next trigger, as a scheduled pipeline would be.
    if (!st.ok()) std::cerr << "lakeflow: " << st.ToString() << "\n";
    if (started) {  // refreshed once; a run that could not start (another writer) refreshes later
      options.full_refresh.clear();
      options.full_refresh_all = false;
    }
    SleepUntil(next);
  }
  return Status::OK();
}

Status RunPipelineStatus(const std::string& spec_path) {
  LF_ASSIGN_OR_RETURN(auto spec, pipeline::LoadPipelineSpec(spec_path));
  std::vector<sinks::FlowStatus> flows;
  if (pipeline::DestinationExists(spec.destination)) {
    LF_ASSIGN_OR_RETURN(auto dest, pipeline::OpenDestination(spec.destination));
    LF_ASSIGN_OR_RETURN(flows, dest->Flows());
  }
  std::cout << fmt::format("{}: destination {}\n", spec.file, spec.destination.path);
  for (const auto& object : spec.objects) {
    std::string table = object.DestinationName();
    bool any = false;
    // The table's own flow first, under the table's name; then its others.
    for (bool main : {true, false}) {
      for (const auto& f : flows) {
        if (f.table != table || (f.flow == table) != main) continue;
        std::cout << (main ? Describe(table, f) : "  " + Describe(f.flow, f));
        any = true;
      }
    }
    if (!any) std::cout << table << ": never run\n";
  }
  return Status::OK();
}

}  // namespace lakeflow::cli
