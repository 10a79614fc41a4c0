// Object data for benchmark writes, and the check that what is read back is
// what was written.
//
// All objects of one size share a block of pseudo-random bytes; each has its
// id stamped over the first 8 bytes (little-endian). Any object's expected
// bytes are therefore known without keeping a copy, and a read that returns
// another object's bytes, a short object or a flipped bit is caught.
#ifndef WAREHOUSE_TOOLS_PAYLOAD_H_
#define WAREHOUSE_TOOLS_PAYLOAD_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace warehouse::bench {

// Immutable after construction; thread-safe.
class Payload {
 public:
  static constexpr size_t kStampSize = 8;

  // REQUIRES: size >= kStampSize.
  explicit Payload(size_t size);

  size_t size() const { return block_.size(); }

  // The bytes of object `id`.
  std::string For(uint64_t id) const;
  // Turns `*buffer`, which holds For(some id), into For(id) by rewriting the
  // stamp only: cheap for large objects.
  static void Restamp(uint64_t id, std::string* buffer);

  // OK when `data` equals For(id). Errors: FailedPrecondition, with a message
  // "self-check failed: <store> object <id>: ..." saying what differs.
  absl::Status Check(absl::string_view store, uint64_t id,
                     absl::string_view data) const;

 private:
  std::string block_;
};

// The cookie the benchmark gives needle `id`.
inline uint32_t CookieFor(uint64_t id) {
  return static_cast<uint32_t>(id * 0x9e3779b97f4a7c15ULL >> 32);
}

// A small, fast pseudo-random generator (splitmix64) for picking ids and
// filling payloads; not thread-safe, one per thread.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n).
  uint64_t Below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * n) >>
                                 64);
  }

 private:
  uint64_t state_;
};

}  // namespace warehouse::bench

#endif  // WAREHOUSE_TOOLS_PAYLOAD_H_
