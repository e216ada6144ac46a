// How Arrow values are stored in SQLite, and the small RAII and error helpers
// the SQLite destination's files share.
//
// Columns are typed: integers and booleans INTEGER, floats REAL, strings TEXT,
// binary BLOB; dates, timestamps and decimals TEXT in their exact ISO/decimal
// form; nested values (structs, arrays, maps, variant) TEXT holding JSON.
//
// A sequence has two forms: its stored form (as above, what users read in
// `__START_AT`) and its ordering form, which SQLite compares correctly:
// timestamps as microseconds, dates as days, numbers and strings as they are.
#pragma once

#include <arrow/api.h>

#include <string>
#include <utility>

#include "lakeflow/core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace lakeflow::sinks {

// A prepared statement, finalized when it goes.
class Statement {
 public:
  Statement() = default;
  ~Statement();
  Statement(Statement&& other) noexcept : stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Statement& operator=(Statement&& other) noexcept {
    std::swap(stmt_, other.stmt_);
    return *this;
  }
  Statement(const Statement&) = delete;

  sqlite3_stmt** out() { return &stmt_; }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

Status SqliteError(sqlite3* db, const std::string& what);
Result<Statement> Prepare(sqlite3* db, const std::string& sql, const std::string& what);
Status Exec(sqlite3* db, const std::string& sql);

// `name` quoted as an SQLite identifier ("a""b").
std::string QuoteIdentifier(const std::string& name);

// The declared SQLite type of a column of `type`.
const char* ColumnType(const arrow::DataType& type);

// Whether a column of `type` can order events (sequence_by).
bool CanOrder(const arrow::DataType& type);

// Binds row `row` of `array` in its stored form; `scratch` holds rendered text.
int BindValue(sqlite3_stmt* stmt, int index, const arrow::Array& array, int64_t row,
              const arrow::Field& field, std::string* scratch);

// Binds row `row` of `array` (a CanOrder type) in its ordering form.
int BindOrdering(sqlite3_stmt* stmt, int index, const arrow::Array& array, int64_t row);

}  // namespace lakeflow::sinks
