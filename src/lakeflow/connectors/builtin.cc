// The connectors compiled into lakeflow. Each source adds its Register call
// here; out-of-tree connectors come in as plugins (see connect/registry.h).
#include "lakeflow/connect/registry.h"

namespace lakeflow {

void RegisterBuiltinConnectors(ConnectorRegistry* registry) {
  (void)registry;  // the REST, GitHub, Zendesk and PostgreSQL connectors register here
}

}  // namespace lakeflow
