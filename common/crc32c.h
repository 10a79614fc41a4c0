// CRC-32C (Castagnoli), the checksum of every on-disk format.
//
// Computed with ISA-L's crc32_iscsi, which uses the SSE4.2 crc32 instruction
// where the processor has it. Values are the standard CRC-32C: the checksum
// of "123456789" is 0xe3069283.
#ifndef WAREHOUSE_COMMON_CRC32C_H_
#define WAREHOUSE_COMMON_CRC32C_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace warehouse::crc32c {

// Returns the CRC-32C of `data` appended to a buffer whose CRC-32C was
// `crc`. Extend(Value(a), b) == Value(a + b).
uint32_t Extend(uint32_t crc, const char* data, size_t n);

inline uint32_t Value(const char* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(absl::string_view data) {
  return Extend(0, data.data(), data.size());
}

}  // namespace warehouse::crc32c

#endif  // WAREHOUSE_COMMON_CRC32C_H_
