#include "lakeflow/sinks/delta_merge.h"

#include <arrow/api.h>
#include <arrow/array/concatenate.h>

#include <algorithm>
#include <unordered_map>

#include "lakeflow/sinks/delta_data.h"

namespace lakeflow::sinks::delta {
namespace {

// One event of a key: an upsert (a row) or a delete at a sequence.
struct Event {
  int64_t row = -1;  // the pool row holding the values; -1 for inferred deletes
  int64_t seq = -1;  // index into the sequence values; -1: no sequence
  bool del = false;
  int64_t arrival = 0;  // 0: already in the table; then the microbatch's order
};

// A key's state after events of equal sequence: a version starting there, or a delete.
struct Group {
  int64_t seq;
  bool del;
  int64_t row;
};

// Every row of the merge in one batch, and every sequence value in one array,
// so events refer to them by index.
struct Pool {
  std::shared_ptr<arrow::RecordBatch> rows;
  std::shared_ptr<arrow::Array> seqs;  // [sequence column | __START_AT | __END_AT] of `rows`
  int64_t existing = 0, tombstones = 0;
};

Result<Pool> MakePool(const MergeColumns& c, const MergeInput& in) {
  Pool pool;
  pool.existing = in.existing->num_rows();
  pool.tombstones = in.tombstones->num_rows();
  LF_ASSIGN_OR_RETURN(pool.rows,
                      ConcatBatches(in.events->schema(), {in.existing, in.tombstones, in.events}));
  if (c.sequence >= 0) {
    arrow::ArrayVector parts{pool.rows->column(c.sequence)};
    if (c.start >= 0) {
      parts.push_back(pool.rows->column(c.start));
      parts.push_back(pool.rows->column(c.end));
    }
    LF_ASSIGN_OR_RETURN_ARROW(pool.seqs, arrow::Concatenate(parts));
  }
  return pool;
}

// Orders sequences with null below every value; without a sequence all are equal.
int CompareSeq(const Pool& pool, int64_t a, int64_t b) {
  if (a < 0 || b < 0) return 0;
  bool an = pool.seqs->IsNull(a), bn = pool.seqs->IsNull(b);
  if (an || bn) return an == bn ? 0 : (an ? -1 : 1);
  return CompareCells(*pool.seqs, a, *pool.seqs, b);
}

// Every key's events, in the order the pool holds them.
std::unordered_map<std::string, std::vector<Event>> EventsByKey(const MergeColumns& c,
                                                                const Pool& pool, bool deletes) {
  std::unordered_map<std::string, std::vector<Event>> out;
  const int64_t n = pool.rows->num_rows();
  const bool scd2 = c.start >= 0;
  for (int64_t r = 0; r < n; ++r) {
    auto& events = out[EncodeKey(*pool.rows, c.keys, r)];
    int64_t seq = c.sequence >= 0 ? r : -1;
    if (r < pool.existing) {
      if (scd2) {
        // A version is its upsert at __START_AT; its end, a delete unless
        // another version starts there (checked once all are known).
        events.push_back(Event{r, n + r, false, 0});
        if (!pool.rows->column(c.end)->IsNull(r)) events.push_back(Event{-1, 2 * n + r, true, 0});
      } else {
        events.push_back(Event{r, seq, false, 0});
      }
    } else if (r < pool.existing + pool.tombstones) {
      events.push_back(Event{-1, seq, true, 0});
    } else {
      events.push_back(Event{r, seq, deletes, r - pool.existing - pool.tombstones + 1});
    }
  }
  return out;
}

// Drops a version's inferred end where the key's next version starts: that end
// was an upsert, not a delete.
void DropFalseDeletes(const Pool& pool, std::vector<Event>* events) {
  std::vector<Event> kept;
  for (const auto& e : *events) {
    bool is_end = e.del && e.row < 0 && e.arrival == 0 && e.seq >= 2 * pool.rows->num_rows();
    bool starts_there = is_end && std::any_of(events->begin(), events->end(), [&](const Event& o) {
                          return !o.del && o.arrival == 0 && CompareSeq(pool, o.seq, e.seq) == 0;
                        });
    if (!starts_there) kept.push_back(e);
  }
  *events = std::move(kept);
}

// The key's events folded by sequence: a delete wins its sequence, else the
// latest arrival's upsert.
std::vector<Group> GroupEvents(const Pool& pool, std::vector<Event> events) {
  std::stable_sort(events.begin(), events.end(), [&](const Event& a, const Event& b) {
    int c = CompareSeq(pool, a.seq, b.seq);
    return c != 0 ? c < 0 : a.arrival < b.arrival;
  });
  std::vector<Group> out;
  for (const auto& e : events) {
    if (out.empty() || CompareSeq(pool, out.back().seq, e.seq) != 0) {
      out.push_back(Group{e.seq, e.del, e.row});
    } else if (!out.back().del) {
      out.back().del = e.del;
      if (!e.del) out.back().row = e.row;  // later arrival: events are in arrival order
    }
  }
  return out;
}

// Without a sequence the last event decides, whatever it is.
std::vector<Group> LastEvent(const std::vector<Event>& events) {
  auto last = std::max_element(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.arrival < b.arrival;
  });
  return {Group{-1, last->del, last->row}};
}

// Rows of `pool` at `rows` with __START_AT/__END_AT taken from `starts`/`ends`.
Result<std::shared_ptr<arrow::RecordBatch>> BuildOutput(const MergeColumns& c, const Pool& pool,
                                                        const std::vector<int64_t>& rows,
                                                        const std::vector<int64_t>& starts,
                                                        const std::vector<int64_t>& ends) {
  LF_ASSIGN_OR_RETURN(auto out, TakeRows(*pool.rows, rows));
  if (c.start < 0) return out;
  auto columns = out->columns();
  LF_ASSIGN_OR_RETURN(columns[c.start], TakeArray(*pool.seqs, starts));
  LF_ASSIGN_OR_RETURN(columns[c.end], TakeArray(*pool.seqs, ends));
  return arrow::RecordBatch::Make(out->schema(), out->num_rows(), std::move(columns));
}

}  // namespace

Result<std::shared_ptr<arrow::RecordBatch>> ConcatBatches(
    const std::shared_ptr<arrow::Schema>& schema,
    const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches) {
  int64_t rows = 0;
  for (const auto& b : batches) rows += b->num_rows();
  std::vector<std::shared_ptr<arrow::Array>> columns;
  for (int i = 0; i < schema->num_fields(); ++i) {
    arrow::ArrayVector parts;
    for (const auto& b : batches) parts.push_back(b->column(i));
    if (parts.empty()) {
      LF_ASSIGN_OR_RETURN_ARROW(auto empty, arrow::MakeEmptyArray(schema->field(i)->type()));
      columns.push_back(std::move(empty));
      continue;
    }
    LF_ASSIGN_OR_RETURN_ARROW(auto column, arrow::Concatenate(parts));
    columns.push_back(std::move(column));
  }
  return arrow::RecordBatch::Make(schema, rows, std::move(columns));
}

Result<std::shared_ptr<arrow::RecordBatch>> MergeEvents(const MergeColumns& c,
                                                        const MergeInput& in) {
  LF_ASSIGN_OR_RETURN(auto pool, MakePool(c, in));
  auto by_key = EventsByKey(c, pool, in.deletes);
  // Keys in a fixed order, so the same input writes the same files.
  std::vector<std::string> keys;
  for (const auto& [key, events] : by_key) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  std::vector<int64_t> rows, starts, ends;
  for (const auto& key : keys) {
    auto& events = by_key[key];
    if (c.start >= 0) DropFalseDeletes(pool, &events);
    auto groups = c.sequence >= 0 ? GroupEvents(pool, events) : LastEvent(events);
    if (c.start < 0) {
      // SCD1: the state after the last group.
      if (!groups.back().del) rows.push_back(groups.back().row);
      continue;
    }
    // SCD2: each upsert group opens a version the next group closes.
    for (size_t g = 0; g < groups.size(); ++g) {
      if (groups[g].del) continue;
      rows.push_back(groups[g].row);
      starts.push_back(groups[g].seq);
      ends.push_back(g + 1 < groups.size() ? groups[g + 1].seq : -1);
    }
  }
  return BuildOutput(c, pool, rows, starts, ends);
}

Result<std::shared_ptr<arrow::RecordBatch>> ResolveNullDeletes(const MergeColumns& c,
                                                               const MergeInput& in) {
  if (c.sequence < 0 || in.events->column(c.sequence)->null_count() == 0) return in.events;
  LF_ASSIGN_OR_RETURN(auto pool, MakePool(c, in));
  // Each key's latest event: the pool row of its sequence, and whether it is a
  // delete (which wins a tie). The key has a current row when it is an upsert.
  // An SCD2 version's sequence is its start; its end is a tombstone or the
  // next version's start, so the starts and the tombstones are every event.
  struct Latest {
    int64_t seq;
    bool del;
  };
  std::unordered_map<std::string, Latest> latest;
  auto see = [&](const std::string& key, int64_t seq, bool del) {
    auto [it, inserted] = latest.emplace(key, Latest{seq, del});
    int order = inserted ? 0 : CompareSeq(pool, seq, it->second.seq);
    if (order > 0 || (order == 0 && del)) it->second = Latest{seq, del};
  };
  const int64_t first_event = pool.existing + pool.tombstones;
  for (int64_t r = 0; r < first_event; ++r)
    see(EncodeKey(*pool.rows, c.keys, r), r, r >= pool.existing);
  std::vector<int64_t> rows, seqs;
  for (int64_t r = first_event; r < pool.rows->num_rows(); ++r) {
    auto key = EncodeKey(*pool.rows, c.keys, r);
    int64_t seq = r;
    if (pool.seqs->IsNull(r)) {
      auto it = latest.find(key);
      if (it == latest.end() || it->second.del) continue;  // no current row: nothing to delete
      seq = it->second.seq;
    }
    see(key, seq, true);
    rows.push_back(r);
    seqs.push_back(seq);
  }
  LF_ASSIGN_OR_RETURN(auto out, TakeRows(*pool.rows, rows));
  auto columns = out->columns();
  LF_ASSIGN_OR_RETURN(columns[c.sequence], TakeArray(*pool.rows->column(c.sequence), seqs));
  return arrow::RecordBatch::Make(out->schema(), out->num_rows(), std::move(columns));
}

Result<std::shared_ptr<arrow::RecordBatch>> MergeTombstones(
    const MergeColumns& c, const std::shared_ptr<arrow::RecordBatch>& tombstones,
    const std::shared_ptr<arrow::RecordBatch>& deletes) {
  LF_ASSIGN_OR_RETURN(auto rows, ConcatBatches(deletes->schema(), {tombstones, deletes}));
  Pool pool{rows, rows->column(c.sequence), 0, 0};
  // SCD1 needs only each key's highest delete. SCD2 needs every delete: a
  // late upsert must end at the first delete after it.
  std::vector<int> identity = c.keys;
  if (c.start >= 0) identity.push_back(c.sequence);
  std::unordered_map<std::string, int64_t> best;
  std::vector<std::string> order;
  for (int64_t r = 0; r < rows->num_rows(); ++r) {
    auto key = EncodeKey(*rows, identity, r);
    auto [it, inserted] = best.emplace(key, r);
    if (inserted) {
      order.push_back(key);
    } else if (CompareSeq(pool, r, it->second) > 0) {
      it->second = r;
    }
  }
  std::vector<int64_t> keep;
  for (const auto& key : order) keep.push_back(best[key]);
  return TakeRows(*rows, keep);
}

}  // namespace lakeflow::sinks::delta
