// `lakeflow connection create|list|show|delete`.
#include <iostream>

#include "lakeflow/cli/commands.h"
#include "lakeflow/connect/registry.h"
#include "lakeflow/connections/connection_store.h"
#include "lakeflow/connections/secret.h"
#include "lakeflow/core/strings.h"

namespace lakeflow::cli {

namespace {

// The value of an option as `show` prints it: secrets masked, references
// (env:VAR, file:PATH) shown since they hold no secret themselves.
std::string Displayed(const std::vector<std::string>& secrets, const std::string& key,
                      const std::string& value) {
  if (IsSecretReference(value)) return value;
  bool secret = LooksSecret(key);
  for (const auto& s : secrets) secret = secret || EqualsIgnoreCase(s, key);
  return secret ? "****" : value;
}

std::vector<std::string> SplitCommas(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const auto& item : items) {
    for (auto& part : Split(item, ',')) {
      if (!part.empty()) out.push_back(std::move(part));
    }
  }
  return out;
}

}  // namespace

Status RunConnectionCreate(const ConnectionArgs& args) {
  LF_RETURN_IF_ERROR(ConnectorRegistry::Global().Find(args.source).status());
  Connection connection;
  connection.name = args.name;
  connection.source = args.source;
  LF_ASSIGN_OR_RETURN(connection.options, ParseOptionFlags(args.options, ""));
  connection.allowed_options = SplitCommas(args.allow);
  connection.secret_options = SplitCommas(args.secret);
  for (const auto& key : connection.secret_options) {
    if (!connection.options.Get(key))
      return Status::Invalid("--secret {}: the connection has no option '{}'", key, key);
  }
  LF_RETURN_IF_ERROR(ConnectionStore::Default().Create(connection, args.replace));
  std::cout << "created connection " << connection.name << " (source " << connection.source
            << ")\n";
  return Status::OK();
}

Status RunConnectionList() {
  LF_ASSIGN_OR_RETURN(auto connections, ConnectionStore::Default().List());
  for (const auto& c : connections) std::cout << c.name << "\t" << c.source << "\n";
  return Status::OK();
}

Status RunConnectionShow(const std::string& name) {
  LF_ASSIGN_OR_RETURN(Connection c, ConnectionStore::Default().Get(name));
  auto info = ConnectorRegistry::Global().Find(c.source);
  std::vector<std::string> secrets = c.secret_options;
  if (info.ok()) {
    for (auto& s : (*info)->SecretOptions(c.options)) secrets.push_back(std::move(s));
  }
  std::cout << "name: " << c.name << "\nsource: " << c.source << "\noptions:\n";
  for (const auto& [k, v] : c.options)
    std::cout << "  " << k << ": " << Displayed(secrets, k, v) << "\n";
  std::cout << "allowed options:";
  for (const auto& a : DefaultAllowedOptions()) std::cout << " " << a;
  for (const auto& a : c.allowed_options) std::cout << " " << a;
  std::cout << "\n";
  if (!c.secret_options.empty())
    std::cout << "secret options: " << Join(c.secret_options, " ") << "\n";
  return Status::OK();
}

Status RunConnectionDelete(const std::string& name) {
  LF_RETURN_IF_ERROR(ConnectionStore::Default().Delete(name));
  std::cout << "deleted connection " << name << "\n";
  return Status::OK();
}

Status RunSources() {
  auto& registry = ConnectorRegistry::Global();
  for (const auto& name : registry.Names()) {
    auto info = registry.Find(name);
    std::cout << name << "\t" << (info.ok() ? (*info)->description : "") << "\n";
  }
  return Status::OK();
}

}  // namespace lakeflow::cli
