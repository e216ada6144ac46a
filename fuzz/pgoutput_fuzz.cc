// libFuzzer target: pgoutput messages from PostgreSQL's logical replication
// stream (connectors/postgres/pgoutput.cc).
//
// Input: one XLogData payload. Tuple values must point inside the message.
#include <variant>

#include "fuzz/fuzz_util.h"
#include "lakeflow/connectors/postgres/pgoutput.h"

namespace {

using namespace lakeflow::postgres::pgoutput;

void CheckInside(const Tuple& tuple, std::string_view message) {
  for (const auto& v : tuple) {
    if (v.data.empty()) continue;
    FUZZ_CHECK(v.data.data() >= message.data());
    FUZZ_CHECK(v.data.data() + v.data.size() <= message.data() + message.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view message = lakeflow::fuzz::AsText(data, size);
  auto parsed = Parse(message);
  if (!parsed.ok()) return 0;
  if (auto* m = std::get_if<Insert>(&*parsed)) CheckInside(m->row, message);
  if (auto* m = std::get_if<Update>(&*parsed)) {
    CheckInside(m->old_row, message);
    CheckInside(m->row, message);
  }
  if (auto* m = std::get_if<Delete>(&*parsed)) CheckInside(m->old_row, message);
  return 0;
}
