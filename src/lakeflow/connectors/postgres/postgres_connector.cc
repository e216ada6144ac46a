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

class PostgresConnector : public LakeflowConnect {
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
    LF_ASSIGN_OR_RETURN(RecordStream records, Copy(*t, ""));
    return ReadResult{std::move(records), Offset()};
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

  // COPY of the table's rows matching `where` (SQL, may be empty), as a stream.
  Result<RecordStream> Copy(const PgTable& table, const std::string& where) {
    std::vector<std::string> columns;
    for (const auto& column : table.columns) columns.push_back(SelectExpression(column));
    std::string sql = "COPY (SELECT " + Join(columns, ", ") + " FROM " + table.name.Sql() +
                      (where.empty() ? "" : " WHERE " + where) + ") TO STDOUT (FORMAT binary)";
    auto read = std::make_shared<CopyRead>();
    read->what = "reading table " + table.name.Display();
    LF_ASSIGN_OR_RETURN(read->conn, PgConnection::Connect(connection_));
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
