// A small recursive-descent parser for Spark DDL.
//
// Grammar (case-insensitive keywords; names may be `back-quoted`):
//   columns := column ("," column)*
//   column  := name [":"] type ["NOT" "NULL"] ["COMMENT" 'text']
//   type    := ARRAY "<" type ">" | MAP "<" type "," type ">"
//            | STRUCT "<" [column ("," column)*] ">" | VARIANT
//            | primitive ["(" int ["," int] ")"]
#include <cctype>

#include "lakeflow/core/options.h"
#include "lakeflow/core/schema.h"

namespace lakeflow {

namespace {

class DdlParser {
 public:
  explicit DdlParser(std::string_view text) : text_(text) {}

  Result<SchemaPtr> Columns() {
    arrow::FieldVector fields;
    SkipSpace();
    if (AtEnd()) return Error("an empty schema");
    while (true) {
      SkipSpace();
      size_t start = pos_;
      LF_ASSIGN_OR_RETURN(auto field, Column());
      for (const auto& f : fields) {
        if (EqualsIgnoreCase(f->name(), field->name())) {
          return Status::Invalid("bad DDL at position {}: duplicate column '{}' in {}", start,
                                 field->name(), Quoted());
        }
      }
      fields.push_back(std::move(field));
      SkipSpace();
      if (AtEnd()) break;
      if (!Consume(',')) return Error("',' between columns");
    }
    return arrow::schema(std::move(fields));
  }

  Result<TypePtr> SingleType() {
    LF_ASSIGN_OR_RETURN(auto field, Type("value"));
    SkipSpace();
    if (!AtEnd()) return Error("the end of the type");
    return field->type();
  }

 private:
  Result<FieldPtr> Column() {
    LF_ASSIGN_OR_RETURN(std::string name, Name());
    SkipSpace();
    Consume(':');
    LF_ASSIGN_OR_RETURN(FieldPtr field, Type(name));
    bool nullable = true;
    if (Keyword("NOT")) {
      if (!Keyword("NULL")) return Error("NULL after NOT");
      nullable = false;
    }
    if (Keyword("COMMENT")) {
      LF_ASSIGN_OR_RETURN(auto comment, QuotedString());
      (void)comment;
    }
    return field->WithNullable(nullable);
  }

  // Parses a type and returns it as a field named `name` (variant needs the
  // field to carry its marker). Each level of nesting recurses, so the depth
  // is bounded: hostile DDL must not reach the end of the stack.
  Result<FieldPtr> Type(const std::string& name) {
    if (depth_ == kMaxTypeDepth) {
      return Status::Invalid("bad DDL at position {}: types nested deeper than {} levels in {}",
                             pos_, kMaxTypeDepth, Quoted());
    }
    ++depth_;
    auto field = TypeAtThisDepth(name);
    --depth_;
    return field;
  }

  Result<FieldPtr> TypeAtThisDepth(const std::string& name) {
    SkipSpace();
    size_t start = pos_;
    std::string word = Word();
    if (word.empty()) return Error("a type");
    std::string upper = word;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper == "VARIANT") return VariantField(name);
    if (upper == "ARRAY") {
      if (!Consume('<')) return Error("'<' after ARRAY");
      LF_ASSIGN_OR_RETURN(auto element, Type("element"));
      if (!Consume('>')) return Error("'>' closing ARRAY");
      return arrow::field(name, arrow::list(element));
    }
    if (upper == "MAP") {
      if (!Consume('<')) return Error("'<' after MAP");
      LF_ASSIGN_OR_RETURN(auto key, Type("key"));
      if (!Consume(',')) return Error("',' between MAP key and value types");
      LF_ASSIGN_OR_RETURN(auto value, Type("value"));
      if (!Consume('>')) return Error("'>' closing MAP");
      return arrow::field(name, std::make_shared<arrow::MapType>(key->WithNullable(false), value));
    }
    if (upper == "STRUCT") return Struct(name);
    // Primitive, with optional (p[,s]) arguments.
    size_t end = pos_;
    SkipSpace();
    if (Peek() == '(') {
      size_t close = text_.find(')', pos_);
      if (close == std::string_view::npos) return Error("')'");
      pos_ = end = close + 1;
    }
    auto type = PrimitiveTypeFromSparkName(text_.substr(start, end - start));
    if (!type.ok()) {
      return Status::Invalid("bad DDL at position {}: {} in {}", start, type.status().message(),
                             Quoted());
    }
    return arrow::field(name, *type);
  }

  Result<FieldPtr> Struct(const std::string& name) {
    if (!Consume('<')) return Error("'<' after STRUCT");
    arrow::FieldVector fields;
    SkipSpace();
    if (!Consume('>')) {
      while (true) {
        LF_ASSIGN_OR_RETURN(auto field, Column());
        fields.push_back(std::move(field));
        if (Consume('>')) break;
        if (!Consume(',')) return Error("',' or '>' in STRUCT");
      }
    }
    return arrow::field(name, arrow::struct_(std::move(fields)));
  }

  Result<std::string> Name() {
    SkipSpace();
    if (Peek() == '`') {
      ++pos_;
      std::string out;
      while (!AtEnd()) {
        char c = text_[pos_++];
        if (c == '`') {
          if (Peek() == '`') {  // `` is an escaped back-quote
            out += '`';
            ++pos_;
            continue;
          }
          return out;
        }
        out += c;
      }
      return Error("a closing '`'");
    }
    std::string word = Word();
    if (word.empty()) return Error("a column name");
    return word;
  }

  Result<std::string> QuotedString() {
    SkipSpace();
    char quote = Peek();
    if (quote != '\'' && quote != '"') return Error("a quoted string");
    size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) return Error("a closing quote");
    std::string out(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return out;
  }

  std::string Word() {
    SkipSpace();
    size_t start = pos_;
    while (!AtEnd() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) {
      ++pos_;
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  bool Keyword(std::string_view kw) {
    SkipSpace();
    size_t save = pos_;
    std::string word = Word();
    if (word.size() == kw.size() &&
        std::equal(word.begin(), word.end(), kw.begin(), [](char a, char b) {
          return std::toupper(static_cast<unsigned char>(a)) == b;
        })) {
      return true;
    }
    pos_ = save;
    return false;
  }

  bool Consume(char c) {
    SkipSpace();
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  void SkipSpace() {
    while (!AtEnd() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  bool AtEnd() const { return pos_ >= text_.size(); }

  Status Error(std::string_view expected) const {
    return Status::Invalid("bad DDL at position {}: expected {} in {}", pos_, expected, Quoted());
  }

  // The DDL for an error line: whole when short, else its start, so a
  // megabyte of hostile text does not become the message.
  std::string Quoted() const {
    constexpr size_t kShown = 200;
    if (text_.size() <= kShown) return fmt::format("\"{}\"", text_);
    return fmt::format("\"{}...\" ({} bytes)", text_.substr(0, kShown), text_.size());
  }

  std::string_view text_;
  size_t pos_ = 0;
  int depth_ = 0;
};

std::string QuoteName(const std::string& name) {
  std::string out = "`";
  for (char c : name) {
    out += c;
    if (c == '`') out += '`';
  }
  return out + "`";
}

std::string DdlType(const arrow::Field& field) {
  if (IsVariant(field)) return "VARIANT";
  const auto& type = *field.type();
  auto not_null = [](const arrow::Field& f) { return f.nullable() ? "" : " NOT NULL"; };
  switch (type.id()) {
    case arrow::Type::LIST:
      return "ARRAY<" + DdlType(*static_cast<const arrow::ListType&>(type).value_field()) + ">";
    case arrow::Type::MAP: {
      const auto& m = static_cast<const arrow::MapType&>(type);
      return "MAP<" + DdlType(*m.key_field()) + ", " + DdlType(*m.item_field()) + ">";
    }
    case arrow::Type::STRUCT: {
      std::string out = "STRUCT<";
      for (int i = 0; i < type.num_fields(); ++i) {
        const auto& f = *type.field(i);
        if (i) out += ", ";
        out += QuoteName(f.name()) + ": " + DdlType(f) + not_null(f);
      }
      return out + ">";
    }
    default: {
      auto name = SparkTypeName(type);
      std::string s = name.ok() ? *name : type.ToString();
      for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return s == "INTEGER" ? "INT" : s;
    }
  }
}

}  // namespace

Result<SchemaPtr> ParseDdl(std::string_view ddl) {
  return DdlParser(ddl).Columns();
}

Result<TypePtr> ParseDdlType(std::string_view type) {
  return DdlParser(type).SingleType();
}

std::string SchemaToDdl(const arrow::Schema& schema) {
  std::string out;
  for (int i = 0; i < schema.num_fields(); ++i) {
    const auto& f = *schema.field(i);
    if (i) out += ", ";
    out += QuoteName(f.name()) + " " + DdlType(f) + (f.nullable() ? "" : " NOT NULL");
  }
  return out;
}

Status CheckNoDuplicateFields(const arrow::Schema& schema) {
  std::vector<std::string> seen;
  for (const auto& f : schema.fields()) {
    std::string lower = f->name();
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::find(seen.begin(), seen.end(), lower) != seen.end()) {
      return Status::Invalid("duplicate field '{}' in schema", f->name());
    }
    seen.push_back(std::move(lower));
  }
  return Status::OK();
}

}  // namespace lakeflow
