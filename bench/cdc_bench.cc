// Applies CDC events to a destination table through the Destination interface,
// the way `lakeflow pipeline run` does: a table of N rows is loaded, then E
// events (30% updates of existing keys, 5% deletes, the rest new keys) arrive
// in microbatches, each one upsert commit plus one delete commit.
//
//   cdc_bench --destination sqlite|delta --history scd1|scd2 --dir DIR
//             [--rows 1000000] [--events 1000000] [--batch 100000]
//
// Prints one line of JSON: load and apply times, events/s, peak RSS. Run one
// case per process so the RSS is the case's own (bench/run_pipeline.sh).
// The events come from a fixed generator (splitmix64) that
// bench/cdc_baseline.py repeats exactly, so both sides apply the same events.
#include <arrow/api.h>
#include <fmt/format.h>
#include <sys/resource.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "lakeflow/connect/batch_iterator.h"
#include "lakeflow/sinks/delta_destination.h"
#include "lakeflow/sinks/sqlite_destination.h"

namespace {

using lakeflow::Status;
using namespace lakeflow::sinks;

uint64_t SplitMix(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

struct Event {
  bool is_delete;
  int64_t id;
  int64_t seq;  // microseconds: the updated_at timestamp
};

// The events of the run: first `rows` inserts (the table's load), then
// `events` changes. Sequences only grow, as a source's cursor does.
class EventSource {
 public:
  explicit EventSource(int64_t rows) : next_new_(rows), live_(rows) {}
  Event Next() {
    ++seq_;
    uint64_t r = SplitMix(&state_);
    int64_t kind = static_cast<int64_t>(r % 100);
    int64_t pick = static_cast<int64_t>((r >> 8) % static_cast<uint64_t>(live_));
    if (kind < 30) return {false, pick, seq_};
    if (kind < 35) return {true, pick, seq_};
    ++live_;
    return {false, next_new_++, seq_};
  }

 private:
  uint64_t state_ = 42;
  int64_t next_new_;
  int64_t live_;
  int64_t seq_ = 1700000000000000;  // 2023-11-14
};

std::shared_ptr<arrow::Schema> TableSchema() {
  return arrow::schema(
      {arrow::field("id", arrow::int64()), arrow::field("title", arrow::utf8()),
       arrow::field("state", arrow::utf8()), arrow::field("comments", arrow::int32()),
       arrow::field("updated_at", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"))});
}

std::shared_ptr<arrow::Schema> DeleteSchema() {
  return arrow::schema(
      {arrow::field("id", arrow::int64()),
       arrow::field("updated_at", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"))});
}

std::shared_ptr<arrow::RecordBatch> Upserts(const std::vector<Event>& events) {
  arrow::Int64Builder id;
  arrow::StringBuilder title, state;
  arrow::Int32Builder comments;
  arrow::TimestampBuilder updated(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"),
                                  arrow::default_memory_pool());
  for (const auto& e : events) {
    (void)id.Append(e.id);
    (void)title.Append(fmt::format("Issue {} revised at {}", e.id, e.seq));
    (void)state.Append(e.seq % 3 ? "open" : "closed");
    (void)comments.Append(static_cast<int32_t>(e.seq % 50));
    (void)updated.Append(e.seq);
  }
  std::vector<std::shared_ptr<arrow::Array>> columns(5);
  (void)id.Finish(&columns[0]);
  (void)title.Finish(&columns[1]);
  (void)state.Finish(&columns[2]);
  (void)comments.Finish(&columns[3]);
  (void)updated.Finish(&columns[4]);
  return arrow::RecordBatch::Make(TableSchema(), static_cast<int64_t>(events.size()), columns);
}

std::shared_ptr<arrow::RecordBatch> Deletes(const std::vector<Event>& events) {
  arrow::Int64Builder id;
  arrow::TimestampBuilder updated(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"),
                                  arrow::default_memory_pool());
  for (const auto& e : events) {
    (void)id.Append(e.id);
    (void)updated.Append(e.seq);
  }
  std::vector<std::shared_ptr<arrow::Array>> columns(2);
  (void)id.Finish(&columns[0]);
  (void)updated.Finish(&columns[1]);
  return arrow::RecordBatch::Make(DeleteSchema(), static_cast<int64_t>(events.size()), columns);
}

Status Commit(Destination* dest, const TableWrite& w, ChangeKind kind,
              std::shared_ptr<arrow::RecordBatch> batch, const std::string& flow, int64_t id) {
  auto schema = batch->schema();
  auto rows = lakeflow::MakeBatchIterator(schema, {std::move(batch)});
  return dest->CommitMicroBatch(w, kind, rows.get(), flow,
                                FlowProgress{id, lakeflow::Json{{"batch", id}}});
}

// Applies `count` events in microbatches of `batch` events; returns seconds.
double Apply(Destination* dest, const TableWrite& w, EventSource* source, int64_t count,
             int64_t batch, int64_t* batch_id) {
  auto start = std::chrono::steady_clock::now();
  for (int64_t done = 0; done < count;) {
    std::vector<Event> upserts, deletes;
    for (int64_t i = 0; i < batch && done < count; ++i, ++done) {
      Event e = source->Next();
      (e.is_delete ? deletes : upserts).push_back(e);
    }
    int64_t id = (*batch_id)++;
    Status st = Commit(dest, w, ChangeKind::kUpsert, Upserts(upserts), w.table, id);
    if (st.ok() && !deletes.empty())
      st = Commit(dest, w, ChangeKind::kDelete, Deletes(deletes), w.table + "#deletes", id);
    if (!st.ok()) {
      std::cerr << "cdc_bench: " << st.ToString() << "\n";
      std::exit(1);
    }
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

lakeflow::Result<std::unique_ptr<Destination>> Open(const std::string& kind,
                                                    const std::string& dir) {
  if (kind == "delta") {
    LF_ASSIGN_OR_RETURN(auto delta, DeltaDestination::Open(dir + "/lake"));
    return std::unique_ptr<Destination>(std::move(delta));
  }
  LF_ASSIGN_OR_RETURN(auto sqlite, SqliteDestination::Open(dir + "/lake.db"));
  return std::unique_ptr<Destination>(std::move(sqlite));
}

}  // namespace

int main(int argc, char** argv) {
  std::string destination = "sqlite", history = "scd1", dir;
  int64_t rows = 1000000, events = 1000000, batch = 100000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--destination")
      destination = value;
    else if (flag == "--history")
      history = value;
    else if (flag == "--dir")
      dir = value;
    else if (flag == "--rows")
      rows = std::stoll(value);
    else if (flag == "--events")
      events = std::stoll(value);
    else if (flag == "--batch")
      batch = std::stoll(value);
    else {
      std::cerr << "cdc_bench: unknown flag " << flag << "\n";
      return 2;
    }
  }
  if (dir.empty()) {
    std::cerr << "cdc_bench: --dir is required\n";
    return 2;
  }
  std::filesystem::create_directories(dir);
  lakeflow::Result<std::unique_ptr<Destination>> dest = Open(destination, dir);
  if (!dest.ok()) {
    std::cerr << "cdc_bench: " << dest.status().ToString() << "\n";
    return 1;
  }
  TableWrite w{"issues",
               TableSchema(),
               {"id"},
               "updated_at",
               history == "scd2" ? History::kScd2 : History::kScd1};
  // The load: `rows` inserts (no deletes or updates among them).
  EventSource source(0);
  int64_t batch_id = 0;
  auto start = std::chrono::steady_clock::now();
  for (int64_t done = 0; done < rows;) {
    std::vector<Event> load;
    for (; done < rows && static_cast<int64_t>(load.size()) < batch; ++done)
      load.push_back({false, done, 1600000000000000 + done});
    Status st = Commit(dest->get(), w, ChangeKind::kUpsert, Upserts(load), w.table, batch_id++);
    if (!st.ok()) {
      std::cerr << "cdc_bench: " << st.ToString() << "\n";
      return 1;
    }
  }
  double load = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EventSource changes(rows);
  double apply = Apply(dest->get(), w, &changes, events, batch, &batch_id);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::cout
      << fmt::format(
             R"({{"destination":"{}","history":"{}","rows":{},"events":{},"batch":{},"load_s":{:.2f},"apply_s":{:.2f},"events_per_s":{:.0f},"peak_rss_mb":{:.0f}}})",
             destination, history, rows, events, batch, load, apply,
             events ? static_cast<double>(events) / apply : 0.0,
             static_cast<double>(usage.ru_maxrss) / 1024)
      << std::endl;
  return 0;
}
