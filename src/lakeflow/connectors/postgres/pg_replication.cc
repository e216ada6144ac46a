#include "lakeflow/connectors/postgres/pg_replication.h"

#include <fmt/format.h>
#include <poll.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "lakeflow/connectors/postgres/pg_wire.h"

namespace lakeflow::postgres {
namespace {

// Replication messages carry times as microseconds since 2000-01-01.
constexpr int64_t kPgEpochMicros = 946'684'800'000'000;
// How long a read lets stream messages gather once the socket is readable.
constexpr auto kGatherTime = std::chrono::microseconds(500);
// The SQLSTATE of a slot in use by another process.
constexpr std::string_view kObjectInUse = "55006";

int64_t PgNowMicros() {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::microseconds>(now).count() - kPgEpochMicros;
}

void PutBigEndian64(std::string* out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(value >> shift));
}

Result<Lsn> LsnCell(const PgResult& result, int column, std::string_view what) {
  if (PQntuples(result.get()) < 1 || PQnfields(result.get()) <= column)
    return Status::SourceError("postgres: {}: the server's answer has no LSN", what);
  auto lsn = ParseLsn(PQgetvalue(result.get(), 0, column));
  if (!lsn) return Status::SourceError("postgres: {}: the server sent a malformed LSN", what);
  return *lsn;
}

bool InUse(const Status& status) {
  return status.message().find(kObjectInUse) != std::string::npos;
}

// Retries `op` while the slot is still held by a walsender that is exiting:
// a session's server process lets go of its slot only once it has ended,
// shortly after the client disconnects.
template <typename Op>
Status RetryWhileInUse(Op op) {
  Status status = op();
  for (int i = 0; i < 100 && !status.ok() && InUse(status); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    status = op();
  }
  return status;
}

}  // namespace

Result<std::unique_ptr<ReplicationSession>> ReplicationSession::Open(
    const PgConnectionOptions& options) {
  LF_ASSIGN_OR_RETURN(auto conn, PgConnection::Connect(options, /*replication=*/true));
  return std::unique_ptr<ReplicationSession>(new ReplicationSession(std::move(conn)));
}

ReplicationSession::~ReplicationSession() {
  if (buffer_ != nullptr) PQfreemem(buffer_);
}

Result<Lsn> ReplicationSession::IdentifySystem() {
  const std::string what = "identifying the server's WAL position";
  LF_ASSIGN_OR_RETURN(PgResult result, conn_->Exec(what, "IDENTIFY_SYSTEM"));
  return LsnCell(result, 2, what);  // systemid, timeline, xlogpos, dbname
}

Result<ReplicationSession::CreatedSlot> ReplicationSession::CreateSlot(const std::string& slot,
                                                                       bool export_snapshot) {
  const std::string what = "creating replication slot " + slot;
  std::string sql = "CREATE_REPLICATION_SLOT " + QuoteIdentifier(slot) + " LOGICAL pgoutput " +
                    (export_snapshot ? "EXPORT_SNAPSHOT" : "NOEXPORT_SNAPSHOT");
  LF_ASSIGN_OR_RETURN(PgResult result, conn_->Exec(what, sql));
  CreatedSlot out;
  LF_ASSIGN_OR_RETURN(out.consistent_point, LsnCell(result, 1, what));
  if (export_snapshot && !PQgetisnull(result.get(), 0, 2))
    out.snapshot = PQgetvalue(result.get(), 0, 2);
  return out;
}

Status ReplicationSession::StartStreaming(const std::string& slot, Lsn start,
                                          const std::string& publication) {
  // publication_names is a string literal holding a list of identifiers; the
  // replication grammar has no E'' escapes, so a backslash cannot be written.
  if (publication.find('\\') != std::string::npos)
    return Status::Invalid(
        "postgres: option 'publication': a name with a backslash is not supported");
  std::string names = "'";
  for (char c : QuoteIdentifier(publication)) {
    if (c == '\'') names += '\'';
    names += c;
  }
  names += "'";
  const std::string sql = "START_REPLICATION SLOT " + QuoteIdentifier(slot) + " LOGICAL " +
                          FormatLsn(start) + " (proto_version '1', publication_names " + names +
                          ")";
  // The walsender of the slot's last reader may still be exiting.
  return RetryWhileInUse([&]() {
    return conn_->Exec("streaming replication slot " + slot, sql, PGRES_COPY_BOTH).status();
  });
}

Result<std::optional<StreamMessage>> ReplicationSession::Next(int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (buffer_ != nullptr) {
      PQfreemem(buffer_);
      buffer_ = nullptr;
    }
    int n = PQgetCopyData(conn_->get(), &buffer_, /*async=*/1);
    if (n == -1) return conn_->ErrorOf("the server ended the replication stream");
    if (n == -2) return conn_->ErrorOf("replication stream");
    if (n > 0) {
      std::string_view data(buffer_, static_cast<size_t>(n));
      StreamMessage message;
      if (data[0] == 'w' && data.size() >= 25) {
        message.kind = StreamMessage::Kind::kData;
        message.start = LoadBigEndian<uint64_t>(data.data() + 1);
        message.payload = data.substr(25);
        return std::optional<StreamMessage>(message);
      }
      if (data[0] == 'k' && data.size() >= 18) {
        message.wal_end = LoadBigEndian<uint64_t>(data.data() + 1);
        message.reply_requested = data[17] != 0;
        return std::optional<StreamMessage>(message);
      }
      return Status::SourceError("postgres: replication stream: unknown message '{}' of {} bytes",
                                 data[0], data.size());
    }
    // Nothing buffered: wait for the socket, then let libpq read it.
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return std::optional<StreamMessage>();
    pollfd fd{PQsocket(conn_->get()), POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(left)) < 0 && errno != EINTR)
      return Status::IOError("postgres: replication stream: poll: {}", std::strerror(errno));
    // The walsender sends each message as soon as it is decoded. Waking for
    // every one spends the cores it shares with the server on wakeups; a
    // moment's wait lets a run of messages gather in the socket, read in one
    // go. Twice as fast on the 2-core benchmark (docs/BENCHMARKS.md).
    std::this_thread::sleep_for(kGatherTime);
    if (PQconsumeInput(conn_->get()) == 0) return conn_->ErrorOf("replication stream");
  }
}

Status ReplicationSession::SendStatus(Lsn received, bool request_reply) {
  std::string message = "r";
  PutBigEndian64(&message, received);  // written
  PutBigEndian64(&message, 0);         // flushed: none, so the slot stays
  PutBigEndian64(&message, 0);         // applied
  PutBigEndian64(&message, static_cast<uint64_t>(PgNowMicros()));
  message.push_back(request_reply ? 1 : 0);
  if (PQputCopyData(conn_->get(), message.data(), static_cast<int>(message.size())) != 1 ||
      PQflush(conn_->get()) != 0)
    return conn_->ErrorOf("replication stream");
  return Status::OK();
}

std::string SlotName(std::string_view prefix, std::string_view table) {
  const std::string whole = std::string(prefix) + "_" + std::string(table);
  uint64_t hash = 14695981039346656037ull;  // FNV-1a: stable across builds and machines
  for (char c : whole) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  std::string name;
  for (char c : whole) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    name.push_back(ok ? c : '_');
  }
  std::string suffix = fmt::format("_{:08x}", static_cast<uint32_t>(hash ^ (hash >> 32)));
  name.resize(std::min(name.size(), 63 - suffix.size()));
  return name + suffix;
}

Result<std::optional<SlotState>> ReadSlot(PgConnection& conn, const std::string& slot) {
  LF_ASSIGN_OR_RETURN(PgResult result,
                      conn.Query("reading replication slot " + slot,
                                 "SELECT confirmed_flush_lsn::text "
                                 "FROM pg_catalog.pg_replication_slots WHERE slot_name = $1",
                                 {slot}));
  if (PQntuples(result.get()) == 0) return std::optional<SlotState>();
  SlotState state;
  if (!PQgetisnull(result.get(), 0, 0))
    state.confirmed_flush = ParseLsn(PQgetvalue(result.get(), 0, 0)).value_or(0);
  return std::optional<SlotState>(std::move(state));
}

Status DropSlot(PgConnection& conn, const std::string& slot) {
  return RetryWhileInUse([&]() {
    return conn
        .Query("dropping replication slot " + slot,
               "SELECT pg_catalog.pg_drop_replication_slot(slot_name) "
               "FROM pg_catalog.pg_replication_slots WHERE slot_name = $1",
               {slot})
        .status();
  });
}

Status AdvanceSlot(PgConnection& conn, const std::string& slot, Lsn lsn) {
  return RetryWhileInUse([&]() {
    return conn
        .Query("advancing replication slot " + slot,
               "SELECT pg_catalog.pg_replication_slot_advance(slot_name, $2::pg_lsn) "
               "FROM pg_catalog.pg_replication_slots "
               "WHERE slot_name = $1 AND confirmed_flush_lsn < $2::pg_lsn",
               {slot, FormatLsn(lsn)})
        .status();
  });
}

}  // namespace lakeflow::postgres
