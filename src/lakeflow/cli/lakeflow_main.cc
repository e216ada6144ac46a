#include "lakeflow/cli/app.h"

int main(int argc, char** argv) {
  return lakeflow::cli::RunApp(argc, argv);
}
