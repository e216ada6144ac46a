// Property tests of the AUTO CDC semantics (destination.h): random sequences
// of upserts, deletes (with and without a sequence), duplicates and
// out-of-order events, and random series of snapshots, applied by each
// destination and by the small model below; the tables must match exactly,
// SCD1 and SCD2. Along the way batches are replayed (committed again under
// their batch id, as a retry that never saw its commit would) and the
// destination is closed and opened again.
//
// Every run draws a new base seed, printed at the start of each test and
// named in every failure; LAKEFLOW_PROPERTY_SEED=N replays it exactly.
// LAKEFLOW_PROPERTY_ROUNDS=N runs N rounds in each test instead of the
// defaults below.
#include <arrow/api.h>
#include <gtest/gtest.h>
#include <stdio.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "lakeflow/connect/record_stream.h"
#include "lakeflow/core/schema.h"
#include "lakeflow/sinks/delta_destination.h"
#include "lakeflow/sinks/sqlite_destination.h"
#include "testing/sqlite_query.h"
#include "testing/test_util.h"

namespace lakeflow::sinks {
namespace {

// A sequence; null sorts below every other (std::optional's order).
using Seq = std::optional<int64_t>;

struct Event {
  bool is_delete = false;
  int64_t id = 0;
  Seq seq;                       // null: a delete at the read's position
  std::optional<std::string> v;  // upserts only
};

// ---- The model: what the tables must hold, computed from all events at once,
// once every null-sequence delete is given its sequence (Resolve).

std::string Text(const std::optional<std::string>& v) {
  return v.value_or("NULL");
}

std::string Text(const Seq& seq) {
  return seq ? std::to_string(*seq) : "NULL";
}

// SCD1: a key's row is its latest upsert (by sequence, then arrival) newer
// than every delete of the key; without one, the key has no row.
std::map<int64_t, const Event*> Scd1Rows(const std::vector<Event>& events) {
  std::map<int64_t, Seq> last_delete;
  for (const auto& e : events) {
    if (!e.is_delete) continue;
    auto [d, first] = last_delete.emplace(e.id, e.seq);
    if (!first) d->second = std::max(d->second, e.seq);
  }
  std::map<int64_t, const Event*> row;
  for (const auto& e : events) {
    if (e.is_delete) continue;
    auto d = last_delete.find(e.id);
    if (d != last_delete.end() && e.seq <= d->second) continue;
    auto& r = row[e.id];
    if (!r || e.seq >= r->seq) r = &e;
  }
  return row;
}

std::vector<std::string> ModelScd1(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& [id, e] : Scd1Rows(events))
    out.push_back(fmt::format("{}|{}|{}", id, Text(e->v), Text(e->seq)));
  std::sort(out.begin(), out.end());
  return out;
}

// SCD2: a key's events by sequence, one per sequence (a delete wins a tie,
// else the last upsert to arrive). Every sequence is set.
std::map<int64_t, std::map<int64_t, const Event*>> Scd2Histories(const std::vector<Event>& events) {
  std::map<int64_t, std::map<int64_t, const Event*>> by_key;
  for (const auto& e : events) {
    auto& slot = by_key[e.id][*e.seq];
    if (slot && slot->is_delete) continue;
    slot = &e;
  }
  return by_key;
}

// Each upsert a version ending at the key's next event.
std::vector<std::string> ModelScd2(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& [id, history] : Scd2Histories(events)) {
    for (auto it = history.begin(); it != history.end(); ++it) {
      if (it->second->is_delete) continue;
      auto next = std::next(it);
      std::string end = next == history.end() ? "NULL" : std::to_string(next->first);
      out.push_back(fmt::format("{}|{}|{}|{}", id, Text(it->second->v), it->first, end));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The sequence of `id`'s current row after `events`; nullopt: it has none.
std::optional<Seq> CurrentScd1(const std::vector<Event>& events, int64_t id) {
  auto rows = Scd1Rows(events);
  auto it = rows.find(id);
  if (it == rows.end()) return std::nullopt;
  return it->second->seq;
}

std::optional<Seq> CurrentScd2(const std::vector<Event>& events, int64_t id) {
  auto histories = Scd2Histories(events);
  auto it = histories.find(id);
  if (it == histories.end() || it->second.rbegin()->second->is_delete) return std::nullopt;
  return Seq(it->second.rbegin()->first);
}

// The events in arrival order with every null-sequence delete resolved: it
// takes the sequence of its key's current row given the events before it,
// and is dropped when the key has none.
std::vector<Event> Resolve(
    const std::vector<Event>& events,
    const std::function<std::optional<Seq>(const std::vector<Event>&, int64_t)>& current) {
  std::vector<Event> out;
  for (const auto& e : events) {
    if (!e.is_delete || e.seq) {
      out.push_back(e);
      continue;
    }
    auto seq = current(out, e.id);
    if (!seq) continue;
    Event resolved = e;
    resolved.seq = *seq;
    out.push_back(resolved);
  }
  return out;
}

using Snapshot = std::map<int64_t, std::optional<std::string>>;

std::vector<std::string> ModelSnapshotScd1(const std::vector<Snapshot>& snapshots) {
  std::vector<std::string> out;
  for (const auto& [id, v] : snapshots.back()) out.push_back(fmt::format("{}|{}", id, Text(v)));
  return out;
}

// SCD2 from snapshots: a version per run of snapshots holding the same value.
std::vector<std::string> ModelSnapshotScd2(const std::vector<Snapshot>& snapshots) {
  std::map<int64_t, std::vector<std::string>> versions;
  std::set<int64_t> keys;
  for (const auto& s : snapshots)
    for (const auto& [id, v] : s) keys.insert(id);
  std::vector<std::string> out;
  for (int64_t id : keys) {
    std::optional<std::optional<std::string>> open;  // the current version's value
    int64_t start = 0;
    for (size_t i = 0; i < snapshots.size(); ++i) {
      int64_t version = static_cast<int64_t>(i) + 1;
      auto found = snapshots[i].find(id);
      std::optional<std::optional<std::string>> now;
      if (found != snapshots[i].end()) now = found->second;
      if (open && (!now || *now != *open)) {
        out.push_back(fmt::format("{}|{}|{}|{}", id, Text(*open), start, version));
        open.reset();
      }
      if (now && !open) {
        open = now;
        start = version;
      }
    }
    if (open) out.push_back(fmt::format("{}|{}|{}|NULL", id, Text(*open), start));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// ---- Destinations under test.

struct DestinationUnderTest {
  std::string name;
  std::function<Result<std::unique_ptr<Destination>>(const std::string& dir)> open;
  // Rows of `columns` (comma-separated), sorted as text lines "a|b|c".
  std::function<std::vector<std::string>(const std::string& dir, const std::string& table,
                                         const std::string& columns)>
      read;
  int cdc_rounds;       // random event sequences tried, by default
  int snapshot_rounds;  // random series of snapshots tried, by default
};

// gtest names the destination in a failure by this, not by its bytes.
void PrintTo(const DestinationUnderTest& d, std::ostream* os) {
  *os << d.name;
}

std::vector<std::string> ReadSqlite(const std::string& dir, const std::string& table,
                                    const std::string& columns) {
  auto out =
      lakeflow::testing::QueryLines(dir + "/lake.db", "SELECT " + columns + " FROM " + table);
  std::sort(out.begin(), out.end());
  return out;
}

// Through the `deltalake` Python package: an independent Delta reader.
std::vector<std::string> ReadDelta(const std::string& dir, const std::string& table,
                                   const std::string& columns) {
  std::string cmd = std::string(LAKEFLOW_DELTA_READBACK) + " '" + dir + "/delta/" + table + "'";
  std::vector<std::string> names;
  for (size_t start = 0; start < columns.size();) {
    size_t comma = columns.find(", ", start);
    if (comma == std::string::npos) comma = columns.size();
    names.push_back(columns.substr(start, comma - start));
    start = comma + 2;
  }
  std::vector<std::string> out;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return {"error: cannot run " + cmd};
  std::string text;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) text.append(buffer, n);
  if (::pclose(pipe) != 0) return {"error: " + text};
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    auto record = ::lakeflow::Json::parse(text.substr(start, end - start));
    std::string line;
    for (size_t i = 0; i < names.size(); ++i) {
      const auto& v = record[names[i]];
      line += (i ? "|" : "") + (v.is_null()     ? std::string("NULL")
                                : v.is_string() ? v.get<std::string>()
                                                : v.dump());
    }
    out.push_back(line);
    start = end + 1;
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<DestinationUnderTest> Destinations() {
  return {
      {"sqlite",
       [](const std::string& dir) -> Result<std::unique_ptr<Destination>> {
         LF_ASSIGN_OR_RETURN(auto d, SqliteDestination::Open(dir + "/lake.db"));
         return std::unique_ptr<Destination>(std::move(d));
       },
       ReadSqlite, 40, 12},
      {"delta",
       [](const std::string& dir) -> Result<std::unique_ptr<Destination>> {
         LF_ASSIGN_OR_RETURN(auto d, DeltaDestination::Open(dir + "/delta"));
         return std::unique_ptr<Destination>(std::move(d));
       },
       ReadDelta, 14, 12},
  };
}

// ---- Seeds and rounds.

// A number from the environment variable `name`, or nullopt when unset.
std::optional<uint64_t> FromEnvironment(const char* name) {
  const char* text = std::getenv(name);
  if (!text || !*text) return std::nullopt;
  uint64_t value = 0;
  const char* end = text + std::strlen(text);
  auto [ptr, ec] = std::from_chars(text, end, value);
  if (ec != std::errc() || ptr != end) {
    ADD_FAILURE() << name << "=" << text << " is not a non-negative integer";
    return std::nullopt;
  }
  return value;
}

// One base seed per run: LAKEFLOW_PROPERTY_SEED, else a fresh random one.
uint64_t BaseSeed() {
  static const uint64_t seed = [] {
    if (auto fixed = FromEnvironment("LAKEFLOW_PROPERTY_SEED")) return *fixed;
    std::random_device device;
    return (uint64_t{device()} << 32) | device();
  }();
  return seed;
}

int Rounds(int default_rounds) {
  auto rounds = FromEnvironment("LAKEFLOW_PROPERTY_ROUNDS");
  return rounds ? static_cast<int>(std::min<uint64_t>(*rounds, 1'000'000)) : default_rounds;
}

// Says which seed and rounds a test runs, on stdout and in the XML report.
void AnnounceSeed(int rounds) {
  std::printf("[ seed     ] LAKEFLOW_PROPERTY_SEED=%llu LAKEFLOW_PROPERTY_ROUNDS=%d\n",
              static_cast<unsigned long long>(BaseSeed()), rounds);
  std::fflush(stdout);
  ::testing::Test::RecordProperty("LAKEFLOW_PROPERTY_SEED", std::to_string(BaseSeed()));
}

// Round `round` of the test `salt`: its own stream of the run's seed.
std::mt19937 RoundRng(uint32_t salt, int round) {
  uint64_t base = BaseSeed();
  std::seed_seq seq{static_cast<uint32_t>(base), static_cast<uint32_t>(base >> 32), salt,
                    static_cast<uint32_t>(round)};
  return std::mt19937(seq);
}

// Named in every failure, so that it can be run again exactly.
std::string Rerun(int round) {
  return fmt::format("rerun with LAKEFLOW_PROPERTY_SEED={} (failed in round {})", BaseSeed(),
                     round);
}

// ---- Random inputs.

// Upserts, some without a sequence; deletes, many with only the key (a null
// sequence), as connectors that know no delete time send them.
std::vector<Event> RandomEvents(std::mt19937* rng, int count, int keys, int sequences,
                                int delete_pct) {
  std::uniform_int_distribution<int> key(0, keys - 1), seq(1, sequences), pct(0, 99);
  std::vector<Event> out;
  for (int i = 0; i < count; ++i) {
    Event e;
    e.id = key(*rng);
    e.is_delete = pct(*rng) < delete_pct;
    if (pct(*rng) >= (e.is_delete ? 40 : 5)) e.seq = seq(*rng);
    if (!e.is_delete && pct(*rng) >= 5) e.v = fmt::format("v{}", pct(*rng));
    out.push_back(e);
    // Duplicates: the same event delivered twice.
    if (pct(*rng) < 10) out.push_back(e);
  }
  return out;
}

std::vector<Snapshot> RandomSnapshots(std::mt19937* rng, int count, int keys) {
  std::uniform_int_distribution<int> pct(0, 99), value(0, 3);
  std::vector<Snapshot> out;
  for (int i = 0; i < count; ++i) {
    Snapshot s;
    for (int id = 0; id < keys; ++id) {
      if (pct(*rng) < 70)
        s[id] = value(*rng) ? std::optional<std::string>(fmt::format("v{}", value(*rng)))
                            : std::nullopt;
    }
    out.push_back(s);
  }
  return out;
}

std::string Json(const Event& e) {
  std::string out = fmt::format(R"({{"id":{})", e.id);
  if (e.seq) out += fmt::format(R"(,"seq":{})", *e.seq);
  if (e.v) out += fmt::format(R"(,"v":"{}")", *e.v);
  return out + "}";
}

SchemaPtr EventSchema() {
  return *ParseDdl("id BIGINT, v STRING, seq BIGINT");
}

class DestinationPropertyTest : public ::testing::TestWithParam<DestinationUnderTest> {
 protected:
  void SetUp() override { Reopen(); }

  // A new destination object on the same path, as the next run would open.
  void Reopen() {
    dest_.reset();
    auto dest = GetParam().open(dir_.path());
    ASSERT_TRUE(dest.ok()) << dest.status().ToString();
    dest_ = std::move(dest).value();
  }

  // Commits one microbatch of `flow`; sometimes commits it again under the
  // same id afterwards (a retry after a crash before the caller saw the
  // commit) and sometimes reopens the destination.
  void Commit(const TableWrite& w, ChangeKind kind, const std::vector<std::string>& records,
              const std::string& flow, const FlowProgress& progress, std::mt19937* rng) {
    auto rows = MakeBatchIterator(w.table, w.schema, RecordStream::FromJsonRecords(records));
    Status st = dest_->CommitMicroBatch(w, kind, rows.get(), flow, progress);
    ASSERT_TRUE(st.ok()) << st.ToString();
    std::uniform_int_distribution<int> pct(0, 99);
    if (pct(*rng) < 10) ReplayCommitted(w, kind, records, flow, progress);
    if (pct(*rng) < 5) Reopen();
  }

  // A batch id already committed is a retry whose first answer was lost: it
  // succeeds and changes nothing (destination.h). The table must stay as the
  // model has it (checked at the round's end) and the flow at that batch.
  void ReplayCommitted(const TableWrite& w, ChangeKind kind,
                       const std::vector<std::string>& records, const std::string& flow,
                       const FlowProgress& progress) {
    auto rows = MakeBatchIterator(w.table, w.schema, RecordStream::FromJsonRecords(records));
    Status st = dest_->CommitMicroBatch(w, kind, rows.get(), flow, progress);
    ASSERT_TRUE(st.ok()) << "a replayed batch: " << st.ToString();
    auto now = dest_->Progress(w.table, flow);
    ASSERT_TRUE(now.ok()) << now.status().ToString();
    ASSERT_TRUE(now->has_value()) << "flow " << flow << " lost its progress on a replay";
    EXPECT_EQ((*now)->batch_id, progress.batch_id) << "flow " << flow << " after a replay";
    EXPECT_EQ((*now)->end, progress.end) << "flow " << flow << " after a replay";
  }

  // Applies `events` in microbatches of random sizes, upserts and deletes on
  // their own flows as a pipeline does.
  void ApplyEvents(const TableWrite& w, const std::vector<Event>& events, std::mt19937* rng) {
    std::uniform_int_distribution<size_t> size(1, 12);
    int64_t batch_id[2] = {0, 0};
    for (size_t i = 0; i < events.size();) {
      bool deletes = events[i].is_delete;
      std::vector<std::string> records;
      size_t limit = i + size(*rng);
      for (; i < events.size() && i < limit && events[i].is_delete == deletes; ++i)
        records.push_back(Json(events[i]));
      std::string flow = deletes ? w.table + "#deletes" : w.table;
      int64_t id = batch_id[deletes]++;
      Commit(w, deletes ? ChangeKind::kDelete : ChangeKind::kUpsert, records, flow,
             FlowProgress{id, ::lakeflow::Json{{"i", i}}}, rng);
      if (HasFatalFailure()) return;
    }
  }

  lakeflow::testing::TempDir dir_;
  std::unique_ptr<Destination> dest_;
};

TEST_P(DestinationPropertyTest, CdcMatchesTheModel) {
  const int rounds = Rounds(GetParam().cdc_rounds);
  AnnounceSeed(rounds);
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE(Rerun(round));
    std::mt19937 rng = RoundRng(1, round);
    // Few or many keys, sequences and deletes: long runs of deletes of one
    // key are where a null-sequence delete depends on the ones before it.
    std::uniform_int_distribution<int> keys(1, 10), sequences(1, 30), deletes(10, 45);
    int k = keys(rng), n = sequences(rng), d = deletes(rng);
    auto events = RandomEvents(&rng, 120, k, n, d);
    // SCD2 refuses an upsert without a sequence (checked by the unit tests).
    std::vector<Event> scd2_events;
    std::copy_if(events.begin(), events.end(), std::back_inserter(scd2_events),
                 [](const Event& e) { return e.is_delete || e.seq; });
    std::string scd1 = fmt::format("scd1_{}", round), scd2 = fmt::format("scd2_{}", round);
    ApplyEvents(TableWrite{scd1, EventSchema(), {"id"}, "seq"}, events, &rng);
    if (HasFatalFailure()) return;
    ApplyEvents(TableWrite{scd2, EventSchema(), {"id"}, "seq", History::kScd2}, scd2_events, &rng);
    if (HasFatalFailure()) return;
    EXPECT_EQ(GetParam().read(dir_.path(), scd1, "id, v, seq"),
              ModelScd1(Resolve(events, CurrentScd1)));
    EXPECT_EQ(GetParam().read(dir_.path(), scd2, "id, v, __START_AT, __END_AT"),
              ModelScd2(Resolve(scd2_events, CurrentScd2)));
    if (HasFailure()) return;  // one round's diff is enough to read
  }
}

TEST_P(DestinationPropertyTest, SnapshotsMatchTheModel) {
  const int rounds = Rounds(GetParam().snapshot_rounds);
  AnnounceSeed(rounds);
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE(Rerun(round));
    std::mt19937 rng = RoundRng(2, round);
    auto snapshots = RandomSnapshots(&rng, 6, 12);
    for (auto history : {History::kScd1, History::kScd2}) {
      std::string table = fmt::format("snap{}_{}", history == History::kScd2 ? 2 : 1, round);
      TableWrite w{table, EventSchema(), {"id"}, "", history};
      int64_t batch = 0;
      for (size_t i = 0; i < snapshots.size(); ++i) {
        std::vector<std::string> records;
        for (const auto& [id, v] : snapshots[i]) records.push_back(Json(Event{false, id, 0, v}));
        // Staged in two microbatches, as a snapshot read over pages is.
        size_t half = records.size() / 2;
        for (auto part : {std::vector<std::string>(records.begin(), records.begin() + half),
                          std::vector<std::string>(records.begin() + half, records.end())}) {
          Commit(w, ChangeKind::kStage, part, table,
                 FlowProgress{batch++, ::lakeflow::Json::object()}, &rng);
          if (HasFatalFailure()) return;
        }
        // An apply replayed under its batch id changes nothing: it does not
        // apply the (now empty) stage again.
        int64_t version = static_cast<int64_t>(i) + 1;
        FlowProgress applied{batch++, ::lakeflow::Json::object()};
        Status st = dest_->ApplySnapshot(w, version, table, applied);
        ASSERT_TRUE(st.ok()) << st.ToString();
        if (std::uniform_int_distribution<int>(0, 2)(rng) == 0) {
          st = dest_->ApplySnapshot(w, version, table, applied);
          ASSERT_TRUE(st.ok()) << "a replayed apply: " << st.ToString();
        }
      }
      if (history == History::kScd1) {
        auto expected = ModelSnapshotScd1(snapshots);
        std::sort(expected.begin(), expected.end());
        EXPECT_EQ(GetParam().read(dir_.path(), table, "id, v"), expected) << table;
      } else {
        EXPECT_EQ(GetParam().read(dir_.path(), table, "id, v, __START_AT, __END_AT"),
                  ModelSnapshotScd2(snapshots))
            << table;
      }
    }
    if (HasFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Destinations, DestinationPropertyTest, ::testing::ValuesIn(Destinations()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace lakeflow::sinks
