// Reading SQLite files back in tests, independently of the destination.
#pragma once

#include <sqlite3.h>

#include <string>
#include <vector>

namespace lakeflow::testing {

// The rows of `sql` on the database at `path`, each as "a|b|c" (NULL for
// nulls); one "error: ..." line if the query cannot run.
inline std::vector<std::string> QueryLines(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* stmt = nullptr;
  std::vector<std::string> out;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      std::string line;
      for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
        const unsigned char* text = sqlite3_column_text(stmt, c);
        line += (c ? "|" : "") + std::string(text ? reinterpret_cast<const char*>(text) : "NULL");
      }
      out.push_back(line);
    }
  } else {
    out.push_back(std::string("error: ") + sqlite3_errmsg(db));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

}  // namespace lakeflow::testing
