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
  w.cluster_by = plan.object.cluster_by;
  if (plan.Appends()) return w;
  w.primary_keys = plan.metadata.primary_keys;
  if (plan.metadata.ingestion_type != IngestionType::kSnapshot) w.sequence_by = plan.sequence_by;
  return w;
}

// Rows of a snapshot staged per microbatch: bounds a commit's size.
constexpr int64_t kStageRows = 1 << 20;

// A batch read cut into chunks of about `rows` rows, each read as an
// iterator of its own: Next() ends at a chunk's end, NextChunk() moves on to
// the next one, if there is one. An error from the read ends the chunk that
// met it and is kept for status().
class StagedChunks : public BatchIterator {
 public:
  StagedChunks(BatchIterator* rows, int64_t chunk_rows) : rows_(rows), chunk_rows_(chunk_rows) {}

  const SchemaPtr& schema() const override { return rows_->schema(); }

  Result<std::shared_ptr<arrow::RecordBatch>> Next() override {
    if (taken_ >= chunk_rows_) return std::shared_ptr<arrow::RecordBatch>();
    std::shared_ptr<arrow::RecordBatch> batch = std::move(ahead_);
    if (!batch && !done_) {
      auto next = rows_->Next();
      if (!next.ok()) {
        done_ = true;
        return next.status();
      }
      batch = std::move(next).value();
    }
    if (!batch) {
      done_ = true;
      return batch;
    }
    taken_ += batch->num_rows();
    return batch;
  }

  // Whether rows remain after this chunk; if so, starts the next chunk.
  bool NextChunk() {
    if (done_) return false;
    auto next = rows_->Next();
    if (!next.ok()) {
      status_ = next.status();
      return false;
    }
    ahead_ = std::move(next).value();
    if (!ahead_) return false;
    taken_ = 0;
    return true;
  }

  const Status& status() const { return status_; }

 private:
  BatchIterator* rows_;
  int64_t chunk_rows_;
  int64_t taken_ = 0;
  bool done_ = false;
  std::shared_ptr<arrow::RecordBatch> ahead_;
  Status status_;
};

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
    if (!run_.status.ok()) run_.status = run_.status.WithContext(run_.table);
    // Status keeps every run: "ran, nothing new" differs from "never ran".
    for (const auto& flow : ran_flows_) dest_->RecordRun(run_.table, flow, "").ok();
    if (!run_.status.ok()) dest_->RecordRun(run_.table, failed_flow_, run_.status.message()).ok();
    Notify([&](RunObserver* o) { o->TableFinished(run_); });
    return run_;
  }

 private:
  Status RunFlows() {
    sinks::TableWrite write = WriteFor(plan_);
    failed_flow_ = TableFlow(plan_);
    // A changed cluster_by applies even when no new rows come.
    LF_RETURN_IF_ERROR(dest_->SetClustering(write));
    if (plan_.Appends())
      return RunStream(plan_.source.get(), write, sinks::ChangeKind::kAppend, TableFlow(plan_));
    if (plan_.metadata.ingestion_type == IngestionType::kSnapshot) return RunSnapshot(write);
    LF_RETURN_IF_ERROR(
        RunStream(plan_.source.get(), write, sinks::ChangeKind::kUpsert, TableFlow(plan_)));
    if (!plan_.delete_source) return Status::OK();
    return RunStream(plan_.delete_source.get(), write, sinks::ChangeKind::kDelete,
                     DeleteFlow(plan_));
  }

  // A stream flow: microbatches from the last committed offset until caught
  // up. A flow that has committed nothing is at its first microbatch, which
  // is taken whatever offset it ends at (see DataSource::ReadMicroBatch).
  Status RunStream(DataSource* source, const sinks::TableWrite& write, sinks::ChangeKind kind,
                   const std::string& flow) {
    failed_flow_ = flow;
    LF_ASSIGN_OR_RETURN(auto progress, dest_->Progress(write.table, flow));
    Offset start = progress ? progress->end : Offset(Json::object());
    int64_t next_id = progress ? progress->batch_id + 1 : 0;
    for (int64_t batches = 0; !Stopping(); ++batches) {
      if (options_.max_batches_per_flow > 0 && batches >= options_.max_batches_per_flow) break;
      StreamPosition position = next_id == 0 ? StreamPosition::kFirst : StreamPosition::kLater;
      LF_ASSIGN_OR_RETURN(MicroBatchRead read, source->ReadMicroBatch(start, position));
      if (read.caught_up) {
        ran_flows_.push_back(flow);
        return Status::OK();
      }
      LF_RETURN_IF_ERROR(Commit(write, kind, read.batches.get(), read.end, flow, next_id++));
      LF_RETURN_IF_ERROR(source->Committed(read.end));
      start = read.end;
    }
    return Status::OK();
  }

  // The snapshot flow: the batch read of the table (one read_table call, its
  // partitions, or its pages), staged in chunks, then applied. Its offset is
  // {"snapshot": N, "applied": BOOL}. A run after an applied snapshot reads
  // snapshot N+1; a run after a crash before the apply reads snapshot N again
  // from its start, and its first chunk replaces whatever was staged.
  Status RunSnapshot(const sinks::TableWrite& write) {
    std::string flow = TableFlow(plan_);
    failed_flow_ = flow;
    LF_ASSIGN_OR_RETURN(auto progress, dest_->Progress(write.table, flow));
    int64_t version = 1, next_id = 0;
    if (progress) {
      LF_ASSIGN_OR_RETURN(SnapshotState state, SnapshotState::From(progress->end));
      next_id = progress->batch_id + 1;
      version = state.applied ? state.version + 1 : state.version;
    }
    LF_ASSIGN_OR_RETURN(auto rows, plan_.source->ReadAll());
    Offset staging(Json{{"snapshot", version}, {"applied", false}});
    StagedChunks chunks(rows.get(), kStageRows);
    sinks::ChangeKind kind = sinks::ChangeKind::kRestage;
    do {
      if (Stopping()) return Status::OK();
      LF_RETURN_IF_ERROR(Commit(write, kind, &chunks, staging, flow, next_id++));
      kind = sinks::ChangeKind::kStage;
    } while (chunks.NextChunk());
    LF_RETURN_IF_ERROR(chunks.status());
    Json applied = {{"snapshot", version}, {"applied", true}};
    LF_RETURN_IF_ERROR(
        dest_->ApplySnapshot(write, version, flow, sinks::FlowProgress{next_id, applied}));
    ran_flows_.push_back(flow);
    return Status::OK();
  }

  // A snapshot flow's offset: which snapshot, and whether it was applied.
  // (Offsets written before snapshots were read in one pass also hold
  // "read", which is ignored: an unapplied snapshot is read again.)
  struct SnapshotState {
    int64_t version = 0;
    bool applied = false;

    static Result<SnapshotState> From(const Offset& offset) {
      const Json* snapshot = offset && offset->is_object() && offset->contains("snapshot")
                                 ? &(*offset)["snapshot"]
                                 : nullptr;
      if (!snapshot || !snapshot->is_number_integer() || snapshot->get<int64_t>() < 0)
        return Status::IOError("snapshot flow progress {} has no snapshot number",
                               OffsetToString(offset));
      SnapshotState s;
      s.version = snapshot->get<int64_t>();
      auto applied = offset->find("applied");
      s.applied = applied != offset->end() && applied->is_boolean() && applied->get<bool>();
      return s;
    }
  };

  Status Commit(const sinks::TableWrite& write, sinks::ChangeKind kind, BatchIterator* rows,
                const Offset& end, const std::string& flow, int64_t id) {
    // Deletes name keys: they apply whatever the row filter says.
    auto shaped = plan_.shape.Apply(rows, kind != sinks::ChangeKind::kDelete);
    CountingIterator counted(shaped.get(), &run_.rows);
    LF_RETURN_IF_ERROR(
        dest_->CommitMicroBatch(write, kind, &counted, flow, sinks::FlowProgress{id, end}));
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
  std::vector<std::string> ran_flows_;  // flows that ran to the end
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
  auto lock = LockDestination(spec.destination);
  if (!lock.ok()) return lock.status().WithContext(spec.file);
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
