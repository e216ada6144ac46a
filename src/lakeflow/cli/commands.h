// The `lakeflow` command's subcommands. Each returns a Status; app.cc turns it
// into one line on stderr and an exit code.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lakeflow/core/options.h"
#include "lakeflow/core/status.h"

namespace lakeflow::cli {

// Exit codes (documented in docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailedChecks = 1;  // test-connector found violations
inline constexpr int kExitUsage = 2;         // bad flags, options, names: fix the command
inline constexpr int kExitSource = 3;        // the source failed or sent data that does not fit
inline constexpr int kExitIO = 4;            // local files: checkpoint, output, connection store
inline constexpr int kExitInternal = 70;     // a bug in lakeflow

int ExitCodeFor(const Status& status);

// Options given as repeated --option k=v, plus --connection as
// databricks.connection.
Result<Options> ParseOptionFlags(const std::vector<std::string>& flags,
                                 const std::string& connection);

struct ReadArgs {
  std::string connection;
  std::string source;
  std::vector<std::string> options;
  std::string output = "jsonl";
  int64_t limit = -1;
  int64_t batch_rows = 8192;
};
Status RunRead(const ReadArgs& args);

struct StreamArgs {
  ReadArgs read;
  std::string checkpoint;
  std::string trigger = "available-now";
  int64_t max_records_per_batch = 0;
};
Status RunStream(const StreamArgs& args);

struct ConnectionArgs {
  std::string name;
  std::string source;
  std::vector<std::string> options;
  std::vector<std::string> allow;
  std::vector<std::string> secret;  // options whose values are secrets
  bool replace = false;
};
Status RunConnectionCreate(const ConnectionArgs& args);
Status RunConnectionList();
Status RunConnectionShow(const std::string& name);
Status RunConnectionDelete(const std::string& name);

struct TestConnectorArgs {
  std::string connection;
  std::string source;
  std::vector<std::string> options;
  std::string table;
  std::vector<std::string> table_configs;  // TABLE=JSON, as tableConfigs' entries
};
// Returns the number of failed checks through `failures`.
Status RunTestConnector(const TestConnectorArgs& args, int* failures);

Status RunSources();

struct SimulateArgs {
  std::string spec_dir;
  std::string host = "127.0.0.1";
  int port = 0;
  int64_t scale = 0;  // 0: the corpora as recorded
  double faults = 0;  // probability a request is faulted
  uint64_t seed = 0;
  bool compress = false;  // compress responses for clients that accept it
  std::string auth;       // non-empty: the Authorization header API requests must carry
};
// Serves the API in spec_dir/endpoints.yaml until killed (docs/simulator.md).
Status RunSimulate(const SimulateArgs& args);

// Prints a table's schema as Spark StructType JSON or DDL.
// `lakeflow pipeline validate SPEC`: prints the plan of every table.
Status RunPipelineValidate(const std::string& spec_path);
struct PipelineRunArgs {
  std::string spec;
  std::string full_refresh;  // comma-separated destination tables
  bool full_refresh_all = false;
  std::string trigger = "available-now";
  int parallel = 1;
};
// `lakeflow pipeline run SPEC`: every table up to date, then a line per table;
// with an interval trigger, again at every interval until interrupted.
Status RunPipelineRun(const PipelineRunArgs& args);
// `lakeflow pipeline status SPEC`: each table's flows, as the destination
// recorded them.
Status RunPipelineStatus(const std::string& spec_path);

Status RunSchema(const ReadArgs& args, const std::string& format);

}  // namespace lakeflow::cli
