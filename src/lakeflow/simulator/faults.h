// Fault injection: which requests fail, and how, decided from a seed.
//
// The n-th faultable request's fate is a pure function of (seed, n), so a
// test run replays the same faults in the same order.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

namespace lakeflow::simulator {

enum class Fault {
  kNone,
  kTooManyRequests,     // 429 with Retry-After: 1
  kInternalError,       // 500
  kServiceUnavailable,  // 503
  kSlow,                // the normal response, 200 ms late
  kTruncated,           // full Content-Length declared, half the body sent, then close
};
inline constexpr int kFaultKinds = 5;

std::string_view FaultName(Fault f);

class FaultPlan {
 public:
  FaultPlan(double rate, uint64_t seed) : rate_(rate), seed_(seed) {}

  // The fate of the next request; thread-safe.
  Fault Next();
  // The fate of request number n (from 0), without consuming it.
  Fault At(uint64_t n) const;

 private:
  double rate_;
  uint64_t seed_;
  std::atomic<uint64_t> counter_{0};
};

}  // namespace lakeflow::simulator
