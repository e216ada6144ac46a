// libFuzzer target: the Spark DDL parser (core/schema_ddl.cc).
//
// Input: DDL text. A schema it accepts must print back (SchemaToDdl) as DDL
// that parses to the same schema.
#include "fuzz/fuzz_util.h"
#include "lakeflow/core/schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lakeflow;
  std::string_view text = fuzz::AsText(data, size);
  auto type = ParseDdlType(text);
  (void)type;
  auto schema = ParseDdl(text);
  if (!schema.ok()) return 0;
  auto again = ParseDdl(SchemaToDdl(**schema));
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK((*again)->Equals(**schema, /*check_metadata=*/true));
  return 0;
}
