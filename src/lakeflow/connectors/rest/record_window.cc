#include "lakeflow/connectors/rest/record_window.h"

#include "lakeflow/core/time_parse.h"
#include "lakeflow/http/incremental_cursor.h"

namespace lakeflow::rest {

RecordWindow::RecordWindow(CursorOrder order, std::optional<int64_t> settled,
                           std::optional<int64_t> after, std::optional<int64_t> since,
                           int64_t until, std::optional<ResumePoint> resume)
    : incremental_(true),
      order_(order),
      settled_(settled),
      after_(after),
      since_(since),
      until_(until),
      resume_(std::move(resume)) {
  if (resume_) resume_at_ = ParseTimestampMicros(resume_->at);
  if (!resume_at_) resume_.reset();
}

void RecordWindow::BeginSequence() {
  if (begun_) {
    resume_.reset();
    resume_at_.reset();
  }
  begun_ = true;
  edge_.reset();
  edge_keys_.clear();
  previous_.reset();
  in_order_ = true;
  if (resume_ && resume_at_) {
    // Continuing: the records at the resume point were delivered.
    edge_ = resume_at_;
    edge_keys_ = resume_->keys;
    previous_ = resume_at_;
  }
}

bool RecordWindow::Keep(std::optional<int64_t> micros, const std::string& identity) {
  if (!incremental_ || !micros) return true;
  int64_t m = *micros;
  if (m > until_) return false;
  if (after_ && m <= *after_) return false;
  if (since_ && m < *since_) return false;
  if (resume_at_) {
    bool beyond = resume_->descending ? m > *resume_at_ : m < *resume_at_;
    if (beyond) return false;
    if (m == *resume_at_ && resume_->keys.count(identity)) return false;
  }
  if (edge_ && m == *edge_ && edge_keys_.count(identity)) return false;  // a repeat
  if (previous_ && (order_ == CursorOrder::kDescending ? m > *previous_ : m < *previous_))
    in_order_ = false;
  previous_ = m;
  if (edge_ != m) {
    edge_ = m;
    edge_keys_.clear();
  }
  edge_keys_.insert(identity);
  return true;
}

std::optional<ResumePoint> RecordWindow::Edge() const {
  if (!edge_) return resume_;
  ResumePoint p;
  p.at = http::FormatCursor(*edge_);
  p.keys = edge_keys_;
  p.descending = order_ == CursorOrder::kDescending;
  return p;
}

}  // namespace lakeflow::rest
