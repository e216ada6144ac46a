// Offsets: where a read of a table stands.
//
// An offset is a JSON object the connector defines (a cursor, a page token, an
// LSN). The engine never looks inside; it stores offsets in checkpoints and
// compares them. Comparison is canonical: key order never matters, because
// nlohmann::json keeps object keys sorted, and the canonical text is the
// sorted dump.
//
// std::nullopt is "no offset": on a start offset it asks for the whole table.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "lakeflow/core/status.h"

namespace lakeflow {

using Json = nlohmann::json;
using Offset = std::optional<Json>;

// Canonical text: "null" for no offset, else the compact sorted dump.
std::string OffsetToString(const Offset& offset);
// Parses offset text; "null" and "" give no offset. Anything but an object or
// null is refused, naming `where` (a checkpoint file, an option), and so is
// nesting deeper than kMaxJsonDepth (core/json_access.h).
Result<Offset> OffsetFromString(std::string_view text, std::string_view where);
bool OffsetsEqual(const Offset& a, const Offset& b);

}  // namespace lakeflow
