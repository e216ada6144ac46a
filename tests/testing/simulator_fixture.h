// The source simulator served in-process, for tests that read it over
// loopback HTTP. Needs LAKEFLOW_TESTDATA (the unit test binary defines it).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "lakeflow/simulator/server.h"

namespace lakeflow::testing {

// Starts a simulator on a free port. `options.spec_dir` names a folder under
// testdata/simulator, or is an absolute path.
inline std::unique_ptr<simulator::Server> StartSimulator(simulator::ServerOptions options) {
  if (options.spec_dir.front() != '/')
    options.spec_dir = std::string(LAKEFLOW_TESTDATA "/simulator/") + options.spec_dir;
  auto server = simulator::Server::Create(options);
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  if (!server.ok()) return nullptr;
  EXPECT_TRUE((*server)->Start().ok());
  return std::move(server).value();
}

}  // namespace lakeflow::testing
