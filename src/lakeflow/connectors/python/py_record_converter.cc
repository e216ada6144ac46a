// Python objects -> Arrow with CPython's C API.
//
// Make() turns the schema into a tree of Appenders, one per field (recursively
// for struct, list and map), each holding its typed Arrow builder, as the JSON
// converter does. A value is classified once by its Python type (None, bool,
// int, float, str, dict, list or tuple, anything else) and each appender
// applies the JSON converter's rule for what that type's JSON text would be.
// "Anything else" (datetime, Decimal, bytes, Row, ...) goes through the
// bridge's `plain`, the same function that wrote it as JSON before, and the
// result is appended in its place.
//
// Struct fields are looked up by name in each dict with field names made into
// Python strings once, so a record costs one hash probe per field.
#include "lakeflow/connectors/python/py_record_converter.h"

#include <arrow/builder.h>
#include <arrow/record_batch.h>
#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <vector>

#include "lakeflow/connectors/python/python_runtime.h"
#include "lakeflow/core/conversion_error.h"
#include "lakeflow/core/time_parse.h"
#include "lakeflow/core/value_text.h"

namespace lakeflow::python {
namespace {

// What JSON value a Python value would have been written as.
enum class Kind { kNone, kBool, kInt, kFloat, kStr, kDict, kList, kOther };

Kind KindOf(py::handle v) {
  PyObject* o = v.ptr();
  if (o == Py_None) return Kind::kNone;
  if (PyUnicode_Check(o)) return Kind::kStr;
  if (PyBool_Check(o)) return Kind::kBool;
  if (PyLong_Check(o)) return Kind::kInt;
  if (PyFloat_Check(o)) return Kind::kFloat;
  if (PyDict_Check(o)) return Kind::kDict;
  if (PyList_Check(o) || PyTuple_Check(o)) return Kind::kList;
  return Kind::kOther;
}

// The text JSON gives an int or a float (int.__repr__ / float.__repr__, as
// json.dumps writes them, whatever a subclass's own repr says).
py::object NumberText(py::handle v) {
  PyTypeObject* type = PyBool_Check(v.ptr())   ? nullptr
                       : PyLong_Check(v.ptr()) ? &PyLong_Type
                                               : &PyFloat_Type;
  if (type == nullptr) return py::str(v.ptr() == Py_True ? "true" : "false");
  return py::reinterpret_steal<py::object>(type->tp_repr(v.ptr()));
}

// Python helpers the appenders call, looked up once per converter.
struct Helpers {
  py::object plain;         // datetime, Decimal, bytes, Row, ... -> str or dict
  py::object compact_json;  // any value -> compact JSON text (str)
};

// What the appenders share while one Append runs: the error being built,
// and the Python helpers.
class Context : public ConversionError {
 public:
  explicit Context(Helpers helpers) : helpers_(std::move(helpers)) {}

  // `v` as `plain` gives it; false (and the error) when it cannot.
  bool Plain(py::handle v, py::object* out) {
    try {
      *out = helpers_.plain(v);
      return true;
    } catch (const py::error_already_set& e) {
      return Fail(DescribeError(e));
    }
  }
  // `v`'s compact JSON text; false (and the error) when it has none.
  bool Json(py::handle v, py::object* out) {
    try {
      *out = helpers_.compact_json(v);
      return true;
    } catch (const py::error_already_set& e) {
      return Fail(DescribeError(e));
    }
  }
  // `v` as an error shows it: its JSON text, or its repr.
  std::string Shown(py::handle v) {
    try {
      return ClipValue(helpers_.compact_json(v).cast<std::string>());
    } catch (const py::error_already_set&) {
      return ClipValue(py::repr(v).cast<std::string>());
    }
  }

 private:
  Helpers helpers_;
};

class Appender {
 public:
  Appender(FieldPtr field, Context* ctx, arrow::ArrayBuilder* builder)
      : field_(std::move(field)), ctx_(ctx), base_builder_(builder) {}
  virtual ~Appender() = default;
  Appender(const Appender&) = delete;
  Appender& operator=(const Appender&) = delete;

  // Appends one value, None included.
  virtual bool Append(py::handle v) = 0;
  // Appends a null (None, or a struct field the dict lacks).
  bool AppendNull() { return Check(base_builder_->AppendNull()); }

  const FieldPtr& field() const { return field_; }

 protected:
  bool Check(const arrow::Status& s) { return ARROW_PREDICT_TRUE(s.ok()) || ctx_->ArrowError(s); }

  bool Null() {
    if (!field_->nullable())
      return ctx_->Fail(
          fmt::format("cannot convert null to {}: the field is not nullable", TypeName()));
    return AppendNull();
  }
  bool Reject(py::handle v) {
    return ctx_->Fail(fmt::format("cannot convert {} to {}", ctx_->Shown(v), TypeName()));
  }
  // A value JSON has no word for, appended as `plain` writes it.
  bool AppendPlain(py::handle v) {
    py::object plain;
    return ctx_->Plain(v, &plain) && Append(plain);
  }
  // The UTF-8 text of a str; a lone surrogate has none.
  bool Utf8(py::handle v, std::string_view* out) {
    Py_ssize_t size = 0;
    const char* data = PyUnicode_AsUTF8AndSize(v.ptr(), &size);
    if (data == nullptr) {
      PyErr_Clear();
      return ctx_->Fail(fmt::format("cannot convert {} to {}: it is not valid UTF-8",
                                    ClipValue(py::repr(v).cast<std::string>()), TypeName()));
    }
    *out = std::string_view(data, static_cast<size_t>(size));
    return true;
  }
  // An int or float as a double; false for an int too large for one.
  static bool AsDouble(py::handle v, double* out) {
    *out = PyFloat_Check(v.ptr()) ? PyFloat_AS_DOUBLE(v.ptr()) : PyLong_AsDouble(v.ptr());
    if (*out == -1.0 && PyErr_Occurred()) {
      PyErr_Clear();
      return false;
    }
    return true;
  }
  // An int as int64; false when it does not fit.
  static bool AsInt64(py::handle v, int64_t* out) {
    int overflow = 0;
    long long x = PyLong_AsLongLongAndOverflow(v.ptr(), &overflow);
    if (overflow != 0 || (x == -1 && PyErr_Occurred())) {
      PyErr_Clear();
      return false;
    }
    *out = x;
    return true;
  }

  std::string TypeName() const { return ClipValue(SparkTypeString(*field_)); }

  FieldPtr field_;
  Context* ctx_;
  arrow::ArrayBuilder* base_builder_;  // null only at the root
};

// string: str as its text, anything else as its compact JSON text. Variant
// columns keep every value as JSON text, so their strings stay quoted.
class StringAppender final : public Appender {
 public:
  StringAppender(FieldPtr field, Context* ctx, arrow::ArrayBuilder* builder)
      : Appender(std::move(field), ctx, builder),
        builder_(static_cast<arrow::StringBuilder*>(builder)),
        variant_(IsVariant(*field_)) {}

  bool Append(py::handle v) override {
    Kind kind = KindOf(v);
    if (kind == Kind::kNone) return Null();
    if (variant_) return AppendJson(v);
    switch (kind) {
      case Kind::kStr:
        return AppendText(v);
      case Kind::kBool:
      case Kind::kInt:
      case Kind::kFloat:
        return AppendText(NumberText(v));
      case Kind::kDict:
      case Kind::kList:
        return AppendJson(v);
      default:
        return AppendPlain(v);
    }
  }

 private:
  bool AppendText(py::handle text) {
    std::string_view s;
    return Utf8(text, &s) && Check(builder_->Append(s));
  }
  bool AppendJson(py::handle v) {
    py::object json;
    return ctx_->Json(v, &json) && AppendText(json);
  }

  arrow::StringBuilder* builder_;
  bool variant_;
};

// byte, short, int, long: ints, integral floats, numeric strings; range checked.
template <typename ArrowType>
class IntAppender final : public Appender {
  using CType = typename ArrowType::c_type;

 public:
  IntAppender(FieldPtr field, Context* ctx, arrow::ArrayBuilder* builder)
      : Appender(std::move(field), ctx, builder),
        builder_(static_cast<arrow::NumericBuilder<ArrowType>*>(builder)) {}

  bool Append(py::handle v) override {
    int64_t x = 0;
    switch (KindOf(v)) {
      case Kind::kInt:
        if (!AsInt64(v, &x)) return Reject(v);
        return Put(x, v);
      case Kind::kFloat:
        if (!DoubleToInt64(PyFloat_AS_DOUBLE(v.ptr()), &x)) return Reject(v);
        return Put(x, v);
      case Kind::kStr: {
        std::string_view s;
        if (!Utf8(v, &s)) return false;
        if (!ParseIntText(s, &x)) return Reject(v);
        return Put(x, v);
      }
      case Kind::kNone:
        return Null();
      case Kind::kOther:
        return AppendPlain(v);
      default:
        return Reject(v);
    }
  }

 private:
  bool Put(int64_t x, py::handle v) {
    if (x < std::numeric_limits<CType>::min() || x > std::numeric_limits<CType>::max())
      return Reject(v);
    return Check(builder_->Append(static_cast<CType>(x)));
  }

  arrow::NumericBuilder<ArrowType>* builder_;
};

// float, double: ints, floats, numeric strings.
template <typename ArrowType>
class FloatAppender final : public Appender {
  using CType = typename ArrowType::c_type;

 public:
  FloatAppender(FieldPtr field, Context* ctx, arrow::ArrayBuilder* builder)
      : Appender(std::move(field), ctx, builder),
        builder_(static_cast<arrow::NumericBuilder<ArrowType>*>(builder)) {}

  bool Append(py::handle v) override {
    double d = 0;
    switch (KindOf(v)) {
      case Kind::kInt:
      case Kind::kFloat:
        if (!AsDouble(v, &d)) return Reject(v);
        return Put(d, v);
      case Kind::kStr: {
        std::string_view s;
        if (!Utf8(v, &s)) return false;
        if (!ParseDoubleText(s, &d)) return Reject(v);
        return Put(d, v);
      }
      case Kind::kNone:
        return Null();
      case Kind::kOther:
        return AppendPlain(v);
      default:
        return Reject(v);
    }
  }

 private:
  bool Put(double d, py::handle v) {
    // A finite double too large for float would become infinity.
    if (std::isfinite(d) && std::fabs(d) > static_cast<double>(std::numeric_limits<CType>::max()))
      return Reject(v);
    return Check(builder_->Append(static_cast<CType>(d)));
  }

  arrow::NumericBuilder<ArrowType>* builder_;
};

// boolean: True/False, the strings true/t/yes/y/1 and false/f/no/n/0 in any
// case, the numbers 1 and 0.
class BoolAppender final : public Appender {
 public:
  BoolAppender(FieldPtr field, Context* ctx, arrow::ArrayBuilder* builder)
      : Appender(std::move(field), ctx, builder),
        builder_(static_cast<arrow::BooleanBuilder*>(builder)) {}

  bool Append(py::handle v) override {
    bool b = false;
    double d = 0;
    switch (KindOf(v)) {
      case Kind::kBool:
        return Check(builder_->Append(v.ptr() == Py_True));
      case Kind::kStr: {
        std::string_view s;
        if (!Utf8(v, &s)) return false;
        if (!ParseBoolText(s, &b)) return Reject(v);
        return Check(builder_->Append(b));
      }
      case Kind::kInt:
      case Kind::kFloat:
        if (!AsDouble(v, &d) || (d != 0 && d != 1)) return Reject(v);
        return Check(builder_->Append(d == 1));
      case Kind::kNone:
        return Null();
      case Kind::kOther:
        return AppendPlain(v);
      default:
        return Reject(v);
    }
  }

 private:
  arrow::BooleanBuilder* builder_;
};

// decimal(p, s): an int's or float's JSON text, or a numeric string, rounded
// half away from zero to the column's scale. A Decimal arrives as its text.
class DecimalAppender final : public Appender {
 public:
  DecimalAppender(FieldPtr field, Context* ctx, arrow::ArrayBuilder* builder)
      : Appender(std::move(field), ctx, builder),
        builder_(static_cast<arrow::Decimal128Builder*>(builder)) {
    const auto& type = static_cast<const arrow::Decimal128Type&>(*field_->type());
    precision_ = type.precision();
    scale_ = type.scale();
  }

  bool Append(py::handle v) override {
    switch (KindOf(v)) {
      case Kind::kInt:
      case Kind::kFloat:
        return AppendText(NumberText(v), v);
      case Kind::kStr:
        return AppendText(v, v);
      case Kind::kNone:
        return Null();
      case Kind::kOther:
        return AppendPlain(v);
      default:
        return Reject(v);
    }
  }

 private:
  bool AppendText(py::handle text, py::handle v) {
    std::string_view s;
    if (!Utf8(text, &s)) return false;
    arrow::Decimal128 value;
    if (!ParseDecimalText(s, precision_, scale_, &value)) return Reject(v);
    return Check(builder_->Append(value));
  }

  arrow::Decimal128Builder* builder_;
  int32_t precision_ = 0;
  int32_t scale_ = 0;
};

// date: the strings ParseDate reads; a date or datetime as its ISO text.
class DateAppender final : public Appender {
 public:
  DateAppender(FieldPtr field, Context* ctx, arrow::ArrayBuilder* builder)
      : Appender(std::move(field), ctx, builder),
        builder_(static_cast<arrow::Date32Builder*>(builder)) {}

  bool Append(py::handle v) override {
    switch (KindOf(v)) {
      case Kind::kStr: {
        std::string_view s;
        if (!Utf8(v, &s)) return false;
        auto days = ParseDate(s);
        if (!days) return Reject(v);
        return Check(builder_->Append(*days));
      }
      case Kind::kNone:
        return Null();
      case Kind::kOther:
        return AppendPlain(v);
      default:
        return Reject(v);
    }
  }

 private:
  arrow::Date32Builder* builder_;
};

// timestamp, timestamp_ntz (microseconds): ISO 8601 strings, epoch seconds as
// an int or float; a datetime as its ISO text.
class TimestampAppender final : public Appender {
 public:
  TimestampAppender(FieldPtr field, Context* ctx, arrow::ArrayBuilder* builder)
      : Appender(std::move(field), ctx, builder),
        builder_(static_cast<arrow::TimestampBuilder*>(builder)) {}

  bool Append(py::handle v) override {
    int64_t micros = 0, seconds = 0;
    switch (KindOf(v)) {
      case Kind::kStr: {
        std::string_view s;
        if (!Utf8(v, &s)) return false;
        auto parsed = ParseTimestampMicros(s);
        if (!parsed) return Reject(v);
        return Check(builder_->Append(*parsed));
      }
      case Kind::kInt:
        if (!AsInt64(v, &seconds) || !EpochSecondsToMicros(seconds, &micros)) return Reject(v);
        return Check(builder_->Append(micros));
      case Kind::kFloat:
        if (!EpochSecondsToMicros(PyFloat_AS_DOUBLE(v.ptr()), &micros)) return Reject(v);
        return Check(builder_->Append(micros));
      case Kind::kNone:
        return Null();
      case Kind::kOther:
        return AppendPlain(v);
      default:
        return Reject(v);
    }
  }

 private:
  arrow::TimestampBuilder* builder_;
};

// binary: bytes and bytearray as they are; a string as base64, else hex,
// else its UTF-8 bytes.
class BinaryAppender final : public Appender {
 public:
  BinaryAppender(FieldPtr field, Context* ctx, arrow::ArrayBuilder* builder)
      : Appender(std::move(field), ctx, builder),
        builder_(static_cast<arrow::BinaryBuilder*>(builder)) {}

  bool Append(py::handle v) override {
    PyObject* o = v.ptr();
    if (PyBytes_Check(o))
      return Check(builder_->Append(reinterpret_cast<const uint8_t*>(PyBytes_AS_STRING(o)),
                                    static_cast<int32_t>(PyBytes_GET_SIZE(o))));
    if (PyByteArray_Check(o))
      return Check(builder_->Append(reinterpret_cast<const uint8_t*>(PyByteArray_AS_STRING(o)),
                                    static_cast<int32_t>(PyByteArray_GET_SIZE(o))));
    switch (KindOf(v)) {
      case Kind::kStr: {
        std::string_view s;
        return Utf8(v, &s) && Check(builder_->Append(BinaryFromText(s, &scratch_)));
      }
      case Kind::kNone:
        return Null();
      case Kind::kOther:
        return AppendPlain(v);
      default:
        return Reject(v);
    }
  }

 private:
  arrow::BinaryBuilder* builder_;
  std::string scratch_;
};

// array<T>: a list or tuple, or a lone value as a one-element array.
class ListAppender final : public Appender {
 public:
  ListAppender(FieldPtr field, Context* ctx, arrow::ArrayBuilder* builder,
               std::unique_ptr<Appender> element)
      : Appender(std::move(field), ctx, builder),
        builder_(static_cast<arrow::ListBuilder*>(builder)),
        element_(std::move(element)) {}

  bool Append(py::handle v) override {
    Kind kind = KindOf(v);
    if (kind == Kind::kNone) return Null();
    if (!Check(builder_->Append())) return false;
    if (kind != Kind::kList) return element_->Append(v) || ctx_->InIndex(0);
    PyObject** items = PySequence_Fast_ITEMS(v.ptr());
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(v.ptr());
    for (Py_ssize_t i = 0; i < n; ++i) {
      if (!element_->Append(items[i])) return ctx_->InIndex(static_cast<size_t>(i));
    }
    return true;
  }

 private:
  arrow::ListBuilder* builder_;
  std::unique_ptr<Appender> element_;
};

// map<K, V>: a dict; keys as JSON writes them (str as is; int, float, bool
// and None as their JSON text), then through the key column's text rules.
class MapAppender final : public Appender {
 public:
  MapAppender(FieldPtr field, Context* ctx, arrow::ArrayBuilder* builder,
              std::unique_ptr<Appender> keys, std::unique_ptr<Appender> items)
      : Appender(std::move(field), ctx, builder),
        builder_(static_cast<arrow::MapBuilder*>(builder)),
        keys_(std::move(keys)),
        items_(std::move(items)) {}

  bool Append(py::handle v) override {
    switch (KindOf(v)) {
      case Kind::kDict:
        return AppendDict(v);
      case Kind::kNone:
        return Null();
      case Kind::kOther:
        return AppendPlain(v);
      default:
        return Reject(v);
    }
  }

 private:
  bool AppendDict(py::handle dict) {
    if (!Check(builder_->Append())) return false;
    PyObject *key = nullptr, *item = nullptr;
    Py_ssize_t pos = 0;
    while (PyDict_Next(dict.ptr(), &pos, &key, &item)) {
      py::object text;
      if (!KeyText(key, &text)) return false;
      if (!keys_->Append(text) || !items_->Append(item)) {
        LineUpKeysAndItems();
        return ctx_->InKey(py::str(text).cast<std::string>());
      }
    }
    return true;
  }

  bool KeyText(py::handle key, py::object* out) {
    switch (KindOf(key)) {
      case Kind::kStr:
        *out = py::reinterpret_borrow<py::object>(key);
        return true;
      case Kind::kNone:
        *out = py::str("null");
        return true;
      case Kind::kBool:
      case Kind::kInt:
      case Kind::kFloat:
        *out = NumberText(key);
        return true;
      default:
        return ctx_->Fail(
            fmt::format("a map key of type {} cannot be converted",
                        py::str(key.get_type().attr("__name__")).cast<std::string>()));
    }
  }

  // After a failed entry: Arrow aborts the process when a map's key and item
  // builders differ in length.
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

// struct<...> from a dict (a pyspark Row as its dict): unknown keys are
// ignored, a missing nullable field is null, a missing non-nullable field is
// an error. The root (the record) is a StructAppender without a builder.
class StructAppender final : public Appender {
 public:
  StructAppender(FieldPtr field, Context* ctx, arrow::StructBuilder* builder,
                 std::vector<std::unique_ptr<Appender>> children)
      : Appender(std::move(field), ctx, builder),
        builder_(builder),
        children_(std::move(children)) {
    for (const auto& child : children_) names_.push_back(py::str(child->field()->name()));
  }

  bool Append(py::handle v) override {
    switch (KindOf(v)) {
      case Kind::kDict:
        return AppendDict(v);
      case Kind::kNone:
        return Null();
      case Kind::kList:  // a pyspark Row is a tuple
        if (!py::hasattr(v, "asDict")) return Reject(v);
        return AppendPlain(v);
      case Kind::kOther:
        return AppendPlain(v);
      default:
        return Reject(v);
    }
  }

  // Appends the dict's fields as one struct value (one row at the root).
  bool AppendDict(py::handle dict) {
    if (builder_ != nullptr && !Check(builder_->Append())) return false;
    for (size_t i = 0; i < children_.size(); ++i) {
      Appender& child = *children_[i];
      PyObject* value = PyDict_GetItemWithError(dict.ptr(), names_[i].ptr());
      if (value != nullptr) {
        if (!child.Append(value)) return ctx_->InField(child.field()->name());
        continue;
      }
      if (PyErr_Occurred()) return ctx_->Fail(DescribeError(py::error_already_set()));
      if (!child.field()->nullable()) {
        ctx_->Fail("missing, and the field is not nullable");
        return ctx_->InField(child.field()->name());
      }
      if (!child.AppendNull()) return ctx_->InField(child.field()->name());
    }
    return true;
  }

 private:
  arrow::StructBuilder* builder_;
  std::vector<std::unique_ptr<Appender>> children_;
  std::vector<py::str> names_;  // children's names as Python strings, hashed once
};

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
  const arrow::DataType& type = *field->type();
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
      for (int i = 0; i < struct_builder->num_fields(); ++i)
        child_builders.push_back(struct_builder->field_builder(i));
      LF_ASSIGN_OR_RETURN(auto appender, MakeStructAppender(field, type.fields(), struct_builder,
                                                            child_builders, ctx));
      return std::unique_ptr<Appender>(std::move(appender));
    }
    default:
      return Status::Invalid("field '{}': the Python record converter does not support type {}",
                             field->name(), type.ToString());
  }
}

class PyRecordConverterImpl final : public PyRecordConverter {
 public:
  PyRecordConverterImpl(std::string table, SchemaPtr schema, Helpers helpers)
      : table_(std::move(table)), schema_(std::move(schema)), ctx_(std::move(helpers)) {}

  Status Init() {
    std::vector<arrow::ArrayBuilder*> raw_builders;
    for (const auto& field : schema_->fields()) {
      std::unique_ptr<arrow::ArrayBuilder> builder;
      LF_RETURN_IF_ARROW_ERROR(
          arrow::MakeBuilder(arrow::default_memory_pool(), field->type(), &builder));
      raw_builders.push_back(builder.get());
      builders_.push_back(std::move(builder));
    }
    auto record_field = arrow::field("record", arrow::struct_(schema_->fields()), false);
    LF_ASSIGN_OR_RETURN(
        root_, MakeStructAppender(record_field, schema_->fields(), nullptr, raw_builders, &ctx_));
    return Status::OK();
  }

  Status Append(py::handle records) override {
    if (!PyList_Check(records.ptr()))
      return Status::Invalid("table '{}': records must come as a list", table_);
    const Py_ssize_t n = PyList_GET_SIZE(records.ptr());
    for (Py_ssize_t i = 0; i < n; ++i) {
      py::handle record = PyList_GET_ITEM(records.ptr(), i);
      ctx_.Clear();
      if (!PyDict_Check(record.ptr()))
        return Status::Conversion("table '{}', record {}: a {}, not a dict", table_, i,
                                  py::str(record.get_type().attr("__name__")).cast<std::string>());
      if (!root_->AppendDict(record)) return ctx_.ToStatus(table_, i);
      ++rows_;
    }
    return Status::OK();
  }

  int64_t num_rows() const override { return rows_; }

  Result<std::shared_ptr<arrow::RecordBatch>> Flush() override {
    arrow::ArrayVector columns;
    for (int i = 0; i < schema_->num_fields(); ++i) {
      std::shared_ptr<arrow::Array> column;
      LF_RETURN_IF_ARROW_ERROR(builders_[i]->Finish(&column));
      columns.push_back(WithFieldType(std::move(column), schema_->field(i)->type()));
    }
    auto batch = arrow::RecordBatch::Make(schema_, rows_, std::move(columns));
    rows_ = 0;
    return batch;
  }

 private:
  std::string table_;
  SchemaPtr schema_;
  Context ctx_;
  std::vector<std::unique_ptr<arrow::ArrayBuilder>> builders_;
  std::unique_ptr<StructAppender> root_;
  int64_t rows_ = 0;
};

}  // namespace

Result<std::unique_ptr<PyRecordConverter>> PyRecordConverter::Make(std::string table,
                                                                   SchemaPtr schema) {
  py::module_ bridge = Bridge();
  Helpers helpers{bridge.attr("plain"), bridge.attr("compact_json")};
  auto converter =
      std::make_unique<PyRecordConverterImpl>(std::move(table), std::move(schema), helpers);
  LF_RETURN_IF_ERROR(converter->Init());
  return std::unique_ptr<PyRecordConverter>(std::move(converter));
}

}  // namespace lakeflow::python
