// Parsing dates and timestamps in the forms connectors meet.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace lakeflow {

// Days since 1970-01-01 from %Y-%m-%d, %m/%d/%Y, %d-%m-%Y, %Y/%m/%d, or an ISO
// 8601 timestamp (its date part, after applying its offset). nullopt if none fits.
std::optional<int32_t> ParseDate(std::string_view s);

// Microseconds since the epoch, UTC, from ISO 8601 ("2024-01-02T03:04:05Z",
// "...05.123456+02:00", "2024-01-02 03:04:05", a date alone) or epoch seconds
// ("1700000000", "1700000000.5"). A timestamp without a zone is taken as UTC.
std::optional<int64_t> ParseTimestampMicros(std::string_view s);

// Whether a (proleptic Gregorian, astronomical) year has a 29th of February.
bool IsLeapYear(int64_t year);

// Days since the epoch for a civil date; no validation beyond arithmetic.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);

}  // namespace lakeflow
