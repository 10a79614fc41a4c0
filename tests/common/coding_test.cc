#include "common/coding.h"

#include "catch2/catch.hpp"

namespace warehouse {
namespace {

TEST_CASE("fixed-width integers are stored little-endian", "[common]") {
  char buf[8];
  EncodeFixed32(buf, 0x01020304u);
  CHECK(std::string(buf, 4) == std::string("\x04\x03\x02\x01", 4));
  EncodeFixed64(buf, 0x0102030405060708ull);
  CHECK(std::string(buf, 8) ==
        std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8));
  EncodeFixed16(buf, 0xabcd);
  CHECK(static_cast<unsigned char>(buf[0]) == 0xcd);
}

TEST_CASE("fixed-width integers round-trip at their extremes", "[common]") {
  char buf[8];
  for (uint64_t v : {0ull, 1ull, 0xffull, 0x8000000000000000ull, ~0ull}) {
    EncodeFixed64(buf, v);
    CHECK(DecodeFixed64(buf) == v);
  }
  for (uint32_t v : {0u, 0x80u, 0xffffffffu}) {
    EncodeFixed32(buf, v);
    CHECK(DecodeFixed32(buf) == v);
  }
  EncodeFixed16(buf, 0xffff);
  CHECK(DecodeFixed16(buf) == 0xffff);
}

}  // namespace
}  // namespace warehouse
