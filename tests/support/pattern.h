// Test bytes whose every position matters.
#ifndef WAREHOUSE_TESTS_SUPPORT_PATTERN_H_
#define WAREHOUSE_TESTS_SUPPORT_PATTERN_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace warehouse::testing {

// `n` pseudo-random bytes from `seed` (xorshift): a shifted, repeated or
// dropped block changes the checksum, and two seeds give different bytes.
std::string Pattern(size_t n, uint64_t seed);

}  // namespace warehouse::testing

#endif  // WAREHOUSE_TESTS_SUPPORT_PATTERN_H_
