// UTF-8 validity of text that comes from outside: YAML specs, option values,
// names. JSON (nlohmann's dump) throws on bytes that are not UTF-8, so such
// text is checked where it enters and refused there with one line naming it.
#pragma once

#include <string>
#include <string_view>

#include "lakeflow/core/status.h"

namespace lakeflow {

// Whether `text` is well-formed UTF-8 (no overlong forms, no surrogates,
// nothing past U+10FFFF).
bool IsValidUtf8(std::string_view text);

// OK, or "WHAT is not valid UTF-8" as an invalid-argument error.
Status CheckUtf8(std::string_view text, std::string_view what);

}  // namespace lakeflow
