// Property tests of the AUTO CDC semantics (destination.h): random sequences
// of upserts, deletes, duplicates and out-of-order events, and random series
// of snapshots, applied by each destination and by the small model below; the
// tables must match exactly, SCD1 and SCD2.
#include <arrow/api.h>
#include <gtest/gtest.h>
#include <stdio.h>

#include <algorithm>
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

struct Event {
  bool is_delete = false;
  int64_t id = 0;
  int64_t seq = 0;
  std::optional<std::string> v;  // upserts only
};

// ---- The model: what the tables must hold, computed from all events at once.

std::string Text(const std::optional<std::string>& v) {
  return v.value_or("NULL");
}

// SCD1: a key's row is its latest upsert (by sequence, then arrival) newer
// than every delete of the key; without one, the key has no row.
std::vector<std::string> ModelScd1(const std::vector<Event>& events) {
  std::map<int64_t, std::optional<int64_t>> last_delete;
  for (const auto& e : events) {
    if (!e.is_delete) continue;
    auto& d = last_delete[e.id];
    d = std::max(d.value_or(e.seq), e.seq);
  }
  std::map<int64_t, const Event*> row;
  for (const auto& e : events) {
    if (e.is_delete) continue;
    auto d = last_delete.find(e.id);
    if (d != last_delete.end() && e.seq <= *d->second) continue;
    auto& r = row[e.id];
    if (!r || e.seq >= r->seq) r = &e;
  }
  std::vector<std::string> out;
  for (const auto& [id, e] : row) out.push_back(fmt::format("{}|{}|{}", id, Text(e->v), e->seq));
  return out;
}

// SCD2: a key's events by sequence, one per sequence (a delete wins a tie,
// else the last upsert to arrive); each upsert a version ending at the next.
std::vector<std::string> ModelScd2(const std::vector<Event>& events) {
  std::map<int64_t, std::map<int64_t, const Event*>> by_key;
  for (const auto& e : events) {
    auto& slot = by_key[e.id][e.seq];
    if (slot && slot->is_delete) continue;
    slot = &e;
  }
  std::vector<std::string> out;
  for (const auto& [id, history] : by_key) {
    for (auto it = history.begin(); it != history.end(); ++it) {
      if (it->second->is_delete) continue;
      auto next = std::next(it);
      std::string end = next == history.end() ? "NULL" : std::to_string(next->first);
      out.push_back(fmt::format("{}|{}|{}|{}", id, Text(it->second->v), it->first, end));
    }
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
  int cdc_rounds;  // random event sequences tried
};

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
       ReadSqlite, 25},
      {"delta",
       [](const std::string& dir) -> Result<std::unique_ptr<Destination>> {
         LF_ASSIGN_OR_RETURN(auto d, DeltaDestination::Open(dir + "/delta"));
         return std::unique_ptr<Destination>(std::move(d));
       },
       ReadDelta, 12},
  };
}

// ---- Random inputs.

std::vector<Event> RandomEvents(std::mt19937* rng, int count, int keys, int sequences) {
  std::uniform_int_distribution<int> key(0, keys - 1), seq(1, sequences), pct(0, 99);
  std::vector<Event> out;
  for (int i = 0; i < count; ++i) {
    Event e;
    e.id = key(*rng);
    e.seq = seq(*rng);
    e.is_delete = pct(*rng) < 25;
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
  std::string out = fmt::format(R"({{"id":{},"seq":{})", e.id, e.seq);
  if (e.v) out += fmt::format(R"(,"v":"{}")", *e.v);
  return out + "}";
}

SchemaPtr EventSchema() {
  return *ParseDdl("id BIGINT, v STRING, seq BIGINT");
}

class DestinationPropertyTest : public ::testing::TestWithParam<DestinationUnderTest> {
 protected:
  // Applies `events` in microbatches of random sizes, upserts and deletes on
  // their own flows as a pipeline does.
  void ApplyEvents(Destination* dest, const TableWrite& w, const std::vector<Event>& events,
                   std::mt19937* rng) {
    std::uniform_int_distribution<size_t> size(1, 12);
    int64_t batch_id[2] = {0, 0};
    for (size_t i = 0; i < events.size();) {
      bool deletes = events[i].is_delete;
      std::vector<std::string> records;
      size_t limit = i + size(*rng);
      for (; i < events.size() && i < limit && events[i].is_delete == deletes; ++i)
        records.push_back(Json(events[i]));
      auto rows = MakeBatchIterator(w.table, w.schema, RecordStream::FromJsonRecords(records));
      std::string flow = deletes ? w.table + "#deletes" : w.table;
      int64_t id = batch_id[deletes]++;
      Status st =
          dest->CommitMicroBatch(w, deletes ? ChangeKind::kDelete : ChangeKind::kUpsert, rows.get(),
                                 flow, FlowProgress{id, ::lakeflow::Json{{"i", i}}});
      ASSERT_TRUE(st.ok()) << st.ToString();
    }
  }

  lakeflow::testing::TempDir dir_;
};

TEST_P(DestinationPropertyTest, CdcMatchesTheModel) {
  auto dest = GetParam().open(dir_.path());
  ASSERT_TRUE(dest.ok()) << dest.status().ToString();
  for (int round = 0; round < GetParam().cdc_rounds; ++round) {
    std::mt19937 rng(1000 + round);
    auto events = RandomEvents(&rng, 120, 1 + round % 10, 1 + round % 30);
    std::string scd1 = fmt::format("scd1_{}", round), scd2 = fmt::format("scd2_{}", round);
    ApplyEvents(dest->get(), TableWrite{scd1, EventSchema(), {"id"}, "seq"}, events, &rng);
    ApplyEvents(dest->get(), TableWrite{scd2, EventSchema(), {"id"}, "seq", History::kScd2}, events,
                &rng);
    if (HasFatalFailure()) return;
    auto expected1 = ModelScd1(events);
    std::sort(expected1.begin(), expected1.end());
    EXPECT_EQ(GetParam().read(dir_.path(), scd1, "id, v, seq"), expected1) << "round " << round;
    auto expected = ModelScd2(events);
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(GetParam().read(dir_.path(), scd2, "id, v, __START_AT, __END_AT"), expected)
        << "round " << round;
  }
}

TEST_P(DestinationPropertyTest, SnapshotsMatchTheModel) {
  auto dest = GetParam().open(dir_.path());
  ASSERT_TRUE(dest.ok()) << dest.status().ToString();
  for (int round = 0; round < 10; ++round) {
    std::mt19937 rng(2000 + round);
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
          auto rows = MakeBatchIterator(table, w.schema, RecordStream::FromJsonRecords(part));
          ASSERT_TRUE(dest->get()
                          ->CommitMicroBatch(w, ChangeKind::kStage, rows.get(), table,
                                             FlowProgress{batch++, ::lakeflow::Json::object()})
                          .ok());
        }
        int64_t version = static_cast<int64_t>(i) + 1;
        ASSERT_TRUE(dest->get()
                        ->ApplySnapshot(w, version, table,
                                        FlowProgress{batch++, ::lakeflow::Json::object()})
                        .ok());
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
  }
}

INSTANTIATE_TEST_SUITE_P(Destinations, DestinationPropertyTest, ::testing::ValuesIn(Destinations()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace lakeflow::sinks
