#include "lakeflow/connectors/postgres/pg_table_name.h"

#include <vector>

#include "lakeflow/connectors/postgres/pg_connection.h"

namespace lakeflow::postgres {
namespace {

bool IsPlain(std::string_view part) {
  if (part.empty() || (part[0] >= '0' && part[0] <= '9') || part[0] == '$') return false;
  for (char c : part) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
    if (!ok) return false;
  }
  return true;
}

std::string Shown(std::string_view part) {
  return IsPlain(part) ? std::string(part) : QuoteIdentifier(part);
}

}  // namespace

std::string TableName::Sql() const {
  return QuoteIdentifier(schema) + "." + QuoteIdentifier(table);
}

std::string TableName::Display() const {
  return Shown(schema) + "." + Shown(table);
}

Result<TableName> ParseTableName(std::string_view text, std::string_view default_schema) {
  std::vector<std::string> parts(1);
  size_t i = 0;
  bool quoted_part = false;
  auto bad = [&](std::string_view why) {
    return Status::Invalid("postgres: bad table name '{}': {}", text, why);
  };
  while (i < text.size()) {
    char c = text[i];
    if (c == '"') {
      if (!parts.back().empty() || quoted_part) return bad("a quote inside a name part");
      size_t j = i + 1;
      std::string part;
      while (true) {
        if (j >= text.size()) return bad("an unterminated quote");
        if (text[j] == '"') {
          if (j + 1 < text.size() && text[j + 1] == '"') {
            part += '"';
            j += 2;
            continue;
          }
          break;
        }
        part += text[j++];
      }
      parts.back() = std::move(part);
      quoted_part = true;
      i = j + 1;
    } else if (c == '.') {
      if (parts.back().empty() && !quoted_part) return bad("an empty part");
      parts.emplace_back();
      quoted_part = false;
      ++i;
    } else {
      if (quoted_part) return bad("text after a quoted part");
      parts.back() += c;
      ++i;
    }
  }
  if (parts.back().empty() && !quoted_part) return bad("an empty part");
  if (parts.size() > 2) return bad("more than schema.table");
  if (parts.size() == 1) return TableName{std::string(default_schema), std::move(parts[0])};
  return TableName{std::move(parts[0]), std::move(parts[1])};
}

}  // namespace lakeflow::postgres
