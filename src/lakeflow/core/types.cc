#include "lakeflow/core/types.h"

#include <arrow/array.h>
#include <arrow/array/util.h>
#include <arrow/util/key_value_metadata.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace lakeflow {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// "decimal(10,2)" / "decimal(10, 2)" / "decimal" -> precision, scale.
Result<TypePtr> ParseDecimal(std::string_view name) {
  auto open = name.find('(');
  if (open == std::string_view::npos) return arrow::decimal128(10, 0);  // Spark's default
  auto close = name.find(')', open);
  auto comma = name.find(',', open);
  if (close == std::string_view::npos) return Status::Invalid("bad decimal type '{}'", name);
  auto parse = [](std::string_view s, int* out) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return ec == std::errc() && p == s.data() + s.size();
  };
  int precision = 0, scale = 0;
  bool ok = comma == std::string_view::npos
                ? parse(name.substr(open + 1, close - open - 1), &precision)
                : parse(name.substr(open + 1, comma - open - 1), &precision) &&
                      parse(name.substr(comma + 1, close - comma - 1), &scale);
  if (!ok || precision < 1 || precision > 38 || scale < 0 || scale > precision) {
    return Status::Invalid(
        "bad decimal type '{}': precision must be 1..38 and 0 <= scale <= precision", name);
  }
  return arrow::decimal128(precision, scale);
}

}  // namespace

FieldPtr VariantField(const std::string& name, bool nullable) {
  return arrow::field(name, arrow::utf8(), nullable,
                      arrow::key_value_metadata({kSparkTypeKey}, {"variant"}));
}

bool IsVariant(const arrow::Field& field) {
  const auto& md = field.metadata();
  if (!md) return false;
  auto v = md->Get(kSparkTypeKey);
  return v.ok() && *v == "variant";
}

Result<TypePtr> PrimitiveTypeFromSparkName(std::string_view raw) {
  std::string name = Lower(raw);
  // The name before any "(n)" / "(p,s)" arguments, compared exactly.
  std::string base = name.substr(0, name.find('('));
  while (!base.empty() && base.back() == ' ') base.pop_back();
  if (name == "string" || base == "varchar" || base == "char") return arrow::utf8();
  if (name == "byte" || name == "tinyint") return arrow::int8();
  if (name == "short" || name == "smallint") return arrow::int16();
  if (name == "int" || name == "integer") return arrow::int32();
  if (name == "long" || name == "bigint") return arrow::int64();
  if (name == "float" || name == "real") return arrow::float32();
  if (name == "double") return arrow::float64();
  if (name == "boolean" || name == "bool") return arrow::boolean();
  if (name == "date") return arrow::date32();
  if (name == "timestamp" || name == "timestamp_ltz")
    return arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
  if (name == "timestamp_ntz") return arrow::timestamp(arrow::TimeUnit::MICRO);
  if (name == "binary") return arrow::binary();
  if (base == "decimal" || base == "dec" || base == "numeric") {
    return ParseDecimal(name);
  }
  return Status::Invalid("unknown Spark type '{}'", raw);
}

Result<std::string> SparkTypeName(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::STRING:
      return std::string("string");
    case arrow::Type::INT8:
      return std::string("byte");
    case arrow::Type::INT16:
      return std::string("short");
    case arrow::Type::INT32:
      return std::string("integer");
    case arrow::Type::INT64:
      return std::string("long");
    case arrow::Type::FLOAT:
      return std::string("float");
    case arrow::Type::DOUBLE:
      return std::string("double");
    case arrow::Type::BOOL:
      return std::string("boolean");
    case arrow::Type::DATE32:
      return std::string("date");
    case arrow::Type::BINARY:
      return std::string("binary");
    case arrow::Type::TIMESTAMP: {
      const auto& ts = static_cast<const arrow::TimestampType&>(type);
      return std::string(ts.timezone().empty() ? "timestamp_ntz" : "timestamp");
    }
    case arrow::Type::DECIMAL128: {
      const auto& d = static_cast<const arrow::Decimal128Type&>(type);
      return fmt::format("decimal({},{})", d.precision(), d.scale());
    }
    case arrow::Type::LIST:
      return std::string("array");
    case arrow::Type::MAP:
      return std::string("map");
    case arrow::Type::STRUCT:
      return std::string("struct");
    default:
      return Status::Invalid("Arrow type {} has no Spark equivalent", type.ToString());
  }
}

std::string SparkTypeString(const arrow::Field& field) {
  if (IsVariant(field)) return "variant";
  const auto& type = *field.type();
  switch (type.id()) {
    case arrow::Type::LIST:
      return "array<" + SparkTypeString(*static_cast<const arrow::ListType&>(type).value_field()) +
             ">";
    case arrow::Type::MAP: {
      const auto& m = static_cast<const arrow::MapType&>(type);
      return "map<" + SparkTypeString(*m.key_field()) + "," + SparkTypeString(*m.item_field()) +
             ">";
    }
    case arrow::Type::STRUCT: {
      std::string out = "struct<";
      for (int i = 0; i < type.num_fields(); ++i) {
        if (i) out += ",";
        out += type.field(i)->name() + ":" + SparkTypeString(*type.field(i));
      }
      return out + ">";
    }
    default: {
      auto name = SparkTypeName(type);
      return name.ok() ? *name : type.ToString();
    }
  }
}

Status CheckSupportedType(const arrow::Field& field) {
  LF_ASSIGN_OR_RETURN(auto name, SparkTypeName(*field.type()));
  (void)name;
  for (const auto& child : field.type()->fields()) {
    LF_RETURN_IF_ERROR(CheckSupportedType(*child).WithContext(field.name()));
  }
  return Status::OK();
}

std::shared_ptr<arrow::Array> WithFieldType(std::shared_ptr<arrow::Array> column,
                                            const TypePtr& type) {
  if (column->type()->Equals(*type, /*check_metadata=*/true)) return column;
  auto data = column->data()->Copy();
  data->type = type;
  return arrow::MakeArray(data);
}

}  // namespace lakeflow
