#include "lakeflow/core/time_parse.h"

#include <gtest/gtest.h>

#include <string>

namespace lakeflow {
namespace {

constexpr int64_t kSecond = 1'000'000;

TEST(TimeParseDaysFromCivil, KnownDays) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
  EXPECT_EQ(DaysFromCivil(2024, 2, 29), 19782);
  EXPECT_EQ(DaysFromCivil(1, 1, 1), -719162);
  EXPECT_EQ(DaysFromCivil(9999, 12, 31), 2932896);
}

// Walks every day from 1600 to 2400 and checks the count never skips or
// repeats, across leap years and century rules.
TEST(TimeParseDaysFromCivil, ConsecutiveDaysAcrossCenturies) {
  auto leap = [](int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; };
  const unsigned month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int64_t expected = DaysFromCivil(1600, 1, 1);
  for (int64_t y = 1600; y < 2400; ++y) {
    for (unsigned m = 1; m <= 12; ++m) {
      unsigned n = month_days[m - 1] + (m == 2 && leap(y) ? 1 : 0);
      for (unsigned d = 1; d <= n; ++d) {
        ASSERT_EQ(DaysFromCivil(y, m, d), expected) << y << "-" << m << "-" << d;
        ++expected;
      }
    }
  }
}

TEST(TimeParseDate, AcceptsEveryDocumentedForm) {
  EXPECT_EQ(ParseDate("2024-03-05"), 19787);
  EXPECT_EQ(ParseDate("2024-3-5"), 19787);
  EXPECT_EQ(ParseDate("03/05/2024"), 19787);  // %m/%d/%Y
  EXPECT_EQ(ParseDate("05-03-2024"), 19787);  // %d-%m-%Y
  EXPECT_EQ(ParseDate("2024/03/05"), 19787);
  EXPECT_EQ(ParseDate(" 2024-03-05 "), 19787);
  EXPECT_EQ(ParseDate("1969-12-31"), -1);
}

TEST(TimeParseDate, TimestampsGiveTheirUtcDate) {
  EXPECT_EQ(ParseDate("2024-03-05T10:00:00Z"), 19787);
  // 23:30 at UTC-2 is 01:30 the next day in UTC.
  EXPECT_EQ(ParseDate("2024-03-05T23:30:00-02:00"), 19788);
  // Before the epoch the day is floored, not truncated toward zero.
  EXPECT_EQ(ParseDate("1969-12-31T23:00:00Z"), -1);
}

TEST(TimeParseDate, RejectsWhatIsNotADate) {
  for (const char* bad : {"", "abc", "2023-02-29", "2024-13-01", "2024-00-10", "2024-01-32",
                          "2024-01-01x", "13/01/2024", "2024.01.01", "24-01-01", "1700000000"}) {
    EXPECT_FALSE(ParseDate(bad).has_value()) << bad;
  }
  EXPECT_EQ(ParseDate("2024-02-29"), 19782);  // a leap day is fine
}

TEST(TimeParseTimestamp, ZonesAndSeparators) {
  const int64_t t = 1709485080 * kSecond;  // 2024-03-03T16:58:00Z
  EXPECT_EQ(ParseTimestampMicros("2024-03-03T16:58:00Z"), t);
  EXPECT_EQ(ParseTimestampMicros("2024-03-03t16:58:00z"), t);
  EXPECT_EQ(ParseTimestampMicros("2024-03-03 16:58:00"), t);  // no zone: UTC
  EXPECT_EQ(ParseTimestampMicros("2024-03-03T16:58Z"), t);
  EXPECT_EQ(ParseTimestampMicros("2024-03-03T18:58:00+02:00"), t);
  EXPECT_EQ(ParseTimestampMicros("2024-03-03T18:58:00+0200"), t);
  EXPECT_EQ(ParseTimestampMicros("2024-03-03T18:58:00+02"), t);
  EXPECT_EQ(ParseTimestampMicros("2024-03-03T11:28:00-05:30"), t);
  EXPECT_EQ(ParseTimestampMicros("2024-03-03"), 1709424000 * kSecond);
}

TEST(TimeParseTimestamp, FractionsUpToNineDigitsTruncateToMicros) {
  const int64_t base = 1704157445 * kSecond;  // 2024-01-02T01:04:05Z
  EXPECT_EQ(ParseTimestampMicros("2024-01-02T03:04:05.123456+02:00"), base + 123456);
  EXPECT_EQ(ParseTimestampMicros("2024-01-02T01:04:05.5Z"), base + 500000);
  EXPECT_EQ(ParseTimestampMicros("2024-01-02T01:04:05.123Z"), base + 123000);
  EXPECT_EQ(ParseTimestampMicros("2024-01-02T01:04:05.123456789Z"), base + 123456);
  EXPECT_EQ(ParseTimestampMicros("2024-01-02T01:04:05,25Z"), base + 250000);
  EXPECT_FALSE(ParseTimestampMicros("2024-01-02T01:04:05.1234567891Z").has_value());
  EXPECT_FALSE(ParseTimestampMicros("2024-01-02T01:04:05.Z").has_value());
}

TEST(TimeParseTimestamp, EpochSeconds) {
  EXPECT_EQ(ParseTimestampMicros("1700000000"), 1700000000 * kSecond);
  EXPECT_EQ(ParseTimestampMicros("1700000000.5"), 1700000000 * kSecond + 500000);
  EXPECT_EQ(ParseTimestampMicros("1700000000.123456"), 1700000000 * kSecond + 123456);
  EXPECT_EQ(ParseTimestampMicros("-1.5"), -1500000);
  EXPECT_EQ(ParseTimestampMicros("0"), 0);
  EXPECT_EQ(ParseTimestampMicros("1.7e9"), 1700000000 * kSecond);
  EXPECT_FALSE(ParseTimestampMicros("99999999999999999").has_value());  // overflows micros
}

TEST(TimeParseTimestamp, BeforeTheEpoch) {
  EXPECT_EQ(ParseTimestampMicros("1969-12-31T23:59:59.5Z"), -500000);
  EXPECT_EQ(ParseTimestampMicros("0001-01-01T00:00:00Z"), int64_t{-719162} * 86400 * kSecond);
}

TEST(TimeParseTimestamp, RejectsMalformedInput) {
  for (const char* bad : {"", "abc", "2024-03-03T", "2024-03-03T24:00:00Z", "2024-03-03T10:60:00Z",
                          "2024-03-03T10:00:60Z", "2024-03-03T10:00:00+",
                          "2024-03-03T10:00:00+2400", "2024-03-03T10:00:00+02:0",
                          "2024-03-03T10:00:00 Z", "2024-03-03X10:00:00", "2024-02-30T00:00:00Z",
                          "2024-03-03T10:00:00Zjunk", "1700000000x", ".", "-", "+-1", "1e400"}) {
    EXPECT_FALSE(ParseTimestampMicros(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace lakeflow
