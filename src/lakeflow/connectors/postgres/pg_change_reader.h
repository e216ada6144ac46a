// One table's changes from a replication stream, up to an end fixed before
// the read starts, as Arrow batches.
//
// The read delivers the transactions whose commit record lies before `end`
// and stops at the first one beyond it, or once the server says it has sent
// everything before `end` (a keepalive outside a transaction). Transactions
// are whole: a read never stops inside one.
//
// Rows carry the table's columns, then `_pg_lsn`: the commit's LSN and the
// change's, as fixed-width hex ("%016X/%016X"), which sorts in log order.
//
// What the read cannot carry stops it with one line naming the table and
// the LSN: a TRUNCATE (the destination needs a full refresh), a column the
// read does not know (added after the read's schema was taken: the next run
// picks it up), and an unchanged TOASTed value that PostgreSQL did not send.
#pragma once

#include <arrow/record_batch.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lakeflow/connectors/postgres/pg_replication.h"
#include "lakeflow/connectors/postgres/pg_types.h"

namespace lakeflow::postgres {

// The sequence column's name and text form.
inline constexpr const char* kLsnColumn = "_pg_lsn";
std::string SequenceText(Lsn commit, Lsn change);

enum class ChangeFlow {
  kUpserts,  // inserts and updates: the new row
  kDeletes,  // deletes, and the old key of an update that changed the key
};

struct ChangeTable {
  std::string display;  // the table's name in errors
  uint32_t oid = 0;
  std::vector<PgColumn> columns;  // the table's columns; the batches add _pg_lsn
  std::vector<std::string> key;   // columns identifying a row
  SchemaPtr schema;               // the batches' schema: columns, then _pg_lsn
  // The table's columns in the catalog as the read starts. A column the
  // stream names that `columns` lacks was added (the read stops) if it is
  // here, and dropped since (its values are ignored) if not.
  std::vector<std::string> live_columns;
};

class ChangeReader {
 public:
  // Reads from `session`, already streaming.
  static Result<std::unique_ptr<ChangeReader>> Make(std::unique_ptr<ReplicationSession> session,
                                                    ChangeTable table, ChangeFlow flow, Lsn end);
  virtual ~ChangeReader() = default;

  // Up to `max_rows` rows; nullopt once the read has reached its end (the
  // session is closed then, releasing the slot).
  virtual Result<std::optional<std::shared_ptr<arrow::RecordBatch>>> Next(int64_t max_rows) = 0;
};

}  // namespace lakeflow::postgres
