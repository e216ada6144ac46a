#include "lakeflow/core/offset.h"

#include "lakeflow/core/json_access.h"

namespace lakeflow {

std::string OffsetToString(const Offset& offset) {
  return offset ? offset->dump() : "null";
}

Result<Offset> OffsetFromString(std::string_view text, std::string_view where) {
  if (text.empty()) return Offset();
  LF_ASSIGN_OR_RETURN(Json j, ParseJson(text, fmt::format("{}: offset", where)));
  if (j.is_null()) return Offset();
  if (!j.is_object())
    return Status::Invalid("{}: offset must be a JSON object, got {}", where, j.type_name());
  return Offset(std::move(j));
}

bool OffsetsEqual(const Offset& a, const Offset& b) {
  if (!a || !b) return !a && !b;
  return *a == *b;
}

}  // namespace lakeflow
