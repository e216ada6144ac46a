#include "lakeflow/connectors/postgres/pg_connection.h"

#include <fmt/format.h>

namespace lakeflow::postgres {
namespace {

// The first line of a libpq message, without its "ERROR:  " or "FATAL:  ".
std::string FirstLine(const char* message) {
  std::string_view text = message == nullptr ? "" : message;
  for (std::string_view prefix : {"ERROR:  ", "FATAL:  "}) {
    if (text.starts_with(prefix)) text.remove_prefix(prefix.size());
  }
  if (auto newline = text.find('\n'); newline != std::string_view::npos)
    text = text.substr(0, newline);
  return std::string(text);
}

// What a user should change, for the connection failures they can fix.
std::string ConnectHint(std::string_view message, bool replication) {
  if (message.find("password authentication failed") != std::string_view::npos ||
      message.find("no password supplied") != std::string_view::npos)
    return " (check the options user and password)";
  if (message.find("database \"") != std::string_view::npos &&
      message.find("does not exist") != std::string_view::npos)
    return " (check the option database)";
  if (message.find("role \"") != std::string_view::npos &&
      message.find("does not exist") != std::string_view::npos)
    return " (check the option user)";
  if (message.find("Connection refused") != std::string_view::npos ||
      message.find("could not translate host name") != std::string_view::npos)
    return " (check the options host and port, and that the server runs)";
  if (replication && message.find("pg_hba.conf") != std::string_view::npos)
    return " (change data capture needs a pg_hba.conf line allowing replication connections)";
  if (replication &&
      message.find("must be superuser or replication role") != std::string_view::npos)
    return " (change data capture needs a user with the REPLICATION attribute)";
  return "";
}

// Every session shows values the same way, so that a value's text is the
// same in a ::text cast read by COPY and in a change streamed by pgoutput
// (which formats with the walsender session's settings).
constexpr const char* kSessionSettings =
    "-c DateStyle=ISO -c TimeZone=UTC -c IntervalStyle=postgres -c extra_float_digits=3 "
    "-c bytea_output=hex";

// Whether `host` is this machine: a socket folder, or a loopback name.
bool IsLocalHost(std::string_view host) {
  return host.empty() || host.starts_with("/") || host == "localhost" || host == "127.0.0.1" ||
         host == "::1";
}

// The system's trusted roots, for verify-full when no sslrootcert is named
// (libpq's own default is ~/.postgresql/root.crt).
constexpr const char* kSystemRoots = "/etc/ssl/certs/ca-certificates.crt";

}  // namespace

std::string PgConnectionOptions::Describe() const {
  return fmt::format("{}:{}/{} as {}", host, port, database, user);
}

Result<PgConnectionOptions> ConnectionOptionsFrom(const Options& options) {
  PgConnectionOptions out;
  out.host = options.GetOr("host", out.host);
  out.port = options.GetOr("port", out.port);
  out.database = options.GetOr("database", "");
  out.user = options.GetOr("user", "");
  out.password = options.GetOr("password", "");
  out.sslmode = options.GetOr("sslmode", IsLocalHost(out.host) ? "prefer" : "verify-full");
  out.sslrootcert = options.GetOr("sslrootcert", "");
  bool verifies = out.sslmode == "verify-full" || out.sslmode == "verify-ca";
  if (verifies && out.sslrootcert.empty()) out.sslrootcert = kSystemRoots;
  if (out.database.empty()) return Status::Invalid("source 'postgres' needs option 'database'");
  if (out.user.empty()) return Status::Invalid("source 'postgres' needs option 'user'");
  auto port = options.GetInt("port");
  if (!port.ok()) return Status::Invalid("source 'postgres': option 'port' must be a number");
  return out;
}

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const PgConnectionOptions& options,
                                                            bool replication) {
  std::vector<const char*> keys = {"host",
                                   "port",
                                   "dbname",
                                   "user",
                                   "sslmode",
                                   "client_encoding",
                                   "application_name",
                                   "connect_timeout",
                                   "options"};
  std::vector<const char*> values = {options.host.c_str(),
                                     options.port.c_str(),
                                     options.database.c_str(),
                                     options.user.c_str(),
                                     options.sslmode.c_str(),
                                     "UTF8",
                                     "lakeflow",
                                     "10",
                                     kSessionSettings};
  if (!options.sslrootcert.empty()) {
    keys.push_back("sslrootcert");
    values.push_back(options.sslrootcert.c_str());
  }
  if (!options.password.empty()) {
    keys.push_back("password");
    values.push_back(options.password.c_str());
  }
  if (replication) {
    keys.push_back("replication");
    values.push_back("database");
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/0);
  if (conn == nullptr) return Status::IOError("postgres: out of memory connecting");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = FirstLine(PQerrorMessage(conn));
    PQfinish(conn);
    return Status::SourceError("postgres: cannot connect to {}: {}{}", options.Describe(), message,
                               ConnectHint(message, replication));
  }
  return std::unique_ptr<PgConnection>(new PgConnection(conn, options));
}

PgConnection::~PgConnection() {
  if (copy_buffer_ != nullptr) PQfreemem(copy_buffer_);
  PQfinish(conn_);
}

Status PgConnection::ErrorOf(std::string_view what, const PGresult* result) const {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = FirstLine(result ? PQresultErrorMessage(result) : PQerrorMessage(conn_));
  if (message.empty()) message = FirstLine(PQerrorMessage(conn_));
  if (state != nullptr)
    return Status::SourceError("postgres: {}: {} (SQLSTATE {})", what, message, state);
  return Status::SourceError("postgres: {}: {}", what, message);
}

Result<PgResult> PgConnection::Query(std::string_view what, const std::string& sql,
                                     const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  PgResult result(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, /*resultFormat=*/0));
  ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) return ErrorOf(what, result.get());
  return result;
}

Result<PgResult> PgConnection::Exec(std::string_view what, const std::string& sql,
                                    ExecStatusType expected) {
  PgResult result(PQexec(conn_, sql.c_str()));
  ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  bool ok = status == expected || (expected == PGRES_COMMAND_OK && status == PGRES_TUPLES_OK);
  if (!ok) return ErrorOf(what, result.get());
  return result;
}

Status PgConnection::StartCopyOut(std::string_view what, const std::string& sql) {
  return Exec(what, sql, PGRES_COPY_OUT).status();
}

Result<bool> PgConnection::NextCopyData(std::string_view what, std::string_view* data) {
  if (copy_buffer_ != nullptr) {
    PQfreemem(copy_buffer_);
    copy_buffer_ = nullptr;
  }
  int n = PQgetCopyData(conn_, &copy_buffer_, /*async=*/0);
  if (n >= 0) {
    *data = std::string_view(copy_buffer_, static_cast<size_t>(n));
    return true;
  }
  if (n == -2) return ErrorOf(what, nullptr);
  // -1: the copy is done; its outcome is the next result.
  PgResult result(PQgetResult(conn_));
  if (!result || PQresultStatus(result.get()) != PGRES_COMMAND_OK)
    return ErrorOf(what, result.get());
  while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);
  return false;
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace lakeflow::postgres
