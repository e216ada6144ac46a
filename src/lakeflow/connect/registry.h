// The connector registry: finds a connector by its source name ("github",
// "postgres", "rest").
//
// Built-in connectors are registered explicitly by RegisterBuiltinConnectors()
// (static initialisers in static libraries are dropped by the linker). Out of
// tree connectors are shared libraries declared with LAKEFLOW_CONNECTOR_PLUGIN
// (plugin_abi.h) and loaded with LoadPlugin (the CLI's --plugin, or
// LAKEFLOW_PLUGINS).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lakeflow/connect/lakeflow_connect.h"
#include "lakeflow/connect/plugin_abi.h"

namespace lakeflow {

using ConnectorFactory = std::function<Result<std::unique_ptr<LakeflowConnect>>(const Options&)>;

struct ConnectorInfo {
  std::string name;
  std::string description;
  // Option names whose values are secrets: masked on display, never logged.
  std::vector<std::string> secret_options;
  ConnectorFactory factory;
  // More secret option names that depend on the options themselves (a REST
  // spec file's `secret: true` options, a Python connector's
  // connector_spec.yaml); may be empty. Last, so that plugins' brace
  // initialisers {name, description, secrets, factory} still compile.
  std::function<std::vector<std::string>(const Options&)> secret_options_for = nullptr;

  // Every secret option name for a source with these options.
  std::vector<std::string> SecretOptions(const Options& options) const;
};

class ConnectorRegistry {
 public:
  static ConnectorRegistry& Global();

  // A second registration of a name replaces the first (a plugin may override).
  void Register(ConnectorInfo info);
  Result<const ConnectorInfo*> Find(std::string_view name) const;
  Result<std::unique_ptr<LakeflowConnect>> Create(std::string_view name,
                                                  const Options& options) const;
  std::vector<std::string> Names() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<ConnectorInfo>, std::less<>> connectors_;
};

// Loads a connector plugin (a shared library) and calls its registration. A
// plugin built for another ABI (plugin_abi.h), or with none, is refused before
// any of its code runs. Errors name the path.
Status LoadPlugin(const std::string& path, ConnectorRegistry* registry);
// Loads every plugin named in $LAKEFLOW_PLUGINS (colon-separated paths).
Status LoadPluginsFromEnv(ConnectorRegistry* registry);

// Declared here, defined by the connectors layer; safe to call more than once.
void RegisterBuiltinConnectors(ConnectorRegistry* registry);

}  // namespace lakeflow

extern "C" {
// The registration a connector plugin exports (see LAKEFLOW_CONNECTOR_PLUGIN).
typedef void (*lakeflow_register_connectors_fn)(lakeflow::ConnectorRegistry*);
}
