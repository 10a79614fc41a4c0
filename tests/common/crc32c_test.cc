#include "common/crc32c.h"

#include <string>

#include "catch2/catch.hpp"

namespace warehouse {
namespace {

TEST_CASE("crc32c matches the standard check values", "[common]") {
  CHECK(crc32c::Value("123456789") == 0xe3069283u);
  CHECK(crc32c::Value("") == 0u);
  // RFC 3720 (iSCSI) test vectors: 32 bytes of zeros and of 0xff.
  CHECK(crc32c::Value(std::string(32, '\0')) == 0x8a9136aau);
  CHECK(crc32c::Value(std::string(32, '\xff')) == 0x62a8ab43u);
}

TEST_CASE("crc32c extends across pieces", "[common]") {
  std::string data = "hello, haystack needles";
  for (size_t split = 0; split <= data.size(); ++split) {
    uint32_t crc = crc32c::Value(data.data(), split);
    crc = crc32c::Extend(crc, data.data() + split, data.size() - split);
    CHECK(crc == crc32c::Value(data));
  }
}

}  // namespace
}  // namespace warehouse
