#include <exception>
#include <iostream>

#include "lakeflow/cli/app.h"
#include "lakeflow/cli/commands.h"

// Errors travel as Status; an exception reaching here is a bug in lakeflow.
// It still ends as one line and the internal-error exit code, not an abort
// and a core dump in the middle of a pipeline.
int main(int argc, char** argv) {
  try {
    return lakeflow::cli::RunApp(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "lakeflow: internal error: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "lakeflow: internal error: an unknown exception\n";
  }
  return lakeflow::cli::kExitInternal;
}
