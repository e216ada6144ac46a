// `lakeflow simulate`: serve a source API from a spec directory, for tests
// and benchmarks that must not depend on the real service.
#include <iostream>

#include "lakeflow/cli/commands.h"
#include "lakeflow/simulator/server.h"

namespace lakeflow::cli {

Status RunSimulate(const SimulateArgs& args) {
  simulator::ServerOptions options;
  options.spec_dir = args.spec_dir;
  options.host = args.host;
  options.port = args.port;
  options.scale = args.scale;
  options.fault_rate = args.faults;
  options.seed = args.seed;
  options.auth = args.auth;
  options.compress = args.compress;
  options.on_listening = [&args](int port) {
    std::cerr << "lakeflow simulate: serving " << args.spec_dir << " on http://" << args.host << ":"
              << port << std::endl;
  };
  LF_ASSIGN_OR_RETURN(auto server, simulator::Server::Create(options));
  return server->Run();
}

}  // namespace lakeflow::cli
