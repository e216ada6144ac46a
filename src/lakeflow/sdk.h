// The connector SDK: everything a C++ connector author includes, in one
// header. These headers, and only these, are the SDK (the build copies them
// to build/sdk/include and installs them as include/lakeflow); the rest of
// src/lakeflow is the engine's own, free to change between releases.
//
//   core/status.h              Status, Result<T>, LF_RETURN_IF_ERROR
//   core/options.h             Options: a connector's string options
//   core/offset.h              Offset: where a read resumes (JSON)
//   core/types.h, schema.h     Arrow schemas from Spark DDL or JSON
//   connect/record_stream.h    RecordStream and ReadResult: what a read returns
//   connect/lakeflow_connect.h LakeflowConnect: the five calls (and namespaces)
//   connect/registry.h         ConnectorRegistry, ConnectorInfo
//   connect/plugin_abi.h       LAKEFLOW_CONNECTOR_PLUGIN and the plugin ABI
#pragma once

#include "lakeflow/connect/lakeflow_connect.h"
#include "lakeflow/connect/plugin_abi.h"
#include "lakeflow/connect/record_stream.h"
#include "lakeflow/connect/registry.h"
#include "lakeflow/core/offset.h"
#include "lakeflow/core/options.h"
#include "lakeflow/core/schema.h"
#include "lakeflow/core/status.h"
#include "lakeflow/core/types.h"
