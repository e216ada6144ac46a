// libFuzzer target: the schema-driven JSON to Arrow converter
// (core/json_converter.cc), the hot path of every REST connector.
//
// Input: "M DDL\nJSON": the first byte picks the mode (a document, a document
// under /items, JSON lines), DDL is the schema (a rich default when it does
// not parse) and JSON the bytes. Whatever is appended must flush into a batch
// that passes Arrow's full validation, with the schema asked for.
#include <arrow/api.h>

#include "fuzz/fuzz_util.h"
#include "lakeflow/core/json_converter.h"
#include "lakeflow/core/schema.h"

namespace {

constexpr const char* kDefaultSchema =
    "id BIGINT NOT NULL, name STRING, n INT, small TINYINT, f DOUBLE, ok BOOLEAN, "
    "d DATE, ts TIMESTAMP, ntz TIMESTAMP_NTZ, price DECIMAL(10,2), raw BINARY, v VARIANT, "
    "tags ARRAY<STRING>, attrs MAP<STRING, BIGINT>, "
    "user STRUCT<login: STRING NOT NULL, id BIGINT, seen ARRAY<TIMESTAMP>>";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lakeflow;
  if (size == 0) return 0;
  const int mode = data[0] % 3;
  std::string_view rest = fuzz::AsText(data + 1, size - 1);
  size_t newline = rest.find('\n');
  if (newline == std::string_view::npos) return 0;
  auto schema = ParseDdl(rest.substr(0, newline));
  if (!schema.ok()) schema = ParseDdl(kDefaultSchema);
  FUZZ_CHECK(schema.ok());
  auto converter = JsonConverter::Make("fuzz", *schema);
  if (!converter.ok()) return 0;
  std::string_view json = rest.substr(newline + 1);
  Status st = mode == 0   ? (*converter)->AppendDocument(json)
              : mode == 1 ? (*converter)->AppendDocument(json, "/items")
                          : (*converter)->AppendJsonLines(json);
  (void)st;  // a refused document is rolled back; the rows before it stay
  auto batch = (*converter)->Flush();
  FUZZ_CHECK(batch.ok());
  FUZZ_CHECK((*batch)->ValidateFull().ok());
  FUZZ_CHECK((*batch)->schema()->Equals(**schema, /*check_metadata=*/false));
  return 0;
}
