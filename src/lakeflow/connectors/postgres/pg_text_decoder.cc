#include "lakeflow/connectors/postgres/pg_text_decoder.h"

#include <arrow/builder.h>
#include <arrow/util/decimal.h>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>

#include "lakeflow/connectors/postgres/pg_batch_builders.h"
#include "lakeflow/core/conversion_error.h"
#include "lakeflow/core/strings.h"
#include "lakeflow/core/time_parse.h"
#include "lakeflow/core/value_text.h"

namespace lakeflow::postgres {
namespace {

constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

// What array_in skips around elements is isspace in the C locale: IsSpace.
std::string_view SkipSpace(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  return s;
}

std::string_view TrimTrailingSpace(std::string_view s) {
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Consumes `c` at the front of `*s`.
bool Take(std::string_view* s, char c) {
  if (s->empty() || s->front() != c) return false;
  s->remove_prefix(1);
  return true;
}

// Consumes `min_digits` to `max_digits` (at most 18) decimal digits at the
// front of `*s`.
bool TakeNumber(std::string_view* s, size_t min_digits, size_t max_digits, int64_t* out) {
  size_t n = 0;
  int64_t value = 0;
  while (n < max_digits && n < s->size() && IsDigit((*s)[n]))
    value = value * 10 + ((*s)[n++] - '0');
  if (n < min_digits) return false;
  s->remove_prefix(n);
  *out = value;
  return true;
}

// All of `text` as a T; from_chars takes no spaces and no '+', and neither
// does PostgreSQL write them.
template <typename T>
bool ParseWhole(std::string_view text, T* out) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

bool IsInfinity(std::string_view text) {
  return text == "infinity" || text == "-infinity";
}

// In astronomical years, where 1 BC is year 0 (a leap year).
bool ValidDate(int64_t year, int64_t month, int64_t day) {
  static constexpr int64_t kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= (month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1]);
}

// " 03:04:05", then up to six digits of a second: ".5" is 500000 µs.
bool TakeTimeOfDay(std::string_view* s, int64_t* micros) {
  int64_t hour = 0, minute = 0, second = 0, fraction = 0;
  if (!Take(s, ' ') || !TakeNumber(s, 2, 2, &hour) || !Take(s, ':') ||
      !TakeNumber(s, 2, 2, &minute) || !Take(s, ':') || !TakeNumber(s, 2, 2, &second))
    return false;
  if (Take(s, '.')) {
    const size_t before = s->size();
    if (!TakeNumber(s, 1, 6, &fraction)) return false;
    for (size_t digits = before - s->size(); digits < 6; ++digits) fraction *= 10;
  }
  if (hour > 23 || minute > 59 || second > 59) return false;
  *micros = ((hour * 60 + minute) * 60 + second) * kMicrosPerSecond + fraction;
  return true;
}

// "+05:30": the offset east of UTC, with minutes and seconds only when not zero.
bool TakeOffset(std::string_view* s, int64_t* micros) {
  int64_t sign = 1;
  if (Take(s, '-')) {
    sign = -1;
  } else if (!Take(s, '+')) {
    return false;
  }
  int64_t hour = 0, minute = 0, second = 0;
  if (!TakeNumber(s, 2, 2, &hour)) return false;
  if (Take(s, ':')) {
    if (!TakeNumber(s, 2, 2, &minute)) return false;
    if (Take(s, ':') && !TakeNumber(s, 2, 2, &second)) return false;
  }
  if (hour > 23 || minute > 59 || second > 59) return false;
  *micros = sign * ((hour * 60 + minute) * 60 + second) * kMicrosPerSecond;
  return true;
}

enum class TimeForm { kDate, kTimestamp, kTimestampTz };

// A day, and for timestamps the microseconds from its midnight in UTC (the
// time of day less the zone's offset, so possibly negative or past a day).
struct DateTime {
  int64_t days = 0;  // since 1970-01-01
  int64_t micros = 0;
};

// PostgreSQL's ISO output: "2024-01-02", then for timestamps " 03:04:05.5",
// then for timestamptz an offset "+00", then " BC" before year 1. Years have
// four digits or more (up to seven: the last date is in 5874897).
bool ParseDateTime(std::string_view s, TimeForm form, DateTime* out) {
  int64_t year = 0, month = 0, day = 0;
  if (!TakeNumber(&s, 4, 7, &year) || !Take(&s, '-') || !TakeNumber(&s, 2, 2, &month) ||
      !Take(&s, '-') || !TakeNumber(&s, 2, 2, &day))
    return false;
  int64_t micros = 0, offset = 0;
  if (form != TimeForm::kDate && !TakeTimeOfDay(&s, &micros)) return false;
  if (form == TimeForm::kTimestampTz && !TakeOffset(&s, &offset)) return false;
  const bool bc = s == " BC";
  if ((!bc && !s.empty()) || year == 0) return false;
  if (bc) year = 1 - year;
  if (!ValidDate(year, month, day)) return false;
  out->days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  out->micros = micros - offset;
  return true;
}

// Microseconds since 1970-01-01 UTC; false beyond int64, where PostgreSQL's
// last years (up to 294276) go.
bool EpochMicros(const DateTime& t, int64_t* out) {
  return !__builtin_mul_overflow(t.days, kMicrosPerDay, out) &&
         !__builtin_add_overflow(*out, t.micros, out);
}

// Appends one column's values from their text form.
class ColumnDecoder {
 public:
  // `declared` names the type in errors: "integer", "numeric(10,2)".
  ColumnDecoder(arrow::ArrayBuilder* builder, std::string declared)
      : base_(builder), declared_(std::move(declared)) {}
  virtual ~ColumnDecoder() = default;
  virtual Status Append(std::string_view text) = 0;
  Status AppendNull() { return FromArrow(base_->AppendNull()); }

 protected:
  // The error for text that is no value of the type.
  Status CannotRead(std::string_view text) const {
    return Status::Conversion("cannot read '{}' as {}", ClipValue(text), declared_);
  }

 private:
  arrow::ArrayBuilder* base_;
  std::string declared_;
};

class BoolDecoder final : public ColumnDecoder {
 public:
  BoolDecoder(arrow::ArrayBuilder* b, std::string declared)
      : ColumnDecoder(b, std::move(declared)), builder_(static_cast<arrow::BooleanBuilder*>(b)) {}
  Status Append(std::string_view text) override {
    if (text != "t" && text != "f") return CannotRead(text);
    return FromArrow(builder_->Append(text == "t"));
  }

 private:
  arrow::BooleanBuilder* builder_;
};

// Integers and floats; from_chars checks the range of the column's width, and
// reads floats ("1e+30", "NaN", "-Infinity") to the nearest value, which with
// extra_float_digits=3 is the very value stored.
template <typename ArrowType>
class NumberDecoder final : public ColumnDecoder {
  using CType = typename ArrowType::c_type;

 public:
  NumberDecoder(arrow::ArrayBuilder* b, std::string declared)
      : ColumnDecoder(b, std::move(declared)),
        builder_(static_cast<arrow::NumericBuilder<ArrowType>*>(b)) {}
  Status Append(std::string_view text) override {
    CType value{};
    if (!ParseWhole(text, &value)) return CannotRead(text);
    return FromArrow(builder_->Append(value));
  }

 private:
  arrow::NumericBuilder<ArrowType>* builder_;
};

class NumericDecoder final : public ColumnDecoder {
 public:
  NumericDecoder(arrow::ArrayBuilder* b, std::string declared, int32_t precision, int32_t scale)
      : ColumnDecoder(b, std::move(declared)),
        builder_(static_cast<arrow::Decimal128Builder*>(b)),
        precision_(precision),
        scale_(scale) {}

  Status Append(std::string_view text) override {
    // The words PostgreSQL writes for the special values; ParseDecimalText
    // would call them unreadable, where they are values Spark lacks.
    if (text == "NaN" || text == "Infinity" || text == "-Infinity")
      return Status::Conversion("{} has no value in decimal({},{})",
                                text == "NaN" ? "NaN" : "an infinite numeric", precision_, scale_);
    arrow::Decimal128 value;
    if (!ParseDecimalText(text, precision_, scale_, &value)) return CannotRead(text);
    return FromArrow(builder_->Append(value));
  }

 private:
  arrow::Decimal128Builder* builder_;
  int32_t precision_;
  int32_t scale_;
};

// text and everything that lands as its text: jsonb (whose text form has no
// version byte), uuid (written 8-4-4-4-12 in lower case, as the copy decoder
// writes it), and the ::text casts.
class TextDecoder final : public ColumnDecoder {
 public:
  TextDecoder(arrow::ArrayBuilder* b, std::string declared)
      : ColumnDecoder(b, std::move(declared)), builder_(static_cast<arrow::StringBuilder*>(b)) {}
  Status Append(std::string_view text) override { return FromArrow(builder_->Append(text)); }

 private:
  arrow::StringBuilder* builder_;
};

// bytea_output=hex: "\x" and two hex digits a byte.
class ByteaDecoder final : public ColumnDecoder {
 public:
  ByteaDecoder(arrow::ArrayBuilder* b, std::string declared)
      : ColumnDecoder(b, std::move(declared)), builder_(static_cast<arrow::BinaryBuilder*>(b)) {}
  Status Append(std::string_view text) override {
    if (!text.starts_with("\\x") || !DecodeHex(text.substr(2), &bytes_)) return CannotRead(text);
    return FromArrow(builder_->Append(bytes_));
  }

 private:
  arrow::BinaryBuilder* builder_;
  std::string bytes_;  // reused: one value's bytes
};

class DateDecoder final : public ColumnDecoder {
 public:
  DateDecoder(arrow::ArrayBuilder* b, std::string declared)
      : ColumnDecoder(b, std::move(declared)), builder_(static_cast<arrow::Date32Builder*>(b)) {}
  Status Append(std::string_view text) override {
    if (IsInfinity(text)) return Status::Conversion("the date '{}' has no value in Spark", text);
    DateTime date;
    if (!ParseDateTime(text, TimeForm::kDate, &date)) return CannotRead(text);
    if (date.days < std::numeric_limits<int32_t>::min() ||
        date.days > std::numeric_limits<int32_t>::max())
      return Status::Conversion("the date '{}' has no value in Spark", ClipValue(text));
    return FromArrow(builder_->Append(static_cast<int32_t>(date.days)));
  }

 private:
  arrow::Date32Builder* builder_;
};

// timestamp and timestamptz: both microseconds since 1970, the one as written,
// the other in UTC after its offset.
class TimestampDecoder final : public ColumnDecoder {
 public:
  TimestampDecoder(arrow::ArrayBuilder* b, std::string declared, TimeForm form)
      : ColumnDecoder(b, std::move(declared)),
        builder_(static_cast<arrow::TimestampBuilder*>(b)),
        form_(form) {}
  Status Append(std::string_view text) override {
    if (IsInfinity(text))
      return Status::Conversion("the timestamp '{}' has no value in Spark", text);
    DateTime time;
    int64_t micros = 0;
    if (!ParseDateTime(text, form_, &time)) return CannotRead(text);
    if (!EpochMicros(time, &micros))
      return Status::Conversion("the timestamp '{}' has no value in Spark", ClipValue(text));
    return FromArrow(builder_->Append(micros));
  }

 private:
  arrow::TimestampBuilder* builder_;
  TimeForm form_;
};

// Bounds before the braces, "[0:2]=" (or "[1:2][1:3]=" for two dimensions),
// written when they do not start at 1. A list keeps only the elements.
bool SkipBounds(std::string_view* s) {
  if (s->empty() || s->front() != '[') return true;
  const size_t equals = s->find('=');
  if (equals == std::string_view::npos ||
      s->substr(0, equals).find_first_not_of("[]:-0123456789") != std::string_view::npos)
    return false;
  s->remove_prefix(equals + 1);
  return true;
}

bool IsNullWord(std::string_view s) {
  if (s.size() != 4) return false;
  for (size_t i = 0; i < 4; ++i) {
    if ((s[i] | 0x20) != "null"[i]) return false;
  }
  return true;
}

// array_out's form: '{', the elements separated by ',', '}'. An element that
// is empty, holds spaces or any of {}",\ or is the word NULL is double-quoted,
// with '"' and '\' escaped by a backslash; any other is bare, and a bare NULL
// (in any case) is a null. Elements are read with the element type's decoder.
class ArrayDecoder final : public ColumnDecoder {
 public:
  ArrayDecoder(arrow::ArrayBuilder* b, std::string declared, std::unique_ptr<ColumnDecoder> element)
      : ColumnDecoder(b, std::move(declared)),
        builder_(static_cast<arrow::ListBuilder*>(b)),
        element_(std::move(element)) {}

  Status Append(std::string_view text) override {
    std::string_view rest = SkipSpace(text);
    if (!SkipBounds(&rest) || !Take(&rest, '{')) return CannotRead(text);
    LF_RETURN_IF_ERROR(FromArrow(builder_->Append()));
    if (!rest.empty() && rest.front() == '{') {
      const size_t inner = std::min(rest.find_first_not_of('{'), rest.size());
      return Status::Conversion("an array of {} dimensions (only one-dimensional arrays are read)",
                                inner + 1);
    }
    rest = SkipSpace(rest);
    if (Take(&rest, '}')) return SkipSpace(rest).empty() ? Status::OK() : CannotRead(text);
    for (size_t i = 0;; ++i) {
      std::optional<std::string_view> element;
      if (!TakeElement(&rest, &element)) return CannotRead(text);
      Status status = element ? element_->Append(*element) : element_->AppendNull();
      if (!status.ok()) return status.WithContext(fmt::format("[{}]", i));
      if (Take(&rest, '}')) return SkipSpace(rest).empty() ? Status::OK() : CannotRead(text);
      if (!Take(&rest, ',')) return CannotRead(text);
    }
  }

 private:
  // Consumes one element and the spaces around it; `*element` is nullopt for
  // a NULL, else the text, in `*rest` or (when it had escapes) in scratch_.
  bool TakeElement(std::string_view* rest, std::optional<std::string_view>* element) {
    *rest = SkipSpace(*rest);
    if (Take(rest, '"')) {
      std::string_view quoted;
      if (!TakeQuoted(rest, &quoted)) return false;
      *rest = SkipSpace(*rest);
      *element = quoted;
      return true;
    }
    const size_t end = rest->find_first_of(",}{\"\\");
    if (end == std::string_view::npos || ((*rest)[end] != ',' && (*rest)[end] != '}')) return false;
    std::string_view bare = TrimTrailingSpace(rest->substr(0, end));
    rest->remove_prefix(end);
    if (bare.empty()) return false;
    *element = IsNullWord(bare) ? std::nullopt : std::optional<std::string_view>(bare);
    return true;
  }

  // After an opening quote: the text up to the closing one, with escapes
  // undone. Most elements have none and are used where they lie.
  bool TakeQuoted(std::string_view* rest, std::string_view* out) {
    size_t at = rest->find_first_of("\"\\");
    if (at == std::string_view::npos) return false;
    if ((*rest)[at] == '"') {
      *out = rest->substr(0, at);
      rest->remove_prefix(at + 1);
      return true;
    }
    scratch_.assign(rest->substr(0, at));
    for (; at < rest->size(); ++at) {
      char c = (*rest)[at];
      if (c == '"') {
        *out = scratch_;
        rest->remove_prefix(at + 1);
        return true;
      }
      if (c == '\\') {
        if (++at == rest->size()) return false;
        c = (*rest)[at];
      }
      scratch_ += c;
    }
    return false;
  }

  arrow::ListBuilder* builder_;
  std::unique_ptr<ColumnDecoder> element_;
  std::string scratch_;  // reused: an element with escapes, unescaped
};

// format_type() names an array type by its element's name and "[]".
std::string ElementDeclared(const std::string& declared) {
  std::string_view name = declared;
  if (name.ends_with("[]")) name.remove_suffix(2);
  return std::string(name);
}

std::unique_ptr<ColumnDecoder> MakeDecoder(PgKind kind, const PgColumn& column,
                                           std::string declared, arrow::ArrayBuilder* builder) {
  switch (kind) {
    case PgKind::kBool:
      return std::make_unique<BoolDecoder>(builder, std::move(declared));
    case PgKind::kInt2:
      return std::make_unique<NumberDecoder<arrow::Int16Type>>(builder, std::move(declared));
    case PgKind::kInt4:
      return std::make_unique<NumberDecoder<arrow::Int32Type>>(builder, std::move(declared));
    case PgKind::kInt8:
      return std::make_unique<NumberDecoder<arrow::Int64Type>>(builder, std::move(declared));
    case PgKind::kFloat4:
      return std::make_unique<NumberDecoder<arrow::FloatType>>(builder, std::move(declared));
    case PgKind::kFloat8:
      return std::make_unique<NumberDecoder<arrow::DoubleType>>(builder, std::move(declared));
    case PgKind::kNumeric:
      return std::make_unique<NumericDecoder>(builder, std::move(declared), column.precision,
                                              column.scale);
    case PgKind::kText:
    case PgKind::kJsonb:
    case PgKind::kUuid:
      return std::make_unique<TextDecoder>(builder, std::move(declared));
    case PgKind::kBytea:
      return std::make_unique<ByteaDecoder>(builder, std::move(declared));
    case PgKind::kDate:
      return std::make_unique<DateDecoder>(builder, std::move(declared));
    case PgKind::kTimestamp:
      return std::make_unique<TimestampDecoder>(builder, std::move(declared), TimeForm::kTimestamp);
    case PgKind::kTimestampTz:
      return std::make_unique<TimestampDecoder>(builder, std::move(declared),
                                                TimeForm::kTimestampTz);
    case PgKind::kArray: {
      auto* list = static_cast<arrow::ListBuilder*>(builder);
      auto element =
          MakeDecoder(column.element, column, ElementDeclared(declared), list->value_builder());
      return std::make_unique<ArrayDecoder>(builder, std::move(declared), std::move(element));
    }
  }
  return nullptr;
}

class PgTextDecoderImpl final : public PgTextDecoder {
 public:
  PgTextDecoderImpl(std::string table, std::vector<PgColumn> columns, SchemaPtr schema)
      : table_(std::move(table)), columns_(std::move(columns)), schema_(std::move(schema)) {}

  Status Init() {
    if (schema_->num_fields() != static_cast<int>(columns_.size()))
      return Status::Internal("postgres: the schema of '{}' does not match its columns", table_);
    for (size_t i = 0; i < columns_.size(); ++i) {
      const auto& type = schema_->field(static_cast<int>(i))->type();
      // The decoders take the builders for the types FieldFor gives.
      if (!type->Equals(*FieldFor(columns_[i])->type()))
        return Status::Internal("postgres: the schema of '{}' does not match column '{}'", table_,
                                columns_[i].name);
    }
    LF_ASSIGN_OR_RETURN(builders_, BatchBuilders::Make(schema_));
    for (size_t i = 0; i < columns_.size(); ++i) {
      decoders_.push_back(
          MakeDecoder(columns_[i].kind, columns_[i], columns_[i].declared, builders_.column(i)));
    }
    return Status::OK();
  }

  Status AppendRow(std::span<const std::optional<std::string_view>> values) override {
    if (values.size() != columns_.size())
      return Status::SourceError("postgres: {} values for {} columns", values.size(),
                                 columns_.size());
    for (size_t i = 0; i < columns_.size(); ++i) {
      Status status = AppendValue(i, values[i]);
      if (!status.ok()) return status.WithContext(fmt::format("column '{}'", columns_[i].name));
    }
    ++rows_;
    return Status::OK();
  }

  int64_t num_rows() const override { return rows_; }

  Result<std::shared_ptr<arrow::RecordBatch>> Flush() override {
    LF_ASSIGN_OR_RETURN(auto batch, builders_.Finish(rows_));
    rows_ = 0;
    return batch;
  }

 private:
  Status AppendValue(size_t i, const std::optional<std::string_view>& value) {
    if (value) return decoders_[i]->Append(*value);
    if (!schema_->field(static_cast<int>(i))->nullable())
      return Status::Conversion("NULL in a NOT NULL column");
    return decoders_[i]->AppendNull();
  }

  std::string table_;
  std::vector<PgColumn> columns_;
  SchemaPtr schema_;
  BatchBuilders builders_;
  std::vector<std::unique_ptr<ColumnDecoder>> decoders_;
  int64_t rows_ = 0;
};

}  // namespace

Result<std::unique_ptr<PgTextDecoder>> PgTextDecoder::Make(std::string table,
                                                           std::vector<PgColumn> columns,
                                                           SchemaPtr schema) {
  auto decoder =
      std::make_unique<PgTextDecoderImpl>(std::move(table), std::move(columns), std::move(schema));
  LF_RETURN_IF_ERROR(decoder->Init());
  return std::unique_ptr<PgTextDecoder>(std::move(decoder));
}

}  // namespace lakeflow::postgres
