#pragma once

namespace lakeflow::cli {

// Runs the `lakeflow` command line; returns the process exit code.
int RunApp(int argc, char** argv);

}  // namespace lakeflow::cli
