// When and how long to wait before trying an HTTP request again.
//
// Retried: 429, 500, 502, 503, 504, a 403 that says the rate limit is spent
// (X-RateLimit-Remaining: 0, as GitHub answers), and connection failures.
// The wait is what the server asked for when it said (Retry-After in seconds
// or as an HTTP date; X-RateLimit-Reset as epoch seconds), otherwise an
// exponential backoff with jitter. A request is given up when its attempts or
// its deadline run out.
#pragma once

#include <chrono>
#include <optional>
#include <random>

#include "lakeflow/http/http_types.h"

namespace lakeflow::http {

using Millis = std::chrono::milliseconds;

struct RetryPolicy {
  int max_attempts = 6;       // the first try included
  Millis base_delay{500};     // backoff: base * 2^(attempt-1), +- jitter
  Millis max_backoff{30000};  // cap on a computed backoff (not on Retry-After)
  Millis deadline{600000};    // total time a request may take, waits included
  double jitter = 0.2;        // fraction of the backoff, drawn uniformly
};

// Whether the response (or, for nullptr, a connection failure) is worth
// another try.
bool IsRetryable(const HttpResponse* response);

// The wait the server asked for, if it did: Retry-After, or the rate-limit
// reset when the remaining count is 0. `now` is the wall clock for HTTP dates
// and epoch resets.
std::optional<Millis> ServerRequestedDelay(const HttpResponse& response,
                                           std::chrono::system_clock::time_point now);

// The backoff before attempt `attempt + 1` (attempt counts from 1).
Millis BackoffDelay(const RetryPolicy& policy, int attempt, std::mt19937_64* rng);

// Parses an HTTP date ("Wed, 21 Oct 2015 07:28:00 GMT") to the epoch seconds.
std::optional<int64_t> ParseHttpDate(std::string_view text);

}  // namespace lakeflow::http
