// The connectors compiled into lakeflow. Each source adds its Register call
// here; out-of-tree connectors come in as plugins (see connect/registry.h).
#include "lakeflow/connect/registry.h"
#include "lakeflow/connectors/postgres/postgres_connector.h"
#include "lakeflow/connectors/python/python_connector.h"
#include "lakeflow/connectors/rest/rest_connector.h"

namespace lakeflow {
namespace rest {
// Spec texts compiled in from connectors/NAME/NAME.yaml.
extern const std::string_view k_github_spec;
extern const std::string_view k_zendesk_spec;
}  // namespace rest

void RegisterBuiltinConnectors(ConnectorRegistry* registry) {
  registry->Register(rest::GenericRestSource());
  registry->Register(rest::EmbeddedRestSource("github", rest::k_github_spec));
  registry->Register(rest::EmbeddedRestSource("zendesk", rest::k_zendesk_spec));
  registry->Register(python::PythonSource());
  registry->Register(postgres::PostgresSource());
}

}  // namespace lakeflow
