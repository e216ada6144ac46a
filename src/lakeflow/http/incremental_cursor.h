// The cursor of an incremental (cdc or append) REST read, and the offsets it
// turns into.
//
// A read asks the API for records changed since the cursor, minus a lookback
// window: APIs index late, so a record committed just before the last read may
// only become visible after it. Re-reading the lookback is safe because
// upserts keyed by primary key are idempotent.
//
// The cursor never moves past the moment the read started (`now`): a record
// stamped later is left for the next read. Without that cap, a source that
// changes while it is read would keep an available-now stream running forever.
//
// With a window, each read covers at most [since, since + window): sources
// that need an explicit `until`, or whose deep pages are slow, are walked in
// slices. The end offset then moves to the window's end even when it held
// nothing, so empty stretches of history are crossed; a window that reaches
// past the read's start is bounded by it and moves only to what was seen, so
// a caught-up stream stops.
//
// Offsets: {"cursor": "2024-01-02T03:04:05Z"} (ISO 8601, UTC).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "lakeflow/core/offset.h"
#include "lakeflow/core/options.h"

namespace lakeflow::http {

struct CursorSettings {
  std::optional<int64_t>
      start_micros;  // start_date: where a first read begins (none: the beginning)
  int64_t lookback_seconds = 0;
  int64_t window_seconds = 0;  // 0: no window, read up to now
};

// Reads start_date (ISO 8601), lookback_seconds and window_seconds. Errors
// name the option.
Result<CursorSettings> CursorSettingsFromOptions(const Options& options);

class IncrementalCursor {
 public:
  // `start` is the read's start offset; `now` is when the read started.
  static Result<IncrementalCursor> Make(const Offset& start, const CursorSettings& settings,
                                        std::chrono::system_clock::time_point now);

  // The lower bound to ask the API for (cursor minus lookback), if any.
  std::optional<std::string> Since() const;
  // The upper bound: the window's end or the read's start time.
  std::string Until() const;

  // Whether a record stamped `cursor` belongs to this read (not after Until).
  // Unparseable stamps belong (the converter will report them).
  bool Admits(std::string_view cursor) const;
  bool AdmitsMicros(int64_t micros) const { return micros <= until_micros_; }
  // Records a record's cursor; the end offset follows the largest admitted.
  void Observe(std::string_view cursor);
  void ObserveMicros(int64_t micros);

  // The offset after this read: the largest cursor seen, or, with a window,
  // at least the window's end; the start itself when nothing moved.
  Offset End() const;

  // The largest cursor observed, if any; the upper bound, in microseconds.
  std::optional<int64_t> max_seen() const { return max_seen_; }
  int64_t until_micros() const { return until_micros_; }

 private:
  IncrementalCursor() = default;

  Offset start_;
  std::optional<int64_t> cursor_;  // from the start offset or start_date
  int64_t lookback_micros_ = 0;
  int64_t until_micros_ = 0;
  bool windowed_ = false;  // the window, not the read's start, is the upper bound
  std::optional<int64_t> max_seen_;
};

std::string FormatCursor(int64_t micros);

}  // namespace lakeflow::http
