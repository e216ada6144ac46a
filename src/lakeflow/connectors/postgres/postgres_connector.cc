#include "lakeflow/connectors/postgres/postgres_connector.h"

#include <arrow/api.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include "lakeflow/connectors/postgres/pg_catalog.h"
#include "lakeflow/connectors/postgres/pg_change_reader.h"
#include "lakeflow/connectors/postgres/pg_copy_decoder.h"
#include "lakeflow/core/json_access.h"
#include "lakeflow/core/strings.h"

namespace lakeflow::postgres {
namespace {

// Rows decoded into one Arrow batch before it is handed on.
constexpr int64_t kBatchRows = 16384;
// A change read that found nothing of its table, over less log than this,
// reports itself caught up (its end equal to its start), so that a pipeline
// stops there rather than chase a server busy with other tables. Over more,
// it moves its offset on, and the slot can let that log go.
constexpr Lsn kIdleLogBytes = 16u << 20;

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

// Whether a table's changes can be captured: it is published, and PostgreSQL
// logs its rows' key with each change (the primary key, under the default
// replica identity) or the whole old row (REPLICA IDENTITY FULL). An identity
// through another index logs other columns than the key, and none logs none.
bool Capturable(const PgTable& table, bool publishing) {
  if (!publishing) return false;
  if (table.replica_identity == 'f') return true;
  return table.replica_identity == 'd' && !table.primary_key.empty();
}

// The columns identifying a row: the primary key, else every column.
std::vector<std::string> RowKey(const PgTable& table) {
  if (!table.primary_key.empty()) return table.primary_key;
  std::vector<std::string> all;
  for (const auto& column : table.columns) all.push_back(column.name);
  return all;
}

// A captured table's columns are nullable but for its key (a delete carries
// the key alone), and end with the sequence column.
SchemaPtr SchemaOf(const PgTable& table, bool captured) {
  arrow::FieldVector fields;
  const auto key = RowKey(table);
  for (const auto& column : table.columns) {
    FieldPtr field = FieldFor(column);
    bool keyed = std::find(key.begin(), key.end(), column.name) != key.end();
    if (captured && !keyed) field = field->WithNullable(true);
    fields.push_back(std::move(field));
  }
  if (captured) fields.push_back(arrow::field(kLsnColumn, arrow::utf8(), /*nullable=*/false));
  return arrow::schema(std::move(fields));
}

// Sequences are our own "%016X/%016X"; anything else in a partition is
// refused rather than spliced into the COPY.
bool IsSequenceText(std::string_view text) {
  if (text.size() != 33 || text[16] != '/') return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool ok = i == 16 || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
    if (!ok) return false;
  }
  return true;
}

Result<Lsn> OffsetLsn(const Offset& offset, std::string_view table) {
  auto lsn = ParseLsn(offset->value("lsn", std::string()));
  if (!lsn)
    return Status::Invalid("postgres: table {}: offset {} has no valid lsn", table, offset->dump());
  return *lsn;
}

Offset LsnOffset(Lsn lsn) {
  return Json{{"lsn", FormatLsn(lsn)}};
}

// Per replication slot, how far each of its two flows is committed
// downstream, as heard in this process. The pipeline reads the two flows
// through two connector instances, so this is shared by all of them.
struct FlowPositions {
  std::optional<Lsn> upserts, deletes;
};
std::mutex positions_mu;
std::map<std::string, FlowPositions> positions;

// Records a flow's committed position; returns the lower of the two flows'
// once both are known.
std::optional<Lsn> NoteCommitted(const std::string& slot_key, bool deletes, Lsn lsn) {
  std::lock_guard lock(positions_mu);
  FlowPositions& p = positions[slot_key];
  (deletes ? p.deletes : p.upserts) = lsn;
  if (!p.upserts || !p.deletes) return std::nullopt;
  return std::min(*p.upserts, *p.deletes);
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

class PostgresConnector : public LakeflowConnect,
                          public SupportsPartition,
                          public SupportsCommit,
                          public SupportsNamespaces {
 public:
  PostgresConnector(Options options, PgConnectionOptions connection,
                    std::vector<std::string> schemas, std::unique_ptr<PgConnection> catalog)
      : LakeflowConnect(std::move(options)),
        connection_(std::move(connection)),
        schemas_(std::move(schemas)),
        publication_(this->options().GetOr("publication", "")),
        slot_prefix_(this->options().GetOr("slot_name", "lakeflow")),
        catalog_(std::move(catalog)) {}

  Result<std::vector<std::string>> list_tables() override {
    LF_ASSIGN_OR_RETURN(auto names, CatalogTables());
    std::vector<std::string> out;
    for (const auto& name : names) out.push_back(name.Display());
    return out;
  }

  // The namespaces are the schemas the connection reads that hold tables:
  // one level, no tables at the root.
  Result<std::vector<std::vector<std::string>>> list_namespaces(
      const std::vector<std::string>& prefix) override {
    std::vector<std::vector<std::string>> out;
    if (!prefix.empty()) return out;
    LF_ASSIGN_OR_RETURN(auto names, CatalogTables());
    std::set<std::string> schemas;
    for (const auto& name : names) schemas.insert(name.schema);
    for (const auto& schema : schemas) out.push_back({schema});
    return out;
  }

  Result<std::vector<std::string>> list_tables_in_namespace(
      const std::vector<std::string>& ns) override {
    std::vector<std::string> out;
    if (ns.size() != 1) return out;
    LF_ASSIGN_OR_RETURN(auto names, CatalogTables());
    for (const auto& name : names) {
      if (name.schema == ns[0]) out.push_back(name.table);
    }
    return out;
  }

  std::string qualified_name(const std::vector<std::string>& ns,
                             const std::string& table) override {
    if (ns.size() != 1) return SupportsNamespaces::qualified_name(ns, table);
    return TableName{ns[0], table}.Display();
  }

  Result<SchemaPtr> get_table_schema(std::string_view table, const Options&) override {
    LF_ASSIGN_OR_RETURN(const PgTable* t, Describe(table));
    return SchemaOf(*t, Captured(*t));
  }

  Result<TableMetadata> read_table_metadata(std::string_view table, const Options&) override {
    LF_ASSIGN_OR_RETURN(const PgTable* t, Describe(table));
    TableMetadata m;
    m.ingestion_type = IngestionType::kSnapshot;
    m.primary_keys = RowKey(*t);
    if (Captured(*t)) {
      LF_RETURN_IF_ERROR(CheckCapture(*t));
      m.ingestion_type = IngestionType::kCdcWithDeletes;
      m.cursor_field = kLsnColumn;
    }
    return m;
  }

  // Without an offset, the whole table in one COPY (a batch read). A captured
  // table's stream starts ({}) with the snapshot its new slot exports, then
  // reads changes from the LSN that snapshot ends at.
  Result<ReadResult> read_table(std::string_view table, const Offset& start,
                                const Options&) override {
    LF_ASSIGN_OR_RETURN(const PgTable* t, Describe(table));
    if (!Captured(*t) || !start) {
      LF_ASSIGN_OR_RETURN(auto conn, PgConnection::Connect(connection_));
      std::string sequence;
      if (Captured(*t)) {
        LF_ASSIGN_OR_RETURN(sequence, SequencedSnapshot(*conn, t->name.Display()));
      }
      LF_ASSIGN_OR_RETURN(RecordStream records, Copy(*t, "", std::move(conn), sequence));
      return ReadResult{std::move(records), Offset()};
    }
    if (!start->contains("lsn")) return InitialSnapshot(*t);
    return ReadChanges(*t, ChangeFlow::kUpserts, start);
  }

  // Deletes start where the slot stands: the snapshot the other flow read.
  Result<ReadResult> read_table_deletes(std::string_view table, const Offset& start,
                                        const Options&) override {
    LF_ASSIGN_OR_RETURN(const PgTable* t, Describe(table));
    if (!Captured(*t))
      return Status::Invalid("postgres: table {} is read as snapshots and has no delete flow",
                             t->name.Display());
    if (start && start->contains("lsn")) return ReadChanges(*t, ChangeFlow::kDeletes, start);
    const std::string slot = Slot(*t);
    std::optional<SlotState> state;
    {
      std::lock_guard lock(mu_);
      LF_ASSIGN_OR_RETURN(state, ReadSlot(*catalog_, slot));
    }
    if (state) return ReadResult{RecordStream::Empty(), LsnOffset(state->confirmed_flush)};
    LF_ASSIGN_OR_RETURN(auto session, ReplicationSession::Open(connection_));
    LF_ASSIGN_OR_RETURN(auto created, session->CreateSlot(slot, /*export_snapshot=*/false));
    return ReadResult{RecordStream::Empty(), LsnOffset(created.consistent_point)};
  }

  // Advances the slot once both flows are committed past a position.
  Status commit(std::string_view table, bool deletes, const Offset& end) override {
    if (!end || !end->contains("lsn")) return Status::OK();
    LF_ASSIGN_OR_RETURN(const PgTable* t, Describe(table));
    LF_ASSIGN_OR_RETURN(Lsn lsn, OffsetLsn(end, t->name.Display()));
    const std::string slot = Slot(*t);
    auto both = NoteCommitted(SlotKey(slot), deletes, lsn);
    if (!both) return Status::OK();
    std::lock_guard lock(mu_);
    return AdvanceSlot(*catalog_, slot, *both);
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
    if (Captured(*t)) {
      LF_ASSIGN_OR_RETURN(std::string sequence, SnapshotSequence(*holder, what));
      for (auto& part : parts) part["sequence"] = sequence;
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
    // Partitions come back from Spark tasks: read them as outside JSON.
    LF_ASSIGN_OR_RETURN(auto fields,
                        JsonFields::Of(partition, "postgres: partition of " + t->name.Display()));
    LF_ASSIGN_OR_RETURN(std::string snapshot, fields.StringOr("snapshot", ""));
    if (fields.Find("snapshot")) {
      if (!IsSnapshotName(snapshot))
        return Status::Invalid("postgres: partition of {}: bad snapshot name", t->name.Display());
      LF_RETURN_IF_ERROR(
          conn->Query(what, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").status());
      LF_RETURN_IF_ERROR(conn->Query(what, "SET TRANSACTION SNAPSHOT '" + snapshot + "'").status());
    }
    std::string sequence;
    if (Captured(*t)) {
      LF_ASSIGN_OR_RETURN(sequence, fields.StringOr("sequence", ""));
      if (!fields.Find("sequence")) {
        LF_ASSIGN_OR_RETURN(sequence, SequencedSnapshot(*conn, t->name.Display()));
      }
      if (!IsSequenceText(sequence))
        return Status::Invalid("postgres: partition of {}: bad sequence", t->name.Display());
    }
    std::string where;
    if (const PgColumn* key = IntegerKey(*t)) {
      const std::string k = QuoteIdentifier(key->name);
      if (fields.Find("from")) {
        LF_ASSIGN_OR_RETURN(int64_t from, fields.Int("from"));
        where = k + " >= " + std::to_string(from);
      }
      if (fields.Find("to")) {
        LF_ASSIGN_OR_RETURN(int64_t to, fields.Int("to"));
        where += (where.empty() ? "" : " AND ") + k + " < " + std::to_string(to);
      }
    }
    return Copy(*t, where, std::move(conn), sequence);
  }

 private:
  Result<std::vector<TableName>> CatalogTables() {
    std::lock_guard lock(mu_);
    return ListTables(*catalog_, schemas_);
  }

  // The table's catalog description, looked up once per connector.
  Result<const PgTable*> Describe(std::string_view table) {
    std::lock_guard lock(mu_);
    if (auto it = tables_.find(table); it != tables_.end()) return &it->second;
    LF_ASSIGN_OR_RETURN(TableName name, ParseTableName(table, schemas_.front()));
    LF_ASSIGN_OR_RETURN(PgTable described, DescribeTable(*catalog_, name));
    auto [it, added] = tables_.emplace(std::string(table), std::move(described));
    return &it->second;
  }

  bool Captured(const PgTable& table) const { return Capturable(table, !publication_.empty()); }
  // Slots are the server's, not the database's: the name holds both.
  std::string Slot(const PgTable& table) const {
    return SlotName(slot_prefix_, connection_.database + "." + table.name.Display());
  }
  std::string SlotKey(const std::string& slot) const { return connection_.Describe() + " " + slot; }

  // What capture needs of the server, checked once per table: logical
  // decoding, and the publication publishing the table.
  Status CheckCapture(const PgTable& table) {
    std::lock_guard lock(mu_);
    if (checked_.count(table.name.Display())) return Status::OK();
    const std::string what = "checking change capture for " + table.name.Display();
    LF_ASSIGN_OR_RETURN(PgResult level,
                        catalog_->Query(what, "SELECT pg_catalog.current_setting('wal_level')"));
    std::string wal_level = PQgetvalue(level.get(), 0, 0);
    if (wal_level != "logical")
      return Status::SourceError(
          "postgres: change capture (option publication) needs wal_level=logical and the server "
          "has '{}': set wal_level = logical in postgresql.conf and restart the server",
          wal_level);
    LF_ASSIGN_OR_RETURN(PgResult publication,
                        catalog_->Query(what,
                                        "SELECT pubinsert AND pubupdate AND pubdelete AND "
                                        "pubtruncate FROM pg_catalog.pg_publication "
                                        "WHERE pubname = $1",
                                        {publication_}));
    if (PQntuples(publication.get()) == 0)
      return Status::SourceError(
          "postgres: publication '{}' does not exist: CREATE PUBLICATION {} FOR TABLE {} (or "
          "check the option publication)",
          publication_, QuoteIdentifier(publication_), table.name.Sql());
    if (std::string_view(PQgetvalue(publication.get(), 0, 0)) != "t")
      return Status::SourceError(
          "postgres: publication '{}' does not publish inserts, updates, deletes and truncates: "
          "ALTER "
          "PUBLICATION {} SET (publish = 'insert, update, delete, truncate')",
          publication_, QuoteIdentifier(publication_));
    LF_ASSIGN_OR_RETURN(PgResult published,
                        catalog_->Query(what,
                                        "SELECT 1 FROM pg_catalog.pg_publication_tables WHERE "
                                        "pubname = $1 AND schemaname = $2 AND tablename = $3",
                                        {publication_, table.name.schema, table.name.table}));
    if (PQntuples(published.get()) == 0)
      return Status::SourceError(
          "postgres: table {} is not in publication '{}': ALTER PUBLICATION {} ADD TABLE {}",
          table.name.Display(), publication_, QuoteIdentifier(publication_), table.name.Sql());
    checked_.insert(table.name.Display());
    return Status::OK();
  }

  // The sequence of rows read in `conn`'s transaction, whose snapshot is
  // taken: the log's insert position, after every commit the snapshot shows.
  Result<std::string> SnapshotSequence(PgConnection& conn, std::string_view what) {
    LF_ASSIGN_OR_RETURN(PgResult result,
                        conn.Query(what.empty() ? "reading the WAL position" : what,
                                   "SELECT pg_catalog.pg_current_wal_insert_lsn()::text"));
    auto lsn = ParseLsn(PQgetvalue(result.get(), 0, 0));
    if (!lsn) return Status::SourceError("postgres: the server sent a malformed LSN");
    return SequenceText(*lsn, 0);
  }

  // Opens a snapshot on `conn` for a batch read of a captured table, and
  // returns the sequence its rows carry.
  Result<std::string> SequencedSnapshot(PgConnection& conn, const std::string& table) {
    const std::string what = "reading table " + table;
    LF_RETURN_IF_ERROR(
        conn.Query(what, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").status());
    return SnapshotSequence(conn, what);
  }

  // A stream's first read: a new slot, and the table as of the snapshot the
  // slot exports, so that changes pick up exactly where the rows leave off.
  Result<ReadResult> InitialSnapshot(const PgTable& table) {
    const std::string slot = Slot(table);
    const std::string what = "starting change capture of " + table.name.Display();
    LF_RETURN_IF_ERROR(CheckCapture(table));
    {
      std::lock_guard lock(mu_);
      LF_RETURN_IF_ERROR(DropSlot(*catalog_, slot));
    }
    {
      std::lock_guard lock(positions_mu);
      positions.erase(SlotKey(slot));
    }
    LF_ASSIGN_OR_RETURN(auto session, ReplicationSession::Open(connection_));
    LF_ASSIGN_OR_RETURN(auto created, session->CreateSlot(slot, /*export_snapshot=*/true));
    if (!IsSnapshotName(created.snapshot))
      return Status::SourceError("postgres: {}: the server exported no snapshot", what);
    LF_ASSIGN_OR_RETURN(auto conn, PgConnection::Connect(connection_));
    LF_RETURN_IF_ERROR(
        conn->Query(what, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").status());
    LF_RETURN_IF_ERROR(
        conn->Query(what, "SET TRANSACTION SNAPSHOT '" + created.snapshot + "'").status());
    session.reset();  // the snapshot is imported; the slot stays
    LF_ASSIGN_OR_RETURN(RecordStream records, Copy(table, "", std::move(conn),
                                                   SequenceText(created.consistent_point, 0)));
    return ReadResult{std::move(records), LsnOffset(created.consistent_point)};
  }

  // Changes from `start` up to the server's position now. The first batch
  // is read before returning: a read that finds nothing of its table can
  // then say it is caught up.
  Result<ReadResult> ReadChanges(const PgTable& table, ChangeFlow flow, const Offset& start) {
    LF_ASSIGN_OR_RETURN(Lsn from, OffsetLsn(start, table.name.Display()));
    const bool deletes = flow == ChangeFlow::kDeletes;
    const std::string slot = Slot(table);
    NoteCommitted(SlotKey(slot), deletes, from);  // a read starts from its flow's commit
    LF_RETURN_IF_ERROR(CheckSlot(table, slot, from));
    LF_ASSIGN_OR_RETURN(auto session, ReplicationSession::Open(connection_));
    LF_ASSIGN_OR_RETURN(Lsn end, session->IdentifySystem());
    if (from >= end) return ReadResult{RecordStream::Empty(), start};
    LF_RETURN_IF_ERROR(session->StartStreaming(slot, from, publication_));
    ChangeTable change;
    change.display = table.name.Display();
    change.oid = static_cast<uint32_t>(std::stoul(table.oid));
    change.columns = table.columns;
    change.key = RowKey(table);
    change.schema = SchemaOf(table, true);
    {
      std::lock_guard lock(mu_);
      LF_ASSIGN_OR_RETURN(PgTable live, DescribeTable(*catalog_, table.name));
      for (const auto& column : live.columns) change.live_columns.push_back(column.name);
    }
    LF_ASSIGN_OR_RETURN(auto reader,
                        ChangeReader::Make(std::move(session), std::move(change), flow, end));
    LF_ASSIGN_OR_RETURN(auto first, reader->Next(kBatchRows));
    if (!first) {
      Offset idle = end - from < kIdleLogBytes ? start : LsnOffset(end);
      return ReadResult{RecordStream::Empty(), idle};
    }
    std::shared_ptr<ChangeReader> shared(std::move(reader));
    auto pending = std::make_shared<std::optional<std::shared_ptr<arrow::RecordBatch>>>(first);
    RecordStream records([shared, pending]() -> Result<std::optional<Chunk>> {
      if (*pending) {
        auto batch = std::move(**pending);
        pending->reset();
        return std::optional<Chunk>(std::move(batch));
      }
      LF_ASSIGN_OR_RETURN(auto batch, shared->Next(kBatchRows));
      if (!batch) return std::optional<Chunk>();
      return std::optional<Chunk>(std::move(*batch));
    });
    return ReadResult{std::move(records), LsnOffset(end)};
  }

  // The slot must exist and not have moved past where this flow resumes:
  // else changes between the two were consumed by another reader, or the
  // slot was dropped, and resuming would silently miss them.
  Status CheckSlot(const PgTable& table, const std::string& slot, Lsn from) {
    std::lock_guard lock(mu_);
    LF_ASSIGN_OR_RETURN(auto state, ReadSlot(*catalog_, slot));
    if (!state)
      return Status::SourceError(
          "postgres: table {}: replication slot {} is gone, so changes since {} are lost; run a "
          "full refresh of the table",
          table.name.Display(), slot, FormatLsn(from));
    if (state->confirmed_flush > from)
      return Status::SourceError(
          "postgres: table {}: replication slot {} has moved on to {}, past this read's offset "
          "{} (is another pipeline using slot_name '{}'?); run a full refresh of the table",
          table.name.Display(), slot, FormatLsn(state->confirmed_flush), FormatLsn(from),
          slot_prefix_);
    return Status::OK();
  }

  // COPY of the table's rows matching `where` (SQL, may be empty) on `conn`,
  // as a stream; with `sequence`, each row carries it as _pg_lsn.
  Result<RecordStream> Copy(const PgTable& table, const std::string& where,
                            std::unique_ptr<PgConnection> conn, const std::string& sequence) {
    std::vector<std::string> columns;
    std::vector<PgColumn> decoded = table.columns;
    for (const auto& column : table.columns) columns.push_back(SelectExpression(column));
    if (!sequence.empty()) {
      columns.push_back("'" + sequence + "'::text");
      PgColumn lsn;
      lsn.name = kLsnColumn;
      lsn.declared = "text";
      decoded.push_back(lsn);
    }
    std::string sql = "COPY (SELECT " + Join(columns, ", ") + " FROM " + table.name.Sql() +
                      (where.empty() ? "" : " WHERE " + where) + ") TO STDOUT (FORMAT binary)";
    auto read = std::make_shared<CopyRead>();
    read->what = "reading table " + table.name.Display();
    read->conn = std::move(conn);
    LF_ASSIGN_OR_RETURN(read->decoder, PgCopyDecoder::Make(table.name.Display(), decoded,
                                                           SchemaOf(table, !sequence.empty())));
    LF_RETURN_IF_ERROR(read->conn->StartCopyOut(read->what, sql));
    return CopyStream(std::move(read));
  }

  PgConnectionOptions connection_;
  std::vector<std::string> schemas_;
  const std::string publication_;  // empty: tables are read as snapshots
  const std::string slot_prefix_;
  std::mutex mu_;  // guards catalog_, tables_, checked_ and snapshot_holders_
  std::unique_ptr<PgConnection> catalog_;
  std::map<std::string, PgTable, std::less<>> tables_;
  std::set<std::string> checked_;  // tables whose capture CheckCapture passed
  // Per table, the transaction whose snapshot its partitions read.
  std::map<std::string, std::unique_ptr<PgConnection>, std::less<>> snapshot_holders_;
};

}  // namespace

ConnectorInfo PostgresSource() {
  ConnectorInfo info;
  info.name = "postgres";
  info.description =
      "tables of a PostgreSQL database, with change capture through logical replication "
      "(options host, port, database, user, password, sslmode, schemas, publication, slot_name)";
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
