#include "lakeflow/pipeline/row_filter.h"

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/compute/initialize.h>

#include <cctype>
#include <cstring>
#include <vector>

#include "lakeflow/core/options.h"
#include "lakeflow/core/strings.h"
#include "lakeflow/core/time_parse.h"

namespace lakeflow::pipeline {
namespace {

namespace cp = arrow::compute;

struct Token {
  enum Kind { kName, kNumber, kString, kSymbol, kEnd } kind = kEnd;
  std::string text;  // a name (unquoted), a number, a string's value, a symbol
  size_t at = 0;     // offset in the filter, for errors
  bool quoted = false;

  bool Is(std::string_view keyword) const {
    return kind == kName && !quoted && EqualsIgnoreCase(text, keyword);
  }
  bool IsSymbol(std::string_view s) const { return kind == kSymbol && text == s; }
};

// A side of a comparison: a column (its path and type) or a literal (its
// text, converted to the column's type once the other side is known).
struct Operand {
  bool is_column = false;
  std::vector<std::string> path;
  std::shared_ptr<arrow::DataType> type;
  Token literal;             // kNumber, kString, or a keyword TRUE/FALSE/NULL
  std::string literal_type;  // "DATE" or "TIMESTAMP" when so written
};

class Parser {
 public:
  Parser(const std::string& text, const SchemaPtr& schema) : text_(text), schema_(schema) {}

  Result<cp::Expression> Run() {
    LF_RETURN_IF_ERROR(Tokenize());
    LF_ASSIGN_OR_RETURN(cp::Expression e, Or());
    if (Peek().kind != Token::kEnd) return Error(Peek(), "unexpected '" + Peek().text + "'");
    return e;
  }

 private:
  Status Error(const Token& at, const std::string& what) const {
    if (at.kind == Token::kEnd)
      return Status::Invalid("row_filter '{}': {} (at the end)", text_, what);
    return Status::Invalid("row_filter '{}': {} (at character {})", text_, what, at.at + 1);
  }

  Status Tokenize() {
    size_t i = 0;
    while (i < text_.size()) {
      char c = text_[i];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++i;
        continue;
      }
      Token t;
      t.at = i;
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        size_t j = i;
        while (j < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[j])) ||
                                    text_[j] == '_' || text_[j] == '.'))
          ++j;
        t.kind = Token::kName;
        t.text = text_.substr(i, j - i);
        i = j;
      } else if (c == '`') {
        size_t j = text_.find('`', i + 1);
        if (j == std::string::npos) return Status::Invalid("row_filter '{}': unclosed `", text_);
        t.kind = Token::kName;
        t.quoted = true;
        t.text = text_.substr(i + 1, j - i - 1);
        i = j + 1;
      } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                 ((c == '-' || c == '.') && i + 1 < text_.size() &&
                  std::isdigit(static_cast<unsigned char>(text_[i + 1])))) {
        size_t j = i + 1;
        while (j < text_.size() &&
               (std::isalnum(static_cast<unsigned char>(text_[j])) || text_[j] == '.' ||
                ((text_[j] == '-' || text_[j] == '+') &&
                 (text_[j - 1] == 'e' || text_[j - 1] == 'E'))))
          ++j;
        t.kind = Token::kNumber;
        t.text = text_.substr(i, j - i);
        i = j;
      } else if (c == '\'') {
        t.kind = Token::kString;
        size_t j = i + 1;
        for (;; ++j) {
          if (j >= text_.size())
            return Status::Invalid("row_filter '{}': unclosed string at character {}", text_,
                                   i + 1);
          if (text_[j] != '\'') {
            t.text += text_[j];
          } else if (j + 1 < text_.size() && text_[j + 1] == '\'') {
            t.text += '\'';
            ++j;
          } else {
            break;
          }
        }
        i = j + 1;
      } else {
        static const char* kSymbols[] = {"<=", ">=", "<>", "!=", "=", "<", ">", "(", ")", ","};
        bool found = false;
        for (const char* s : kSymbols) {
          if (text_.compare(i, std::strlen(s), s) == 0) {
            t.kind = Token::kSymbol;
            t.text = s;
            i += std::strlen(s);
            found = true;
            break;
          }
        }
        if (!found) return Error(t, std::string("unexpected character '") + c + "'");
      }
      tokens_.push_back(std::move(t));
    }
    Token end;
    end.at = text_.size();
    tokens_.push_back(end);
    return Status::OK();
  }

  const Token& Peek() const { return tokens_[pos_]; }
  Token Take() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }

  Result<cp::Expression> Or() { return Chain("OR", &Parser::And, cp::or_); }
  Result<cp::Expression> And() { return Chain("AND", &Parser::Not, cp::and_); }

  // `operand (KEYWORD operand)*`, folded left with `combine`.
  Result<cp::Expression> Chain(std::string_view keyword,
                               Result<cp::Expression> (Parser::*operand)(),
                               cp::Expression (*combine)(cp::Expression, cp::Expression)) {
    LF_ASSIGN_OR_RETURN(cp::Expression left, (this->*operand)());
    while (Peek().Is(keyword)) {
      Take();
      LF_ASSIGN_OR_RETURN(cp::Expression right, (this->*operand)());
      left = combine(std::move(left), std::move(right));
    }
    return left;
  }

  Result<cp::Expression> Not() {
    if (Peek().Is("NOT")) {
      Take();
      LF_ASSIGN_OR_RETURN(cp::Expression inner, Not());
      return cp::not_(std::move(inner));
    }
    return Predicate();
  }

  Result<cp::Expression> Predicate() {
    if (Peek().IsSymbol("(")) {
      Take();
      LF_ASSIGN_OR_RETURN(cp::Expression inner, Or());
      if (!Peek().IsSymbol(")")) return Error(Peek(), "expected ')'");
      Take();
      return inner;
    }
    Token start = Peek();
    LF_ASSIGN_OR_RETURN(Operand left, ParseOperand());
    if (Peek().Is("IS")) return IsNull(left, start);
    bool negated = false;
    if (Peek().Is("NOT")) {
      Take();
      negated = true;
    }
    cp::Expression e;
    if (Peek().Is("IN")) {
      LF_ASSIGN_OR_RETURN(e, In(left, start));
    } else if (Peek().Is("BETWEEN")) {
      LF_ASSIGN_OR_RETURN(e, Between(left, start));
    } else if (Peek().Is("LIKE")) {
      LF_ASSIGN_OR_RETURN(e, Like(left, start));
    } else if (negated) {
      return Error(Peek(), "expected IN, BETWEEN or LIKE after NOT");
    } else {
      return Comparison(left, start);
    }
    return negated ? cp::not_(std::move(e)) : e;
  }

  Result<Operand> ParseOperand() {
    Token t = Take();
    Operand o;
    if (t.kind == Token::kNumber || t.kind == Token::kString) {
      o.literal = t;
      return o;
    }
    if (t.kind != Token::kName) return Error(t, "expected a column or a value");
    if (t.Is("TRUE") || t.Is("FALSE") || t.Is("NULL")) {
      o.literal = t;
      return o;
    }
    if ((t.Is("DATE") || t.Is("TIMESTAMP")) && Peek().kind == Token::kString) {
      o.literal = Take();
      o.literal_type = t.Is("DATE") ? "DATE" : "TIMESTAMP";
      return o;
    }
    if (Peek().IsSymbol("(")) return Error(t, "functions are not supported ('" + t.text + "(')");
    return Column(t);
  }

  // A column by name: exactly, else the one that matches ignoring case; a
  // dotted name walks into struct fields (backticks keep the dots).
  Result<Operand> Column(const Token& t) {
    std::vector<std::string> parts =
        t.quoted ? std::vector<std::string>{t.text} : Split(t.text, '.');
    Operand o;
    o.is_column = true;
    const arrow::FieldVector* fields = &schema_->fields();
    std::shared_ptr<arrow::DataType> type;
    for (const auto& part : parts) {
      std::shared_ptr<arrow::Field> found;
      for (const auto& f : *fields) {
        if (f->name() == part) found = f;
      }
      for (const auto& f : *fields) {
        if (!found && EqualsIgnoreCase(f->name(), part)) found = f;
      }
      if (!found) return Error(t, "no column '" + t.text + "' in the source table");
      o.path.push_back(found->name());
      type = found->type();
      if (&part != &parts.back()) {
        if (type->id() != arrow::Type::STRUCT)
          return Error(t, "'" + found->name() + "' is not a struct: '" + t.text + "'");
        fields = &type->fields();
      }
    }
    o.type = type;
    return o;
  }

  static cp::Expression Ref(const Operand& o) {
    std::vector<arrow::FieldRef> refs(o.path.begin(), o.path.end());
    return cp::field_ref(refs.size() == 1 ? refs[0] : arrow::FieldRef(std::move(refs)));
  }

  // A literal as a scalar of `type`: the column's it is compared with.
  Result<std::shared_ptr<arrow::Scalar>> Literal(const Operand& o,
                                                 const std::shared_ptr<arrow::DataType>& type,
                                                 const std::string& column) {
    const Token& t = o.literal;
    auto wrong = [&]() {
      return Error(t, fmt::format("'{}' is not a {} value for column '{}'", t.text,
                                  type->ToString(), column));
    };
    if (t.Is("NULL")) return arrow::MakeNullScalar(type);
    switch (type->id()) {
      case arrow::Type::STRING:
      case arrow::Type::LARGE_STRING:
        if (t.kind != Token::kString || !o.literal_type.empty()) return wrong();
        if (type->id() == arrow::Type::LARGE_STRING)
          return std::shared_ptr<arrow::Scalar>(std::make_shared<arrow::LargeStringScalar>(t.text));
        return std::shared_ptr<arrow::Scalar>(std::make_shared<arrow::StringScalar>(t.text));
      case arrow::Type::BOOL:
        if (!t.Is("TRUE") && !t.Is("FALSE")) return wrong();
        return std::shared_ptr<arrow::Scalar>(std::make_shared<arrow::BooleanScalar>(t.Is("TRUE")));
      case arrow::Type::DATE32: {
        if (t.kind != Token::kString) return wrong();
        auto days = ParseDate(t.text);
        if (!days) return wrong();
        return std::shared_ptr<arrow::Scalar>(std::make_shared<arrow::Date32Scalar>(*days));
      }
      case arrow::Type::TIMESTAMP: {
        if (t.kind != Token::kString) return wrong();
        auto micros = ParseTimestampMicros(t.text);
        if (!micros) return wrong();
        auto us = std::make_shared<arrow::TimestampScalar>(
            *micros, arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"));
        auto cast = cp::Cast(arrow::Datum(us), type);
        if (!cast.ok()) return wrong();
        return cast->scalar();
      }
      default:
        break;
    }
    bool number = t.kind == Token::kNumber;
    if (!number || !o.literal_type.empty()) return wrong();
    if (arrow::is_integer(type->id()) || arrow::is_floating(type->id()) ||
        arrow::is_decimal(type->id())) {
      // Through text, so that a decimal keeps every digit and an integer
      // column refuses 1.5 rather than truncating it.
      auto cast = cp::Cast(arrow::Datum(std::make_shared<arrow::StringScalar>(t.text)), type);
      if (!cast.ok()) return wrong();
      return cast->scalar();
    }
    return Error(t, fmt::format("column '{}' of type {} cannot be compared in a row_filter", column,
                                type->ToString()));
  }

  // Both sides as expressions: at least one a column, the other converted to its type.
  Result<std::pair<cp::Expression, cp::Expression>> Sides(const Operand& a, const Operand& b,
                                                          const Token& at) {
    if (!a.is_column && !b.is_column) return Error(at, "a comparison needs a column");
    if (a.is_column && b.is_column) return std::make_pair(Ref(a), Ref(b));
    const Operand& column = a.is_column ? a : b;
    const Operand& literal = a.is_column ? b : a;
    LF_ASSIGN_OR_RETURN(auto scalar, Literal(literal, column.type, Join(column.path, ".")));
    if (!scalar) return Error(at, "cannot convert '" + literal.literal.text + "'");
    cp::Expression value = cp::literal(arrow::Datum(scalar));
    return a.is_column ? std::make_pair(Ref(a), value) : std::make_pair(value, Ref(b));
  }

  Result<cp::Expression> Comparison(const Operand& left, const Token& start) {
    Token op = Take();
    if (op.kind != Token::kSymbol || op.IsSymbol("(") || op.IsSymbol(")") || op.IsSymbol(","))
      return Error(op, "expected a comparison (=, <>, <, <=, >, >=), IS, IN, BETWEEN or LIKE");
    LF_ASSIGN_OR_RETURN(Operand right, ParseOperand());
    LF_ASSIGN_OR_RETURN(auto sides, Sides(left, right, start));
    auto& [l, r] = sides;
    if (op.text == "=") return cp::equal(l, r);
    if (op.text == "<>" || op.text == "!=") return cp::not_equal(l, r);
    if (op.text == "<") return cp::less(l, r);
    if (op.text == "<=") return cp::less_equal(l, r);
    if (op.text == ">") return cp::greater(l, r);
    return cp::greater_equal(l, r);
  }

  Result<cp::Expression> IsNull(const Operand& left, const Token& start) {
    Take();  // IS
    bool negated = false;
    if (Peek().Is("NOT")) {
      Take();
      negated = true;
    }
    if (!Peek().Is("NULL")) return Error(Peek(), "expected NULL after IS");
    Take();
    if (!left.is_column) return Error(start, "IS NULL needs a column");
    return negated ? cp::is_valid(Ref(left)) : cp::is_null(Ref(left));
  }

  Result<cp::Expression> In(const Operand& left, const Token& start) {
    Take();  // IN
    if (!left.is_column) return Error(start, "IN needs a column on its left");
    if (!Peek().IsSymbol("(")) return Error(Peek(), "expected '(' after IN");
    Take();
    std::unique_ptr<arrow::ArrayBuilder> builder;
    LF_RETURN_IF_ARROW_ERROR(arrow::MakeBuilder(arrow::default_memory_pool(), left.type, &builder));
    while (true) {
      LF_ASSIGN_OR_RETURN(Operand item, ParseOperand());
      if (item.is_column) return Error(start, "IN takes values, not columns");
      LF_ASSIGN_OR_RETURN(auto scalar, Literal(item, left.type, Join(left.path, ".")));
      if (!scalar) return Error(start, "cannot convert '" + item.literal.text + "'");
      LF_RETURN_IF_ARROW_ERROR(builder->AppendScalar(*scalar));
      Token next = Take();
      if (next.IsSymbol(")")) break;
      if (!next.IsSymbol(",")) return Error(next, "expected ',' or ')' in IN (...)");
    }
    std::shared_ptr<arrow::Array> values;
    LF_RETURN_IF_ARROW_ERROR(builder->Finish(&values));
    // SQL: a null input, or no match with a null in the list, is unknown.
    return cp::call("is_in", {Ref(left)},
                    cp::SetLookupOptions(values, cp::SetLookupOptions::INCONCLUSIVE));
  }

  Result<cp::Expression> Between(const Operand& left, const Token& start) {
    Take();  // BETWEEN
    LF_ASSIGN_OR_RETURN(Operand low, ParseOperand());
    if (!Peek().Is("AND")) return Error(Peek(), "expected AND in BETWEEN");
    Take();
    LF_ASSIGN_OR_RETURN(Operand high, ParseOperand());
    LF_ASSIGN_OR_RETURN(auto lower, Sides(left, low, start));
    LF_ASSIGN_OR_RETURN(auto upper, Sides(left, high, start));
    return cp::and_(cp::greater_equal(lower.first, lower.second),
                    cp::less_equal(upper.first, upper.second));
  }

  Result<cp::Expression> Like(const Operand& left, const Token& start) {
    Take();  // LIKE
    Token pattern = Take();
    if (!left.is_column) return Error(start, "LIKE needs a column on its left");
    if (pattern.kind != Token::kString) return Error(pattern, "LIKE takes a 'pattern'");
    if (left.type->id() != arrow::Type::STRING && left.type->id() != arrow::Type::LARGE_STRING)
      return Error(start, "LIKE needs a string column");
    return cp::call("match_like", {Ref(left)}, cp::MatchSubstringOptions(pattern.text));
  }

  const std::string& text_;
  SchemaPtr schema_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
};

}  // namespace

Result<RowFilter> RowFilter::Parse(const std::string& text, const SchemaPtr& schema) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    return Status::Invalid("row_filter is empty");
  // The comparison, set and filter kernels live in libarrow_compute, which
  // registers them only when asked.
  static const arrow::Status initialized = cp::Initialize();
  if (!initialized.ok())
    return Status::Internal("Arrow's compute functions: {}", initialized.message());
  LF_ASSIGN_OR_RETURN(cp::Expression expression, Parser(text, schema).Run());
  auto bound = expression.Bind(*schema);
  if (!bound.ok())
    return Status::Invalid("row_filter '{}': cannot be evaluated: {}", text,
                           bound.status().message());
  if (!bound->type() || bound->type()->id() != arrow::Type::BOOL)
    return Status::Invalid("row_filter '{}': is not a predicate", text);
  return RowFilter(text, std::move(bound).ValueUnsafe());
}

Result<std::shared_ptr<arrow::RecordBatch>> RowFilter::Apply(
    const std::shared_ptr<arrow::RecordBatch>& batch) const {
  auto mask = cp::ExecuteScalarExpression(bound_, cp::ExecBatch(*batch));
  if (!mask.ok()) return Status::Invalid("row_filter '{}': {}", text_, mask.status().message());
  if (mask->is_scalar()) {  // a predicate on no column, the same for every row
    const auto& keep = mask->scalar_as<arrow::BooleanScalar>();
    return keep.is_valid && keep.value ? batch : batch->Slice(0, 0);
  }
  auto filtered =
      cp::Filter(arrow::Datum(batch), *mask, cp::FilterOptions(cp::FilterOptions::DROP));
  if (!filtered.ok())
    return Status::Invalid("row_filter '{}': {}", text_, filtered.status().message());
  return filtered->record_batch();
}

}  // namespace lakeflow::pipeline
