// A libpq connection to PostgreSQL, and the results of its queries.
//
// Every statement goes through PQexecParams with its values as parameters;
// identifiers that cannot be parameters (table and column names in COPY and
// SELECT) are quoted with QuoteIdentifier, never spliced in raw. Errors are
// one line: what was being done, the server's SQLSTATE and first line of its
// message. The password is handed to libpq only, never formatted into text.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lakeflow/core/options.h"
#include "lakeflow/core/status.h"

namespace lakeflow::postgres {

struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

// Where and as whom to connect: the connector's options.
struct PgConnectionOptions {
  std::string host = "localhost";
  std::string port = "5432";
  std::string database;
  std::string user;
  std::string password;
  // Empty: "prefer" for a local server (loopback or a socket folder), else
  // "verify-full" — a password sent to a remote server goes over TLS to the
  // host it names. The option sslmode overrides either.
  std::string sslmode;
  std::string sslrootcert;  // the trusted roots for verify-*; default: the system's

  // "HOST:PORT/DATABASE as USER", for errors.
  std::string Describe() const;
};

// Reads host, port, database, user, password, sslmode, sslrootcert; database
// and user are required.
Result<PgConnectionOptions> ConnectionOptionsFrom(const Options& options);

class PgConnection {
 public:
  // `replication`: a walsender connection (replication=database), which takes
  // replication commands as well as SQL.
  static Result<std::unique_ptr<PgConnection>> Connect(const PgConnectionOptions& options,
                                                       bool replication = false);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement with text parameters $1, $2, ...; a statement that
  // fails is an error naming `what`.
  Result<PgResult> Query(std::string_view what, const std::string& sql,
                         const std::vector<std::string>& params = {});

  // Runs `sql` without parameters through the simple query protocol, which
  // replication commands need; a result other than `expected` (or plain
  // success when unset) is an error naming `what`.
  Result<PgResult> Exec(std::string_view what, const std::string& sql,
                        ExecStatusType expected = PGRES_COMMAND_OK);

  // Starts a COPY ... TO STDOUT and returns; CopyData then comes from
  // NextCopyData until it returns false (the copy ended cleanly).
  Status StartCopyOut(std::string_view what, const std::string& sql);
  Result<bool> NextCopyData(std::string_view what, std::string_view* data);

  // The error of `result` (or of the connection, when null) as one line
  // naming `what`.
  Status ErrorOf(std::string_view what, const PGresult* result = nullptr) const;

  PGconn* get() const { return conn_; }
  const PgConnectionOptions& options() const { return options_; }

 private:
  PgConnection(PGconn* conn, PgConnectionOptions options)
      : conn_(conn), options_(std::move(options)) {}

  PGconn* conn_;
  PgConnectionOptions options_;
  char* copy_buffer_ = nullptr;  // the last CopyData row, owned by libpq (PQfreemem)
};

// "name" with embedded quotes doubled: always safe to use as an identifier.
std::string QuoteIdentifier(std::string_view name);

}  // namespace lakeflow::postgres
