#include "common/units.h"

#include "catch2/catch.hpp"

namespace warehouse {
namespace {

TEST_CASE("byte sizes parse with binary suffixes", "[common]") {
  CHECK(*ParseByteSize("4096") == 4096);
  CHECK(*ParseByteSize("1K") == 1024);
  CHECK(*ParseByteSize("512m") == 512ull << 20);
  CHECK(*ParseByteSize("30G") == 30ull << 30);
  CHECK(*ParseByteSize("2TiB") == 2ull << 40);
  CHECK(*ParseByteSize(" 7b ") == 7);
  for (const char* bad : {"", "G", "-1", "1.5G", "12X", "99999999999999999999",
                          "20000000000000T"}) {
    INFO(bad);
    CHECK(ParseByteSize(bad).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("byte sizes format for people", "[common]") {
  CHECK(FormatBytes(0) == "0 B");
  CHECK(FormatBytes(1023) == "1023 B");
  CHECK(FormatBytes(1536) == "1.5 KiB");
  CHECK(FormatBytes(30ull << 30) == "30.0 GiB");
}

}  // namespace
}  // namespace warehouse
