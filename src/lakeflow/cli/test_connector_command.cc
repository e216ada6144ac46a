// `lakeflow test-connector`: the conformance suite for connector authors.
#include <iostream>

#include "lakeflow/cli/commands.h"
#include "lakeflow/conformance/conformance.h"
#include "lakeflow/core/json_access.h"
#include "lakeflow/datasource/data_source.h"

namespace lakeflow::cli {

namespace {

// --table-config TABLE=JSON flags folded into the tableConfigs option, so that
// they meet the connection's allow-list as any read's per-table options do.
Status AddTableConfigs(const std::vector<std::string>& flags, Options* options) {
  if (flags.empty()) return Status::OK();
  Json configs = Json::object();
  if (auto given = options->Get(kTableConfigsOption)) {
    LF_ASSIGN_OR_RETURN(configs, ParseJson(*given, "option tableConfigs"));
    if (!configs.is_object()) return Status::Invalid("option tableConfigs: must be a JSON object");
  }
  for (const auto& flag : flags) {
    auto eq = flag.find('=');
    if (eq == std::string::npos || eq == 0)
      return Status::Invalid("bad --table-config '{}': expected TABLE=JSON", flag.substr(0, eq));
    std::string table = flag.substr(0, eq);
    LF_ASSIGN_OR_RETURN(Json config, ParseJson(flag.substr(eq + 1), "--table-config " + table));
    if (!config.is_object())
      return Status::Invalid("--table-config {}: expected a JSON object of options", table);
    configs[table] = std::move(config);
  }
  LF_ASSIGN_OR_RETURN(std::string text, DumpExactJson(configs, "--table-config"));
  options->Set(kTableConfigsOption, text);
  return Status::OK();
}

}  // namespace

Status RunTestConnector(const TestConnectorArgs& args, int* failures) {
  LF_ASSIGN_OR_RETURN(Options options, ParseOptionFlags(args.options, args.connection));
  LF_RETURN_IF_ERROR(AddTableConfigs(args.table_configs, &options));
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
  conformance.table_configs = source->request().table_configs;
  ConformanceReport report = RunConformance(source->connector(), conformance);
  std::cout << source->redactor().Apply(report.ToText());
  *failures = report.failures();
  return Status::OK();
}

}  // namespace lakeflow::cli
