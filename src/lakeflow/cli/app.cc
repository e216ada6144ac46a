// The `lakeflow` command: flag parsing, plugin loading, and the one place
// where a failed Status becomes a line on stderr and an exit code.
#include "lakeflow/cli/app.h"

#include <CLI/CLI.hpp>
#include <iostream>

#include "lakeflow/cli/commands.h"
#include "lakeflow/connect/registry.h"
#include "lakeflow/core/utf8.h"

namespace lakeflow::cli {

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
      return kExitUsage;
    case StatusCode::kConversion:
    case StatusCode::kSource:
      return kExitSource;
    case StatusCode::kIO:
      return kExitIO;
    case StatusCode::kInternal:
      return kExitInternal;
  }
  return kExitInternal;
}

Result<Options> ParseOptionFlags(const std::vector<std::string>& flags,
                                 const std::string& connection) {
  Options options;
  for (const auto& flag : flags) {
    auto eq = flag.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::Invalid("bad --option '{}': expected KEY=VALUE",
                             flag.substr(0, flag.find('=')));
    }
    // Options travel as JSON (tableConfigs, checkpoints), which holds UTF-8 only.
    LF_RETURN_IF_ERROR(CheckUtf8(flag.substr(0, eq), "an --option name"));
    LF_RETURN_IF_ERROR(CheckUtf8(flag.substr(eq + 1),
                                 fmt::format("the value of --option '{}'", flag.substr(0, eq))));
    options.Set(flag.substr(0, eq), flag.substr(eq + 1));
  }
  if (!connection.empty()) options.Set("databricks.connection", connection);
  return options;
}

namespace {

void AddReadFlags(CLI::App* cmd, ReadArgs* args) {
  cmd->add_option("--connection", args->connection,
                  "Named connection (same as --option databricks.connection=NAME)");
  cmd->add_option("--source", args->source, "Source name, when no connection is used");
  cmd->add_option("--option,-o", args->options,
                  "Read option KEY=VALUE (repeatable); tableName=T picks the table")
      ->allow_extra_args(false);
  cmd->add_option("--output", args->output,
                  "jsonl (default), csv, table, parquet:PATH or arrow:PATH");
  cmd->add_option("--batch-rows", args->batch_rows, "Rows per Arrow batch")
      ->check(CLI::PositiveNumber);
}

int Report(const Status& status) {
  if (status.ok()) return kExitOk;
  std::cerr << "lakeflow: " << status.ToString() << "\n";
  return ExitCodeFor(status);
}

}  // namespace

int RunApp(int argc, char** argv) {
  CLI::App app{
      "lakeflow: Lakeflow Community Connectors, native.\n"
      "Exit codes: 0 ok, 1 conformance checks failed, 2 usage or configuration error,\n"
      "3 source error, 4 local I/O error, 70 internal error."};
  app.set_version_flag("--version", std::string("lakeflow 0.1.0"));
  app.require_subcommand(1);
  std::vector<std::string> plugins;
  app.add_option("--plugin", plugins,
                 "Load a connector plugin (shared library); also $LAKEFLOW_PLUGINS");

  ReadArgs read;
  auto* read_cmd =
      app.add_subcommand("read", "Batch read: a table, _lakeflow_metadata or _lakeflow_table_list");
  AddReadFlags(read_cmd, &read);
  read_cmd->add_option("--limit", read.limit, "Stop after N rows");

  StreamArgs stream;
  auto* stream_cmd =
      app.add_subcommand("stream", "Streaming read in micro-batches, resumable from a checkpoint");
  AddReadFlags(stream_cmd, &stream.read);
  stream_cmd->add_option("--checkpoint", stream.checkpoint, "Checkpoint directory")->required();
  stream_cmd->add_option("--trigger", stream.trigger,
                         "available-now (default), once, or interval:10s");
  stream_cmd->add_option("--max-records-per-batch", stream.max_records_per_batch,
                         "Passed to the connector as max_records_per_batch");

  auto* conn = app.add_subcommand("connection",
                                  "Manage named connections (the local Unity Catalog connections)");
  conn->require_subcommand(1);
  ConnectionArgs create;
  auto* create_cmd = conn->add_subcommand("create", "Create a connection");
  create_cmd->add_option("name", create.name, "Connection name")->required();
  create_cmd->add_option("--source", create.source, "Source (connector) name")->required();
  create_cmd->add_option("--option,-o", create.options,
                         "Option KEY=VALUE; a secret may be env:VAR or file:PATH");
  create_cmd->add_option("--allow", create.allow, "Read options a query may add (comma-separated)");
  create_cmd->add_option("--secret", create.secret,
                         "Options whose values are secrets, beyond those the source names "
                         "(comma-separated): masked by show, scrubbed from every message");
  create_cmd->add_flag("--replace", create.replace, "Replace an existing connection");
  auto* list_cmd = conn->add_subcommand("list", "List connections");
  std::string conn_name;
  auto* show_cmd = conn->add_subcommand("show", "Show a connection, secrets masked");
  show_cmd->add_option("name", conn_name)->required();
  auto* delete_cmd = conn->add_subcommand("delete", "Delete a connection");
  delete_cmd->add_option("name", conn_name)->required();

  auto* pipeline = app.add_subcommand("pipeline", "Ingestion pipelines (docs/pipelines.md)");
  pipeline->require_subcommand(1);
  std::string pipeline_spec;
  auto* validate_cmd = pipeline->add_subcommand(
      "validate", "Check a pipeline spec against its source, moving no data");
  validate_cmd->add_option("spec", pipeline_spec, "Pipeline spec (YAML or JSON)")->required();
  PipelineRunArgs run;
  auto* run_cmd = pipeline->add_subcommand("run", "Bring every table of a pipeline up to date");
  run_cmd->add_option("spec", run.spec, "Pipeline spec (YAML or JSON)")->required();
  auto* refresh_flag = run_cmd->add_option("--full-refresh", run.full_refresh,
                                           "Rebuild these destination tables from scratch (T1,T2)");
  run_cmd->add_flag("--full-refresh-all", run.full_refresh_all, "Rebuild every table")
      ->excludes(refresh_flag);
  run_cmd->add_option("--trigger", run.trigger,
                      "available-now (default: until caught up, then exit), once (one "
                      "microbatch per flow) or interval:30s (until Ctrl-C)");
  run_cmd->add_option("--parallel", run.parallel, "Tables run at once (default 1)")
      ->check(CLI::PositiveNumber);
  auto* status_cmd =
      pipeline->add_subcommand("status", "Each table's progress, as the destination recorded it");
  status_cmd->add_option("spec", pipeline_spec, "Pipeline spec (YAML or JSON)")->required();

  TestConnectorArgs test;
  auto* test_cmd =
      app.add_subcommand("test-connector", "Run the conformance suite against a connector");
  test_cmd->add_option("--connection", test.connection, "Named connection");
  test_cmd->add_option("--source", test.source, "Source name, when no connection is used");
  test_cmd->add_option("--option,-o", test.options, "Option KEY=VALUE (repeatable)");
  test_cmd->add_option("--table", test.table, "Only this table");
  test_cmd->add_option("--table-config", test.table_configs,
                       "TABLE=JSON: that table's options, as a tableConfigs entry (repeatable)");

  auto* sources_cmd = app.add_subcommand("sources", "List the available sources (connectors)");

  ReadArgs schema_args;
  std::string schema_format = "json";
  auto* schema_cmd =
      app.add_subcommand("schema", "Print a table's schema (Spark StructType JSON or DDL)");
  AddReadFlags(schema_cmd, &schema_args);
  schema_cmd->add_option("--format", schema_format, "json (default) or ddl");

  SimulateArgs simulate;
  auto* simulate_cmd =
      app.add_subcommand("simulate", "Serve a simulated source API (docs/simulator.md)");
  simulate_cmd
      ->add_option("--spec-dir", simulate.spec_dir, "Folder with endpoints.yaml and corpus/")
      ->required();
  simulate_cmd->add_option("--port", simulate.port, "Port to listen on")->required();
  simulate_cmd->add_option("--host", simulate.host, "Address to listen on (default 127.0.0.1)");
  simulate_cmd->add_option("--scale", simulate.scale, "Multiply each corpus into N records");
  simulate_cmd->add_option("--faults", simulate.faults, "Probability of a fault per request")
      ->check(CLI::Range(0.0, 1.0));
  simulate_cmd->add_option("--seed", simulate.seed, "Seed for fault injection");
  simulate_cmd->add_flag("--compress", simulate.compress,
                         "Compress responses (gzip/brotli) when the client accepts it");
  simulate_cmd->add_option("--auth", simulate.auth,
                           "Require this exact Authorization header on API requests");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  ConnectorRegistry& registry = ConnectorRegistry::Global();
  RegisterBuiltinConnectors(&registry);
  Status loaded = LoadPluginsFromEnv(&registry);
  for (const auto& p : plugins) {
    if (loaded.ok()) loaded = LoadPlugin(p, &registry);
  }
  if (!loaded.ok()) return Report(loaded);

  if (*read_cmd) return Report(RunRead(read));
  if (*stream_cmd) return Report(RunStream(stream));
  if (*create_cmd) return Report(RunConnectionCreate(create));
  if (*list_cmd) return Report(RunConnectionList());
  if (*show_cmd) return Report(RunConnectionShow(conn_name));
  if (*delete_cmd) return Report(RunConnectionDelete(conn_name));
  if (*simulate_cmd) return Report(RunSimulate(simulate));
  if (*validate_cmd) return Report(RunPipelineValidate(pipeline_spec));
  if (*run_cmd) return Report(RunPipelineRun(run));
  if (*status_cmd) return Report(RunPipelineStatus(pipeline_spec));
  if (*sources_cmd) return Report(RunSources());
  if (*schema_cmd) return Report(RunSchema(schema_args, schema_format));
  if (*test_cmd) {
    int failures = 0;
    Status st = RunTestConnector(test, &failures);
    if (!st.ok()) return Report(st);
    return failures ? kExitFailedChecks : kExitOk;
  }
  return kExitUsage;
}

}  // namespace lakeflow::cli
