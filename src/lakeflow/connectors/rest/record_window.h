// RecordWindow: which records of an incremental REST read are kept, and the
// point a read stopped now would resume from.
//
// A read keeps records whose cursor lies in its window: after the settled
// cursor (strictly; with a lookback, from the cursor minus the lookback) and
// at or before the sequence's upper bound. A read that continues a sequence
// also drops what the reads before it delivered: records on the far side of
// the resume point, and those at exactly its cursor value whose identity it
// lists. Records are identified by their primary keys, or by a digest of the
// record when the table has none.
//
// A sequence of pages lists records in the order its endpoint declares:
// ascending, descending (newest first), or none. A read can stop at its cap
// only in an ordered sequence, where "everything up to this cursor value, and
// these records at it" describes what was delivered; the edge (the last
// cursor value kept, and who was kept at it) is then the resume point. The
// order is declared, not guessed (two records cannot tell it), and checked:
// a sequence whose kept records break it is read to its end. Records
// repeated at the edge (Zendesk repeats a page's last second on the next
// page) are kept once.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "lakeflow/connectors/rest/rest_offset.h"
#include "lakeflow/connectors/rest/rest_spec.h"

namespace lakeflow::rest {

class RecordWindow {
 public:
  // Every record: a snapshot.
  RecordWindow() = default;
  // An incremental window: records after `after` (strictly) or from `since`,
  // up to `until`, beyond `resume` when the read continues a sequence.
  // `settled` is the offset's cursor: with a lookback, records at or before
  // it are read again.
  RecordWindow(CursorOrder order, std::optional<int64_t> settled, std::optional<int64_t> after,
               std::optional<int64_t> since, int64_t until, std::optional<ResumePoint> resume);

  bool incremental() const { return incremental_; }
  CursorOrder order() const { return order_; }

  // Whether to keep a record whose cursor is `micros` (nullopt: absent or not
  // a timestamp, kept so the converter reports a bad one). A kept record
  // moves the edge and the order.
  bool Keep(std::optional<int64_t> micros, const std::string& identity);

  // Whether a kept record counts toward a read's cap: records read again
  // through the lookback and records without a cursor do not (they cannot
  // move the resume point, so a read stopped among them would not move).
  bool Counts(std::optional<int64_t> micros) const {
    return !incremental_ || (micros && !(settled_ && *micros <= *settled_));
  }

  // A sequence of pages begins (a table's pages, or one parent's children).
  // The first continues from the resume point; for later ones (the next
  // parents' children) order and edge start afresh and the resume point no
  // longer applies.
  void BeginSequence();

  // The read no longer continues the sequence its resume point was in (a
  // fan-out walk started its parents again).
  void DropResume() {
    resume_.reset();
    resume_at_.reset();
  }

  // Whether the sequence is ordered and its records kept so far follow the
  // order, so that a read may stop among them.
  bool Ordered() const { return order_ != CursorOrder::kNone && in_order_; }

  // Where a read stopped now resumes: the edge of this sequence, or the
  // resume point it began with when it kept nothing stamped.
  std::optional<ResumePoint> Edge() const;

  // The resume point this window began with (the sequence it continues).
  const std::optional<ResumePoint>& resume() const { return resume_; }

 private:
  bool incremental_ = false;
  CursorOrder order_ = CursorOrder::kAscending;
  std::optional<int64_t> settled_, after_, since_;
  int64_t until_ = 0;
  std::optional<ResumePoint> resume_;
  std::optional<int64_t> resume_at_;
  bool begun_ = false;
  // This sequence so far.
  std::optional<int64_t> edge_;
  std::set<std::string> edge_keys_;
  std::optional<int64_t> previous_;
  bool in_order_ = true;  // the kept records follow the declared order
};

}  // namespace lakeflow::rest
