#include "lakeflow/datasource/stream_reader.h"

#include <charconv>
#include <thread>

namespace lakeflow {

namespace {

// The first stream read starts from the empty object, as in the template.
Offset InitialOffset() {
  return Offset(Json::object());
}

}  // namespace

Result<Trigger> Trigger::Parse(std::string_view text) {
  if (text == "available-now" || text == "availableNow") return Trigger{Kind::kAvailableNow, {}};
  if (text == "once") return Trigger{Kind::kOnce, {}};
  if (text.starts_with("interval:")) {
    std::string_view spec = text.substr(9);
    int64_t n = 0;
    auto [p, ec] = std::from_chars(spec.data(), spec.data() + spec.size(), n);
    std::string_view unit(p, spec.data() + spec.size() - p);
    int64_t ms_per_unit = unit == "ms"  ? 1
                          : unit == "s" ? 1000
                          : unit == "m" ? 60000
                          : unit == "h" ? 3600000
                                        : 0;
    // Up to a week: longer waits are surely a typo, and they would overflow the clock.
    constexpr int64_t kMaxMs = 7LL * 24 * 3600 * 1000;
    if (ec == std::errc() && n > 0 && ms_per_unit > 0 && n <= kMaxMs / ms_per_unit) {
      return Trigger{Kind::kInterval, std::chrono::milliseconds(n * ms_per_unit)};
    }
  }
  return Status::Invalid(
      "bad trigger '{}': expected available-now, once or interval:<n><ms|s|m|h> of at most a week",
      text);
}

Json StreamReader::Identity(const DataSource& source) {
  return {{"source", source.source_name()},
          {"table", source.request().table},
          {"delete_flow", source.request().delete_flow}};
}

Result<bool> StreamReader::RunOne(int64_t id, const Offset& start, MicroBatchSink* sink,
                                  StreamProgress* progress) {
  // Until batch 0 commits, the stream is at its first micro-batch.
  StreamPosition position = id == 0 ? StreamPosition::kFirst : StreamPosition::kLater;
  LF_ASSIGN_OR_RETURN(MicroBatchRead read, source_->ReadMicroBatch(start, position));
  if (read.caught_up) return false;
  LF_RETURN_IF_ERROR(checkpoint_.WritePlanned({id, start, read.end}));
  CountingIterator counted(read.batches.get(), &progress->rows);
  LF_RETURN_IF_ERROR(sink->WriteMicroBatch(id, &counted));
  LF_RETURN_IF_ERROR(checkpoint_.WriteCommit(id));
  LF_RETURN_IF_ERROR(source_->Committed(read.end));
  checkpoint_.Prune(id);
  progress->batches++;
  progress->last_offset = read.end;
  return true;
}

Result<StreamProgress> StreamReader::Run(const Trigger& trigger, MicroBatchSink* sink,
                                         const std::atomic<bool>* stop) {
  StreamProgress progress;
  LF_ASSIGN_OR_RETURN(auto last, checkpoint_.LastPlanned());
  int64_t next_id = 0;
  Offset start = InitialOffset();
  if (last) {
    LF_ASSIGN_OR_RETURN(bool committed, checkpoint_.IsCommitted(last->id));
    // An uncommitted batch is replayed from its start under the same id.
    next_id = committed ? last->id + 1 : last->id;
    start = committed ? last->end : last->start;
  }
  progress.last_offset = start;
  auto stopped = [stop] { return stop && stop->load(); };
  while (!stopped()) {
    auto began = std::chrono::steady_clock::now();
    LF_ASSIGN_OR_RETURN(bool moved, RunOne(next_id, start, sink, &progress));
    if (moved) {
      start = progress.last_offset;
      ++next_id;
    }
    if (trigger.kind == Trigger::Kind::kOnce) break;
    if (trigger.kind == Trigger::Kind::kAvailableNow) {
      if (!moved) break;
      continue;
    }
    // Interval: the next batch starts one interval after this one began.
    auto wake = began + trigger.interval;
    while (!stopped() && std::chrono::steady_clock::now() < wake) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return progress;
}

}  // namespace lakeflow
