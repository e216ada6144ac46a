// Log sequence numbers: positions in PostgreSQL's write-ahead log, written
// "16/B374D848" (high and low 32 bits in hex). Offsets of the postgres
// source's change streams are LSNs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lakeflow::postgres {

using Lsn = uint64_t;

std::optional<Lsn> ParseLsn(std::string_view text);
std::string FormatLsn(Lsn lsn);

}  // namespace lakeflow::postgres
