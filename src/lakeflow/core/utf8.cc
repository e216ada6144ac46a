#include "lakeflow/core/utf8.h"

#include <simdjson.h>

namespace lakeflow {

bool IsValidUtf8(std::string_view text) {
  // simdjson's validator is the one its parser trusts for every JSON page.
  return simdjson::validate_utf8(text.data(), text.size());
}

Status CheckUtf8(std::string_view text, std::string_view what) {
  if (IsValidUtf8(text)) return Status::OK();
  return Status::Invalid("{} is not valid UTF-8", what);
}

}  // namespace lakeflow
