// PostgreSQL's wire formats are big-endian: binary COPY, replication
// messages and pgoutput all read their integers with this.
#pragma once

#include <cstdint>
#include <cstring>

namespace lakeflow::postgres {

// The integer of type T stored big-endian at `p` (which need not be aligned).
template <typename T>
T LoadBigEndian(const char* p) {
  static_assert(sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8);
  T value;
  std::memcpy(&value, p, sizeof(T));
  if constexpr (sizeof(T) == 2)
    return static_cast<T>(__builtin_bswap16(static_cast<uint16_t>(value)));
  if constexpr (sizeof(T) == 4)
    return static_cast<T>(__builtin_bswap32(static_cast<uint32_t>(value)));
  if constexpr (sizeof(T) == 8)
    return static_cast<T>(__builtin_bswap64(static_cast<uint64_t>(value)));
  return value;
}

}  // namespace lakeflow::postgres
