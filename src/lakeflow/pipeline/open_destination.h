// The destination a pipeline spec names.
#pragma once

#include <memory>

#include "lakeflow/pipeline/pipeline_spec.h"
#include "lakeflow/sinks/destination.h"

namespace lakeflow::pipeline {

Result<std::unique_ptr<sinks::Destination>> OpenDestination(const DestinationSpec& spec);

// Whether the destination has been created (without creating it).
bool DestinationExists(const DestinationSpec& spec);

}  // namespace lakeflow::pipeline
