#include "common/crc32c.h"

#include <isa-l/crc.h>

#include <climits>

namespace warehouse::crc32c {

uint32_t Extend(uint32_t crc, const char* data, size_t n) {
  // crc32_iscsi works on the raw register (no pre- or post-inversion) and
  // takes an int length, so invert around it and feed it bounded pieces.
  uint32_t reg = ~crc;
  auto* p = reinterpret_cast<unsigned char*>(const_cast<char*>(data));
  while (n > 0) {
    const size_t piece = n > (1u << 30) ? (1u << 30) : n;
    reg = crc32_iscsi(p, static_cast<int>(piece), reg);
    p += piece;
    n -= piece;
  }
  return ~reg;
}

}  // namespace warehouse::crc32c
