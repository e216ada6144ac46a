#include "lakeflow/http/retry_policy.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstring>

#include "lakeflow/core/time_parse.h"

namespace lakeflow::http {

namespace {

std::optional<int64_t> ParseInt(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

bool RateLimitSpent(const HttpResponse& r) {
  auto remaining = r.Header("X-RateLimit-Remaining");
  return remaining && ParseInt(*remaining) == 0;
}

}  // namespace

bool IsRetryable(const HttpResponse* response) {
  if (!response) return true;
  switch (response->status) {
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return true;
    case 403:
      return RateLimitSpent(*response);
    default:
      return false;
  }
}

std::optional<int64_t> ParseHttpDate(std::string_view text) {
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (text.size() < 29 || text[3] != ',') return std::nullopt;
  auto day = ParseInt(text.substr(5, 2));
  auto year = ParseInt(text.substr(12, 4));
  auto hh = ParseInt(text.substr(17, 2));
  auto mm = ParseInt(text.substr(20, 2));
  auto ss = ParseInt(text.substr(23, 2));
  int month = 0;
  for (int i = 0; i < 12; ++i) {
    if (text.substr(8, 3) == kMonths[i]) month = i + 1;
  }
  if (!day || !year || !hh || !mm || !ss || month == 0) return std::nullopt;
  return DaysFromCivil(*year, month, static_cast<unsigned>(*day)) * 86400 + *hh * 3600 + *mm * 60 +
         *ss;
}

namespace {

// A wait in seconds as milliseconds, clamped to [0, a year]: a server may ask
// for any number, and a wait past the retry deadline gives up anyway.
Millis ClampedSeconds(int64_t seconds) {
  constexpr int64_t kYear = int64_t{366} * 86400;
  return Millis(std::clamp<int64_t>(seconds, 0, kYear) * 1000);
}

// `at` - `now` in seconds, without overflow whatever a header said.
int64_t SecondsUntil(int64_t at, int64_t now) {
  int64_t out = 0;
  return __builtin_sub_overflow(at, now, &out) ? (at < now ? 0 : INT64_MAX) : out;
}

}  // namespace

std::optional<Millis> ServerRequestedDelay(const HttpResponse& response,
                                           std::chrono::system_clock::time_point now) {
  int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (auto retry_after = response.Header("Retry-After")) {
    if (auto seconds = ParseInt(*retry_after)) return ClampedSeconds(*seconds);
    if (auto at = ParseHttpDate(*retry_after)) return ClampedSeconds(SecondsUntil(*at, now_s));
  }
  if (RateLimitSpent(response)) {
    if (auto reset = response.Header("X-RateLimit-Reset")) {
      if (auto at = ParseInt(*reset))
        return ClampedSeconds(SecondsUntil(*at, now_s)) + Millis(1000);
    }
  }
  return std::nullopt;
}

Millis BackoffDelay(const RetryPolicy& policy, int attempt, std::mt19937_64* rng) {
  double base =
      static_cast<double>(policy.base_delay.count()) * std::pow(2.0, std::max(0, attempt - 1));
  base = std::min(base, static_cast<double>(policy.max_backoff.count()));
  std::uniform_real_distribution<double> spread(1.0 - policy.jitter, 1.0 + policy.jitter);
  return Millis(static_cast<int64_t>(base * spread(*rng)));
}

}  // namespace lakeflow::http
