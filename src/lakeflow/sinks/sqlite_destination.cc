#include "lakeflow/sinks/sqlite_destination.h"

#include <arrow/api.h>
#include <sqlite3.h>

#include <set>

#include "lakeflow/core/arrow_json.h"

namespace lakeflow::sinks {
namespace {

constexpr const char* kSequenceColumn = "__lakeflow_sequence";

// A prepared statement, finalized when it goes.
class Statement {
 public:
  ~Statement() { sqlite3_finalize(stmt_); }
  sqlite3_stmt** out() { return &stmt_; }
  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

Status SqliteError(sqlite3* db, const std::string& what) {
  return Status::IOError("sqlite: {}: {}", what, sqlite3_errmsg(db));
}

const char* ColumnType(const arrow::DataType& type) {
  switch (type.id()) {
    case arrow::Type::BOOL:
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64:
      return "INTEGER";
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

bool IsNested(const arrow::DataType& type) {
  return type.id() == arrow::Type::STRUCT || type.id() == arrow::Type::LIST ||
         type.id() == arrow::Type::LARGE_LIST || type.id() == arrow::Type::MAP;
}

int64_t IntegerAt(const arrow::Array& a, int64_t row) {
  switch (a.type_id()) {
    case arrow::Type::BOOL:
      return static_cast<const arrow::BooleanArray&>(a).Value(row);
    case arrow::Type::INT8:
      return static_cast<const arrow::Int8Array&>(a).Value(row);
    case arrow::Type::INT16:
      return static_cast<const arrow::Int16Array&>(a).Value(row);
    case arrow::Type::INT32:
      return static_cast<const arrow::Int32Array&>(a).Value(row);
    case arrow::Type::DATE32:
      return static_cast<const arrow::Date32Array&>(a).Value(row);
    case arrow::Type::TIMESTAMP:
      return static_cast<const arrow::TimestampArray&>(a).Value(row);
    default:
      return static_cast<const arrow::Int64Array&>(a).Value(row);
  }
}

// Binds one value in the column's stored form.
int Bind(sqlite3_stmt* stmt, int index, const arrow::Array& a, int64_t row,
         const arrow::Field& field, std::string* scratch) {
  if (a.IsNull(row)) return sqlite3_bind_null(stmt, index);
  const char* type = ColumnType(*a.type());
  if (std::string_view(type) == "INTEGER")
    return sqlite3_bind_int64(stmt, index, IntegerAt(a, row));
  if (a.type_id() == arrow::Type::DOUBLE)
    return sqlite3_bind_double(stmt, index, static_cast<const arrow::DoubleArray&>(a).Value(row));
  if (a.type_id() == arrow::Type::FLOAT)
    return sqlite3_bind_double(stmt, index, static_cast<const arrow::FloatArray&>(a).Value(row));
  if (a.type_id() == arrow::Type::STRING) {
    auto v = static_cast<const arrow::StringArray&>(a).GetView(row);
    return sqlite3_bind_text(stmt, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  if (a.type_id() == arrow::Type::BINARY) {
    auto v = static_cast<const arrow::BinaryArray&>(a).GetView(row);
    return sqlite3_bind_blob(stmt, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  scratch->clear();
  AppendJsonValue(a, row, &field, scratch);
  // Scalars rendered as JSON strings (dates, timestamps) are stored as their text.
  if (!IsNested(*a.type()) && scratch->size() >= 2 && scratch->front() == '"')
    *scratch = scratch->substr(1, scratch->size() - 2);
  return sqlite3_bind_text(stmt, index, scratch->data(), static_cast<int>(scratch->size()),
                           SQLITE_TRANSIENT);
}

// The sequence as a value SQLite orders correctly: numbers (timestamps as
// microseconds, dates as days) or text.
int BindSequence(sqlite3_stmt* stmt, int index, const arrow::Array& a, int64_t row) {
  if (a.IsNull(row)) return sqlite3_bind_null(stmt, index);
  switch (a.type_id()) {
    case arrow::Type::STRING: {
      auto v = static_cast<const arrow::StringArray&>(a).GetView(row);
      return sqlite3_bind_text(stmt, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    }
    case arrow::Type::DOUBLE:
      return sqlite3_bind_double(stmt, index, static_cast<const arrow::DoubleArray&>(a).Value(row));
    default:
      return sqlite3_bind_int64(stmt, index, IntegerAt(a, row));
  }
}

std::string Columns(const arrow::Schema& schema) {
  std::string out;
  for (const auto& f : schema.fields())
    out += (out.empty() ? "" : ", ") + QuoteIdentifier(f->name());
  return out;
}

std::string KeyList(const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + QuoteIdentifier(k);
  return out;
}

}  // namespace

std::string QuoteIdentifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

Result<std::unique_ptr<SqliteDestination>> SqliteDestination::Open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  std::unique_ptr<SqliteDestination> out(new SqliteDestination(db));
  if (rc != SQLITE_OK) return SqliteError(db, "cannot open '" + path + "'");
  sqlite3_busy_timeout(db, 10000);
  LF_RETURN_IF_ERROR(out->Exec("PRAGMA journal_mode=WAL"));
  LF_RETURN_IF_ERROR(out->Exec("PRAGMA synchronous=NORMAL"));
  LF_RETURN_IF_ERROR(
      out->Exec("CREATE TABLE IF NOT EXISTS _lakeflow_flows (flow TEXT PRIMARY KEY, batch_id "
                "INTEGER NOT NULL, end_offset TEXT, committed_at TEXT NOT NULL)"));
  return out;
}

SqliteDestination::~SqliteDestination() {
  sqlite3_close_v2(db_);
}

Status SqliteDestination::Exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) == SQLITE_OK) return Status::OK();
  std::string message = error ? error : "unknown error";
  sqlite3_free(error);
  return Status::IOError("sqlite: {}: {}", sql.substr(0, sql.find(' ', 20)), message);
}

Result<std::optional<FlowProgress>> SqliteDestination::Progress(const std::string& flow) {
  Statement stmt;
  if (sqlite3_prepare_v2(db_, "SELECT batch_id, end_offset FROM _lakeflow_flows WHERE flow = ?", -1,
                         stmt.out(), nullptr) != SQLITE_OK)
    return SqliteError(db_, "reading flow progress");
  sqlite3_bind_text(stmt.get(), 1, flow.data(), static_cast<int>(flow.size()), SQLITE_TRANSIENT);
  if (sqlite3_step(stmt.get()) != SQLITE_ROW) return std::optional<FlowProgress>();
  FlowProgress p;
  p.batch_id = sqlite3_column_int64(stmt.get(), 0);
  if (sqlite3_column_type(stmt.get(), 1) != SQLITE_NULL) {
    const char* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 1));
    LF_ASSIGN_OR_RETURN(p.end, OffsetFromString(text, "_lakeflow_flows.end_offset"));
  }
  return std::optional<FlowProgress>(std::move(p));
}

// Creates the table, or adds the columns the source has gained since.
Status SqliteDestination::EnsureTable(const TableWrite& w) {
  std::string table = QuoteIdentifier(w.table);
  std::string columns;
  for (const auto& f : w.schema->fields())
    columns += QuoteIdentifier(f->name()) + " " + ColumnType(*f->type()) + ", ";
  LF_RETURN_IF_ERROR(Exec("CREATE TABLE IF NOT EXISTS " + table + " (" + columns +
                          QuoteIdentifier(kSequenceColumn) + ")"));
  std::set<std::string> existing;
  Statement info;
  if (sqlite3_prepare_v2(db_, ("PRAGMA table_info(" + table + ")").c_str(), -1, info.out(),
                         nullptr) != SQLITE_OK)
    return SqliteError(db_, "reading the columns of '" + w.table + "'");
  while (sqlite3_step(info.get()) == SQLITE_ROW)
    existing.insert(reinterpret_cast<const char*>(sqlite3_column_text(info.get(), 1)));
  for (const auto& f : w.schema->fields()) {
    if (existing.count(f->name())) continue;
    LF_RETURN_IF_ERROR(Exec("ALTER TABLE " + table + " ADD COLUMN " + QuoteIdentifier(f->name()) +
                            " " + ColumnType(*f->type())));
  }
  if (w.primary_keys.empty()) return Status::OK();
  return Exec("CREATE UNIQUE INDEX IF NOT EXISTS " + QuoteIdentifier(w.table + "__lakeflow_keys") +
              " ON " + table + " (" + KeyList(w.primary_keys) + ")");
}

Status SqliteDestination::WriteRows(const TableWrite& w, BatchIterator* batches) {
  std::string table = QuoteIdentifier(w.table);
  std::string sql = "INSERT INTO " + table + " (" + Columns(*w.schema) + ", " +
                    QuoteIdentifier(kSequenceColumn) + ") VALUES (";
  for (int i = 0; i <= w.schema->num_fields(); ++i) sql += i ? ", ?" : "?";
  sql += ")";
  if (!w.primary_keys.empty()) {
    sql += " ON CONFLICT (" + KeyList(w.primary_keys) + ") DO UPDATE SET ";
    for (const auto& f : w.schema->fields())
      sql += QuoteIdentifier(f->name()) + " = excluded." + QuoteIdentifier(f->name()) + ", ";
    std::string seq = QuoteIdentifier(kSequenceColumn);
    sql += seq + " = excluded." + seq;
    // The highest sequence wins; a late, older event changes nothing.
    if (!w.sequence_by.empty())
      sql += " WHERE " + table + "." + seq + " IS NULL OR excluded." + seq + " >= " + table + "." +
             seq;
  }
  Statement stmt;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, stmt.out(), nullptr) != SQLITE_OK)
    return SqliteError(db_, "preparing the write to '" + w.table + "'");
  int sequence_index = w.sequence_by.empty() ? -1 : w.schema->GetFieldIndex(w.sequence_by);
  std::string scratch;
  while (true) {
    LF_ASSIGN_OR_RETURN(auto batch, batches->Next());
    if (!batch) return Status::OK();
    if (!batch->schema()->Equals(*w.schema, /*check_metadata=*/false))
      return Status::Internal("table '{}': a batch does not have the table's schema", w.table);
    for (int64_t row = 0; row < batch->num_rows(); ++row) {
      sqlite3_reset(stmt.get());
      for (int c = 0; c < batch->num_columns(); ++c)
        Bind(stmt.get(), c + 1, *batch->column(c), row, *w.schema->field(c), &scratch);
      int last = batch->num_columns() + 1;
      if (sequence_index >= 0)
        BindSequence(stmt.get(), last, *batch->column(sequence_index), row);
      else
        sqlite3_bind_null(stmt.get(), last);
      if (sqlite3_step(stmt.get()) != SQLITE_DONE)
        return SqliteError(db_, "writing to '" + w.table + "'");
    }
  }
}

Status SqliteDestination::CommitMicroBatch(const TableWrite& write, BatchIterator* batches,
                                           const std::string& flow, const FlowProgress& progress) {
  LF_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  Status st = EnsureTable(write);
  if (st.ok()) st = WriteRows(write, batches);
  if (st.ok()) {
    Statement stmt;
    const char* sql =
        "INSERT OR REPLACE INTO _lakeflow_flows (flow, batch_id, end_offset, committed_at) "
        "VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))";
    std::string end = progress.end ? progress.end->dump() : "";
    if (sqlite3_prepare_v2(db_, sql, -1, stmt.out(), nullptr) != SQLITE_OK) {
      st = SqliteError(db_, "recording flow progress");
    } else {
      sqlite3_bind_text(stmt.get(), 1, flow.data(), static_cast<int>(flow.size()),
                        SQLITE_TRANSIENT);
      sqlite3_bind_int64(stmt.get(), 2, progress.batch_id);
      if (progress.end)
        sqlite3_bind_text(stmt.get(), 3, end.data(), static_cast<int>(end.size()),
                          SQLITE_TRANSIENT);
      else
        sqlite3_bind_null(stmt.get(), 3);
      if (sqlite3_step(stmt.get()) != SQLITE_DONE) st = SqliteError(db_, "recording flow progress");
    }
  }
  if (!st.ok()) {
    Exec("ROLLBACK").ok();
    return st;
  }
  return Exec("COMMIT");
}

}  // namespace lakeflow::sinks
