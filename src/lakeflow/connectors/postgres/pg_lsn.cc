#include "lakeflow/connectors/postgres/pg_lsn.h"

#include <fmt/format.h>

#include <charconv>

namespace lakeflow::postgres {
namespace {

std::optional<uint32_t> Hex32(std::string_view text) {
  if (text.empty() || text.size() > 8) return std::nullopt;
  uint32_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<Lsn> ParseLsn(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto high = Hex32(text.substr(0, slash));
  auto low = Hex32(text.substr(slash + 1));
  if (!high || !low) return std::nullopt;
  return (static_cast<Lsn>(*high) << 32) | *low;
}

std::string FormatLsn(Lsn lsn) {
  return fmt::format("{:X}/{:X}", static_cast<uint32_t>(lsn >> 32), static_cast<uint32_t>(lsn));
}

}  // namespace lakeflow::postgres
