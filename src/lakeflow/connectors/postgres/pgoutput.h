// Messages of pgoutput, PostgreSQL's logical decoding output plugin
// (protocol version 1), as they arrive inside the replication stream's
// XLogData. Parsing only: what a message says, with its tuples' values as
// the text PostgreSQL sends (decoding the text is the reader's job).
//
// A malformed message is an error naming its type and what was missing; the
// parser never reads past the message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "lakeflow/connectors/postgres/pg_lsn.h"
#include "lakeflow/core/status.h"

namespace lakeflow::postgres::pgoutput {

// One column value of a tuple.
struct Value {
  enum class Kind { kNull, kUnchangedToast, kText, kBinary };
  Kind kind = Kind::kNull;
  std::string_view data;  // kText, kBinary: points into the message
};
using Tuple = std::vector<Value>;

struct Begin {
  Lsn final_lsn = 0;  // the commit record's LSN
  int64_t commit_time = 0;
  uint32_t xid = 0;
};

struct Commit {
  Lsn commit_lsn = 0;
  Lsn end_lsn = 0;
  int64_t commit_time = 0;
};

struct Relation {
  struct Column {
    bool key = false;  // part of the replica identity
    std::string name;
    uint32_t type_oid = 0;
    int32_t type_modifier = -1;
  };
  uint32_t id = 0;
  std::string schema;
  std::string name;
  char replica_identity = 'd';
  std::vector<Column> columns;
};

struct Insert {
  uint32_t relation = 0;
  Tuple row;
};

struct Update {
  uint32_t relation = 0;
  char old_kind = 0;  // 'K': the old key, 'O': the old row (REPLICA IDENTITY FULL), 0: none
  Tuple old_row;
  Tuple row;
};

struct Delete {
  uint32_t relation = 0;
  char old_kind = 'K';  // 'K' or 'O', as in Update
  Tuple old_row;
};

struct Truncate {
  std::vector<uint32_t> relations;
  bool cascade = false;
  bool restart_identity = false;
};

// Origin, Type and Message messages: nothing the reader acts on.
struct Other {
  char type = 0;
};

using Message = std::variant<Begin, Commit, Relation, Insert, Update, Delete, Truncate, Other>;

// The message in `data` (one XLogData payload). Tuples point into `data`.
Result<Message> Parse(std::string_view data);

}  // namespace lakeflow::postgres::pgoutput
