// libFuzzer target: the pipeline spec parser (pipeline/pipeline_spec.cc).
//
// Input: a spec's text. A spec it accepts has at least one table, each with
// a source table and a destination name.
#include "fuzz/fuzz_util.h"
#include "lakeflow/pipeline/pipeline_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lakeflow::pipeline;
  auto spec = ParsePipelineSpec(lakeflow::fuzz::AsText(data, size), "fuzz.yaml");
  if (!spec.ok()) return 0;
  FUZZ_CHECK(!spec->objects.empty());
  for (const auto& t : spec->objects) {
    FUZZ_CHECK(!t.source_table.empty() && !t.DestinationName().empty());
  }
  return 0;
}
