#include "lakeflow/sinks/sqlite_values.h"

#include <sqlite3.h>

#include "lakeflow/core/arrow_json.h"
#include "lakeflow/sinks/arrow_cells.h"

namespace lakeflow::sinks {
namespace {

bool IsNested(const arrow::DataType& type) {
  return type.id() == arrow::Type::STRUCT || type.id() == arrow::Type::LIST ||
         type.id() == arrow::Type::LARGE_LIST || type.id() == arrow::Type::MAP;
}

// Booleans and integers; dates and timestamps are stored as ISO text.
bool StoredAsInteger(const arrow::DataType& type) {
  return type.id() != arrow::Type::DATE32 && type.id() != arrow::Type::TIMESTAMP &&
         IsIntegerLike(type.id());
}

int BindText(sqlite3_stmt* stmt, int index, std::string_view v) {
  return sqlite3_bind_text(stmt, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

}  // namespace

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Status SqliteError(sqlite3* db, const std::string& what) {
  return Status::IOError("sqlite: {}: {}", what, sqlite3_errmsg(db));
}

Result<Statement> Prepare(sqlite3* db, const std::string& sql, const std::string& what) {
  Statement stmt;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, stmt.out(), nullptr) != SQLITE_OK)
    return SqliteError(db, what);
  return stmt;
}

Status Exec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) == SQLITE_OK) return Status::OK();
  std::string message = error ? error : sqlite3_errmsg(db);
  sqlite3_free(error);
  return Status::IOError("sqlite: {}: {}", sql.substr(0, sql.find(' ', 20)), message);
}

std::string QuoteIdentifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

const char* ColumnType(const arrow::DataType& type) {
  if (StoredAsInteger(type)) return "INTEGER";
  switch (type.id()) {
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE:
      return "REAL";
    case arrow::Type::BINARY:
    case arrow::Type::LARGE_BINARY:
      return "BLOB";
    default:
      return "TEXT";  // strings, dates, timestamps, decimals, nested values as JSON
  }
}

bool CanOrder(const arrow::DataType& type) {
  if (IsIntegerLike(type.id())) return true;
  switch (type.id()) {
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE:
    case arrow::Type::STRING:
    case arrow::Type::DATE32:
    case arrow::Type::TIMESTAMP:
      return true;
    default:
      return false;
  }
}

int BindValue(sqlite3_stmt* stmt, int index, const arrow::Array& a, int64_t row,
              const arrow::Field& field, std::string* scratch) {
  if (a.IsNull(row)) return sqlite3_bind_null(stmt, index);
  if (StoredAsInteger(*a.type())) return sqlite3_bind_int64(stmt, index, IntegerCell(a, row));
  switch (a.type_id()) {
    case arrow::Type::DOUBLE:
      return sqlite3_bind_double(stmt, index, static_cast<const arrow::DoubleArray&>(a).Value(row));
    case arrow::Type::FLOAT:
      return sqlite3_bind_double(stmt, index, static_cast<const arrow::FloatArray&>(a).Value(row));
    case arrow::Type::STRING:
      return BindText(stmt, index, static_cast<const arrow::StringArray&>(a).GetView(row));
    case arrow::Type::BINARY: {
      auto v = static_cast<const arrow::BinaryArray&>(a).GetView(row);
      return sqlite3_bind_blob(stmt, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    }
    default:
      break;
  }
  scratch->clear();
  AppendJsonValue(a, row, &field, scratch);
  // Scalars rendered as JSON strings (dates, timestamps) are stored as their text.
  std::string_view text = *scratch;
  if (!IsNested(*a.type()) && text.size() >= 2 && text.front() == '"')
    text = text.substr(1, text.size() - 2);
  return BindText(stmt, index, text);
}

int BindOrdering(sqlite3_stmt* stmt, int index, const arrow::Array& a, int64_t row) {
  if (a.IsNull(row)) return sqlite3_bind_null(stmt, index);
  switch (a.type_id()) {
    case arrow::Type::STRING:
      return BindText(stmt, index, static_cast<const arrow::StringArray&>(a).GetView(row));
    case arrow::Type::DOUBLE:
      return sqlite3_bind_double(stmt, index, static_cast<const arrow::DoubleArray&>(a).Value(row));
    case arrow::Type::FLOAT:
      return sqlite3_bind_double(stmt, index, static_cast<const arrow::FloatArray&>(a).Value(row));
    default:
      return sqlite3_bind_int64(stmt, index, IntegerCell(a, row));
  }
}

}  // namespace lakeflow::sinks
