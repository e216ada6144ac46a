// The "test" source: an in-memory connector that exercises every part of the
// connector contract, for the tests of the layers above it.
//
// Tables (num_rows rows each, deterministic):
//   users    snapshot, key id; every Spark type; JSON pages {"data": [...]},
//            paged page_size at a time through {"page": n} offsets
//   events   cdc on updated_at, key id; JSON lines; offsets {"cursor": ts}
//   orders   cdc_with_deletes on modified, key order_id; Arrow batches the
//            connector builds; ids listed in `deleted` come from the delete flow
//   logs     append, no key; JSON lines; offsets {"seq": n}
//   regions  snapshot, key code; read in partitions (SupportsPartition)
//   metrics  cdc on seq, key id; a partitioned stream (SupportsPartitionedStream)
// Commits of stream microbatches (SupportsCommit) are recorded for the tests.
//
// Options: num_rows (25), page_size (10), deleted ("3,5"), token (a secret,
// echoed in failures to test redaction), fail_table (read_table of this table
// fails), bad_record (events row 2 gets an unconvertible id).
#pragma once

#include <string>
#include <vector>

#include "lakeflow/connect/registry.h"

namespace lakeflow::testing {

void RegisterTestConnector(ConnectorRegistry* registry);

// What the test connector heard through SupportsCommit, in order, one line
// each: "TABLE[ deletes] OFFSET-JSON". Cleared by the tests.
std::vector<std::string>& TestConnectorCommits();

}  // namespace lakeflow::testing
