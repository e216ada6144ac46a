// Named connections: the local stand-in for Unity Catalog connections.
//
// A connection names a source and holds its options (credentials included)
// and an allow-list of the read options a query may add. Each connection is a
// JSON file $LAKEFLOW_HOME/connections/NAME.json (LAKEFLOW_HOME defaults to
// ~/.lakeflow), created with mode 0600 in a 0700 directory, because it may
// hold secrets.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lakeflow/core/options.h"
#include "lakeflow/core/status.h"

namespace lakeflow {

struct Connection {
  std::string name;
  std::string source;
  Options options;
  // Read options a query may set beyond the defaults (tableName,
  // tableNameList, tableConfigs, isDeleteFlow), as Unity Catalog's
  // externalOptionsAllowList.
  std::vector<std::string> allowed_options;
  // Options whose values are secrets beyond those the source names (created
  // with --secret): masked by `show`, scrubbed from every message.
  std::vector<std::string> secret_options;
};

// The read options every connection allows.
const std::vector<std::string>& DefaultAllowedOptions();

class ConnectionStore {
 public:
  // The store at $LAKEFLOW_HOME, or ~/.lakeflow.
  static ConnectionStore Default();
  explicit ConnectionStore(std::string home) : home_(std::move(home)) {}

  Status Create(const Connection& connection, bool replace = false);
  Result<Connection> Get(std::string_view name) const;
  Result<std::vector<Connection>> List() const;
  Status Delete(std::string_view name);

  const std::string& home() const { return home_; }

 private:
  std::string PathOf(std::string_view name) const;
  std::string home_;
};

// Connection names: letters, digits, '_' and '-', as file and UC names allow.
Status ValidateConnectionName(std::string_view name);

}  // namespace lakeflow
