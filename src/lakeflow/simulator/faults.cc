#include "lakeflow/simulator/faults.h"

namespace lakeflow::simulator {
namespace {

// SplitMix64: a good 64-bit mix, so nearby (seed, n) pairs look independent.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

std::string_view FaultName(Fault f) {
  switch (f) {
    case Fault::kNone:
      return "none";
    case Fault::kTooManyRequests:
      return "429";
    case Fault::kInternalError:
      return "500";
    case Fault::kServiceUnavailable:
      return "503";
    case Fault::kSlow:
      return "slow";
    case Fault::kTruncated:
      return "truncated";
  }
  return "none";
}

Fault FaultPlan::At(uint64_t n) const {
  if (rate_ <= 0) return Fault::kNone;
  uint64_t h = Mix(seed_ ^ Mix(n));
  // Top 53 bits as a uniform double in [0, 1).
  double u = static_cast<double>(h >> 11) * 0x1.0p-53;
  if (u >= rate_) return Fault::kNone;
  return static_cast<Fault>(1 + Mix(h) % kFaultKinds);
}

Fault FaultPlan::Next() {
  if (rate_ <= 0) return Fault::kNone;
  return At(counter_.fetch_add(1, std::memory_order_relaxed));
}

}  // namespace lakeflow::simulator
