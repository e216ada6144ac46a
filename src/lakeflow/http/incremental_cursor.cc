#include "lakeflow/http/incremental_cursor.h"

#include "lakeflow/core/arrow_json.h"
#include "lakeflow/core/time_parse.h"

namespace lakeflow::http {

namespace {

constexpr int64_t kMicrosPerSecond = 1000000;

int64_t ToMicros(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string FormatCursor(int64_t micros) {
  return FormatTimestampMicros(micros, /*utc=*/true);
}

Result<CursorSettings> CursorSettingsFromOptions(const Options& options) {
  CursorSettings settings;
  if (auto start = options.Get("start_date"); start && !start->empty()) {
    settings.start_micros = ParseTimestampMicros(*start);
    if (!settings.start_micros) {
      return Status::Invalid("option 'start_date' must be an ISO 8601 date or timestamp, got '{}'",
                             *start);
    }
  }
  LF_ASSIGN_OR_RETURN(settings.lookback_seconds, options.GetIntOr("lookback_seconds", 0));
  LF_ASSIGN_OR_RETURN(settings.window_seconds, options.GetIntOr("window_seconds", 0));
  if (settings.lookback_seconds < 0)
    return Status::Invalid("option 'lookback_seconds' must not be negative");
  if (settings.window_seconds < 0)
    return Status::Invalid("option 'window_seconds' must not be negative");
  return settings;
}

Result<IncrementalCursor> IncrementalCursor::Make(const Offset& start,
                                                  const CursorSettings& settings,
                                                  std::chrono::system_clock::time_point now) {
  IncrementalCursor c;
  c.start_ = start;
  c.cursor_ = settings.start_micros;
  if (start && start->contains("cursor")) {
    const Json& value = (*start)["cursor"];
    auto micros = value.is_string() ? ParseTimestampMicros(value.get<std::string>()) : std::nullopt;
    if (!micros)
      return Status::Invalid("offset {}: 'cursor' must be an ISO 8601 timestamp", start->dump());
    c.cursor_ = micros;
  }
  c.lookback_micros_ = settings.lookback_seconds * kMicrosPerSecond;
  c.until_micros_ = ToMicros(now);
  if (settings.window_seconds > 0 && c.cursor_) {
    // Only a window that ends before now bounds the read; one that reaches
    // past now leaves the read's start as the bound, as without a window.
    int64_t window_end = *c.cursor_ + settings.window_seconds * kMicrosPerSecond;
    c.windowed_ = window_end < c.until_micros_;
    c.until_micros_ = std::min(c.until_micros_, window_end);
  }
  return c;
}

std::optional<std::string> IncrementalCursor::Since() const {
  if (!cursor_) return std::nullopt;
  return FormatCursor(*cursor_ - lookback_micros_);
}

std::string IncrementalCursor::Until() const {
  return FormatCursor(until_micros_);
}

bool IncrementalCursor::Admits(std::string_view cursor) const {
  auto micros = ParseTimestampMicros(cursor);
  return !micros || AdmitsMicros(*micros);
}

void IncrementalCursor::Observe(std::string_view cursor) {
  if (auto micros = ParseTimestampMicros(cursor)) ObserveMicros(*micros);
}

void IncrementalCursor::ObserveMicros(int64_t micros) {
  if (micros > until_micros_) return;
  if (!max_seen_ || micros > *max_seen_) max_seen_ = micros;
}

Offset IncrementalCursor::End() const {
  std::optional<int64_t> end = max_seen_;
  if (windowed_) end = std::max(end.value_or(until_micros_), until_micros_);
  // Never move backwards: records re-read through the lookback are older.
  if (end && cursor_ && *end <= *cursor_ && !windowed_) end.reset();
  if (!end) return start_;  // nothing new (a batch read: nothing at all)
  Json out = start_ && start_->is_object() ? *start_ : Json::object();
  out["cursor"] = FormatCursor(*end);
  return Offset(std::move(out));
}

}  // namespace lakeflow::http
