// Logical replication: a walsender session (a replication=database
// connection) and the replication slots it reads.
//
// The session runs replication commands (IDENTIFY_SYSTEM,
// CREATE_REPLICATION_SLOT) and then streams one slot's changes with
// START_REPLICATION, as pgoutput (protocol 1) messages inside XLogData.
//
// The session never confirms a position to the server: its status updates
// report what was received, with no flush position, so the slot stays where
// it was. A slot moves only through AdvanceSlot, which the connector calls
// once the changes are committed downstream.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "lakeflow/connectors/postgres/pg_connection.h"
#include "lakeflow/connectors/postgres/pg_lsn.h"

namespace lakeflow::postgres {

// One message of the replication stream.
struct StreamMessage {
  enum class Kind { kData, kKeepalive };
  Kind kind = Kind::kKeepalive;
  Lsn start = 0;    // kData: the LSN the payload belongs to
  Lsn wal_end = 0;  // kKeepalive: the server has sent everything before this
  bool reply_requested = false;
  std::string_view payload;  // kData: one pgoutput message, valid until the next call
};

class ReplicationSession {
 public:
  static Result<std::unique_ptr<ReplicationSession>> Open(const PgConnectionOptions& options);
  ~ReplicationSession();
  ReplicationSession(const ReplicationSession&) = delete;
  ReplicationSession& operator=(const ReplicationSession&) = delete;

  // The server's flushed WAL position now.
  Result<Lsn> IdentifySystem();

  struct CreatedSlot {
    Lsn consistent_point = 0;  // changes committed from here on are streamed
    std::string snapshot;      // exported snapshot: the data as of consistent_point
  };
  // Creates a logical slot for pgoutput. With `export_snapshot`, the
  // snapshot stays importable (SET TRANSACTION SNAPSHOT) until this session
  // runs another command or closes.
  Result<CreatedSlot> CreateSlot(const std::string& slot, bool export_snapshot);

  // Starts streaming `slot` from `start` with the changes `publication`
  // publishes. Transactions committed before `start` are skipped by the server.
  Status StartStreaming(const std::string& slot, Lsn start, const std::string& publication);

  // The next stream message, or nullopt when none arrived within `timeout_ms`.
  Result<std::optional<StreamMessage>> Next(int timeout_ms);

  // A standby status update: `received` as written, no flush position (the
  // slot does not move). With `request_reply` the server answers with a
  // keepalive saying how far it has sent.
  Status SendStatus(Lsn received, bool request_reply);

 private:
  explicit ReplicationSession(std::unique_ptr<PgConnection> conn) : conn_(std::move(conn)) {}

  std::unique_ptr<PgConnection> conn_;
  char* buffer_ = nullptr;  // the last CopyData message, owned by libpq (PQfreemem)
};

// The slot a table's changes are read through: `prefix` (option slot_name),
// then as much of the table's name as fits, then a hash of the whole name, in
// the [a-z0-9_] and 63 characters slot names allow.
std::string SlotName(std::string_view prefix, std::string_view table);

// What pg_replication_slots says of a slot; nullopt when it does not exist.
struct SlotState {
  Lsn confirmed_flush = 0;
};
Result<std::optional<SlotState>> ReadSlot(PgConnection& conn, const std::string& slot);

// Drops the slot if it exists, waiting for a walsender that just let go of it.
Status DropSlot(PgConnection& conn, const std::string& slot);

// Moves the slot's confirmed position forward to `lsn` (never back), so the
// server may recycle the log before it.
Status AdvanceSlot(PgConnection& conn, const std::string& slot, Lsn lsn);

}  // namespace lakeflow::postgres
