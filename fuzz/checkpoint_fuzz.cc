// libFuzzer target: a stream checkpoint's files read back
// (datasource/checkpoint.cc): the metadata, an offsets file, a commit file.
//
// Input: the text of all three. A planned batch that is read back must name
// the batch its file is for.
#include "fuzz/fuzz_util.h"
#include "lakeflow/core/json_access.h"
#include "lakeflow/datasource/checkpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lakeflow;
  std::string_view text = fuzz::AsText(data, size);
  const std::string dir = fuzz::ScratchDir() + "/checkpoint";
  const Json identity = {{"source", "fuzz"}, {"table", "t"}, {"delete_flow", false}};
  std::filesystem::remove_all(dir);
  fuzz::WriteFile(dir + "/metadata", text);
  (void)Checkpoint::Open(dir, identity);
  fuzz::WriteFile(dir + "/metadata", DumpJson(identity));
  fuzz::WriteFile(dir + "/offsets/3", text);
  fuzz::WriteFile(dir + "/commits/3", text);
  auto checkpoint = Checkpoint::Open(dir, identity);
  FUZZ_CHECK(checkpoint.ok());
  auto planned = checkpoint->LastPlanned();
  if (planned.ok()) FUZZ_CHECK(*planned && (*planned)->id == 3);
  (void)checkpoint->IsCommitted(3);
  return 0;
}
