// The `postgres` source: tables of a PostgreSQL database (docs/connectors/postgres.md).
#pragma once

#include "lakeflow/connect/registry.h"

namespace lakeflow::postgres {

ConnectorInfo PostgresSource();

}  // namespace lakeflow::postgres
