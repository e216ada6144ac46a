#include "lakeflow/http/incremental_cursor.h"

#include <gtest/gtest.h>

#include "lakeflow/core/time_parse.h"

namespace lakeflow::http {
namespace {

std::chrono::system_clock::time_point At(const char* iso) {
  return std::chrono::system_clock::time_point(
      std::chrono::microseconds(*ParseTimestampMicros(iso)));
}

IncrementalCursor Make(const Offset& start, CursorSettings settings,
                       const char* now = "2024-06-01T00:00:00Z") {
  auto c = IncrementalCursor::Make(start, settings, At(now));
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(c).value();
}

Offset Cursor(const char* iso) {
  return Offset(Json{{"cursor", iso}});
}

TEST(IncrementalCursor, FirstReadStartsAtStartDateOrTheBeginning) {
  auto none = Make(Offset(Json::object()), {});
  EXPECT_FALSE(none.Since().has_value());
  EXPECT_EQ(none.End(), Offset(Json::object()));  // an empty source: caught up at once
  EXPECT_EQ(Make(Offset(), {}).End(), Offset());  // a batch read of nothing ends
  EXPECT_EQ(none.Until(), "2024-06-01T00:00:00Z");
  CursorSettings s;
  s.start_micros = ParseTimestampMicros("2024-01-01");
  EXPECT_EQ(Make(Offset(Json::object()), s).Since(), "2024-01-01T00:00:00Z");
}

TEST(IncrementalCursor, LookbackRereadsButNeverMovesBack) {
  CursorSettings s;
  s.lookback_seconds = 300;
  auto c = Make(Cursor("2024-05-01T10:00:00Z"), s);
  EXPECT_EQ(c.Since(), "2024-05-01T09:55:00Z");
  c.Observe("2024-05-01T09:58:00Z");                   // re-read through the lookback
  EXPECT_EQ(c.End(), Cursor("2024-05-01T10:00:00Z"));  // caught up: the start itself
  c.Observe("2024-05-01T10:30:00Z");
  EXPECT_EQ(c.End(), Cursor("2024-05-01T10:30:00Z"));
}

TEST(IncrementalCursor, NeverPassesTheReadStart) {
  auto c = Make(Cursor("2024-05-01T00:00:00Z"), {}, "2024-05-02T00:00:00Z");
  EXPECT_TRUE(c.Admits("2024-05-01T23:59:59Z"));
  EXPECT_FALSE(c.Admits("2024-05-02T00:00:01Z"));
  c.Observe("2024-05-01T12:00:00Z");
  c.Observe("2030-01-01T00:00:00Z");  // a record from the future is left for later
  EXPECT_EQ(c.End(), Cursor("2024-05-01T12:00:00Z"));
}

TEST(IncrementalCursor, WindowsWalkEmptyHistory) {
  CursorSettings s;
  s.window_seconds = 86400;
  auto c = Make(Cursor("2024-01-01T00:00:00Z"), s);
  EXPECT_EQ(c.Until(), "2024-01-02T00:00:00Z");
  EXPECT_EQ(c.End(), Cursor("2024-01-02T00:00:00Z"));  // nothing in the window: move past it
  auto last = Make(Cursor("2024-05-31T12:00:00Z"), s);
  EXPECT_EQ(last.Until(), "2024-06-01T00:00:00Z");  // capped at the read start
  // A window past the read's start does not move the cursor to it: nothing
  // seen, nothing new, so a stream that has caught up stops.
  EXPECT_EQ(last.End(), Cursor("2024-05-31T12:00:00Z"));
  last.Observe("2024-05-31T18:00:00Z");
  EXPECT_EQ(last.End(), Cursor("2024-05-31T18:00:00Z"));
}

TEST(IncrementalCursor, KeepsOtherOffsetKeysAndRejectsBadInput) {
  auto c = Make(Offset(Json{{"cursor", "2024-01-01T00:00:00Z"}, {"page", 3}}), {});
  c.Observe("2024-02-01T00:00:00Z");
  EXPECT_EQ(c.End(), Offset(Json{{"cursor", "2024-02-01T00:00:00Z"}, {"page", 3}}));
  auto bad = IncrementalCursor::Make(Cursor("yesterday"), {}, At("2024-06-01T00:00:00Z"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'cursor' must be an ISO 8601 timestamp"),
            std::string::npos);
  auto settings = CursorSettingsFromOptions(Options{{"start_date", "last week"}});
  ASSERT_FALSE(settings.ok());
  EXPECT_NE(settings.status().message().find("option 'start_date'"), std::string::npos);
  auto negative = CursorSettingsFromOptions(Options{{"lookback_seconds", "-5"}});
  ASSERT_FALSE(negative.ok());
  auto good =
      CursorSettingsFromOptions(Options{{"start_date", "2024-01-01"}, {"lookback_seconds", "60"}});
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->lookback_seconds, 60);
}

}  // namespace
}  // namespace lakeflow::http
