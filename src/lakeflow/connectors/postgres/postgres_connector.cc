#include "lakeflow/connectors/postgres/postgres_connector.h"

#include <arrow/api.h>

#include <map>
#include <mutex>

#include "lakeflow/connectors/postgres/pg_catalog.h"
#include "lakeflow/connectors/postgres/pg_copy_decoder.h"
#include "lakeflow/core/strings.h"

namespace lakeflow::postgres {
namespace {

// Rows decoded into one Arrow batch before it is handed on.
constexpr int64_t kBatchRows = 16384;

// A COPY in progress on its own connection: pulled a batch at a time, so
// memory stays bounded by the batch whatever the table's size. Dropping it
// mid-copy closes the connection, which ends the COPY on the server.
struct CopyRead {
  std::unique_ptr<PgConnection> conn;
  std::unique_ptr<PgCopyDecoder> decoder;
  std::string what;
  bool done = false;
};

RecordStream CopyStream(std::shared_ptr<CopyRead> read) {
  return RecordStream([read]() -> Result<std::optional<Chunk>> {
    if (read->done) return std::optional<Chunk>();
    std::string_view data;
    while (read->decoder->num_rows() < kBatchRows) {
      LF_ASSIGN_OR_RETURN(bool more, read->conn->NextCopyData(read->what, &data));
      if (!more) {
        read->done = true;
        if (!read->decoder->finished())
          return Status::SourceError("postgres: {}: the copy ended early", read->what);
        break;
      }
      LF_RETURN_IF_ERROR(read->decoder->Feed(data));
    }
    if (read->decoder->num_rows() == 0) return std::optional<Chunk>();
    LF_ASSIGN_OR_RETURN(auto batch, read->decoder->Flush());
    return std::optional<Chunk>(std::move(batch));
  });
}

SchemaPtr SchemaOf(const PgTable& table) {
  arrow::FieldVector fields;
  for (const auto& column : table.columns) fields.push_back(FieldFor(column));
  return arrow::schema(std::move(fields));
}

// The primary key's column when it is a single integer: partitions split it
// into ranges.
const PgColumn* IntegerKey(const PgTable& table) {
  if (table.primary_key.size() != 1) return nullptr;
  for (const auto& column : table.columns) {
    if (column.name != table.primary_key[0]) continue;
    bool integer = column.kind == PgKind::kInt2 || column.kind == PgKind::kInt4 ||
                   column.kind == PgKind::kInt8;
    return integer ? &column : nullptr;
  }
  return nullptr;
}

// pg_export_snapshot() names look like 00000003-0000001B-1; anything else is
// refused rather than spliced into SET TRANSACTION SNAPSHOT.
bool IsSnapshotName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok =
        (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f') || c == '-';
    if (!ok) return false;
  }
  return true;
}

// `count` half-open ranges covering [lo, hi]; the first and last are open-ended.
__extension__ using Wide = __int128;  // spans of int64 keys overflow int64

std::vector<Json> KeyRanges(const std::string& snapshot, int64_t lo, int64_t hi, int64_t count) {
  const Wide span = static_cast<Wide>(hi) - lo + 1;
  const Wide step = (span + count - 1) / count;
  std::vector<Json> out;
  for (int64_t i = 0; i < count; ++i) {
    const Wide from = lo + step * i;
    if (from > hi) break;
    Json part = {{"snapshot", snapshot}};
    if (i > 0) part["from"] = static_cast<int64_t>(from);
    if (from + step <= hi) part["to"] = static_cast<int64_t>(from + step);
    out.push_back(std::move(part));
  }
  return out;
}

class PostgresConnector : public LakeflowConnect, public SupportsPartition {
 public:
  PostgresConnector(Options options, PgConnectionOptions connection,
                    std::vector<std::string> schemas, std::unique_ptr<PgConnection> catalog)
      : LakeflowConnect(std::move(options)),
        connection_(std::move(connection)),
        schemas_(std::move(schemas)),
        catalog_(std::move(catalog)) {}

  Result<std::vector<std::string>> list_tables() override {
    std::lock_guard lock(mu_);
    LF_ASSIGN_OR_RETURN(auto names, ListTables(*catalog_, schemas_));
    std::vector<std::string> out;
    for (const auto& name : names) out.push_back(name.Display());
    return out;
  }

  Result<SchemaPtr> get_table_schema(std::string_view table, const Options&) override {
    LF_ASSIGN_OR_RETURN(const PgTable* t, Describe(table));
    return SchemaOf(*t);
  }

  Result<TableMetadata> read_table_metadata(std::string_view table, const Options&) override {
    LF_ASSIGN_OR_RETURN(const PgTable* t, Describe(table));
    TableMetadata m;
    m.ingestion_type = IngestionType::kSnapshot;
    m.primary_keys = t->primary_key;
    // Without a key a row is its own identity: every column is the key.
    if (m.primary_keys.empty()) {
      for (const auto& column : t->columns) m.primary_keys.push_back(column.name);
    }
    return m;
  }

  // A snapshot of the whole table in one COPY; the read is complete (no end offset).
  Result<ReadResult> read_table(std::string_view table, const Offset&, const Options&) override {
    LF_ASSIGN_OR_RETURN(const PgTable* t, Describe(table));
    LF_ASSIGN_OR_RETURN(auto conn, PgConnection::Connect(connection_));
    LF_ASSIGN_OR_RETURN(RecordStream records, Copy(*t, "", std::move(conn)));
    return ReadResult{std::move(records), Offset()};
  }

  // Tables keyed by one integer column split into key ranges.
  bool supports_partitions(std::string_view table) override {
    auto t = Describe(table);
    return t.ok() && IntegerKey(**t) != nullptr;
  }
  bool concurrent_partitions(std::string_view) override { return true; }

  // Option `partitions` (default 1) ranges of the key, all read in one
  // snapshot: a transaction here exports it, and stays open (for as long as
  // this connector, or until the table is partitioned again) so that every
  // partition can import it.
  Result<std::vector<Json>> get_partitions(std::string_view table,
                                           const Options& options) override {
    LF_ASSIGN_OR_RETURN(const PgTable* t, Describe(table));
    LF_ASSIGN_OR_RETURN(int64_t count, options.GetIntOr("partitions", 1));
    if (count < 1)
      return Status::Invalid("postgres: option 'partitions' must be at least 1, got {}", count);
    const PgColumn* key = IntegerKey(*t);
    if (count == 1 || key == nullptr) return std::vector<Json>{Json::object()};
    const std::string what = "partitioning table " + t->name.Display();
    LF_ASSIGN_OR_RETURN(auto holder, PgConnection::Connect(connection_));
    LF_RETURN_IF_ERROR(
        holder->Query(what, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").status());
    const std::string k = QuoteIdentifier(key->name);
    LF_ASSIGN_OR_RETURN(PgResult bounds,
                        holder->Query(what, "SELECT pg_export_snapshot(), min(" + k + "), max(" +
                                                k + ") FROM " + t->name.Sql()));
    std::string snapshot = PQgetvalue(bounds.get(), 0, 0);
    std::vector<Json> parts;
    if (PQgetisnull(bounds.get(), 0, 1)) {
      parts.push_back(Json{{"snapshot", snapshot}});
    } else {
      parts = KeyRanges(snapshot, std::stoll(PQgetvalue(bounds.get(), 0, 1)),
                        std::stoll(PQgetvalue(bounds.get(), 0, 2)), count);
    }
    std::lock_guard lock(mu_);
    snapshot_holders_[std::string(table)] = std::move(holder);
    return parts;
  }

  Result<RecordStream> read_partition(std::string_view table, const Json& partition,
                                      const Options&) override {
    LF_ASSIGN_OR_RETURN(const PgTable* t, Describe(table));
    LF_ASSIGN_OR_RETURN(auto conn, PgConnection::Connect(connection_));
    const std::string what = "reading a partition of " + t->name.Display();
    if (partition.contains("snapshot")) {
      std::string snapshot = partition["snapshot"].get<std::string>();
      if (!IsSnapshotName(snapshot))
        return Status::Invalid("postgres: partition of {}: bad snapshot name", t->name.Display());
      LF_RETURN_IF_ERROR(
          conn->Query(what, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").status());
      LF_RETURN_IF_ERROR(conn->Query(what, "SET TRANSACTION SNAPSHOT '" + snapshot + "'").status());
    }
    std::string where;
    if (const PgColumn* key = IntegerKey(*t)) {
      const std::string k = QuoteIdentifier(key->name);
      if (partition.contains("from"))
        where = k + " >= " + std::to_string(partition["from"].get<int64_t>());
      if (partition.contains("to"))
        where += (where.empty() ? "" : " AND ") + k + " < " +
                 std::to_string(partition["to"].get<int64_t>());
    }
    return Copy(*t, where, std::move(conn));
  }

 private:
  // The table's catalog description, looked up once per connector.
  Result<const PgTable*> Describe(std::string_view table) {
    std::lock_guard lock(mu_);
    if (auto it = tables_.find(table); it != tables_.end()) return &it->second;
    LF_ASSIGN_OR_RETURN(TableName name, ParseTableName(table, schemas_.front()));
    LF_ASSIGN_OR_RETURN(PgTable described, DescribeTable(*catalog_, name));
    auto [it, added] = tables_.emplace(std::string(table), std::move(described));
    return &it->second;
  }

  // COPY of the table's rows matching `where` (SQL, may be empty) on `conn`,
  // as a stream.
  Result<RecordStream> Copy(const PgTable& table, const std::string& where,
                            std::unique_ptr<PgConnection> conn) {
    std::vector<std::string> columns;
    for (const auto& column : table.columns) columns.push_back(SelectExpression(column));
    std::string sql = "COPY (SELECT " + Join(columns, ", ") + " FROM " + table.name.Sql() +
                      (where.empty() ? "" : " WHERE " + where) + ") TO STDOUT (FORMAT binary)";
    auto read = std::make_shared<CopyRead>();
    read->what = "reading table " + table.name.Display();
    read->conn = std::move(conn);
    LF_ASSIGN_OR_RETURN(read->decoder,
                        PgCopyDecoder::Make(table.name.Display(), table.columns, SchemaOf(table)));
    LF_RETURN_IF_ERROR(read->conn->StartCopyOut(read->what, sql));
    return CopyStream(std::move(read));
  }

  PgConnectionOptions connection_;
  std::vector<std::string> schemas_;
  std::mutex mu_;  // guards catalog_ and tables_
  std::unique_ptr<PgConnection> catalog_;
  std::map<std::string, PgTable, std::less<>> tables_;
  // Per table, the transaction whose snapshot its partitions read.
  std::map<std::string, std::unique_ptr<PgConnection>, std::less<>> snapshot_holders_;
};

}  // namespace

ConnectorInfo PostgresSource() {
  ConnectorInfo info;
  info.name = "postgres";
  info.description =
      "tables of a PostgreSQL database (options host, port, database, user, password, sslmode, "
      "schemas)";
  info.secret_options = {"password"};
  info.factory = [](const Options& options) -> Result<std::unique_ptr<LakeflowConnect>> {
    LF_ASSIGN_OR_RETURN(PgConnectionOptions connection, ConnectionOptionsFrom(options));
    std::vector<std::string> schemas;
    for (auto& schema : Split(options.GetOr("schemas", "public"), ',')) {
      if (!schema.empty()) schemas.push_back(schema);
    }
    if (schemas.empty()) return Status::Invalid("source 'postgres': option 'schemas' is empty");
    LF_ASSIGN_OR_RETURN(auto catalog, PgConnection::Connect(connection));
    return std::unique_ptr<LakeflowConnect>(std::make_unique<PostgresConnector>(
        options, std::move(connection), std::move(schemas), std::move(catalog)));
  };
  return info;
}

}  // namespace lakeflow::postgres
