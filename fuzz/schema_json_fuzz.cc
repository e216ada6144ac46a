// libFuzzer target: Spark's StructType JSON (core/schema_json.cc), as read
// from a Delta log's schemaString or a Python connector.
//
// Input: JSON text. A schema it accepts must write back (SchemaToSparkJson)
// as JSON that reads to the same schema.
#include "fuzz/fuzz_util.h"
#include "lakeflow/core/schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lakeflow;
  auto schema = SchemaFromSparkJson(fuzz::AsText(data, size));
  if (!schema.ok()) return 0;
  auto again = SchemaFromSparkJson(SchemaToSparkJson(**schema));
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK((*again)->Equals(**schema, /*check_metadata=*/true));
  return 0;
}
