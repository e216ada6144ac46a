// RestConnector: runs any REST source described by a RestSpec.
//
// The `rest` source loads the spec from the `spec` option; `github` and
// `zendesk` are the same engine on specs compiled into the binary.
//
// A batch read (no offset) walks every page, fetching them as its records
// are consumed. A stream read walks one request sequence (the table's pages,
// or for a fan-out table, the child pages of each parent record) and stops
// once max_records_per_batch records are held, even inside a page; its
// offset says where the next read resumes (rest_offset.h). Incremental
// tables resume from the cursor value of the last record delivered, never
// from a page position, so records deleted or updated between two reads
// cannot make the next one skip a record.
#pragma once

#include <memory>
#include <string>

#include "lakeflow/connect/lakeflow_connect.h"
#include "lakeflow/connect/registry.h"
#include "lakeflow/connectors/rest/rest_spec.h"

namespace lakeflow::rest {

// A connector for `spec`, with the connection's options. Fails on a missing
// required option, naming it.
Result<std::unique_ptr<LakeflowConnect>> MakeRestConnector(std::shared_ptr<const RestSpec> spec,
                                                           const Options& options);

// The registry entry for a source whose spec is compiled in (github, zendesk).
ConnectorInfo EmbeddedRestSource(std::string name, std::string_view yaml);

// The `rest` source: the spec comes from the `spec` option (a YAML file).
ConnectorInfo GenericRestSource();

}  // namespace lakeflow::rest
