#include "lakeflow/sinks/sqlite_destination.h"

#include <arrow/api.h>
#include <sqlite3.h>

#include <map>
#include <utility>

#include "lakeflow/core/json_access.h"
#include "lakeflow/core/strings.h"
#include "lakeflow/sinks/sqlite_change_writer.h"
#include "lakeflow/sinks/sqlite_values.h"

namespace lakeflow::sinks {
namespace {

// An alias no table of a pipeline is expected to be named.
constexpr const char* kStageAlias = "__lakeflow_s";
constexpr const char* kNow = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

int BindText(sqlite3_stmt* stmt, int index, const std::string& text) {
  return sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()),
                           SQLITE_TRANSIENT);
}

std::string ColumnText(sqlite3_stmt* stmt, int column) {
  const unsigned char* text = sqlite3_column_text(stmt, column);
  return text ? reinterpret_cast<const char*>(text) : "";
}

// "name TYPE" for each column of `schema`.
std::vector<std::string> Definitions(const arrow::Schema& schema) {
  std::vector<std::string> out;
  for (const auto& f : schema.fields())
    out.push_back(QuoteIdentifier(f->name()) + " " + ColumnType(*f->type()));
  return out;
}

std::vector<std::string> Quoted(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& n : names) out.push_back(QuoteIdentifier(n));
  return out;
}

// "a.k1 IS b.k1 AND ..."
std::string KeysMatch(const std::vector<std::string>& keys, const std::string& a,
                      const std::string& b) {
  std::vector<std::string> terms;
  for (const auto& k : Quoted(keys)) terms.push_back(a + "." + k + " IS " + b + "." + k);
  return Join(terms, " AND ");
}

// The SQLite type of __START_AT/__END_AT: the sequence's, or BIGINT versions.
Result<std::string> SequenceType(const TableWrite& w, bool snapshot) {
  if (snapshot || w.sequence_by.empty()) return std::string("INTEGER");
  auto field = w.schema->GetFieldByName(w.sequence_by);
  if (!field)
    return Status::Invalid("table '{}': sequence_by '{}' is not a column", w.table, w.sequence_by);
  if (!CanOrder(*field->type()))
    return Status::Invalid(
        "table '{}': sequence_by '{}' has type {}, which cannot order events (use an integer, "
        "float, string, date or timestamp column)",
        w.table, w.sequence_by, field->type()->ToString());
  return std::string(ColumnType(*field->type()));
}

}  // namespace

Result<std::unique_ptr<SqliteDestination>> SqliteDestination::Open(const std::string& path) {
  sqlite3* db = nullptr;
  // NOMUTEX: a destination is used by one thread at a time (each pipeline
  // worker opens its own), so SQLite's per-call locking is pure overhead.
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<SqliteDestination> out(new SqliteDestination(db));
  if (rc != SQLITE_OK) return SqliteError(db, "cannot open '" + path + "'");
  sqlite3_busy_timeout(db, 60000);
  LF_RETURN_IF_ERROR(Exec(db, "PRAGMA journal_mode=WAL"));
  LF_RETURN_IF_ERROR(Exec(db, "PRAGMA synchronous=NORMAL"));
  // 64 MiB of page cache (SQLite's default is 2 MiB): merges into a large
  // table look up keys all over it, and each miss is a read() from the OS.
  LF_RETURN_IF_ERROR(Exec(db, "PRAGMA cache_size=-65536"));
  LF_RETURN_IF_ERROR(
      Exec(db,
           "CREATE TABLE IF NOT EXISTS _lakeflow_flows (table_name TEXT NOT NULL, flow TEXT NOT "
           "NULL, batch_id INTEGER NOT NULL, end_offset TEXT, rows INTEGER NOT NULL DEFAULT 0, "
           "committed_at TEXT, last_error TEXT, error_at TEXT, PRIMARY KEY (table_name, flow))"));
  // Destinations made before runs were recorded lack ran_at.
  LF_RETURN_IF_ERROR(out->EnsureColumns("_lakeflow_flows", {QuoteIdentifier("ran_at") + " TEXT"}));
  return out;
}

SqliteDestination::~SqliteDestination() {
  sqlite3_close_v2(db_);
}

template <typename Body>
Status SqliteDestination::InTransaction(Body body) {
  LF_RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE"));
  Status st = body();
  if (!st.ok()) {
    Exec(db_, "ROLLBACK").ok();
    return st;
  }
  return Exec(db_, "COMMIT");
}

Result<std::optional<FlowProgress>> SqliteDestination::Progress(const std::string& table,
                                                                const std::string& flow) {
  LF_ASSIGN_OR_RETURN(Statement stmt,
                      Prepare(db_,
                              "SELECT batch_id, end_offset FROM _lakeflow_flows WHERE "
                              "table_name = ? AND flow = ? AND batch_id >= 0",
                              "reading flow progress"));
  BindText(stmt.get(), 1, table);
  BindText(stmt.get(), 2, flow);
  if (sqlite3_step(stmt.get()) != SQLITE_ROW) return std::optional<FlowProgress>();
  FlowProgress p;
  p.batch_id = sqlite3_column_int64(stmt.get(), 0);
  if (sqlite3_column_type(stmt.get(), 1) != SQLITE_NULL) {
    LF_ASSIGN_OR_RETURN(p.end,
                        OffsetFromString(ColumnText(stmt.get(), 1), "_lakeflow_flows.end_offset"));
  }
  return std::optional<FlowProgress>(std::move(p));
}

Result<bool> SqliteDestination::AlreadyCommitted(const std::string& table, const std::string& flow,
                                                 const FlowProgress& progress) {
  LF_ASSIGN_OR_RETURN(auto last, Progress(table, flow));
  return last && progress.batch_id <= last->batch_id;
}

// Adds the columns `table` lacks; refuses a column whose type changed in a way
// SQLite's storage cannot widen to.
Status SqliteDestination::EnsureColumns(const std::string& table,
                                        const std::vector<std::string>& definitions) {
  std::map<std::string, std::string> existing;  // quoted name -> declared type
  LF_ASSIGN_OR_RETURN(Statement info,
                      Prepare(db_, "PRAGMA table_info(" + QuoteIdentifier(table) + ")",
                              "reading the columns of '" + table + "'"));
  while (sqlite3_step(info.get()) == SQLITE_ROW)
    existing[QuoteIdentifier(ColumnText(info.get(), 1))] = ColumnText(info.get(), 2);
  for (const auto& d : definitions) {
    size_t space = d.rfind(' ');
    std::string name = d.substr(0, space), type = d.substr(space + 1);
    auto found = existing.find(name);
    if (found == existing.end()) {
      LF_RETURN_IF_ERROR(Exec(db_, "ALTER TABLE " + QuoteIdentifier(table) + " ADD COLUMN " + d));
    } else if (found->second != type && !(found->second == "INTEGER" && type == "REAL")) {
      return Status::Invalid("table '{}': column {} changed type from {} to {}, which cannot widen",
                             table, name, found->second, type);
    }
  }
  return Status::OK();
}

Status SqliteDestination::EnsureTables(const TableWrite& w, bool snapshot) {
  LF_RETURN_IF_ERROR(EnsureMainTable(w, snapshot));
  if (w.primary_keys.empty()) return Status::OK();
  return snapshot ? EnsureStage(w) : EnsureTombstones(w);
}

Status SqliteDestination::CreateTable(const std::string& name,
                                      const std::vector<std::string>& create,
                                      const std::vector<std::string>& columns) {
  LF_RETURN_IF_ERROR(Exec(db_, "CREATE TABLE IF NOT EXISTS " + QuoteIdentifier(name) + " (" +
                                   Join(create, ", ") + ")"));
  return EnsureColumns(name, columns);
}

Status SqliteDestination::CreateUniqueIndex(const std::string& table,
                                            const std::vector<std::string>& columns) {
  return Exec(db_, "CREATE UNIQUE INDEX IF NOT EXISTS " +
                       QuoteIdentifier(table + "__lakeflow_keys") + " ON " +
                       QuoteIdentifier(table) + " (" + Join(Quoted(columns), ", ") + ")");
}

Status SqliteDestination::EnsureClusterIndex(const TableWrite& w) {
  std::string name = QuoteIdentifier(w.table + "__lakeflow_cluster");
  // Without IF NOT EXISTS, SQLite keeps this exact text in sqlite_master.
  std::string want;
  if (!w.cluster_by.empty()) {
    want = "CREATE INDEX " + name + " ON " + QuoteIdentifier(w.table) + " (" +
           Join(Quoted(w.cluster_by), ", ") + ")";
  }
  LF_ASSIGN_OR_RETURN(
      Statement find,
      Prepare(db_, "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?",
              "reading the clustering index"));
  BindText(find.get(), 1, w.table + "__lakeflow_cluster");
  std::string have;
  int rc = sqlite3_step(find.get());
  if (rc == SQLITE_ROW) {
    const auto* text = sqlite3_column_text(find.get(), 0);
    if (text) have = reinterpret_cast<const char*>(text);
  } else if (rc != SQLITE_DONE) {
    return SqliteError(db_, "reading the clustering index");
  }
  sqlite3_reset(find.get());  // a statement still reading sqlite_master locks it
  if (have == want) return Status::OK();
  if (!have.empty()) LF_RETURN_IF_ERROR(Exec(db_, "DROP INDEX " + name));
  return want.empty() ? Status::OK() : Exec(db_, want);
}

// The table itself: the source's columns, SCD2's __START_AT/__END_AT, and the
// hidden sequence of merged tables.
Status SqliteDestination::EnsureMainTable(const TableWrite& w, bool snapshot) {
  bool merged = !w.primary_keys.empty();
  std::vector<std::string> columns = Definitions(*w.schema);
  if (merged && w.history == History::kScd2) {
    LF_ASSIGN_OR_RETURN(std::string type, SequenceType(w, snapshot));
    columns.push_back(QuoteIdentifier(kStartColumn) + " " + type);
    columns.push_back(QuoteIdentifier(kEndColumn) + " " + type);
  } else if (merged && !snapshot) {
    LF_RETURN_IF_ERROR(SequenceType(w, snapshot).status());
  }
  if (merged) columns.push_back(QuoteIdentifier(kSequenceColumn) + " BLOB");
  // An SCD1 table keyed by one integer column keys its rows by it: one B-tree
  // instead of the table and a unique index (about twice the merge speed).
  std::vector<std::string> create = columns;
  int key_index = merged ? w.schema->GetFieldIndex(w.primary_keys[0]) : -1;
  bool rowid_key = w.history == History::kScd1 && w.primary_keys.size() == 1 && key_index >= 0 &&
                   std::string(ColumnType(*w.schema->field(key_index)->type())) == "INTEGER";
  if (rowid_key) create[key_index] += " PRIMARY KEY";
  LF_RETURN_IF_ERROR(CreateTable(w.table, create, columns));
  LF_RETURN_IF_ERROR(EnsureClusterIndex(w));
  if (!merged || rowid_key) return Status::OK();
  std::vector<std::string> unique = w.primary_keys;
  if (w.history == History::kScd2) unique.push_back(kSequenceColumn);
  return CreateUniqueIndex(w.table, unique);
}

// The snapshot being read, one row per key.
Status SqliteDestination::EnsureStage(const TableWrite& w) {
  std::vector<std::string> columns = Definitions(*w.schema);
  LF_RETURN_IF_ERROR(CreateTable(StageTable(w.table), columns, columns));
  return CreateUniqueIndex(StageTable(w.table), w.primary_keys);
}

// The deleted keys, with the delete's sequence in both forms.
Status SqliteDestination::EnsureTombstones(const TableWrite& w) {
  std::vector<std::string> columns;
  for (const auto& k : w.primary_keys) {
    auto field = w.schema->GetFieldByName(k);
    if (!field) return Status::Invalid("table '{}': primary key '{}' is not a column", w.table, k);
    columns.push_back(QuoteIdentifier(k) + " " + ColumnType(*field->type()));
  }
  columns.push_back(QuoteIdentifier(kSequenceColumn) + " BLOB");
  columns.push_back(QuoteIdentifier(kEndColumn) + " BLOB");
  LF_RETURN_IF_ERROR(CreateTable(TombstoneTable(w.table), columns, columns));
  std::vector<std::string> unique = w.primary_keys;
  unique.push_back(kSequenceColumn);
  return CreateUniqueIndex(TombstoneTable(w.table), unique);
}

Status SqliteDestination::WriteRows(const TableWrite& w, ChangeKind kind, BatchIterator* rows,
                                    int64_t* count) {
  const SchemaPtr& schema = rows->schema();
  LF_ASSIGN_OR_RETURN(auto writer, SqliteChangeWriter::Make(db_, w, kind, schema));
  while (true) {
    LF_ASSIGN_OR_RETURN(auto batch, rows->Next());
    if (!batch) return Status::OK();
    if (!batch->schema()->Equals(*schema, /*check_metadata=*/false))
      return Status::Internal("table '{}': a batch does not have its flow's schema", w.table);
    BatchColumns columns(*batch);
    for (int64_t row = 0; row < batch->num_rows(); ++row)
      LF_RETURN_IF_ERROR(writer->Apply(columns, row));
    *count += batch->num_rows();
  }
}

Status SqliteDestination::RecordProgress(const std::string& table, const std::string& flow,
                                         const FlowProgress& progress, int64_t rows) {
  LF_ASSIGN_OR_RETURN(
      Statement stmt,
      Prepare(db_,
              std::string("INSERT INTO _lakeflow_flows (table_name, flow, batch_id, end_offset, "
                          "rows, committed_at) VALUES (?, ?, ?, ?, ?, ") +
                  kNow +
                  ") ON CONFLICT (table_name, flow) DO UPDATE SET batch_id = "
                  "excluded.batch_id, end_offset = excluded.end_offset, rows = rows + "
                  "excluded.rows, committed_at = excluded.committed_at, last_error = NULL, "
                  "error_at = NULL",
              "recording flow progress"));
  BindText(stmt.get(), 1, table);
  BindText(stmt.get(), 2, flow);
  sqlite3_bind_int64(stmt.get(), 3, progress.batch_id);
  if (progress.end) {
    LF_ASSIGN_OR_RETURN(std::string end, DumpExactJson(*progress.end, "the end offset"));
    BindText(stmt.get(), 4, end);
  } else {
    sqlite3_bind_null(stmt.get(), 4);
  }
  sqlite3_bind_int64(stmt.get(), 5, rows);
  if (sqlite3_step(stmt.get()) != SQLITE_DONE) return SqliteError(db_, "recording flow progress");
  return Status::OK();
}

Status SqliteDestination::CommitMicroBatch(const TableWrite& write, ChangeKind kind,
                                           BatchIterator* rows, const std::string& flow,
                                           const FlowProgress& progress) {
  bool staging = kind == ChangeKind::kStage || kind == ChangeKind::kRestage;
  return InTransaction([&]() -> Status {
    LF_ASSIGN_OR_RETURN(bool done, AlreadyCommitted(write.table, flow, progress));
    if (done) return Status::OK();  // a retry of a batch that committed
    LF_RETURN_IF_ERROR(EnsureTables(write, staging));
    if (kind == ChangeKind::kRestage && !write.primary_keys.empty())
      LF_RETURN_IF_ERROR(Exec(db_, "DELETE FROM " + QuoteIdentifier(StageTable(write.table))));
    int64_t count = 0;
    LF_RETURN_IF_ERROR(WriteRows(write, kind, rows, &count));
    return RecordProgress(write.table, flow, progress, count);
  });
}

Status SqliteDestination::ApplySnapshot(const TableWrite& w, int64_t version,
                                        const std::string& flow, const FlowProgress& progress) {
  if (w.primary_keys.empty())
    return Status::Invalid("table '{}': a snapshot is applied by primary keys and it has none",
                           w.table);
  return InTransaction([&]() -> Status {
    LF_ASSIGN_OR_RETURN(bool done, AlreadyCommitted(w.table, flow, progress));
    if (done) return Status::OK();  // a retry of an apply that committed
    LF_RETURN_IF_ERROR(EnsureTables(w, /*snapshot=*/true));
    std::string t = QuoteIdentifier(w.table), stage = QuoteIdentifier(StageTable(w.table));
    std::string seq = QuoteIdentifier(kSequenceColumn);
    std::vector<std::string> columns = Quoted([&] {
      std::vector<std::string> names;
      for (const auto& f : w.schema->fields()) names.push_back(f->name());
      return names;
    }());
    std::string list = Join(columns, ", ");
    std::string v = std::to_string(version);
    if (w.history == History::kScd1) {
      LF_RETURN_IF_ERROR(Exec(db_, "DELETE FROM " + t + " WHERE NOT EXISTS (SELECT 1 FROM " +
                                       stage + " " + kStageAlias + " WHERE " +
                                       KeysMatch(w.primary_keys, kStageAlias, t) + ")"));
      std::vector<std::string> set, changed;
      for (const auto& c : columns) {
        set.push_back(c + " = excluded." + c);
        changed.push_back(t + "." + c + " IS NOT excluded." + c);
      }
      LF_RETURN_IF_ERROR(Exec(db_, "INSERT INTO " + t + " (" + list + ") SELECT " + list +
                                       " FROM " + stage + " WHERE true ON CONFLICT (" +
                                       Join(Quoted(w.primary_keys), ", ") + ") DO UPDATE SET " +
                                       Join(set, ", ") + " WHERE " + Join(changed, " OR ")));
    } else {
      std::vector<std::string> same;
      for (const auto& c : columns)
        same.push_back(std::string(kStageAlias) + "." + c + " IS " + t + "." + c);
      std::string end = QuoteIdentifier(kEndColumn);
      // Deleted or changed keys close their current version ...
      LF_RETURN_IF_ERROR(Exec(db_, "UPDATE " + t + " SET " + end + " = " + v + " WHERE " + t + "." +
                                       end + " IS NULL AND NOT EXISTS (SELECT 1 FROM " + stage +
                                       " " + kStageAlias + " WHERE " + Join(same, " AND ") + ")"));
      // ... and new or changed keys open one.
      LF_RETURN_IF_ERROR(
          Exec(db_, "INSERT INTO " + t + " (" + list + ", " + QuoteIdentifier(kStartColumn) + ", " +
                        end + ", " + seq + ") SELECT " + list + ", " + v + ", NULL, " + v +
                        " FROM " + stage + " " + kStageAlias + " WHERE NOT EXISTS (SELECT 1 FROM " +
                        t + " WHERE " + KeysMatch(w.primary_keys, t, kStageAlias) + " AND " + t +
                        "." + end + " IS NULL)"));
    }
    LF_RETURN_IF_ERROR(Exec(db_, "DELETE FROM " + stage));
    return RecordProgress(w.table, flow, progress, 0);
  });
}

Status SqliteDestination::SetClustering(const TableWrite& w) {
  return InTransaction([&]() -> Status {
    LF_ASSIGN_OR_RETURN(
        Statement find,
        Prepare(db_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                "looking up the table"));
    BindText(find.get(), 1, w.table);
    int rc = sqlite3_step(find.get());
    if (rc == SQLITE_DONE) return Status::OK();  // not created yet
    if (rc != SQLITE_ROW) return SqliteError(db_, "looking up the table");
    sqlite3_reset(find.get());
    return EnsureClusterIndex(w);
  });
}

Status SqliteDestination::Reset(const std::string& table, const std::vector<std::string>& flows) {
  return InTransaction([&]() -> Status {
    for (const auto& name : {table, TombstoneTable(table), StageTable(table)})
      LF_RETURN_IF_ERROR(Exec(db_, "DROP TABLE IF EXISTS " + QuoteIdentifier(name)));
    LF_ASSIGN_OR_RETURN(
        Statement forget,
        Prepare(db_, "DELETE FROM _lakeflow_flows WHERE table_name = ? AND flow = ?",
                "forgetting flow progress"));
    for (const auto& flow : flows) {
      sqlite3_reset(forget.get());
      BindText(forget.get(), 1, table);
      BindText(forget.get(), 2, flow);
      if (sqlite3_step(forget.get()) != SQLITE_DONE)
        return SqliteError(db_, "forgetting flow progress");
    }
    return Status::OK();
  });
}

Status SqliteDestination::RecordRun(const std::string& table, const std::string& flow,
                                    const std::string& error) {
  LF_ASSIGN_OR_RETURN(
      Statement stmt,
      Prepare(db_,
              std::string("INSERT INTO _lakeflow_flows (table_name, flow, batch_id, ran_at, "
                          "last_error, error_at) VALUES (?1, ?2, -1, ") +
                  kNow + ", ?3, CASE WHEN ?3 IS NULL THEN NULL ELSE " + kNow +
                  " END) ON CONFLICT (table_name, flow) DO UPDATE SET ran_at = excluded.ran_at, "
                  "last_error = excluded.last_error, error_at = excluded.error_at",
              "recording a run"));
  BindText(stmt.get(), 1, table);
  BindText(stmt.get(), 2, flow);
  if (error.empty())
    sqlite3_bind_null(stmt.get(), 3);
  else
    BindText(stmt.get(), 3, error);
  if (sqlite3_step(stmt.get()) != SQLITE_DONE) return SqliteError(db_, "recording a run");
  return Status::OK();
}

Result<std::vector<FlowStatus>> SqliteDestination::Flows() {
  LF_ASSIGN_OR_RETURN(Statement stmt,
                      Prepare(db_,
                              "SELECT table_name, flow, batch_id, end_offset, rows, committed_at, "
                              "last_error, error_at, ran_at FROM _lakeflow_flows ORDER BY "
                              "table_name, flow",
                              "reading flows"));
  std::vector<FlowStatus> out;
  while (sqlite3_step(stmt.get()) == SQLITE_ROW) {
    FlowStatus s;
    s.table = ColumnText(stmt.get(), 0);
    s.flow = ColumnText(stmt.get(), 1);
    s.batch_id = sqlite3_column_int64(stmt.get(), 2);
    if (sqlite3_column_type(stmt.get(), 3) != SQLITE_NULL) {
      LF_ASSIGN_OR_RETURN(
          s.end, OffsetFromString(ColumnText(stmt.get(), 3), "_lakeflow_flows.end_offset"));
    }
    s.rows = sqlite3_column_int64(stmt.get(), 4);
    s.committed_at = ColumnText(stmt.get(), 5);
    s.last_error = ColumnText(stmt.get(), 6);
    s.error_at = ColumnText(stmt.get(), 7);
    s.ran_at = ColumnText(stmt.get(), 8);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace lakeflow::sinks
