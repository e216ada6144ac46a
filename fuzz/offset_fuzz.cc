// libFuzzer target: offsets (core/offset.cc) and the checked JSON accessors
// every outside document is read through (core/json_access.h).
//
// Input: offset text. An offset it accepts must print canonically and read
// back equal; every member read through JsonFields must answer without
// throwing, whatever its type.
#include "fuzz/fuzz_util.h"
#include "lakeflow/core/json_access.h"
#include "lakeflow/core/offset.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lakeflow;
  auto offset = OffsetFromString(fuzz::AsText(data, size), "fuzz");
  if (!offset.ok() || !*offset) return 0;
  auto again = OffsetFromString(OffsetToString(*offset), "again");
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(OffsetsEqual(*offset, *again));
  auto fields = JsonFields::Of(**offset, "fuzz");
  FUZZ_CHECK(fields.ok());
  for (const auto& [key, value] : (*offset)->items()) {
    (void)fields->String(key);
    (void)fields->IntOr(key, 0);
    (void)fields->BoolOr(key, false);
    (void)fields->StringsOr(key);
    if (auto inner = fields->OptionalObject(key); inner.ok() && *inner) {
      (void)(*inner)->StringOr("cursor", "");
    }
  }
  return 0;
}
