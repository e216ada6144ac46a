// libFuzzer target: the Delta transaction log and lakeflow's side files
// (sinks/delta_log.cc, delta_checkpoint.cc, delta_side_files.cc), as another
// writer or a damaged disk may leave them.
//
// Input: the text of commit 0, also used as _last_checkpoint, a progress
// file, a stage manifest and the runs file. A table that loads has a schema.
#include "fuzz/fuzz_util.h"
#include "lakeflow/sinks/delta_checkpoint.h"
#include "lakeflow/sinks/delta_log.h"
#include "lakeflow/sinks/delta_side_files.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lakeflow::sinks::delta;
  std::string_view text = lakeflow::fuzz::AsText(data, size);
  const std::string root = lakeflow::fuzz::ScratchDir() + "/delta";
  const std::string dir = root + "/t";
  std::filesystem::remove_all(root);
  lakeflow::fuzz::WriteFile(CommitPath(dir, 0), text);
  auto state = LoadTable(dir, "t");
  if (state.ok()) FUZZ_CHECK(state->version == 0 && state->schema);
  lakeflow::fuzz::WriteFile(dir + "/_delta_log/_last_checkpoint", text);
  (void)LastCheckpoint(dir, "t");
  lakeflow::fuzz::WriteFile(dir + "/_lakeflow/progress/f-1.json", text);
  (void)ReadProgress(dir, "f", 1, "t");
  lakeflow::fuzz::WriteFile(StageManifestPath(dir, 1), text);
  (void)ReadStageManifest(dir, 1, "t");
  lakeflow::fuzz::WriteFile(root + "/_lakeflow_runs.json", text);
  (void)ReadRuns(root);
  return 0;
}
