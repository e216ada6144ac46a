#include "lakeflow/connectors/postgres/pg_copy_decoder.h"

#include <arrow/builder.h>
#include <arrow/util/decimal.h>
#include <fmt/format.h>

#include <bit>
#include <limits>

#include "lakeflow/connectors/postgres/pg_batch_builders.h"
#include "lakeflow/connectors/postgres/pg_wire.h"

namespace lakeflow::postgres {
namespace {

constexpr std::string_view kSignature("PGCOPY\n\377\r\n\0", 11);
constexpr size_t kHeaderFixed = 11 + 4 + 4;  // signature, flags, extension length
// PostgreSQL's epoch is 2000-01-01; Arrow's is 1970-01-01.
constexpr int32_t kPgEpochDays = 10957;
constexpr int64_t kPgEpochMicros = 946'684'800'000'000;

Status WrongSize(std::string_view type, size_t size) {
  return Status::Conversion("a {} value of {} bytes", type, size);
}

// Appends one column's values from their binary send format.
class ColumnDecoder {
 public:
  explicit ColumnDecoder(arrow::ArrayBuilder* builder) : base_(builder) {}
  virtual ~ColumnDecoder() = default;
  virtual Status Append(std::string_view bytes) = 0;
  Status AppendNull() { return FromArrow(base_->AppendNull()); }

 private:
  arrow::ArrayBuilder* base_;
};

template <typename ArrowType, typename Wire>
class IntegerDecoder final : public ColumnDecoder {
 public:
  explicit IntegerDecoder(arrow::ArrayBuilder* b)
      : ColumnDecoder(b), builder_(static_cast<arrow::NumericBuilder<ArrowType>*>(b)) {}
  Status Append(std::string_view bytes) override {
    if (bytes.size() != sizeof(Wire)) return WrongSize("integer", bytes.size());
    return FromArrow(builder_->Append(LoadBigEndian<Wire>(bytes.data())));
  }

 private:
  arrow::NumericBuilder<ArrowType>* builder_;
};

template <typename ArrowType, typename Bits>
class FloatDecoder final : public ColumnDecoder {
  using CType = typename ArrowType::c_type;

 public:
  explicit FloatDecoder(arrow::ArrayBuilder* b)
      : ColumnDecoder(b), builder_(static_cast<arrow::NumericBuilder<ArrowType>*>(b)) {}
  Status Append(std::string_view bytes) override {
    if (bytes.size() != sizeof(Bits)) return WrongSize("float", bytes.size());
    return FromArrow(builder_->Append(std::bit_cast<CType>(LoadBigEndian<Bits>(bytes.data()))));
  }

 private:
  arrow::NumericBuilder<ArrowType>* builder_;
};

class BoolDecoder final : public ColumnDecoder {
 public:
  explicit BoolDecoder(arrow::ArrayBuilder* b)
      : ColumnDecoder(b), builder_(static_cast<arrow::BooleanBuilder*>(b)) {}
  Status Append(std::string_view bytes) override {
    if (bytes.size() != 1) return WrongSize("bool", bytes.size());
    return FromArrow(builder_->Append(bytes[0] != 0));
  }

 private:
  arrow::BooleanBuilder* builder_;
};

// numeric: int16 ndigits, int16 weight, uint16 sign, int16 dscale, then
// ndigits base-10000 digits; the value is sum(digit[i] * 10000^(weight - i)).
class NumericDecoder final : public ColumnDecoder {
 public:
  NumericDecoder(arrow::ArrayBuilder* b, int32_t precision, int32_t scale)
      : ColumnDecoder(b),
        builder_(static_cast<arrow::Decimal128Builder*>(b)),
        precision_(precision),
        scale_(scale) {}

  Status Append(std::string_view bytes) override {
    if (bytes.size() < 8) return WrongSize("numeric", bytes.size());
    const int16_t ndigits = LoadBigEndian<int16_t>(bytes.data());
    const int16_t weight = LoadBigEndian<int16_t>(bytes.data() + 2);
    const uint16_t sign = LoadBigEndian<uint16_t>(bytes.data() + 4);
    if (ndigits < 0 || bytes.size() != 8 + 2 * static_cast<size_t>(ndigits))
      return WrongSize("numeric", bytes.size());
    if (sign != kPositive && sign != kNegative)
      return Status::Conversion("{} has no value in decimal({},{})",
                                sign == kNaN ? "NaN" : "an infinite numeric", precision_, scale_);
    // Horner over the groups, in units of the last group read (10^unit),
    // never finer than the column's scale: a stored value has no digits
    // beyond it, so the running value never exceeds the final one.
    arrow::Decimal128 value(0);
    int unit = 0;
    for (int i = 0; i < ndigits; ++i) {
      const int group_unit = 4 * (weight - i);
      const int32_t digit = LoadBigEndian<int16_t>(bytes.data() + 8 + 2 * i);
      const int below_scale = -(group_unit + scale_);
      if (below_scale >= 4) break;  // a whole group past the scale
      if (below_scale > 0) {
        value = value.IncreaseScaleBy(4 - below_scale) +
                arrow::Decimal128(digit / kPowersOf10[below_scale]);
        unit = -scale_;
        break;
      }
      value = value * arrow::Decimal128(10000) + arrow::Decimal128(digit);
      unit = group_unit;
    }
    const int shift = unit + scale_;
    if (ndigits > 0 && shift > 0) {
      if (shift > 38) return OutOfRange();
      value = value.IncreaseScaleBy(shift);
    }
    if (!value.FitsInPrecision(precision_)) return OutOfRange();
    if (sign == kNegative) value.Negate();
    return FromArrow(builder_->Append(value));
  }

 private:
  static constexpr uint16_t kPositive = 0x0000;
  static constexpr uint16_t kNegative = 0x4000;
  static constexpr uint16_t kNaN = 0xC000;
  static constexpr int32_t kPowersOf10[4] = {1, 10, 100, 1000};

  Status OutOfRange() const {
    return Status::Conversion("a value beyond decimal({},{})", precision_, scale_);
  }

  arrow::Decimal128Builder* builder_;
  int32_t precision_;
  int32_t scale_;
};

// text and everything sent as its text; jsonb after its version byte.
class TextDecoder final : public ColumnDecoder {
 public:
  TextDecoder(arrow::ArrayBuilder* b, bool jsonb)
      : ColumnDecoder(b), builder_(static_cast<arrow::StringBuilder*>(b)), jsonb_(jsonb) {}
  Status Append(std::string_view bytes) override {
    if (jsonb_) {
      if (bytes.empty() || bytes[0] != 1) return Status::Conversion("an unknown jsonb version");
      bytes.remove_prefix(1);
    }
    return FromArrow(builder_->Append(bytes));
  }

 private:
  arrow::StringBuilder* builder_;
  bool jsonb_;
};

class ByteaDecoder final : public ColumnDecoder {
 public:
  explicit ByteaDecoder(arrow::ArrayBuilder* b)
      : ColumnDecoder(b), builder_(static_cast<arrow::BinaryBuilder*>(b)) {}
  Status Append(std::string_view bytes) override { return FromArrow(builder_->Append(bytes)); }

 private:
  arrow::BinaryBuilder* builder_;
};

class UuidDecoder final : public ColumnDecoder {
 public:
  explicit UuidDecoder(arrow::ArrayBuilder* b)
      : ColumnDecoder(b), builder_(static_cast<arrow::StringBuilder*>(b)) {}
  Status Append(std::string_view bytes) override {
    if (bytes.size() != 16) return WrongSize("uuid", bytes.size());
    static constexpr char kHex[] = "0123456789abcdef";
    char text[36];
    size_t at = 0;
    for (size_t i = 0; i < 16; ++i) {
      if (i == 4 || i == 6 || i == 8 || i == 10) text[at++] = '-';
      auto byte = static_cast<unsigned char>(bytes[i]);
      text[at++] = kHex[byte >> 4];
      text[at++] = kHex[byte & 0xF];
    }
    return FromArrow(builder_->Append(std::string_view(text, sizeof(text))));
  }

 private:
  arrow::StringBuilder* builder_;
};

class DateDecoder final : public ColumnDecoder {
 public:
  explicit DateDecoder(arrow::ArrayBuilder* b)
      : ColumnDecoder(b), builder_(static_cast<arrow::Date32Builder*>(b)) {}
  Status Append(std::string_view bytes) override {
    if (bytes.size() != 4) return WrongSize("date", bytes.size());
    const int32_t days = LoadBigEndian<int32_t>(bytes.data());
    if (days == std::numeric_limits<int32_t>::max() || days == std::numeric_limits<int32_t>::min())
      return Status::Conversion("the date '{}infinity' has no value in Spark", days < 0 ? "-" : "");
    return FromArrow(builder_->Append(days + kPgEpochDays));
  }

 private:
  arrow::Date32Builder* builder_;
};

class TimestampDecoder final : public ColumnDecoder {
 public:
  explicit TimestampDecoder(arrow::ArrayBuilder* b)
      : ColumnDecoder(b), builder_(static_cast<arrow::TimestampBuilder*>(b)) {}
  Status Append(std::string_view bytes) override {
    if (bytes.size() != 8) return WrongSize("timestamp", bytes.size());
    const int64_t micros = LoadBigEndian<int64_t>(bytes.data());
    if (micros == std::numeric_limits<int64_t>::max() ||
        micros == std::numeric_limits<int64_t>::min())
      return Status::Conversion("the timestamp '{}infinity' has no value in Spark",
                                micros < 0 ? "-" : "");
    int64_t since_1970;
    // PostgreSQL's range ends in 294276 AD, past int64 microseconds since 1970.
    if (__builtin_add_overflow(micros, kPgEpochMicros, &since_1970))
      return Status::Conversion("a timestamp in the year 294247 or later has no value in Spark");
    return FromArrow(builder_->Append(since_1970));
  }

 private:
  arrow::TimestampBuilder* builder_;
};

// One-dimensional arrays: int32 ndim, int32 has-nulls, uint32 element type,
// per dimension int32 size and int32 lower bound, then the elements as
// fields (int32 length, -1 for NULL, and bytes).
class ArrayDecoder final : public ColumnDecoder {
 public:
  ArrayDecoder(arrow::ArrayBuilder* b, std::unique_ptr<ColumnDecoder> element)
      : ColumnDecoder(b),
        builder_(static_cast<arrow::ListBuilder*>(b)),
        element_(std::move(element)) {}

  Status Append(std::string_view bytes) override {
    if (bytes.size() < 12) return WrongSize("array", bytes.size());
    const int32_t ndim = LoadBigEndian<int32_t>(bytes.data());
    LF_RETURN_IF_ERROR(FromArrow(builder_->Append()));
    if (ndim == 0) return Status::OK();
    if (ndim != 1)
      return Status::Conversion("an array of {} dimensions (only one-dimensional arrays are read)",
                                ndim);
    if (bytes.size() < 20) return WrongSize("array", bytes.size());
    const int32_t count = LoadBigEndian<int32_t>(bytes.data() + 12);
    size_t at = 20;
    for (int32_t i = 0; i < count; ++i) {
      if (at + 4 > bytes.size()) return WrongSize("array", bytes.size());
      const int32_t size = LoadBigEndian<int32_t>(bytes.data() + at);
      at += 4;
      if (size < 0) {
        LF_RETURN_IF_ERROR(element_->AppendNull());
        continue;
      }
      if (at + static_cast<size_t>(size) > bytes.size()) return WrongSize("array", bytes.size());
      Status status = element_->Append(bytes.substr(at, static_cast<size_t>(size)));
      if (!status.ok()) return Status(status.code(), fmt::format("[{}]: {}", i, status.message()));
      at += static_cast<size_t>(size);
    }
    return Status::OK();
  }

 private:
  arrow::ListBuilder* builder_;
  std::unique_ptr<ColumnDecoder> element_;
};

std::unique_ptr<ColumnDecoder> MakeDecoder(PgKind kind, const PgColumn& column,
                                           arrow::ArrayBuilder* builder) {
  switch (kind) {
    case PgKind::kBool:
      return std::make_unique<BoolDecoder>(builder);
    case PgKind::kInt2:
      return std::make_unique<IntegerDecoder<arrow::Int16Type, int16_t>>(builder);
    case PgKind::kInt4:
      return std::make_unique<IntegerDecoder<arrow::Int32Type, int32_t>>(builder);
    case PgKind::kInt8:
      return std::make_unique<IntegerDecoder<arrow::Int64Type, int64_t>>(builder);
    case PgKind::kFloat4:
      return std::make_unique<FloatDecoder<arrow::FloatType, uint32_t>>(builder);
    case PgKind::kFloat8:
      return std::make_unique<FloatDecoder<arrow::DoubleType, uint64_t>>(builder);
    case PgKind::kNumeric:
      return std::make_unique<NumericDecoder>(builder, column.precision, column.scale);
    case PgKind::kText:
      return std::make_unique<TextDecoder>(builder, /*jsonb=*/false);
    case PgKind::kJsonb:
      return std::make_unique<TextDecoder>(builder, /*jsonb=*/true);
    case PgKind::kBytea:
      return std::make_unique<ByteaDecoder>(builder);
    case PgKind::kUuid:
      return std::make_unique<UuidDecoder>(builder);
    case PgKind::kDate:
      return std::make_unique<DateDecoder>(builder);
    case PgKind::kTimestamp:
    case PgKind::kTimestampTz:
      return std::make_unique<TimestampDecoder>(builder);
    case PgKind::kArray: {
      auto* list = static_cast<arrow::ListBuilder*>(builder);
      return std::make_unique<ArrayDecoder>(
          builder, MakeDecoder(column.element, column, list->value_builder()));
    }
  }
  return nullptr;
}

class PgCopyDecoderImpl final : public PgCopyDecoder {
 public:
  PgCopyDecoderImpl(std::string table, std::vector<PgColumn> columns, SchemaPtr schema)
      : table_(std::move(table)), columns_(std::move(columns)), schema_(std::move(schema)) {}

  Status Init() {
    if (schema_->num_fields() != static_cast<int>(columns_.size()))
      return Status::Internal("postgres: the schema of '{}' does not match its columns", table_);
    LF_ASSIGN_OR_RETURN(builders_, BatchBuilders::Make(schema_));
    for (size_t i = 0; i < columns_.size(); ++i)
      decoders_.push_back(MakeDecoder(columns_[i].kind, columns_[i], builders_.column(i)));
    return Status::OK();
  }

  Status Feed(std::string_view data) override {
    if (pending_.empty()) {
      LF_ASSIGN_OR_RETURN(size_t used, Decode(data));
      pending_.assign(data.substr(used));
      return Status::OK();
    }
    pending_.append(data);
    LF_ASSIGN_OR_RETURN(size_t used, Decode(pending_));
    pending_.erase(0, used);
    return Status::OK();
  }

  int64_t num_rows() const override { return rows_; }
  bool finished() const override { return finished_; }

  Result<std::shared_ptr<arrow::RecordBatch>> Flush() override {
    LF_ASSIGN_OR_RETURN(auto batch, builders_.Finish(rows_));
    rows_ = 0;
    return batch;
  }

 private:
  // Decodes the complete rows at the start of `data`; returns the bytes used.
  Result<size_t> Decode(std::string_view data) {
    size_t at = 0;
    if (!header_read_) {
      if (data.size() < kHeaderFixed) return 0;
      if (data.substr(0, kSignature.size()) != kSignature)
        return Status::SourceError("postgres: table '{}': not a binary COPY stream", table_);
      const auto extension = static_cast<size_t>(LoadBigEndian<uint32_t>(data.data() + 15));
      if (data.size() < kHeaderFixed + extension) return 0;
      at = kHeaderFixed + extension;
      header_read_ = true;
    }
    while (!finished_ && at + 2 <= data.size()) {
      const int16_t fields = LoadBigEndian<int16_t>(data.data() + at);
      if (fields == -1) {
        finished_ = true;
        return at + 2;
      }
      if (fields != static_cast<int16_t>(columns_.size()))
        return Status::SourceError("postgres: table '{}', row {}: {} fields for {} columns", table_,
                                   row_number_, fields, columns_.size());
      size_t end = RowEnd(data, at + 2);
      if (end == 0) break;  // the row continues in the next message
      LF_RETURN_IF_ERROR(AppendRow(data.substr(at + 2, end - at - 2)));
      at = end;
    }
    return at;
  }

  // Where the row whose fields start at `at` ends; 0 when it is incomplete.
  size_t RowEnd(std::string_view data, size_t at) const {
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (at + 4 > data.size()) return 0;
      const int32_t size = LoadBigEndian<int32_t>(data.data() + at);
      at += 4 + (size > 0 ? static_cast<size_t>(size) : 0);
      if (at > data.size()) return 0;
    }
    return at;
  }

  Status AppendRow(std::string_view fields) {
    size_t at = 0;
    for (size_t i = 0; i < columns_.size(); ++i) {
      const int32_t size = LoadBigEndian<int32_t>(fields.data() + at);
      at += 4;
      Status status;
      if (size < 0) {
        status = columns_[i].not_null ? Status::Conversion("NULL in a NOT NULL column")
                                      : decoders_[i]->AppendNull();
      } else {
        status = decoders_[i]->Append(fields.substr(at, static_cast<size_t>(size)));
        at += static_cast<size_t>(size);
      }
      if (!status.ok())
        return Status(status.code(),
                      fmt::format("postgres: table '{}', row {}, column '{}': {}", table_,
                                  row_number_, columns_[i].name, status.message()));
    }
    ++rows_;
    ++row_number_;
    return Status::OK();
  }

  std::string table_;
  std::vector<PgColumn> columns_;
  SchemaPtr schema_;
  BatchBuilders builders_;
  std::vector<std::unique_ptr<ColumnDecoder>> decoders_;
  std::string pending_;  // the start of a row cut by a message boundary
  bool header_read_ = false;
  bool finished_ = false;
  int64_t rows_ = 0;
  int64_t row_number_ = 0;
};

}  // namespace

Result<std::unique_ptr<PgCopyDecoder>> PgCopyDecoder::Make(std::string table,
                                                           std::vector<PgColumn> columns,
                                                           SchemaPtr schema) {
  auto decoder =
      std::make_unique<PgCopyDecoderImpl>(std::move(table), std::move(columns), std::move(schema));
  LF_RETURN_IF_ERROR(decoder->Init());
  return std::unique_ptr<PgCopyDecoder>(std::move(decoder));
}

}  // namespace lakeflow::postgres
