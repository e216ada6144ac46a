#include "lakeflow/core/arrow_json.h"

#include <arrow/util/decimal.h>
#include <fmt/format.h>

#include <cmath>

#include "lakeflow/core/time_parse.h"
#include "lakeflow/core/types.h"

namespace lakeflow {

namespace {

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (c < 0x20) {
          fmt::format_to(std::back_inserter(*out), "\\u{:04x}", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

// Civil date from days since the epoch (Howard Hinnant's algorithm).
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

template <typename T>
void AppendFloat(T v, std::string* out) {
  if (!std::isfinite(v)) {
    out->append("null");
    return;
  }
  fmt::format_to(std::back_inserter(*out), "{}", v);
}

}  // namespace

std::string FormatDate(int32_t days) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  // ISO 8601's expanded years: at least four digits after the sign.
  if (y < 0) return fmt::format("-{:04d}-{:02d}-{:02d}", -y, m, d);
  return fmt::format("{:04d}-{:02d}-{:02d}", y, m, d);
}

std::string FormatTimestampMicros(int64_t micros, bool utc) {
  int64_t secs = micros / 1000000;
  int64_t frac = micros % 1000000;
  if (frac < 0) {
    frac += 1000000;
    secs -= 1;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  std::string out = FormatDate(static_cast<int32_t>(days));
  out += fmt::format("T{:02d}:{:02d}:{:02d}", rem / 3600, rem / 60 % 60, rem % 60);
  if (frac) out += fmt::format(".{:06d}", frac);
  if (utc) out += 'Z';
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out.push_back(kAlphabet[(n >> shift) & 63]);
  }
  if (i < bytes.size()) {
    uint32_t n = uint8_t(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= uint8_t(bytes[i + 1]) << 8;
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

void AppendJsonValue(const arrow::Array& array, int64_t row, const arrow::Field* field,
                     std::string* out) {
  if (array.IsNull(row)) {
    out->append("null");
    return;
  }
  switch (array.type_id()) {
    case arrow::Type::STRING: {
      auto v = static_cast<const arrow::StringArray&>(array).GetView(row);
      if (field && IsVariant(*field)) {
        out->append(v);
      } else {
        AppendJsonString(v, out);
      }
      return;
    }
    case arrow::Type::INT8:
      fmt::format_to(std::back_inserter(*out), "{}",
                     static_cast<const arrow::Int8Array&>(array).Value(row));
      return;
    case arrow::Type::INT16:
      fmt::format_to(std::back_inserter(*out), "{}",
                     static_cast<const arrow::Int16Array&>(array).Value(row));
      return;
    case arrow::Type::INT32:
      fmt::format_to(std::back_inserter(*out), "{}",
                     static_cast<const arrow::Int32Array&>(array).Value(row));
      return;
    case arrow::Type::INT64:
      fmt::format_to(std::back_inserter(*out), "{}",
                     static_cast<const arrow::Int64Array&>(array).Value(row));
      return;
    case arrow::Type::FLOAT:
      AppendFloat(static_cast<const arrow::FloatArray&>(array).Value(row), out);
      return;
    case arrow::Type::DOUBLE:
      AppendFloat(static_cast<const arrow::DoubleArray&>(array).Value(row), out);
      return;
    case arrow::Type::BOOL:
      out->append(static_cast<const arrow::BooleanArray&>(array).Value(row) ? "true" : "false");
      return;
    case arrow::Type::DATE32:
      AppendJsonString(FormatDate(static_cast<const arrow::Date32Array&>(array).Value(row)), out);
      return;
    case arrow::Type::TIMESTAMP: {
      const auto& ts = static_cast<const arrow::TimestampArray&>(array);
      const auto& type = static_cast<const arrow::TimestampType&>(*array.type());
      AppendJsonString(FormatTimestampMicros(ts.Value(row), !type.timezone().empty()), out);
      return;
    }
    case arrow::Type::DECIMAL128: {
      const auto& d = static_cast<const arrow::Decimal128Array&>(array);
      out->append(d.FormatValue(row));
      return;
    }
    case arrow::Type::BINARY:
      AppendJsonString(Base64Encode(static_cast<const arrow::BinaryArray&>(array).GetView(row)),
                       out);
      return;
    case arrow::Type::LIST: {
      const auto& list = static_cast<const arrow::ListArray&>(array);
      const auto& values = *list.values();
      const auto* element = static_cast<const arrow::ListType&>(*array.type()).value_field().get();
      out->push_back('[');
      for (int64_t i = list.value_offset(row); i < list.value_offset(row + 1); ++i) {
        if (i > list.value_offset(row)) out->push_back(',');
        AppendJsonValue(values, i, element, out);
      }
      out->push_back(']');
      return;
    }
    case arrow::Type::MAP: {
      const auto& map = static_cast<const arrow::MapArray&>(array);
      const auto* item = static_cast<const arrow::MapType&>(*array.type()).item_field().get();
      out->push_back('{');
      for (int64_t i = map.value_offset(row); i < map.value_offset(row + 1); ++i) {
        if (i > map.value_offset(row)) out->push_back(',');
        std::string key;
        AppendJsonValue(*map.keys(), i, nullptr, &key);
        if (key.empty() || key.front() != '"') key = "\"" + key + "\"";  // JSON keys are strings
        out->append(key);
        out->push_back(':');
        AppendJsonValue(*map.items(), i, item, out);
      }
      out->push_back('}');
      return;
    }
    case arrow::Type::STRUCT: {
      const auto& st = static_cast<const arrow::StructArray&>(array);
      const auto& type = *array.type();
      out->push_back('{');
      for (int i = 0; i < type.num_fields(); ++i) {
        if (i) out->push_back(',');
        AppendJsonString(type.field(i)->name(), out);
        out->push_back(':');
        AppendJsonValue(*st.field(i), row, type.field(i).get(), out);
      }
      out->push_back('}');
      return;
    }
    default:
      // Every type the engine carries is handled above (see types.h).
      out->append("null");
  }
}

void AppendJsonRecord(const arrow::RecordBatch& batch, int64_t row, std::string* out) {
  out->push_back('{');
  for (int i = 0; i < batch.num_columns(); ++i) {
    if (i) out->push_back(',');
    AppendJsonString(batch.schema()->field(i)->name(), out);
    out->push_back(':');
    AppendJsonValue(*batch.column(i), row, batch.schema()->field(i).get(), out);
  }
  out->push_back('}');
}

}  // namespace lakeflow
