// JSON -> Arrow with simdjson On-Demand.
//
// Make() turns the schema into a tree of Appenders, one per field (recursively
// for struct, list and map), each holding its typed Arrow builder. Converting
// a record is then a walk of the JSON with the tree in step: no per-record
// allocation, no intermediate DOM, one virtual call per value.
//
// Two things keep the hot path short:
//   - Object keys are matched against the order of keys in the previous
//     object of the same struct (APIs emit keys in a fixed order), by
//     comparing raw key bytes in place; only a miss unescapes the key and
//     looks it up by name.
//   - Strings without escapes are appended straight from the input buffer;
//     simdjson has already validated the document's UTF-8.
//
// Errors: an appender that fails fills in the Context and returns false; each
// enclosing appender adds its step of the field path on the way out, so
// paths cost nothing until something goes wrong. A failed call is rolled back:
// the converter holds exactly the rows it held before the call.
#include "lakeflow/core/json_converter.h"

#include <arrow/array/data.h>
#include <arrow/builder.h>
#include <arrow/util/decimal.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <vector>

#include "lakeflow/core/conversion_error.h"
#include "lakeflow/core/time_parse.h"
#include "lakeflow/core/value_text.h"

namespace lakeflow {

namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

// Errors that mean "this value does not fit the type", as opposed to "this is
// not JSON".
bool IsTypeError(error_code e) {
  return e == simdjson::INCORRECT_TYPE || e == simdjson::NUMBER_OUT_OF_RANGE;
}

// Appends `json` to `out` without the whitespace between tokens.
void AppendCompactJson(std::string_view json, std::string* out) {
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      out->push_back(c);
      if (c == '\\' && i + 1 < json.size()) {
        out->push_back(json[++i]);
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
      out->push_back(c);
    } else if (!IsJsonSpace(c)) {
      out->push_back(c);
    }
  }
}

// ---------------------------------------------------------------------------
// Context: what the appenders share while one call runs.

class Context : public ConversionError {
 public:
  // Starts a document whose bytes begin at `base` (byte offsets in errors
  // count from there) and may be read up to `limit` (the padded end).
  void Begin(od::document* doc, const char* base, const char* limit) {
    doc_ = doc;
    base_ = base;
    limit_ = limit;
  }
  void ClearError() {
    Clear();
    malformed_ = false;
  }

  // How many bytes can be read from p on: the padded buffer bounds in-place
  // key comparisons.
  size_t Available(const char* p) const { return static_cast<size_t>(limit_ - p); }

  bool ValueError(std::string message) { return Fail(std::move(message)); }
  bool JsonError(error_code e) {
    malformed_ = true;
    return Fail(MalformedMessage(e));
  }

  // "malformed JSON at byte 12: <simdjson's words>".
  std::string MalformedMessage(error_code e) {
    const char* at = nullptr;
    if (doc_ != nullptr && doc_->current_location().get(at) == simdjson::SUCCESS && at >= base_) {
      return fmt::format("malformed JSON at byte {}: {}", at - base_, simdjson::error_message(e));
    }
    return fmt::format("malformed JSON: {}", simdjson::error_message(e));
  }

  // The one-line error for record `record` (none: the document as a whole);
  // malformed JSON names a byte, not a field.
  Status ToStatus(std::string_view table, std::optional<int64_t> record) const {
    return ConversionError::ToStatus(table, record, !malformed_);
  }

 private:
  od::document* doc_ = nullptr;
  const char* base_ = nullptr;
  const char* limit_ = nullptr;
  bool malformed_ = false;
};

// Whether s[0, n) holds a backslash; eight bytes at a time, inline (most
// strings are short, and a call to memchr costs more than the scan).
inline bool HasBackslash(const char* s, size_t n) {
  if (n >= 64) return std::memchr(s, '\\', n) != nullptr;  // long text: libc's vector scan wins
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  for (; n >= 8; n -= 8, s += 8) {
    uint64_t word;
    std::memcpy(&word, s, 8);
    uint64_t x = word ^ (kOnes * '\\');  // zero bytes where a backslash was
    if (((x - kOnes) & ~x & kHighs) != 0) return true;
  }
  for (; n > 0; --n, ++s) {
    if (*s == '\\') return true;
  }
  return false;
}

// If `v` is a JSON string without escapes, its text, read in place from the
// input: this spares the copy get_string() makes, and (as the appenders try
// it first) the type dispatch for the commonest value there is.
inline bool RawString(od::value& v, std::string_view* out) {
  // The token runs from the opening quote to the next structural character:
  // the closing quote, then possibly whitespace.
  std::string_view token = v.raw_json_token();
  if (token.empty() || token[0] != '"') return false;
  size_t end = token.size();
  while (end > 1 && IsJsonSpace(token[end - 1])) --end;
  if (end < 2 || token[end - 1] != '"' || HasBackslash(token.data() + 1, end - 2)) return false;
  *out = token.substr(1, end - 2);
  return true;
}

// The text of a JSON string value (the caller knows it is a string).
inline error_code StringContent(od::value& v, std::string_view* out) {
  if (RawString(v, out)) return simdjson::SUCCESS;
  return v.get_string().get(*out);
}

// ---------------------------------------------------------------------------
// Appending to builders.
//
// Arrow's checked Append() asks the builder for its length through a virtual
// call and builds a Status for every value. Builders nearly always have room
// already (Presize below sizes them for a whole batch), so check for room
// directly and take the unchecked path. length() is virtual only for union
// builders, so the qualified call reads the right member here.

template <typename Builder>
inline bool HasRoom(const Builder* b) {
  return b->arrow::ArrayBuilder::length() < b->capacity();
}

template <typename Builder, typename T>
inline arrow::Status FastAppend(Builder* b, T value) {
  if (ARROW_PREDICT_TRUE(HasRoom(b))) {
    b->UnsafeAppend(value);
    return arrow::Status::OK();
  }
  return b->Append(value);
}

template <typename Builder>
inline arrow::Status FastAppendNull(Builder* b) {
  if (ARROW_PREDICT_TRUE(HasRoom(b))) {
    b->UnsafeAppendNull();
    return arrow::Status::OK();
  }
  return b->AppendNull();
}

// Strings and binaries also need room for the bytes, within the 2 GiB that
// 32-bit offsets address.
template <typename Builder>
inline arrow::Status FastAppendBytes(Builder* b, std::string_view s) {
  const int64_t end = b->value_data_length() + static_cast<int64_t>(s.size());
  if (ARROW_PREDICT_TRUE(HasRoom(b) && end <= b->value_data_capacity() &&
                         end <= Builder::memory_limit())) {
    b->UnsafeAppend(s);
    return arrow::Status::OK();
  }
  return b->Append(s);
}

// ---------------------------------------------------------------------------
// Appenders.

class Appender {
 public:
  Appender(FieldPtr field, Context* ctx, arrow::ArrayBuilder* builder)
      : field_(std::move(field)), ctx_(ctx), base_builder_(builder) {}
  virtual ~Appender() = default;
  Appender(const Appender&) = delete;
  Appender& operator=(const Appender&) = delete;

  // Appends one JSON value, null included.
  virtual bool Append(od::value& v) = 0;
  // Appends a null (a JSON null, or a struct field the object lacks).
  virtual bool AppendNull() = 0;
  // Appends a map key; JSON keys are always strings.
  virtual bool AppendKey(std::string_view key) { return RejectText(fmt::format("\"{}\"", key)); }

  const FieldPtr& field() const { return field_; }

  // Batches tend to be alike: remember the size of the batch being flushed,
  // and size the emptied builders for another like it. Filling a builder
  // from empty regrows it a dozen times, and every regrowth copies and
  // faults in fresh pages.
  virtual void RememberSize() { rows_hint_ = base_builder_->length(); }
  virtual void Presize() { (void)base_builder_->Reserve(rows_hint_); }

 protected:
  bool Check(const arrow::Status& s) { return ARROW_PREDICT_TRUE(s.ok()) || ctx_->ArrowError(s); }

  // A JSON null: validates the literal, then appends null if the field allows it.
  bool Null(od::value& v) {
    bool is_null = false;
    if (auto e = v.is_null().get(is_null); e || !is_null) {
      return ctx_->JsonError(e ? e : simdjson::N_ATOM_ERROR);
    }
    if (!field_->nullable()) {
      return ctx_->ValueError(
          fmt::format("cannot convert null to {}: the field is not nullable", TypeName()));
    }
    return AppendNull();
  }

  // "cannot convert <the value> to <type>". Objects and arrays must not have
  // been consumed yet (their text is read here).
  bool Reject(od::value& v, od::json_type type) {
    // A bad literal (tru) is malformed JSON, not a value of the wrong type.
    bool ignored = false;
    if (auto e = type == od::json_type::boolean ? v.get_bool().get(ignored) : simdjson::SUCCESS)
      return JsonError(e);
    std::string_view text;
    bool container = type == od::json_type::object || type == od::json_type::array;
    if (!container || simdjson::to_json_string(v).get(text) != simdjson::SUCCESS) {
      text = TrimJsonSpace(v.raw_json_token());
    }
    return RejectText(text);
  }
  bool RejectText(std::string_view shown) {
    return ctx_->ValueError(fmt::format("cannot convert {} to {}", ClipValue(shown), TypeName()));
  }
  bool JsonError(error_code e) { return ctx_->JsonError(e); }

  std::string TypeName() const { return ClipValue(SparkTypeString(*field_)); }

  FieldPtr field_;
  Context* ctx_;
  arrow::ArrayBuilder* base_builder_;  // null only at the root
  int64_t rows_hint_ = 0;
};

// Reads the JSON type of `v` or reports malformed JSON; callers switch on it.
#define LF_JSON_TYPE(v, type) \
  od::json_type type;         \
  if (auto _lf_e = (v).type().get(type)) return JsonError(_lf_e)

// Any JSON value into a string column: strings as their text, anything else
// as compact JSON text. Variant columns keep every value as JSON text, so
// their strings stay quoted.
class StringAppender final : public Appender {
 public:
  StringAppender(FieldPtr field, Context* ctx, arrow::ArrayBuilder* builder)
      : Appender(std::move(field), ctx, builder),
        builder_(static_cast<arrow::StringBuilder*>(builder)),
        variant_(IsVariant(*field_)) {}

  bool Append(od::value& v) override {
    std::string_view s;
    if (!variant_ && RawString(v, &s)) return Check(FastAppendBytes(builder_, s));
    LF_JSON_TYPE(v, type);
    switch (type) {
      case od::json_type::string:
        return variant_ ? AppendToken(v) : AppendString(v);
      case od::json_type::null:
        return Null(v);
      case od::json_type::number: {
        double ignored;
        if (auto e = v.get_double().get(ignored); e && e != simdjson::NUMBER_OUT_OF_RANGE)
          return JsonError(e);
        return AppendToken(v);
      }
      case od::json_type::boolean: {
        bool ignored;
        if (auto e = v.get_bool().get(ignored)) return JsonError(e);
        return AppendToken(v);
      }
      default:
        return AppendContainer(v);
    }
  }
  bool AppendNull() override { return Check(FastAppendNull(builder_)); }
  void RememberSize() override {
    Appender::RememberSize();
    data_hint_ = builder_->value_data_length();
  }
  void Presize() override {
    Appender::Presize();
    (void)builder_->ReserveData(data_hint_);
  }
  bool AppendKey(std::string_view key) override {
    if (!variant_) return Check(FastAppendBytes(builder_, key));
    return AppendKeyAsJson(key);
  }

 private:
  bool AppendString(od::value& v) {
    std::string_view s;
    if (auto e = StringContent(v, &s)) return JsonError(e);
    return Check(FastAppendBytes(builder_, s));
  }
  bool AppendToken(od::value& v) {
    return Check(FastAppendBytes(builder_, TrimJsonSpace(v.raw_json_token())));
  }
  bool AppendContainer(od::value& v) {
    std::string_view raw;
    if (auto e = simdjson::to_json_string(v).get(raw)) return JsonError(e);
    scratch_.clear();
    AppendCompactJson(raw, &scratch_);
    return Check(FastAppendBytes(builder_, scratch_));
  }
  // A variant map value keyed by text: the key as a JSON string.
  bool AppendKeyAsJson(std::string_view key) {
    scratch_.assign(1, '"');
    for (char c : key) {
      if (c == '"' || c == '\\') {
        scratch_ += '\\';
        scratch_ += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        scratch_ += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
      } else {
        scratch_ += c;
      }
    }
    scratch_ += '"';
    return Check(FastAppendBytes(builder_, scratch_));
  }

  arrow::StringBuilder* builder_;
  bool variant_;
  std::string scratch_;
  int64_t data_hint_ = 0;
};

// byte, short, int, long: from integral numbers or numeric strings, range checked.
template <typename ArrowType>
class IntAppender final : public Appender {
  using CType = typename ArrowType::c_type;

 public:
  IntAppender(FieldPtr field, Context* ctx, arrow::ArrayBuilder* builder)
      : Appender(std::move(field), ctx, builder),
        builder_(static_cast<arrow::NumericBuilder<ArrowType>*>(builder)) {}

  bool Append(od::value& v) override {
    // Most values are plain integers: try that before dispatching on the type.
    // A failed get_int64() consumes nothing.
    int64_t x = 0;
    if (v.get_int64().get(x) == simdjson::SUCCESS)
      return InRange(x) ? Put(x) : Reject(v, od::json_type::number);
    LF_JSON_TYPE(v, type);
    switch (type) {
      case od::json_type::number:
        return AppendNumber(v);
      case od::json_type::string:
        return AppendText(v);
      case od::json_type::null:
        return Null(v);
      default:
        return Reject(v, type);
    }
  }
  bool AppendNull() override { return Check(FastAppendNull(builder_)); }
  bool AppendKey(std::string_view key) override {
    int64_t x = 0;
    if (!ParseIntText(key, &x) || !InRange(x)) return RejectText(fmt::format("\"{}\"", key));
    return Put(x);
  }

 private:
  static bool InRange(int64_t x) {
    return x >= std::numeric_limits<CType>::min() && x <= std::numeric_limits<CType>::max();
  }
  [[gnu::always_inline]] bool Put(int64_t x) {
    return Check(FastAppend(builder_, static_cast<CType>(x)));
  }

  // A number get_int64() refused: 3.0 or 1e3 are accepted (integral), 3.5 or
  // 1e30 are not.
  bool AppendNumber(od::value& v) {
    double d = 0;
    error_code e = v.get_double().get(d);
    if (e && !IsTypeError(e)) return JsonError(e);
    int64_t x = 0;
    if (e || !DoubleToInt64(d, &x) || !InRange(x)) return Reject(v, od::json_type::number);
    return Put(x);
  }
  bool AppendText(od::value& v) {
    std::string_view s;
    if (auto e = StringContent(v, &s)) return JsonError(e);
    int64_t x = 0;
    if (!ParseIntText(s, &x) || !InRange(x)) return Reject(v, od::json_type::string);
    return Put(x);
  }

  arrow::NumericBuilder<ArrowType>* builder_;
};

// float, double: from numbers or numeric strings.
template <typename ArrowType>
class FloatAppender final : public Appender {
  using CType = typename ArrowType::c_type;

 public:
  FloatAppender(FieldPtr field, Context* ctx, arrow::ArrayBuilder* builder)
      : Appender(std::move(field), ctx, builder),
        builder_(static_cast<arrow::NumericBuilder<ArrowType>*>(builder)) {}

  bool Append(od::value& v) override {
    LF_JSON_TYPE(v, type);
    double d = 0;
    switch (type) {
      case od::json_type::number:
        if (auto e = v.get_double().get(d)) return IsTypeError(e) ? Reject(v, type) : JsonError(e);
        return Put(d, v, type);
      case od::json_type::string: {
        std::string_view s;
        if (auto e = StringContent(v, &s)) return JsonError(e);
        if (!ParseDoubleText(s, &d)) return Reject(v, type);
        return Put(d, v, type);
      }
      case od::json_type::null:
        return Null(v);
      default:
        return Reject(v, type);
    }
  }
  bool AppendNull() override { return Check(FastAppendNull(builder_)); }

 private:
  bool Put(double d, od::value& v, od::json_type type) {
    // A finite double too large for float would become infinity.
    if (std::isfinite(d) && std::fabs(d) > static_cast<double>(std::numeric_limits<CType>::max())) {
      return Reject(v, type);
    }
    return Check(FastAppend(builder_, static_cast<CType>(d)));
  }

  arrow::NumericBuilder<ArrowType>* builder_;
};

// boolean: true/false, the strings true/t/yes/y/1 and false/f/no/n/0 in any
// case, the numbers 1 and 0.
class BoolAppender final : public Appender {
 public:
  BoolAppender(FieldPtr field, Context* ctx, arrow::ArrayBuilder* builder)
      : Appender(std::move(field), ctx, builder),
        builder_(static_cast<arrow::BooleanBuilder*>(builder)) {}

  bool Append(od::value& v) override {
    bool b = false;
    if (v.get_bool().get(b) == simdjson::SUCCESS) return Check(FastAppend(builder_, b));
    LF_JSON_TYPE(v, type);
    switch (type) {
      case od::json_type::boolean:
        if (auto e = v.get_bool().get(b)) return JsonError(e);
        return Check(FastAppend(builder_, b));
      case od::json_type::string: {
        std::string_view s;
        if (auto e = StringContent(v, &s)) return JsonError(e);
        if (!ParseBoolText(s, &b)) return Reject(v, type);
        return Check(FastAppend(builder_, b));
      }
      case od::json_type::number: {
        double d = 0;
        if (auto e = v.get_double().get(d)) return IsTypeError(e) ? Reject(v, type) : JsonError(e);
        if (d != 0 && d != 1) return Reject(v, type);
        return Check(FastAppend(builder_, d == 1));
      }
      case od::json_type::null:
        return Null(v);
      default:
        return Reject(v, type);
    }
  }
  bool AppendNull() override { return Check(FastAppendNull(builder_)); }
  bool AppendKey(std::string_view key) override {
    bool b = false;
    if (!ParseBoolText(key, &b)) return RejectText(fmt::format("\"{}\"", key));
    return Check(FastAppend(builder_, b));
  }

 private:
  arrow::BooleanBuilder* builder_;
};

// decimal(p, s): from numbers (their exact text, never through double) or
// numeric strings, rounded half away from zero to the column's scale.
class DecimalAppender final : public Appender {
 public:
  DecimalAppender(FieldPtr field, Context* ctx, arrow::ArrayBuilder* builder)
      : Appender(std::move(field), ctx, builder),
        builder_(static_cast<arrow::Decimal128Builder*>(builder)) {
    const auto& type = static_cast<const arrow::Decimal128Type&>(*field_->type());
    precision_ = type.precision();
    scale_ = type.scale();
  }

  bool Append(od::value& v) override {
    LF_JSON_TYPE(v, type);
    std::string_view text;
    switch (type) {
      case od::json_type::number:
        text = TrimJsonSpace(v.raw_json_token());
        break;
      case od::json_type::string:
        if (auto e = StringContent(v, &text)) return JsonError(e);
        break;
      case od::json_type::null:
        return Null(v);
      default:
        return Reject(v, type);
    }
    arrow::Decimal128 value;
    if (!ParseDecimalText(text, precision_, scale_, &value)) return Reject(v, type);
    return Check(FastAppend(builder_, value));
  }
  bool AppendNull() override { return Check(FastAppendNull(builder_)); }
  bool AppendKey(std::string_view key) override {
    arrow::Decimal128 value;
    if (!ParseDecimalText(key, precision_, scale_, &value))
      return RejectText(fmt::format("\"{}\"", key));
    return Check(FastAppend(builder_, value));
  }

 private:
  arrow::Decimal128Builder* builder_;
  int32_t precision_ = 0;
  int32_t scale_ = 0;
};

// date: the strings ParseDate reads.
class DateAppender final : public Appender {
 public:
  DateAppender(FieldPtr field, Context* ctx, arrow::ArrayBuilder* builder)
      : Appender(std::move(field), ctx, builder),
        builder_(static_cast<arrow::Date32Builder*>(builder)) {}

  bool Append(od::value& v) override {
    LF_JSON_TYPE(v, type);
    if (type == od::json_type::null) return Null(v);
    if (type != od::json_type::string) return Reject(v, type);
    std::string_view s;
    if (auto e = StringContent(v, &s)) return JsonError(e);
    auto days = ParseDate(s);
    if (!days) return Reject(v, type);
    return Check(FastAppend(builder_, *days));
  }
  bool AppendNull() override { return Check(FastAppendNull(builder_)); }
  bool AppendKey(std::string_view key) override {
    auto days = ParseDate(key);
    if (!days) return RejectText(fmt::format("\"{}\"", key));
    return Check(FastAppend(builder_, *days));
  }

 private:
  arrow::Date32Builder* builder_;
};

// timestamp, timestamp_ntz (microseconds): ISO 8601 strings or epoch seconds.
class TimestampAppender final : public Appender {
 public:
  TimestampAppender(FieldPtr field, Context* ctx, arrow::ArrayBuilder* builder)
      : Appender(std::move(field), ctx, builder),
        builder_(static_cast<arrow::TimestampBuilder*>(builder)) {}

  bool Append(od::value& v) override {
    std::string_view s;
    if (RawString(v, &s)) return AppendText(v, s);
    LF_JSON_TYPE(v, type);
    switch (type) {
      case od::json_type::string: {
        if (auto e = StringContent(v, &s)) return JsonError(e);
        return AppendText(v, s);
      }
      case od::json_type::number:
        return AppendEpochSeconds(v);
      case od::json_type::null:
        return Null(v);
      default:
        return Reject(v, type);
    }
  }
  bool AppendNull() override { return Check(FastAppendNull(builder_)); }
  bool AppendKey(std::string_view key) override {
    auto micros = ParseTimestampMicros(key);
    if (!micros) return RejectText(fmt::format("\"{}\"", key));
    return Check(FastAppend(builder_, *micros));
  }

 private:
  bool AppendText(od::value& v, std::string_view s) {
    auto micros = ParseTimestampMicros(s);
    if (!micros) return Reject(v, od::json_type::string);
    return Check(FastAppend(builder_, *micros));
  }
  bool AppendEpochSeconds(od::value& v) {
    int64_t seconds = 0, micros = 0;
    error_code e = v.get_int64().get(seconds);
    if (e == simdjson::SUCCESS) {
      if (!EpochSecondsToMicros(seconds, &micros)) return Reject(v, od::json_type::number);
      return Check(FastAppend(builder_, micros));
    }
    if (!IsTypeError(e)) return JsonError(e);
    double d = 0;
    e = v.get_double().get(d);
    if (e && !IsTypeError(e)) return JsonError(e);
    if (e || !EpochSecondsToMicros(d, &micros)) return Reject(v, od::json_type::number);
    return Check(FastAppend(builder_, micros));
  }

  arrow::TimestampBuilder* builder_;
};

// binary: a string read as strict base64, else as hex, else as its UTF-8 bytes.
class BinaryAppender final : public Appender {
 public:
  BinaryAppender(FieldPtr field, Context* ctx, arrow::ArrayBuilder* builder)
      : Appender(std::move(field), ctx, builder),
        builder_(static_cast<arrow::BinaryBuilder*>(builder)) {}

  bool Append(od::value& v) override {
    LF_JSON_TYPE(v, type);
    if (type == od::json_type::null) return Null(v);
    if (type != od::json_type::string) return Reject(v, type);
    std::string_view s;
    if (auto e = StringContent(v, &s)) return JsonError(e);
    return AppendText(s);
  }
  bool AppendNull() override { return Check(FastAppendNull(builder_)); }
  bool AppendKey(std::string_view key) override { return AppendText(key); }
  void RememberSize() override {
    Appender::RememberSize();
    data_hint_ = builder_->value_data_length();
  }
  void Presize() override {
    Appender::Presize();
    (void)builder_->ReserveData(data_hint_);
  }

 private:
  bool AppendText(std::string_view s) {
    return Check(FastAppendBytes(builder_, BinaryFromText(s, &scratch_)));
  }

  arrow::BinaryBuilder* builder_;
  std::string scratch_;
  int64_t data_hint_ = 0;
};

// array<T>: a JSON array, or a lone value as a one-element array.
class ListAppender final : public Appender {
 public:
  ListAppender(FieldPtr field, Context* ctx, arrow::ArrayBuilder* builder,
               std::unique_ptr<Appender> element)
      : Appender(std::move(field), ctx, builder),
        builder_(static_cast<arrow::ListBuilder*>(builder)),
        element_(std::move(element)) {}

  bool Append(od::value& v) override {
    LF_JSON_TYPE(v, type);
    if (type == od::json_type::null) return Null(v);
    if (!Check(builder_->Append())) return false;
    if (type != od::json_type::array) return element_->Append(v) || ctx_->InIndex(0);
    od::array elements;
    if (auto e = v.get_array().get(elements)) return JsonError(e);
    size_t i = 0;
    for (auto item : elements) {
      if (auto e = item.error()) return JsonError(e);
      if (!element_->Append(item.value_unsafe())) return ctx_->InIndex(i);
      ++i;
    }
    return true;
  }
  bool AppendNull() override { return Check(builder_->AppendNull()); }
  void RememberSize() override {
    Appender::RememberSize();
    element_->RememberSize();
  }
  void Presize() override {
    Appender::Presize();
    element_->Presize();
  }

 private:
  arrow::ListBuilder* builder_;
  std::unique_ptr<Appender> element_;
};

// map<K, V>: a JSON object, keys through the key column's text rules.
class MapAppender final : public Appender {
 public:
  MapAppender(FieldPtr field, Context* ctx, arrow::ArrayBuilder* builder,
              std::unique_ptr<Appender> keys, std::unique_ptr<Appender> items)
      : Appender(std::move(field), ctx, builder),
        builder_(static_cast<arrow::MapBuilder*>(builder)),
        keys_(std::move(keys)),
        items_(std::move(items)) {}

  bool Append(od::value& v) override {
    LF_JSON_TYPE(v, type);
    if (type == od::json_type::null) return Null(v);
    if (type != od::json_type::object) return Reject(v, type);
    od::object object;
    if (auto e = v.get_object().get(object)) return JsonError(e);
    if (!Check(builder_->Append())) return false;
    for (auto member : object) {
      if (auto e = member.error()) return JsonError(e);
      od::field& field = member.value_unsafe();
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return JsonError(e);
      if (!keys_->AppendKey(key) || !items_->Append(field.value())) {
        LineUpKeysAndItems();
        return ctx_->InKey(key);
      }
    }
    return true;
  }
  bool AppendNull() override { return Check(builder_->AppendNull()); }
  void RememberSize() override {
    Appender::RememberSize();
    keys_->RememberSize();
    items_->RememberSize();
  }
  void Presize() override {
    Appender::Presize();
    keys_->Presize();
    items_->Presize();
  }

 private:
  // After a failed entry: Arrow aborts the process when a map's key and item
  // builders differ in length, and the rollback must still finish them.
  void LineUpKeysAndItems() {
    int64_t keys = builder_->key_builder()->length();
    int64_t items = builder_->item_builder()->length();
    if (keys > items) (void)builder_->item_builder()->AppendEmptyValues(keys - items);
    if (items > keys) (void)builder_->key_builder()->AppendEmptyValues(items - keys);
  }

  arrow::MapBuilder* builder_;
  std::unique_ptr<Appender> keys_;
  std::unique_ptr<Appender> items_;
};

// struct<...> from a JSON object: unknown keys are ignored, a missing nullable
// field is null, a missing non-nullable field is an error; with a duplicated
// key the first occurrence wins. The root (the record) is a StructAppender
// without a builder.
class StructAppender final : public Appender {
 public:
  StructAppender(FieldPtr field, Context* ctx, arrow::StructBuilder* builder,
                 std::vector<std::unique_ptr<Appender>> children)
      : Appender(std::move(field), ctx, builder),
        builder_(builder),
        children_(std::move(children)) {
    seen_.assign(children_.size(), 0);
    for (size_t i = 0; i < children_.size(); ++i) {
      by_name_.emplace(children_[i]->field()->name(), static_cast<int>(i));
    }
  }

  bool Append(od::value& v) override {
    LF_JSON_TYPE(v, type);
    if (type == od::json_type::null) return Null(v);
    if (type != od::json_type::object) return Reject(v, type);
    od::object object;
    if (auto e = v.get_object().get(object)) return JsonError(e);
    return AppendObject(object);
  }
  bool AppendNull() override { return Check(builder_->AppendNull()); }
  void RememberSize() override {
    if (builder_ != nullptr) Appender::RememberSize();
    for (auto& child : children_) child->RememberSize();
  }
  void Presize() override {
    if (builder_ != nullptr) Appender::Presize();
    for (auto& child : children_) child->Presize();
  }

  // Appends the members of `object` as one struct value (one row at the root).
  bool AppendObject(od::object& object) {
    if (builder_ != nullptr && !Check(builder_->Append())) return false;
    NextGeneration();
    size_t slot = 0, found = 0, misses = 0;
    for (auto member : object) {
      // Fields and elements are used in place in their results throughout:
      // moving one out costs a store-forwarding stall (a 16-byte copy of
      // parts just written separately), measurable at a few % per key.
      if (auto e = member.error()) return JsonError(e);
      od::field& field = member.value_unsafe();
      int index = Resolve(field, &slot, &misses);
      if (index == kFailed) return false;
      if (index == kUnknown || seen_[index] == generation_) continue;
      seen_[index] = generation_;
      ++found;
      if (!children_[index]->Append(field.value()))
        return ctx_->InField(children_[index]->field()->name());
    }
    // Objects in a new order: relearn the order from the next object.
    if (misses > kMaxMisses) slots_.clear();
    return found == children_.size() || AppendMissing();
  }

 private:
  static constexpr int kUnknown = -1;  // a key the schema does not have
  static constexpr int kFailed = -2;   // malformed JSON
  static constexpr size_t kLookahead = 3;
  static constexpr size_t kMaxMisses = 2;
  static constexpr size_t kMaxSlots = 1024;

  // A key seen at this position of the previous object, and the field it
  // names. The key's raw bytes (it had no escapes) and its closing quote are
  // kept zero-padded to whole 8-byte words, inline, so a comparison is a few
  // word compares with a mask on the last. Longer keys are not remembered.
  static constexpr size_t kSlotWords = 4;
  struct Slot {
    static bool Fits(std::string_view key) { return key.size() + 1 <= kSlotWords * 8; }
    Slot(std::string_view key, int field_index) : index(field_index) {
      const size_t n = key.size() + 1;  // with the closing quote
      num_words = static_cast<uint32_t>((n + 7) / 8);
      char bytes[kSlotWords * 8] = {};
      std::memcpy(bytes, key.data(), key.size());
      bytes[key.size()] = '"';
      std::memcpy(words.data(), bytes, sizeof(bytes));
      const size_t tail = n - (num_words - 1) * 8;  // 1..8 bytes in the last word
      last_mask = tail == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * tail)) - 1;
    }
    std::array<uint64_t, kSlotWords> words{};
    uint64_t last_mask = 0;
    uint32_t num_words = 0;
    int index;
  };
  static_assert(std::endian::native == std::endian::little,
                "Slot masks assume little-endian words");

  void NextGeneration() {
    if (++generation_ != 0) return;
    std::fill(seen_.begin(), seen_.end(), 0);
    generation_ = 1;
  }

  // `available`: readable bytes from raw on (the padded buffer's end bounds it).
  static bool KeyMatches(const char* raw, size_t available, const Slot& slot) {
    const size_t last = slot.num_words - 1;
    if (available < slot.num_words * 8) return false;
    uint64_t word;
    for (size_t i = 0; i < last; ++i, raw += 8) {
      std::memcpy(&word, raw, 8);
      if (word != slot.words[i]) return false;
    }
    std::memcpy(&word, raw, 8);
    return ((word ^ slot.words[last]) & slot.last_mask) == 0;
  }

  // The child index for the field's key, kUnknown, or kFailed.
  int Resolve(od::field& field, size_t* slot, size_t* misses) {
    const char* raw = field.key().raw();
    const size_t available = ctx_->Available(raw);
    const size_t end = std::min(slots_.size(), *slot + kLookahead);
    for (size_t s = *slot; s < end; ++s) {
      if (KeyMatches(raw, available, slots_[s])) {
        *slot = s + 1;
        return slots_[s].index;
      }
    }
    // Past the end of the remembered order the key is simply new (learning),
    // not a miss.
    if (*slot < slots_.size()) ++*misses;
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) {
      ctx_->JsonError(e);
      return kFailed;
    }
    auto it = by_name_.find(key);
    int index = it == by_name_.end() ? kUnknown : it->second;
    // Remember a key without escapes (its raw bytes are its text) here.
    bool plain = std::memcmp(raw, key.data(), key.size()) == 0 && raw[key.size()] == '"';
    if (plain && Slot::Fits(key) && slots_.size() < kMaxSlots) {
      slots_.insert(slots_.begin() + static_cast<std::ptrdiff_t>(*slot), Slot(key, index));
      ++*slot;
    }
    return index;
  }

  bool AppendMissing() {
    for (size_t i = 0; i < children_.size(); ++i) {
      if (seen_[i] == generation_) continue;
      Appender& child = *children_[i];
      if (!child.field()->nullable()) {
        ctx_->ValueError("missing, and the field is not nullable");
        return ctx_->InField(child.field()->name());
      }
      if (!child.AppendNull()) return ctx_->InField(child.field()->name());
    }
    return true;
  }

  arrow::StructBuilder* builder_;
  std::vector<std::unique_ptr<Appender>> children_;
  std::unordered_map<std::string_view, int> by_name_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> seen_;  // seen_[i] == generation_: child i was in this object
  uint32_t generation_ = 0;
};

#undef LF_JSON_TYPE

Result<std::unique_ptr<Appender>> MakeAppender(const FieldPtr& field, arrow::ArrayBuilder* builder,
                                               Context* ctx);

Result<std::unique_ptr<StructAppender>> MakeStructAppender(
    const FieldPtr& field, const arrow::FieldVector& fields, arrow::StructBuilder* builder,
    const std::vector<arrow::ArrayBuilder*>& child_builders, Context* ctx) {
  std::vector<std::unique_ptr<Appender>> children;
  for (size_t i = 0; i < fields.size(); ++i) {
    LF_ASSIGN_OR_RETURN(auto child, MakeAppender(fields[i], child_builders[i], ctx));
    children.push_back(std::move(child));
  }
  return std::make_unique<StructAppender>(field, ctx, builder, std::move(children));
}

template <typename T>
std::unique_ptr<Appender> Make(const FieldPtr& field, Context* ctx, arrow::ArrayBuilder* builder) {
  return std::make_unique<T>(field, ctx, builder);
}

Result<std::unique_ptr<Appender>> MakeAppender(const FieldPtr& field, arrow::ArrayBuilder* builder,
                                               Context* ctx) {
  const auto& type = *field->type();
  switch (type.id()) {
    case arrow::Type::STRING:
      return Make<StringAppender>(field, ctx, builder);
    case arrow::Type::INT8:
      return Make<IntAppender<arrow::Int8Type>>(field, ctx, builder);
    case arrow::Type::INT16:
      return Make<IntAppender<arrow::Int16Type>>(field, ctx, builder);
    case arrow::Type::INT32:
      return Make<IntAppender<arrow::Int32Type>>(field, ctx, builder);
    case arrow::Type::INT64:
      return Make<IntAppender<arrow::Int64Type>>(field, ctx, builder);
    case arrow::Type::FLOAT:
      return Make<FloatAppender<arrow::FloatType>>(field, ctx, builder);
    case arrow::Type::DOUBLE:
      return Make<FloatAppender<arrow::DoubleType>>(field, ctx, builder);
    case arrow::Type::BOOL:
      return Make<BoolAppender>(field, ctx, builder);
    case arrow::Type::DECIMAL128:
      return Make<DecimalAppender>(field, ctx, builder);
    case arrow::Type::DATE32:
      return Make<DateAppender>(field, ctx, builder);
    case arrow::Type::TIMESTAMP:
      if (static_cast<const arrow::TimestampType&>(type).unit() != arrow::TimeUnit::MICRO) break;
      return Make<TimestampAppender>(field, ctx, builder);
    case arrow::Type::BINARY:
      return Make<BinaryAppender>(field, ctx, builder);
    case arrow::Type::LIST: {
      auto* list = static_cast<arrow::ListBuilder*>(builder);
      const auto& element_field = static_cast<const arrow::ListType&>(type).value_field();
      LF_ASSIGN_OR_RETURN(auto element, MakeAppender(element_field, list->value_builder(), ctx));
      return std::unique_ptr<Appender>(
          std::make_unique<ListAppender>(field, ctx, builder, std::move(element)));
    }
    case arrow::Type::MAP: {
      auto* map = static_cast<arrow::MapBuilder*>(builder);
      const auto& map_type = static_cast<const arrow::MapType&>(type);
      LF_ASSIGN_OR_RETURN(auto keys, MakeAppender(map_type.key_field(), map->key_builder(), ctx));
      LF_ASSIGN_OR_RETURN(auto items,
                          MakeAppender(map_type.item_field(), map->item_builder(), ctx));
      return std::unique_ptr<Appender>(
          std::make_unique<MapAppender>(field, ctx, builder, std::move(keys), std::move(items)));
    }
    case arrow::Type::STRUCT: {
      auto* struct_builder = static_cast<arrow::StructBuilder*>(builder);
      std::vector<arrow::ArrayBuilder*> child_builders;
      for (int i = 0; i < struct_builder->num_fields(); ++i) {
        child_builders.push_back(struct_builder->field_builder(i));
      }
      LF_ASSIGN_OR_RETURN(auto appender, MakeStructAppender(field, type.fields(), struct_builder,
                                                            child_builders, ctx));
      return std::unique_ptr<Appender>(std::move(appender));
    }
    default:
      break;
  }
  return Status::Invalid("field '{}': the JSON converter does not support type {}", field->name(),
                         type.ToString());
}

// ---------------------------------------------------------------------------

class JsonConverterImpl final : public JsonConverter {
 public:
  JsonConverterImpl(std::string table, SchemaPtr schema, arrow::MemoryPool* pool)
      : table_(std::move(table)), schema_(std::move(schema)), pool_(pool) {}

  Status Init() {
    std::vector<arrow::ArrayBuilder*> raw_builders;
    for (const auto& field : schema_->fields()) {
      std::unique_ptr<arrow::ArrayBuilder> builder;
      LF_RETURN_IF_ARROW_ERROR(arrow::MakeBuilder(pool_, field->type(), &builder));
      raw_builders.push_back(builder.get());
      builders_.push_back(std::move(builder));
    }
    auto record_field = arrow::field("record", arrow::struct_(schema_->fields()), false);
    LF_ASSIGN_OR_RETURN(
        root_, MakeStructAppender(record_field, schema_->fields(), nullptr, raw_builders, &ctx_));
    return Status::OK();
  }

  Status AppendDocument(std::string_view json, std::string_view pointer) override {
    return Guarded(json.size(), [&] { return ParseDocument(json, pointer); });
  }

  Status AppendJsonLines(std::string_view text) override {
    return Guarded(text.size(), [&] { return ParseLines(text); });
  }

  int64_t num_rows() const override { return rows_; }
  int64_t num_bytes() const override { return bytes_; }
  const SchemaPtr& schema() const override { return schema_; }

  Result<std::shared_ptr<arrow::RecordBatch>> Flush() override {
    LF_RETURN_IF_ERROR(CheckUsable());
    root_->RememberSize();
    arrow::ArrayVector columns;
    for (int i = 0; i < schema_->num_fields(); ++i) {
      std::shared_ptr<arrow::Array> column;
      LF_RETURN_IF_ARROW_ERROR(builders_[i]->Finish(&column));
      columns.push_back(WithFieldType(std::move(column), schema_->field(i)->type()));
    }
    auto batch = arrow::RecordBatch::Make(schema_, rows_, std::move(columns));
    // Sized at the next append rather than now: a caller that is done with
    // this batch by then lets the allocator hand its memory straight back.
    presize_pending_ = true;
    rows_ = 0;
    bytes_ = 0;
    return batch;
  }

 private:
  // Runs one call all-or-nothing: on failure the rows it appended are removed.
  template <typename Fn>
  Status Guarded(size_t size, Fn&& fn) {
    LF_RETURN_IF_ERROR(CheckUsable());
    if (presize_pending_) {
      root_->Presize();
      presize_pending_ = false;
    }
    const int64_t rows_before = rows_;
    ctx_.ClearError();
    Status status = fn();
    ctx_.Begin(nullptr, nullptr, nullptr);
    if (status.ok()) {
      bytes_ += static_cast<int64_t>(size);
      return status;
    }
    Status rollback = Rollback(rows_before);
    if (!rollback.ok()) {
      broken_ = true;
      return status.WithContext(
          fmt::format("and the converter could not roll back ({})", rollback.message()));
    }
    return status;
  }

  Status CheckUsable() const {
    if (broken_)
      return Status::Internal("table '{}': the JSON converter failed to recover from an error",
                              table_);
    return Status::OK();
  }

  // Truncates every column to `rows`. Only columns that grew are rebuilt:
  // finishing a builder and copying back its first `rows` rows.
  Status Rollback(int64_t rows) {
    for (auto& builder : builders_) {
      if (builder->length() == rows) continue;
      std::shared_ptr<arrow::Array> column;
      LF_RETURN_IF_ARROW_ERROR(builder->Finish(&column));
      if (rows > 0)
        LF_RETURN_IF_ARROW_ERROR(
            builder->AppendArraySlice(arrow::ArraySpan(*column->data()), 0, rows));
    }
    rows_ = rows;
    return Status::OK();
  }

  // simdjson reads up to SIMDJSON_PADDING bytes past the end of its input.
  void LoadPadded(std::string_view json) {
    const size_t needed = json.size() + simdjson::SIMDJSON_PADDING;
    if (needed > capacity_) {
      capacity_ = std::max(needed, capacity_ + capacity_ / 2);
      buffer_ = std::make_unique_for_overwrite<char[]>(capacity_);
    }
    if (!json.empty()) std::memcpy(buffer_.get(), json.data(), json.size());
    std::memset(buffer_.get() + json.size(), 0, simdjson::SIMDJSON_PADDING);
  }

  Status ParseDocument(std::string_view json, std::string_view pointer) {
    LoadPadded(json);
    od::document doc;
    auto padded = simdjson::padded_string_view(buffer_.get(), json.size(), capacity_);
    ctx_.Begin(nullptr, nullptr, nullptr);
    if (auto e = parser_.iterate(padded).get(doc)) return Malformed(e);
    ctx_.Begin(&doc, buffer_.get(), buffer_.get() + capacity_);
    if (pointer.empty()) {
      LF_RETURN_IF_ERROR(AppendTarget(doc));
      if (!AtEnd(doc)) return Malformed(simdjson::TRAILING_CONTENT);
      return Status::OK();
    }
    od::value target;
    error_code e = doc.at_pointer(pointer).get(target);
    if (e == simdjson::INVALID_JSON_POINTER) {
      return Status::Invalid("table '{}': invalid JSON pointer '{}'", table_, pointer);
    }
    if (e == simdjson::NO_SUCH_FIELD || e == simdjson::INDEX_OUT_OF_BOUNDS ||
        e == simdjson::INCORRECT_TYPE) {
      return Status::Conversion("table '{}': JSON pointer '{}' not found in the document", table_,
                                pointer);
    }
    if (e) return Malformed(e);
    return AppendTarget(target);
  }

  // The pointer's target: an array of records, one record, or null (none).
  template <typename Source>
  Status AppendTarget(Source& source) {
    od::json_type type;
    if (auto e = source.type().get(type)) return Malformed(e);
    switch (type) {
      case od::json_type::array: {
        od::array records;
        if (auto e = source.get_array().get(records)) return Malformed(e);
        return AppendRecords(records);
      }
      case od::json_type::object: {
        od::object record;
        if (auto e = source.get_object().get(record)) return Malformed(e);
        return AppendRecord(record, 0);
      }
      case od::json_type::null:
        return Status::OK();
      default:
        return Status::Conversion(
            "table '{}': expected an array of records or a record object, got {}", table_,
            ClipValue(TrimJsonSpace(Token(source))));
    }
  }

  // Whether the document has nothing after the value just read.
  static bool AtEnd(od::document& doc) {
    const char* at = nullptr;
    return doc.current_location().get(at) == simdjson::OUT_OF_BOUNDS;
  }

  static std::string_view Token(od::value& v) { return v.raw_json_token(); }
  // The whole text of an unconsumed value.
  static std::string_view Text(od::value& v) {
    std::string_view text;
    return simdjson::to_json_string(v).get(text) == simdjson::SUCCESS
               ? text
               : TrimJsonSpace(v.raw_json_token());
  }
  static std::string_view Token(od::document& doc) {
    std::string_view token;
    return doc.raw_json_token().get(token) == simdjson::SUCCESS ? token : std::string_view();
  }

  Status AppendRecords(od::array& records) {
    int64_t index = 0;
    for (auto item : records) {
      if (auto e = item.error()) return Malformed(e, index);
      od::value& value = item.value_unsafe();
      od::json_type type;
      if (auto e = value.type().get(type)) return Malformed(e, index);
      if (type != od::json_type::object) return NotAnObject(Text(value), index);
      od::object record;
      if (auto e = value.get_object().get(record)) return Malformed(e, index);
      LF_RETURN_IF_ERROR(AppendRecord(record, index));
      ++index;
    }
    return Status::OK();
  }

  Status AppendRecord(od::object& record, int64_t index) {
    if (!root_->AppendObject(record)) return ctx_.ToStatus(table_, index);
    ++rows_;
    return Status::OK();
  }

  Status ParseLines(std::string_view text) {
    LoadPadded(text);
    int64_t index = 0;
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      const size_t start = pos;
      pos = end + 1;
      if (TrimJsonSpace(text.substr(start, end - start)).empty()) continue;
      LF_RETURN_IF_ERROR(ParseLine(start, end - start, index));
      ++index;
    }
    return Status::OK();
  }

  // One line of JSON lines; its bytes start at `start` in the buffer. The
  // rest of the text after it serves as simdjson's padding.
  Status ParseLine(size_t start, size_t size, int64_t index) {
    od::document doc;
    auto padded = simdjson::padded_string_view(buffer_.get() + start, size, capacity_ - start);
    ctx_.Begin(nullptr, nullptr, nullptr);
    if (auto e = parser_.iterate(padded).get(doc)) return Malformed(e, index);
    ctx_.Begin(&doc, buffer_.get(), buffer_.get() + capacity_);
    od::json_type type;
    if (auto e = doc.type().get(type)) return Malformed(e, index);
    if (type != od::json_type::object) {
      return NotAnObject(TrimJsonSpace(std::string_view(buffer_.get() + start, size)), index);
    }
    od::object record;
    if (auto e = doc.get_object().get(record)) return Malformed(e, index);
    LF_RETURN_IF_ERROR(AppendRecord(record, index));
    if (!AtEnd(doc)) return Malformed(simdjson::TRAILING_CONTENT, index);
    return Status::OK();
  }

  Status Malformed(error_code e, std::optional<int64_t> record = std::nullopt) {
    ctx_.JsonError(e);
    return ctx_.ToStatus(table_, record);
  }

  Status NotAnObject(std::string_view shown, int64_t index) const {
    return Status::Conversion("table '{}', record {}: a record must be a JSON object, got {}",
                              table_, index, ClipValue(shown));
  }

  std::string table_;
  SchemaPtr schema_;
  arrow::MemoryPool* pool_;
  od::parser parser_;
  std::unique_ptr<char[]> buffer_;
  size_t capacity_ = 0;
  Context ctx_;
  std::vector<std::unique_ptr<arrow::ArrayBuilder>> builders_;
  std::unique_ptr<StructAppender> root_;
  int64_t rows_ = 0;
  int64_t bytes_ = 0;
  bool broken_ = false;
  bool presize_pending_ = false;
};

}  // namespace

Result<std::unique_ptr<JsonConverter>> JsonConverter::Make(std::string table, SchemaPtr schema,
                                                           arrow::MemoryPool* pool) {
  if (schema == nullptr)
    return Status::Invalid("table '{}': no schema for the JSON converter", table);
  auto converter = std::make_unique<JsonConverterImpl>(std::move(table), std::move(schema), pool);
  LF_RETURN_IF_ERROR(converter->Init());
  return std::unique_ptr<JsonConverter>(std::move(converter));
}

}  // namespace lakeflow
