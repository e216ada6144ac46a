// `lakeflow test-connector`: the conformance suite for connector authors.
#include <iostream>

#include "lakeflow/cli/commands.h"
#include "lakeflow/conformance/conformance.h"
#include "lakeflow/datasource/data_source.h"

namespace lakeflow::cli {

Status RunTestConnector(const TestConnectorArgs& args, int* failures) {
  LF_ASSIGN_OR_RETURN(Options options, ParseOptionFlags(args.options, args.connection));
  // The data source resolves the connection and secrets; the suite then
  // drives the connector directly. tableName only satisfies the request parser.
  options.Set("tableName", kTableListTable);
  OpenOptions open;
  ConnectionStore store = ConnectionStore::Default();
  open.store = &store;
  if (!args.source.empty()) open.source = args.source;
  LF_ASSIGN_OR_RETURN(auto source, DataSource::Open(options, open));
  ConformanceOptions conformance;
  if (!args.table.empty()) conformance.table = args.table;
  conformance.table_options = source->request().table_options;
  ConformanceReport report = RunConformance(source->connector(), conformance);
  std::cout << source->redactor().Apply(report.ToText());
  *failures = report.failures();
  return Status::OK();
}

}  // namespace lakeflow::cli
