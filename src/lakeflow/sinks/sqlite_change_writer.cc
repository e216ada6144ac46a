#include "lakeflow/sinks/sqlite_change_writer.h"

#include <arrow/api.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <initializer_list>
#include <vector>

#include "lakeflow/sinks/sqlite_values.h"

namespace lakeflow::sinks {
namespace {

// A statement over one row. Its parameters are numbered: ?1..?C the row's
// columns, ?C+1 the sequence's ordering form, ?C+2 its stored form, ?C+3 and
// above set by the caller. Only the parameters the SQL uses are bound.
class RowStatement {
 public:
  static Result<RowStatement> Make(sqlite3* db, const std::string& sql, const std::string& what) {
    LF_ASSIGN_OR_RETURN(Statement stmt, Prepare(db, sql, what));
    RowStatement out(std::move(stmt));
    int count = sqlite3_bind_parameter_count(out.get());
    for (int i = 1; i <= count; ++i) {
      if (sqlite3_bind_parameter_name(out.get(), i) != nullptr) out.used_.push_back(i);
    }
    return out;
  }

  sqlite3_stmt* get() const { return stmt_.get(); }

  // Resets the statement and binds the row; `sequence` is the column index of
  // the sequence in the batch, or -1.
  void Bind(const BatchColumns& batch, int64_t row, int sequence, std::string* scratch) {
    sqlite3_reset(get());
    int columns = static_cast<int>(batch.arrays.size());
    for (int i : used_) {
      if (i <= columns) {
        BindValue(get(), i, *batch.arrays[i - 1], row, *batch.fields[i - 1], scratch);
      } else if (i == columns + 1 || i == columns + 2) {
        if (sequence < 0) {
          sqlite3_bind_null(get(), i);
        } else if (i == columns + 1) {
          BindOrdering(get(), i, *batch.arrays[sequence], row);
        } else {
          BindValue(get(), i, *batch.arrays[sequence], row, *batch.fields[sequence], scratch);
        }
      }
    }
  }

  // Binds the sequence's two forms from values read elsewhere (a row of the
  // table), in place of the row's own. Call after Bind.
  void BindSequence(int columns, sqlite3_value* ordering, sqlite3_value* stored) {
    for (int i : used_) {
      if (i == columns + 1) sqlite3_bind_value(get(), i, ordering);
      if (i == columns + 2) sqlite3_bind_value(get(), i, stored);
    }
  }

 private:
  explicit RowStatement(Statement stmt) : stmt_(std::move(stmt)) {}
  Statement stmt_;
  std::vector<int> used_;
};

// Aliases no table of a pipeline is expected to be named.
constexpr const char* kTombAlias = "__lakeflow_d";
constexpr const char* kPrevAlias = "__lakeflow_p";
constexpr const char* kVersionAlias = "__lakeflow_v";

std::string Param(int index) {
  return fmt::format("?{}", index);
}

// What every writer knows: the table, its companions, and where the keys and
// the sequence are among the rows' columns.
class WriterBase : public SqliteChangeWriter {
 public:
  WriterBase(sqlite3* db, const TableWrite& write, const SchemaPtr& rows)
      : db_(db),
        write_(write),
        rows_(rows),
        table_(QuoteIdentifier(write.table)),
        tombstones_(QuoteIdentifier(TombstoneTable(write.table))),
        seq_(QuoteIdentifier(kSequenceColumn)) {}

  Status Init() {
    for (const auto& key : write_.primary_keys) {
      int index = rows_->GetFieldIndex(key);
      if (index < 0)
        return Status::Invalid("table '{}': rows have no key column '{}'", write_.table, key);
      key_params_.push_back(index + 1);
    }
    if (!write_.sequence_by.empty()) {
      sequence_ = rows_->GetFieldIndex(write_.sequence_by);
      if (sequence_ < 0)
        return Status::Invalid("table '{}': rows have no sequence_by column '{}'", write_.table,
                               write_.sequence_by);
    }
    return Status::OK();
  }

 protected:
  int Columns() const { return rows_->num_fields(); }
  std::string Ordering() const { return Param(Columns() + 1); }
  std::string Stored() const { return Param(Columns() + 2); }

  // "alias.k1 IS ?i AND ..." matching the row's keys.
  std::string KeyMatch(const std::string& alias) const {
    std::string out;
    for (size_t i = 0; i < key_params_.size(); ++i) {
      out += fmt::format("{}{}.{} IS {}", i ? " AND " : "", alias,
                         QuoteIdentifier(write_.primary_keys[i]), Param(key_params_[i]));
    }
    return out;
  }
  std::string KeyColumns() const {
    std::string out;
    for (const auto& k : write_.primary_keys) out += (out.empty() ? "" : ", ") + QuoteIdentifier(k);
    return out;
  }
  std::string KeyParams() const {
    std::string out;
    for (int p : key_params_) out += (out.empty() ? "" : ", ") + Param(p);
    return out;
  }
  std::string RowColumns() const {
    std::string out;
    for (const auto& f : rows_->fields())
      out += (out.empty() ? "" : ", ") + QuoteIdentifier(f->name());
    return out;
  }
  std::string RowParams() const {
    std::string out;
    for (int i = 1; i <= Columns(); ++i) out += (i > 1 ? ", " : "") + Param(i);
    return out;
  }
  std::string SetEveryColumn(const std::string& from) const {
    std::string out;
    for (int i = 0; i < Columns(); ++i) {
      const auto& name = QuoteIdentifier(rows_->field(i)->name());
      out += (i ? ", " : "") + name + " = " + (from.empty() ? Param(i + 1) : from + "." + name);
    }
    return out;
  }

  Result<RowStatement> Make(const std::string& sql) const {
    return RowStatement::Make(db_, sql, "preparing a write to '" + write_.table + "'");
  }
  void Bind(RowStatement* s, const BatchColumns& batch, int64_t row) {
    s->Bind(batch, row, sequence_, &scratch_);
  }
  Status Step(const RowStatement& s) {
    int rc = sqlite3_step(s.get());
    if (rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::OK();
    return SqliteError(db_, "writing to '" + write_.table + "'");
  }
  // Step after Bind: a statement whose result is not needed.
  Status Run(RowStatement* s, const BatchColumns& batch, int64_t row) {
    Bind(s, batch, row);
    return Step(*s);
  }

  // Whether the table's tombstones hold any key; a staged snapshot has none.
  Result<bool> HasTombstones() const {
    std::string sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?";
    LF_ASSIGN_OR_RETURN(Statement exists,
                        ::lakeflow::sinks::Prepare(db_, sql, "reading tombstones"));
    std::string name = TombstoneTable(write_.table);
    sqlite3_bind_text(exists.get(), 1, name.data(), static_cast<int>(name.size()),
                      SQLITE_TRANSIENT);
    if (sqlite3_step(exists.get()) != SQLITE_ROW) return false;
    LF_ASSIGN_OR_RETURN(Statement any,
                        ::lakeflow::sinks::Prepare(db_, "SELECT 1 FROM " + tombstones_ + " LIMIT 1",
                                                   "reading tombstones"));
    return sqlite3_step(any.get()) == SQLITE_ROW;
  }

  Status RequireSequence(const BatchColumns& batch, int64_t row) const {
    if (sequence_ >= 0 && !batch.arrays[sequence_]->IsNull(row)) return Status::OK();
    return Status::Invalid(
        "table '{}': SCD_TYPE_2 needs a sequence_by value and a row has none in '{}'", write_.table,
        write_.sequence_by);
  }

  sqlite3* db_;
  TableWrite write_;
  SchemaPtr rows_;
  std::string table_, tombstones_, seq_;
  std::vector<int> key_params_;  // 1-based, among the rows' columns
  int sequence_ = -1;            // among the rows' columns
  std::string scratch_;
};

class AppendWriter : public WriterBase {
 public:
  using WriterBase::WriterBase;
  Status Prepare() {
    LF_ASSIGN_OR_RETURN(insert_, Make("INSERT INTO " + table_ + " (" + RowColumns() + ") VALUES (" +
                                      RowParams() + ")"));
    return Status::OK();
  }
  Status Apply(const BatchColumns& batch, int64_t row) override {
    return Run(&*insert_, batch, row);
  }

 private:
  std::optional<RowStatement> insert_;
};

// Also the stage of a snapshot: upserts without a sequence, the last one wins.
class Scd1UpsertWriter : public WriterBase {
 public:
  Scd1UpsertWriter(sqlite3* db, const TableWrite& write, const SchemaPtr& rows, bool stage)
      : WriterBase(db, write, rows), stage_(stage) {}

  Status Prepare() {
    std::string into = stage_ ? QuoteIdentifier(StageTable(write_.table)) : table_;
    std::string sql = "INSERT INTO " + into + " (" + RowColumns();
    LF_ASSIGN_OR_RETURN(bool deletes, HasTombstones());
    if (stage_) {
      sql += ") SELECT " + RowParams() + " WHERE true";
    } else if (!deletes) {
      // No key was ever deleted (no delete flow, or none yet): no tombstone to look up.
      sql += ", " + seq_ + ") VALUES (" + RowParams() + ", " + Ordering() + ")";
    } else {
      // A delete at an equal or later sequence keeps the key deleted.
      sql += ", " + seq_ + ") SELECT " + RowParams() + ", " + Ordering() +
             " WHERE NOT EXISTS (SELECT 1 FROM " + tombstones_ + " " + std::string(kTombAlias) +
             " WHERE " + KeyMatch(kTombAlias) + " AND (" + Ordering() + " IS NULL OR " +
             kTombAlias + "." + seq_ + " >= " + Ordering() + "))";
    }
    sql += " ON CONFLICT (" + KeyColumns() + ") DO UPDATE SET " + SetEveryColumn("excluded");
    if (!stage_) {
      // The highest sequence wins; a late, older event changes nothing.
      sql += ", " + seq_ + " = excluded." + seq_ + " WHERE " + into + "." + seq_ +
             " IS NULL OR excluded." + seq_ + " >= " + into + "." + seq_;
    }
    LF_ASSIGN_OR_RETURN(upsert_, Make(sql));
    return Status::OK();
  }
  Status Apply(const BatchColumns& batch, int64_t row) override {
    return Run(&*upsert_, batch, row);
  }

 private:
  bool stage_;
  std::optional<RowStatement> upsert_;
};

class Scd1DeleteWriter : public WriterBase {
 public:
  using WriterBase::WriterBase;
  Status Prepare() {
    if (sequence_ >= 0) LF_RETURN_IF_ERROR(PrepareCurrent(QuoteIdentifier(write_.sequence_by), ""));
    LF_ASSIGN_OR_RETURN(delete_, Make("DELETE FROM " + table_ + " WHERE " + KeyMatch(table_) +
                                      " AND (" + table_ + "." + seq_ + " IS NULL OR " + Ordering() +
                                      " >= " + table_ + "." + seq_ + ")"));
    LF_ASSIGN_OR_RETURN(remember_, Make(RememberSql()));
    return Status::OK();
  }
  Status Apply(const BatchColumns& batch, int64_t row) override {
    LF_ASSIGN_OR_RETURN(bool applies, BindDelete(batch, row, {&*delete_, &*remember_}));
    if (!applies) return Status::OK();
    LF_RETURN_IF_ERROR(Step(*delete_));
    return Step(*remember_);
  }

 protected:
  std::string RememberSql() const {
    return "INSERT OR IGNORE INTO " + tombstones_ + " (" + KeyColumns() + ", " + seq_ + ", " +
           QuoteIdentifier(kEndColumn) + ") VALUES (" + KeyParams() + ", " + Ordering() + ", " +
           Stored() + ")";
  }

  // The lookup of a key's current row: its sequence's ordering form, and
  // `stored` (the column holding its stored form), for rows matching `where`.
  Status PrepareCurrent(const std::string& stored, const std::string& where) {
    LF_ASSIGN_OR_RETURN(current_, Make("SELECT " + seq_ + ", " + stored + " FROM " + table_ +
                                       " WHERE " + KeyMatch(table_) + where));
    return Status::OK();
  }

  // Binds `statements` to the row. A delete without a sequence applies at the
  // read's position: connectors that send only the keys mean the row as it is
  // now, so it takes the sequence of the key's current row. False when it has
  // none: the delete changes nothing and is not remembered.
  Result<bool> BindDelete(const BatchColumns& batch, int64_t row,
                          std::initializer_list<RowStatement*> statements) {
    for (auto* s : statements) Bind(s, batch, row);
    if (sequence_ < 0 || !batch.arrays[sequence_]->IsNull(row)) return true;
    Bind(&*current_, batch, row);
    int rc = sqlite3_step(current_->get());
    if (rc == SQLITE_DONE) return false;
    if (rc != SQLITE_ROW)
      return SqliteError(db_, "reading the current row of '" + write_.table + "'");
    // sqlite3_bind_value copies, so the lookup can be reset before the writes.
    for (auto* s : statements)
      s->BindSequence(Columns(), sqlite3_column_value(current_->get(), 0),
                      sqlite3_column_value(current_->get(), 1));
    sqlite3_reset(current_->get());
    return true;
  }

  std::optional<RowStatement> current_, delete_, remember_;
};

// The version that covers sequence ?C+1: the latest one starting before it,
// unless a delete lies between the two.
std::string CoveringVersion(const std::string& table, const std::string& tombstones,
                            const std::string& seq, const std::string& key_match_t,
                            const std::string& key_match_d, const std::string& at) {
  std::string p = kPrevAlias, d = kTombAlias;
  return table + "." + seq + " = (SELECT max(" + p + "." + seq + ") FROM " + table + " " + p +
         " WHERE " + key_match_t + " AND " + p + "." + seq + " < " + at +
         ") AND NOT EXISTS (SELECT 1 FROM " + tombstones + " " + d + " WHERE " + key_match_d +
         " AND " + d + "." + seq + " > " + table + "." + seq + " AND " + d + "." + seq + " < " +
         at + ")";
}

class Scd2UpsertWriter : public WriterBase {
 public:
  using WriterBase::WriterBase;
  Status Prepare() {
    std::string at = Ordering();
    std::string start = QuoteIdentifier(kStartColumn), end = QuoteIdentifier(kEndColumn);
    LF_ASSIGN_OR_RETURN(
        deleted_, Make("SELECT 1 FROM " + tombstones_ + " " + std::string(kTombAlias) + " WHERE " +
                       KeyMatch(kTombAlias) + " AND " + kTombAlias + "." + seq_ + " = " + at));
    LF_ASSIGN_OR_RETURN(same_, Make("UPDATE " + table_ + " SET " + SetEveryColumn("") + " WHERE " +
                                    KeyMatch(table_) + " AND " + seq_ + " = " + at));
    LF_ASSIGN_OR_RETURN(
        next_, Make("SELECT s, e FROM (SELECT " + seq_ + " s, " + start + " e FROM " + table_ +
                    " " + kVersionAlias + " WHERE " + KeyMatch(kVersionAlias) + " AND " + seq_ +
                    " > " + at + " UNION ALL SELECT " + seq_ + ", " + end + " FROM " + tombstones_ +
                    " " + std::string(kTombAlias) + " WHERE " + KeyMatch(kTombAlias) + " AND " +
                    seq_ + " > " + at + ") ORDER BY s LIMIT 1"));
    LF_ASSIGN_OR_RETURN(close_,
                        Make("UPDATE " + table_ + " SET " + end + " = " + Stored() + " WHERE " +
                             KeyMatch(table_) + " AND " +
                             CoveringVersion(table_, tombstones_, seq_, KeyMatch(kPrevAlias),
                                             KeyMatch(kTombAlias), at)));
    end_param_ = Columns() + 3;
    LF_ASSIGN_OR_RETURN(insert_, Make("INSERT INTO " + table_ + " (" + RowColumns() + ", " + start +
                                      ", " + end + ", " + seq_ + ") VALUES (" + RowParams() + ", " +
                                      Stored() + ", " + Param(end_param_) + ", " + at + ")"));
    return Status::OK();
  }

  Status Apply(const BatchColumns& batch, int64_t row) override {
    LF_RETURN_IF_ERROR(RequireSequence(batch, row));
    Bind(&*deleted_, batch, row);
    if (sqlite3_step(deleted_->get()) == SQLITE_ROW) return Status::OK();  // a delete wins a tie
    LF_RETURN_IF_ERROR(Run(&*same_, batch, row));
    if (sqlite3_changes(db_) > 0) return Status::OK();  // the same version again
    LF_RETURN_IF_ERROR(Run(&*close_, batch, row));
    Bind(&*insert_, batch, row);
    Bind(&*next_, batch, row);
    int rc = sqlite3_step(next_->get());
    if (rc == SQLITE_ROW) {
      sqlite3_bind_value(insert_->get(), end_param_, sqlite3_column_value(next_->get(), 1));
    } else if (rc == SQLITE_DONE) {
      sqlite3_bind_null(insert_->get(), end_param_);
    } else {
      return SqliteError(db_, "reading the history of '" + write_.table + "'");
    }
    return Step(*insert_);
  }

 private:
  std::optional<RowStatement> deleted_, same_, next_, close_, insert_;
  int end_param_ = 0;
};

class Scd2DeleteWriter : public Scd1DeleteWriter {
 public:
  using Scd1DeleteWriter::Scd1DeleteWriter;
  Status Prepare() {
    std::string at = Ordering();
    // The current version, the one not yet ended; its upsert's sequence is
    // its start.
    LF_RETURN_IF_ERROR(PrepareCurrent(QuoteIdentifier(kStartColumn),
                                      " AND " + QuoteIdentifier(kEndColumn) + " IS NULL"));
    LF_ASSIGN_OR_RETURN(remember_, Make(RememberSql()));
    LF_ASSIGN_OR_RETURN(delete_, Make("DELETE FROM " + table_ + " WHERE " + KeyMatch(table_) +
                                      " AND " + seq_ + " = " + at));
    LF_ASSIGN_OR_RETURN(
        close_, Make("UPDATE " + table_ + " SET " + QuoteIdentifier(kEndColumn) + " = " + Stored() +
                     " WHERE " + KeyMatch(table_) + " AND " +
                     CoveringVersion(table_, tombstones_, seq_, KeyMatch(kPrevAlias),
                                     KeyMatch(kTombAlias), at)));
    return Status::OK();
  }
  // A delete without a sequence is one at the current version's: it wins the
  // tie, so that version goes and the one before still ends there.
  Status Apply(const BatchColumns& batch, int64_t row) override {
    if (sequence_ < 0) return RequireSequence(batch, row);
    LF_ASSIGN_OR_RETURN(bool applies, BindDelete(batch, row, {&*delete_, &*close_, &*remember_}));
    if (!applies) return Status::OK();
    LF_RETURN_IF_ERROR(Step(*delete_));
    LF_RETURN_IF_ERROR(Step(*close_));
    return Step(*remember_);
  }

 private:
  std::optional<RowStatement> close_;
};

template <typename W, typename... Extra>
Result<std::unique_ptr<SqliteChangeWriter>> MakeWriter(sqlite3* db, const TableWrite& write,
                                                       const SchemaPtr& rows, Extra... extra) {
  auto writer = std::make_unique<W>(db, write, rows, extra...);
  LF_RETURN_IF_ERROR(writer->Init());
  LF_RETURN_IF_ERROR(writer->Prepare());
  return std::unique_ptr<SqliteChangeWriter>(std::move(writer));
}

}  // namespace

BatchColumns::BatchColumns(const arrow::RecordBatch& batch) {
  for (int i = 0; i < batch.num_columns(); ++i) {
    arrays.push_back(batch.column(i).get());
    fields.push_back(batch.schema()->field(i).get());
  }
}

std::string TombstoneTable(const std::string& table) {
  return table + "__lakeflow_tombstones";
}

std::string StageTable(const std::string& table) {
  return table + "__lakeflow_stage";
}

Result<std::unique_ptr<SqliteChangeWriter>> SqliteChangeWriter::Make(sqlite3* db,
                                                                     const TableWrite& write,
                                                                     ChangeKind kind,
                                                                     const SchemaPtr& rows) {
  bool scd2 = write.history == History::kScd2;
  switch (kind) {
    case ChangeKind::kAppend:
      return MakeWriter<AppendWriter>(db, write, rows);
    case ChangeKind::kStage:
    case ChangeKind::kRestage:
      return MakeWriter<Scd1UpsertWriter>(db, write, rows, true);
    case ChangeKind::kUpsert:
      if (scd2) return MakeWriter<Scd2UpsertWriter>(db, write, rows);
      return MakeWriter<Scd1UpsertWriter>(db, write, rows, false);
    case ChangeKind::kDelete:
      if (scd2) return MakeWriter<Scd2DeleteWriter>(db, write, rows);
      return MakeWriter<Scd1DeleteWriter>(db, write, rows);
  }
  return Status::Internal("unknown change kind");
}

}  // namespace lakeflow::sinks
