// libFuzzer target: the declarative REST connector's YAML spec parser
// (connectors/rest/rest_spec.cc).
//
// Input: a spec's text. Any answer but a crash, an exception or a hang will do.
#include "fuzz/fuzz_util.h"
#include "lakeflow/connectors/rest/rest_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto spec = lakeflow::rest::ParseRestSpec(lakeflow::fuzz::AsText(data, size), "fuzz.yaml");
  if (spec.ok()) FUZZ_CHECK(!spec->tables.empty());
  return 0;
}
