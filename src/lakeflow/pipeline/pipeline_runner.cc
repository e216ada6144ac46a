#include "lakeflow/pipeline/pipeline_runner.h"

#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "lakeflow/pipeline/open_destination.h"

namespace lakeflow::pipeline {
namespace {

using Clock = std::chrono::steady_clock;

sinks::TableWrite WriteFor(const TablePlan& plan) {
  sinks::TableWrite w;
  w.table = plan.object.DestinationName();
  w.schema = plan.schema;
  w.history =
      plan.object.scd_type == ScdType::kType2 ? sinks::History::kScd2 : sinks::History::kScd1;
  if (plan.Appends()) return w;
  w.primary_keys = plan.metadata.primary_keys;
  if (plan.metadata.ingestion_type != IngestionType::kSnapshot) w.sequence_by = plan.sequence_by;
  return w;
}

// One table's run: its flows in order, reporting to the observer.
class TableRunner {
 public:
  TableRunner(const TablePlan& plan, sinks::Destination* dest, const RunOptions& options,
              std::mutex* observer_mutex)
      : plan_(plan), dest_(dest), options_(options), observer_mutex_(observer_mutex) {
    run_.table = plan.object.DestinationName();
  }

  TableRun Run() {
    Notify([&](RunObserver* o) { o->TableStarted(run_.table); });
    run_.status = RunFlows();
    run_.seconds = Elapsed();
    if (!run_.status.ok()) {
      run_.status = run_.status.WithContext(run_.table);
      dest_->RecordError(run_.table, failed_flow_, run_.status.message()).ok();
    }
    Notify([&](RunObserver* o) { o->TableFinished(run_); });
    return run_;
  }

 private:
  Status RunFlows() {
    sinks::TableWrite write = WriteFor(plan_);
    if (plan_.Appends())
      return RunStream(plan_.source.get(), write, sinks::ChangeKind::kAppend, TableFlow(plan_));
    if (plan_.metadata.ingestion_type == IngestionType::kSnapshot) return RunSnapshot(write);
    LF_RETURN_IF_ERROR(
        RunStream(plan_.source.get(), write, sinks::ChangeKind::kUpsert, TableFlow(plan_)));
    if (!plan_.delete_source) return Status::OK();
    return RunStream(plan_.delete_source.get(), write, sinks::ChangeKind::kDelete,
                     DeleteFlow(plan_));
  }

  // A stream flow: microbatches from the last committed offset until caught up.
  Status RunStream(DataSource* source, const sinks::TableWrite& write, sinks::ChangeKind kind,
                   const std::string& flow) {
    failed_flow_ = flow;
    LF_ASSIGN_OR_RETURN(auto progress, dest_->Progress(write.table, flow));
    Offset start = progress ? progress->end : Offset(Json::object());
    int64_t next_id = progress ? progress->batch_id + 1 : 0;
    while (!Stopping()) {
      LF_ASSIGN_OR_RETURN(MicroBatchRead read, source->ReadMicroBatch(start));
      if (OffsetsEqual(read.end, start)) return Status::OK();
      LF_RETURN_IF_ERROR(Commit(write, kind, read, flow, next_id++));
      LF_RETURN_IF_ERROR(source->Committed(read.end));
      start = read.end;
    }
    return Status::OK();
  }

  // The snapshot flow: stage the whole source, then apply it. A read whose
  // end offset is null brought the whole table at once: the snapshot is
  // complete after it (stored as "read": null).
  Status RunSnapshot(const sinks::TableWrite& write) {
    std::string flow = TableFlow(plan_);
    failed_flow_ = flow;
    LF_ASSIGN_OR_RETURN(auto progress, dest_->Progress(write.table, flow));
    int64_t version = 1, next_id = 0;
    Offset start = Json::object();
    if (progress) {
      const Json state = progress->end.value_or(Json::object());
      next_id = progress->batch_id + 1;
      version = state.value("snapshot", int64_t{0});
      if (state.value("applied", false) || !state.contains("read"))
        ++version;
      else if (state["read"].is_null())
        start.reset();
      else
        start = state["read"];
    }
    while (start && !Stopping()) {
      LF_ASSIGN_OR_RETURN(MicroBatchRead read, plan_.source->ReadMicroBatch(start));
      if (OffsetsEqual(read.end, start)) break;
      Json at = read.end.value_or(nullptr);
      MicroBatchRead tagged{Json{{"snapshot", version}, {"read", at}, {"applied", false}},
                            std::move(read.batches)};
      LF_RETURN_IF_ERROR(Commit(write, sinks::ChangeKind::kStage, tagged, flow, next_id++));
      start = read.end;
    }
    if (start && Stopping()) return Status::OK();
    Json applied = {{"snapshot", version}, {"read", start.value_or(nullptr)}, {"applied", true}};
    return dest_->ApplySnapshot(write, version, flow, sinks::FlowProgress{next_id, applied});
  }

  Status Commit(const sinks::TableWrite& write, sinks::ChangeKind kind, MicroBatchRead& read,
                const std::string& flow, int64_t id) {
    CountingIterator counted(read.batches.get(), &run_.rows);
    LF_RETURN_IF_ERROR(
        dest_->CommitMicroBatch(write, kind, &counted, flow, sinks::FlowProgress{id, read.end}));
    ++run_.batches;
    Notify([&](RunObserver* o) { o->Committed(run_.table, run_.rows, Elapsed()); });
    return Status::OK();
  }

  template <typename F>
  void Notify(F f) {
    if (!options_.observer) return;
    std::lock_guard<std::mutex> lock(*observer_mutex_);
    f(options_.observer);
  }
  bool Stopping() const { return options_.stop && options_.stop->load(); }
  double Elapsed() const { return std::chrono::duration<double>(Clock::now() - started_).count(); }

  const TablePlan& plan_;
  sinks::Destination* dest_;
  const RunOptions& options_;
  std::mutex* observer_mutex_;
  Clock::time_point started_ = Clock::now();
  std::string failed_flow_;
  TableRun run_;
};

}  // namespace

std::string TableFlow(const TablePlan& plan) {
  return plan.object.DestinationName();
}

std::string DeleteFlow(const TablePlan& plan) {
  return plan.object.DestinationName() + "#deletes";
}

Status CheckRunnable(const PipelineSpec& spec, const std::vector<TablePlan>& plans,
                     const RunOptions& options) {
  std::set<std::string> names;
  for (const auto& p : plans) names.insert(p.object.DestinationName());
  for (const auto& t : options.full_refresh) {
    if (!names.count(t))
      return Status::Invalid("{}: --full-refresh: '{}' is not a destination table of this spec",
                             spec.file, t);
  }
  if (options.parallel < 1)
    return Status::Invalid("--parallel must be at least 1, got {}", options.parallel);
  return Status::OK();
}

Result<std::vector<TableRun>> RunPipeline(const PipelineSpec& spec,
                                          const std::vector<TablePlan>& plans,
                                          const RunOptions& options) {
  LF_RETURN_IF_ERROR(CheckRunnable(spec, plans, options));
  std::set<std::string> refresh(options.full_refresh.begin(), options.full_refresh.end());
  {
    auto dest = OpenDestination(spec.destination);
    if (!dest.ok()) return dest.status().WithContext(spec.file);
    for (const auto& plan : plans) {
      if (!options.full_refresh_all && !refresh.count(plan.object.DestinationName())) continue;
      std::vector<std::string> flows = {TableFlow(plan), DeleteFlow(plan)};
      LF_RETURN_IF_ERROR((*dest)->Reset(plan.object.DestinationName(), flows));
    }
  }
  std::vector<TableRun> runs(plans.size());
  std::atomic<size_t> next{0};
  std::mutex observer_mutex;
  // Each worker has its own destination handle: SQLite connections are not
  // shared across threads, and commits serialize on the database's lock.
  auto work = [&]() {
    auto dest = OpenDestination(spec.destination);
    for (size_t i = next++; i < plans.size(); i = next++) {
      if (!dest.ok()) {
        runs[i].table = plans[i].object.DestinationName();
        runs[i].status = dest.status();
        continue;
      }
      runs[i] = TableRunner(plans[i], dest->get(), options, &observer_mutex).Run();
    }
  };
  size_t workers = std::min(plans.size(), static_cast<size_t>(options.parallel));
  std::vector<std::thread> threads;
  for (size_t w = 1; w < workers; ++w) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  return runs;
}

}  // namespace lakeflow::pipeline
