// RestConnector: runs any REST source described by a RestSpec.
//
// The `rest` source loads the spec from the `spec` option; `github` and
// `zendesk` are the same engine on specs compiled into the binary.
//
// A read walks one request sequence (the table's pages, or for a fan-out
// table, the child pages of each parent record) and stops at a page boundary
// once max_records_per_batch records are held, or inside a page, never
// dropping what lies past the cap: the offset then says where the walk
// resumes. Offsets:
//   snapshot     {"page": URL, "skip": K} while pages remain, {"complete": true} at the end
//   incremental  {"cursor": ISO} between sequences; inside one, also "until"
//                (the sequence's fixed upper bound), "max" (the largest cursor
//                seen so far), "page" and "skip"
//   fan-out      also "parent_page" and "parent_index"
// so a read resumed from any offset neither repeats nor skips a record.
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
