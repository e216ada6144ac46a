// The conformance suite: the checks every connector must pass, runnable from
// GoogleTest (tests/conformance) and from `lakeflow test-connector`.
//
// It covers the reference project's checks: list_tables returns non-empty,
// unique names; unknown tables are refused; schemas and metadata are
// deterministic, schemas with no duplicate fields and only supported types;
// metadata is valid (primary keys in the schema unless append, a cursor field
// for cdc types, deletes for cdc_with_deletes); reads return records valid
// against the schema with non-null primary keys and no record entirely null
// (a column null in every record is a warning); offsets converge (a snapshot may
// return none); partitions are stable and serialisable. A partitioned stream
// is read through its partitions: latest_offset converges, equal offsets give
// no partitions, partitions survive serialisation, and the stream reads what
// a batch read reads, each record once.
//
// Each check appears once per table in the report, passed only if it passed
// every time it ran, so counts are not inflated by pages or batches.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lakeflow/connect/lakeflow_connect.h"

namespace lakeflow {

struct ConformanceCheck {
  std::string name;   // "read_table.offsets_converge"
  std::string table;  // empty for connector-wide checks
  bool passed = false;
  // Passed, with something the author should look at (a column no record
  // fills): printed as WARN, not counted as a failure.
  bool warning = false;
  std::string detail;  // why it failed or warns
};

struct ConformanceOptions {
  std::optional<std::string> table;  // only this table
  Options table_options;             // options for every table read
  // Per-table options laid over table_options (the data source's tableConfigs).
  std::map<std::string, Options> table_configs;
  int max_reads = 200;           // read_table calls per table before giving up on convergence
  int64_t max_records = 100000;  // records per table before stopping early (passes)
};

struct ConformanceReport {
  std::vector<ConformanceCheck> checks;
  int failures() const;
  // One line per check, PASS/WARN/FAIL name [table] detail, then
  // "N passed (W with warnings), M failed".
  std::string ToText() const;
};

ConformanceReport RunConformance(LakeflowConnect& connector, const ConformanceOptions& options);

}  // namespace lakeflow
