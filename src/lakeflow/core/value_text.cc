#include "lakeflow/core/value_text.h"

#include <array>
#include <charconv>
#include <cmath>

namespace lakeflow {
namespace {

// Drops a leading '+' (from_chars takes only '-'); "+-1" stays invalid.
std::string_view WithoutPlus(std::string_view s) {
  if (s.size() >= 2 && s[0] == '+' && s[1] != '-' && s[1] != '+') s.remove_prefix(1);
  return s;
}

// `lower` is lower case already.
bool EqualsLowered(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

constexpr std::array<int8_t, 256> MakeBase64Table() {
  std::array<int8_t, 256> table{};
  for (auto& v : table) v = -1;
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<int8_t>(i);
  }
  return table;
}
constexpr std::array<int8_t, 256> kBase64 = MakeBase64Table();

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool IsJsonSpace(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

std::string_view TrimJsonSpace(std::string_view s) {
  while (!s.empty() && IsJsonSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsJsonSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool DoubleToInt64(double d, int64_t* out) {
  // 2^63 is exactly representable; [-2^63, 2^63) fits.
  constexpr double kLimit = 9223372036854775808.0;
  if (!std::isfinite(d) || d != std::trunc(d) || d < -kLimit || d >= kLimit) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

bool ParseDoubleText(std::string_view s, double* out) {
  s = WithoutPlus(TrimJsonSpace(s));
  if (s.empty()) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

bool ParseIntText(std::string_view s, int64_t* out) {
  s = TrimJsonSpace(s);
  std::string_view digits = WithoutPlus(s);
  if (digits.empty()) return false;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), *out);
  if (ec == std::errc() && ptr == digits.data() + digits.size()) return true;
  if (ec == std::errc::result_out_of_range) return false;
  double d = 0;
  return ParseDoubleText(s, &d) && DoubleToInt64(d, out);
}

bool ParseBoolText(std::string_view s, bool* out) {
  s = TrimJsonSpace(s);
  for (std::string_view word : {"true", "t", "yes", "y", "1"}) {
    if (!EqualsLowered(s, word)) continue;
    *out = true;
    return true;
  }
  for (std::string_view word : {"false", "f", "no", "n", "0"}) {
    if (!EqualsLowered(s, word)) continue;
    *out = false;
    return true;
  }
  return false;
}

bool ParseDecimalText(std::string_view s, int32_t precision, int32_t scale,
                      arrow::Decimal128* out) {
  arrow::Decimal128 value;
  int32_t digits = 0, places = 0;
  if (!arrow::Decimal128::FromString(WithoutPlus(TrimJsonSpace(s)), &value, &digits, &places).ok())
    return false;
  if (places < scale) {
    // Too many digits before the point for the column.
    if (digits - places > precision - scale) return false;
    value = value.IncreaseScaleBy(scale - places);
  } else if (places > scale) {
    // More than 38 digits dropped leaves nothing: every digit is below half a unit.
    value = places - scale > 38 ? arrow::Decimal128(0) : value.ReduceScaleBy(places - scale, true);
  }
  if (!value.FitsInPrecision(precision)) return false;
  *out = value;
  return true;
}

bool EpochSecondsToMicros(int64_t seconds, int64_t* out) {
  if (seconds > kMaxEpochSeconds || seconds < -kMaxEpochSeconds) return false;
  *out = seconds * kMicrosPerSecond;
  return true;
}

bool EpochSecondsToMicros(double seconds, int64_t* out) {
  if (!(std::fabs(seconds) <= static_cast<double>(kMaxEpochSeconds))) return false;
  *out = std::llround(seconds * kMicrosPerSecond);
  return true;
}

bool DecodeBase64(std::string_view s, std::string* out) {
  if (s.size() % 4 != 0) return false;
  size_t pad = 0;
  if (!s.empty() && s.back() == '=') pad = s[s.size() - 2] == '=' ? 2 : 1;
  out->clear();
  out->reserve(s.size() / 4 * 3);
  for (size_t i = 0; i < s.size(); i += 4) {
    const bool last = i + 4 == s.size();
    const size_t data_chars = last ? 4 - pad : 4;
    uint32_t n = 0;
    for (size_t j = 0; j < 4; ++j) {
      int v = j < data_chars ? kBase64[static_cast<unsigned char>(s[i + j])] : 0;
      if (v < 0) return false;
      n = n << 6 | static_cast<uint32_t>(v);
    }
    out->push_back(static_cast<char>(n >> 16));
    if (data_chars > 2) out->push_back(static_cast<char>(n >> 8 & 0xFF));
    if (data_chars > 3) out->push_back(static_cast<char>(n & 0xFF));
  }
  return true;
}

bool DecodeHex(std::string_view s, std::string* out) {
  if (s.size() % 2 != 0) return false;
  out->clear();
  out->reserve(s.size() / 2);
  for (size_t i = 0; i < s.size(); i += 2) {
    int hi = HexValue(s[i]), lo = HexValue(s[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi << 4 | lo));
  }
  return true;
}

std::string_view BinaryFromText(std::string_view s, std::string* scratch) {
  if (DecodeBase64(s, scratch) || DecodeHex(s, scratch)) return *scratch;
  return s;
}

}  // namespace lakeflow
