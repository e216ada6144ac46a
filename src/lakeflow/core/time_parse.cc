// Hand-written date and timestamp parsers.
//
// Every timestamp column of every REST page goes through here, so these avoid
// std::regex, strptime and locale machinery: a cursor walks the bytes once and
// validates as it goes.
#include "lakeflow/core/time_parse.h"

#include <charconv>
#include <cmath>

#include "lakeflow/core/strings.h"

namespace lakeflow {

namespace {

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

bool ValidDate(int64_t y, unsigned m, unsigned d) {
  return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= DaysInMonth(y, m);
}

// Walks a string left to right. Every method either consumes what it
// promises and returns true, or returns false (the caller then gives up).
class Cursor {
 public:
  explicit Cursor(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}

  bool AtEnd() const { return p_ == end_; }
  char Peek() const { return AtEnd() ? '\0' : *p_; }

  bool Consume(char c) {
    if (Peek() != c) return false;
    ++p_;
    return true;
  }

  // Between min_digits and max_digits decimal digits.
  bool Digits(int min_digits, int max_digits, unsigned* out) {
    unsigned value = 0;
    int n = 0;
    while (n < max_digits && !AtEnd() && IsDigit(*p_)) {
      value = value * 10 + static_cast<unsigned>(*p_ - '0');
      ++p_;
      ++n;
    }
    *out = value;
    return n >= min_digits;
  }

  // Exactly n digits.
  bool Fixed(int n, unsigned* out) { return Digits(n, n, out) && (AtEnd() || !IsDigit(*p_)); }

 private:
  const char* p_;
  const char* end_;
};

struct Civil {
  int64_t year = 0;
  unsigned month = 0;
  unsigned day = 0;
};

// "%Y-%m-%d" with one- or two-digit month and day, as strptime reads it.
bool ParseYmd(Cursor* c, char sep, Civil* out) {
  unsigned y = 0, m = 0, d = 0;
  if (!c->Fixed(4, &y) || !c->Consume(sep) || !c->Digits(1, 2, &m) || !c->Consume(sep) ||
      !c->Digits(1, 2, &d)) {
    return false;
  }
  *out = Civil{y, m, d};
  return ValidDate(out->year, out->month, out->day);
}

// The date-only forms: %Y-%m-%d, %Y/%m/%d, %m/%d/%Y, %d-%m-%Y. The whole
// string must match.
std::optional<Civil> ParseDateOnly(std::string_view s) {
  // The position of the first separator tells the forms apart.
  size_t sep_pos = s.find_first_of("-/");
  if (sep_pos == std::string_view::npos) return std::nullopt;
  char sep = s[sep_pos];
  Cursor c(s);
  Civil date;
  if (sep_pos == 4) {
    if (!ParseYmd(&c, sep, &date) || !c.AtEnd()) return std::nullopt;
    return date;
  }
  unsigned first = 0, second = 0, year = 0;
  if (!c.Digits(1, 2, &first) || !c.Consume(sep) || !c.Digits(1, 2, &second) || !c.Consume(sep) ||
      !c.Fixed(4, &year) || !c.AtEnd()) {
    return std::nullopt;
  }
  // %m/%d/%Y (US) with slashes, %d-%m-%Y (European) with dashes.
  date = sep == '/' ? Civil{year, first, second} : Civil{year, second, first};
  if (!ValidDate(date.year, date.month, date.day)) return std::nullopt;
  return date;
}

// Fractional seconds: 1 to 9 digits, truncated to microseconds.
bool ParseFraction(Cursor* c, int64_t* micros) {
  unsigned digits = 0;
  int64_t value = 0;
  while (!c->AtEnd() && IsDigit(c->Peek())) {
    if (++digits > 9) return false;
    char ch = c->Peek();
    c->Consume(ch);
    if (digits <= 6) value = value * 10 + (ch - '0');
  }
  if (digits == 0) return false;
  for (unsigned i = digits; i < 6; ++i) value *= 10;
  *micros = value;
  return true;
}

// Z, z, +HH:MM, +HHMM, +HH (or '-'); sets the offset east of UTC in seconds.
bool ParseZone(Cursor* c, int64_t* offset_seconds) {
  *offset_seconds = 0;
  if (c->Consume('Z') || c->Consume('z')) return true;
  int sign = 0;
  if (c->Consume('+')) {
    sign = 1;
  } else if (c->Consume('-')) {
    sign = -1;
  } else {
    return false;
  }
  unsigned hh = 0, mm = 0;
  if (!c->Digits(2, 2, &hh)) return false;
  if (c->Consume(':')) {
    if (!c->Fixed(2, &mm)) return false;
  } else if (!c->AtEnd()) {
    if (!c->Fixed(2, &mm)) return false;
  }
  if (hh > 23 || mm > 59) return false;
  *offset_seconds = sign * static_cast<int64_t>(hh * 3600 + mm * 60);
  return true;
}

// Two ASCII digits at p, or -1.
int TwoDigits(const char* p) {
  unsigned hi = static_cast<unsigned>(p[0] - '0'), lo = static_cast<unsigned>(p[1] - '0');
  return hi <= 9 && lo <= 9 ? static_cast<int>(hi * 10 + lo) : -1;
}

// "YYYY-MM-DDTHH:MM:SSZ", the form nearly every API sends, read by position.
std::optional<int64_t> ParseCanonicalUtc(std::string_view s) {
  const char* p = s.data();
  if (p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' || p[16] != ':' || p[19] != 'Z') {
    return std::nullopt;
  }
  int y1 = TwoDigits(p), y2 = TwoDigits(p + 2), mo = TwoDigits(p + 5), d = TwoDigits(p + 8);
  int hh = TwoDigits(p + 11), mi = TwoDigits(p + 14), ss = TwoDigits(p + 17);
  if ((y1 | y2 | mo | d | hh | mi | ss) < 0) return std::nullopt;
  int64_t y = y1 * 100 + y2;
  if (!ValidDate(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) || hh > 23 || mi > 59 ||
      ss > 59) {
    return std::nullopt;
  }
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return (days * 86'400 + hh * 3600 + mi * 60 + ss) * kMicrosPerSecond;
}

// ISO 8601: a date, optionally followed by 'T'/'t'/' ' and HH:MM[:SS[.frac]],
// optionally followed by a zone. No zone means UTC.
std::optional<int64_t> ParseIsoMicros(std::string_view s) {
  if (s.size() == 20) {
    if (auto micros = ParseCanonicalUtc(s)) return micros;
  }
  Cursor c(s);
  Civil date;
  if (!ParseYmd(&c, '-', &date)) return std::nullopt;
  int64_t days = DaysFromCivil(date.year, date.month, date.day);
  if (c.AtEnd()) return days * kMicrosPerDay;
  if (!c.Consume('T') && !c.Consume('t') && !c.Consume(' ')) return std::nullopt;

  unsigned hh = 0, mi = 0, ss = 0;
  int64_t frac = 0;
  if (!c.Fixed(2, &hh) || !c.Consume(':') || !c.Fixed(2, &mi)) return std::nullopt;
  if (c.Consume(':')) {
    if (!c.Fixed(2, &ss)) return std::nullopt;
    if ((c.Consume('.') || c.Consume(',')) && !ParseFraction(&c, &frac)) return std::nullopt;
  }
  if (hh > 23 || mi > 59 || ss > 59) return std::nullopt;

  int64_t offset = 0;
  if (!c.AtEnd() && !ParseZone(&c, &offset)) return std::nullopt;
  if (!c.AtEnd()) return std::nullopt;
  int64_t seconds = days * 86'400 + hh * 3600 + mi * 60 + ss - offset;
  return seconds * kMicrosPerSecond + frac;
}

// Epoch seconds: [-+]digits[.digits] read exactly (no double rounding);
// anything else (an exponent, say) through from_chars.
std::optional<int64_t> ParseEpochMicros(std::string_view s) {
  // 9.2e12 seconds overflow int64 microseconds; stay inside.
  constexpr int64_t kMaxSeconds = 9'000'000'000'000;
  Cursor c(s);
  int64_t sign = 1;
  if (c.Consume('-')) {
    sign = -1;
  } else {
    c.Consume('+');
  }
  int64_t whole = 0;
  int int_digits = 0;
  while (IsDigit(c.Peek()) && int_digits < 14) {
    whole = whole * 10 + (c.Peek() - '0');
    c.Consume(c.Peek());
    ++int_digits;
  }
  int64_t frac = 0;
  bool has_frac = false;
  if (c.Consume('.') && IsDigit(c.Peek())) has_frac = ParseFraction(&c, &frac);
  if (c.AtEnd() && (int_digits > 0 || has_frac) && whole <= kMaxSeconds) {
    return sign * (whole * kMicrosPerSecond + frac);
  }
  if (s.starts_with("+-") || s.starts_with("++")) return std::nullopt;
  const char* begin = s.data() + (s.starts_with('+') ? 1 : 0);
  const char* end = s.data() + s.size();
  double value = 0;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) return std::nullopt;
  if (std::fabs(value) > static_cast<double>(kMaxSeconds)) return std::nullopt;
  return static_cast<int64_t>(std::llround(value * kMicrosPerSecond));
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

}  // namespace

bool IsLeapYear(int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  // Count in 400-year eras starting on March 1st, so the leap day is the last
  // day of a year and months have a fixed day-of-year offset.
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t year_of_era = y - era * 400;                             // [0, 399]
  const int64_t month_from_march = m > 2 ? m - 3 : m + 9;                // [0, 11]
  const int64_t day_of_year = (153 * month_from_march + 2) / 5 + d - 1;  // [0, 365]
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146'097 + day_of_era - 719'468;  // 719468: days from 0000-03-01 to 1970-01-01
}

std::optional<int32_t> ParseDate(std::string_view s) {
  s = Trim(s);
  if (auto date = ParseDateOnly(s)) {
    return static_cast<int32_t>(DaysFromCivil(date->year, date->month, date->day));
  }
  auto micros = ParseIsoMicros(s);
  if (!micros) return std::nullopt;
  return static_cast<int32_t>(FloorDiv(*micros, kMicrosPerDay));
}

std::optional<int64_t> ParseTimestampMicros(std::string_view s) {
  s = Trim(s);
  // An ISO timestamp starts with a four-digit year and a dash; anything else
  // can only be epoch seconds.
  if (s.size() >= 8 && s[4] == '-') return ParseIsoMicros(s);
  return ParseEpochMicros(s);
}

}  // namespace lakeflow
