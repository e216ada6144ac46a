// The conformance suite: the checks every connector must pass, runnable from
// GoogleTest (tests/conformance) and from `lakeflow test-connector`.
//
// It covers the reference project's checks: list_tables returns non-empty,
// unique names; unknown tables are refused; schemas are deterministic with no
// duplicate fields and only supported types; metadata is valid (primary keys
// in the schema unless append, a cursor field for cdc types, deletes for
// cdc_with_deletes); reads return records valid against the schema with
// non-null primary keys; offsets converge; partitions are stable and
// serialisable.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lakeflow/connect/lakeflow_connect.h"

namespace lakeflow {

struct ConformanceCheck {
  std::string name;   // "read_table.offsets_converge"
  std::string table;  // empty for connector-wide checks
  bool passed = false;
  std::string detail;  // why it failed, or what it saw
};

struct ConformanceOptions {
  std::optional<std::string> table;  // only this table
  Options table_options;             // options for every table read
  int max_reads = 200;               // read_table calls per table before giving up on convergence
  int64_t max_records = 100000;      // records per table before stopping early (passes)
};

struct ConformanceReport {
  std::vector<ConformanceCheck> checks;
  int failures() const;
  std::string ToText() const;  // one line per check: PASS/FAIL name [table] detail
};

ConformanceReport RunConformance(LakeflowConnect& connector, const ConformanceOptions& options);

}  // namespace lakeflow
