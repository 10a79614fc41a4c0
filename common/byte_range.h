// An inclusive byte range of an object, as in the HTTP Range header
// "bytes=first-last". Used by signed urls and the HTTP data path.
#ifndef WAREHOUSE_COMMON_BYTE_RANGE_H_
#define WAREHOUSE_COMMON_BYTE_RANGE_H_

#include <cstdint>

namespace warehouse {

struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive

  uint64_t length() const { return last - first + 1; }

  friend bool operator==(const ByteRange& a, const ByteRange& b) {
    return a.first == b.first && a.last == b.last;
  }
  friend bool operator!=(const ByteRange& a, const ByteRange& b) {
    return !(a == b);
  }
};

}  // namespace warehouse

#endif  // WAREHOUSE_COMMON_BYTE_RANGE_H_
