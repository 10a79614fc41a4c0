#include "common/http_range.h"

#include "catch2/catch.hpp"
#include "common/status_mapping.h"

namespace warehouse {
namespace {

TEST_CASE("byte ranges resolve against the object size", "[common][http]") {
  struct Case {
    const char* header;
    uint64_t size;
    uint64_t first, last;
  };
  for (const Case& c : std::vector<Case>{
           {"bytes=0-0", 10, 0, 0},
           {"bytes=0-9", 10, 0, 9},
           {"bytes=2-5", 10, 2, 5},
           {"bytes=5-100", 10, 5, 9},     // last clipped
           {"bytes=7-", 10, 7, 9},        // open end
           {"bytes=-3", 10, 7, 9},        // suffix
           {"bytes=-30", 10, 0, 9},       // suffix longer than the object
           {"Bytes=1-2", 10, 1, 2},       // unit is case-insensitive
           {" bytes= 1 - 2 ", 10, 1, 2},  // optional whitespace
           // A last position or suffix beyond 64 bits still means the end.
           {"bytes=0-18446744073709551615", 10, 0, 9},
           {"bytes=0-18446744073709551616", 10, 0, 9},
           {"bytes=3-99999999999999999999999999", 10, 3, 9},
           {"bytes=-18446744073709551616", 10, 0, 9},
           {"bytes=00000000000000000000002-3", 10, 2, 3},
       }) {
    INFO(c.header);
    auto range = ParseRangeHeader(c.header, c.size);
    INFO(range.status().ToString());
    REQUIRE(range.ok());
    REQUIRE(range->has_value());
    CHECK((*range)->first == c.first);
    CHECK((*range)->last == c.last);
  }
}

TEST_CASE("a range in a unit other than bytes is ignored", "[common][http]") {
  // RFC 9110, section 14.2: the whole object is served.
  for (const char* header :
       {"items=0-1", "", "=0-1", "lines=1,2", "bytesx=0-1"}) {
    INFO(header);
    auto range = ParseRangeHeader(header, 10);
    REQUIRE(range.ok());
    CHECK_FALSE(range->has_value());
  }
}

TEST_CASE("malformed ranges are invalid arguments", "[common][http]") {
  for (const char* header :
       {"bytes", "bytes=", "bytes=-", "bytes=a-b", "bytes=1", "bytes=5-2",
        "bytes=+1-2", "bytes=1--2", "bytes=-x", "bytes=99999999999999999999-5",
        "bytes=0-18446744073709551616x"}) {
    INFO(header);
    CHECK(ParseRangeHeader(header, 10).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("unsatisfiable and multiple ranges are refused with 416",
          "[common][http]") {
  for (auto [header, size] : std::vector<std::pair<const char*, uint64_t>>{
           {"bytes=10-", 10},
           {"bytes=10-20", 10},
           {"bytes=-0", 10},
           {"bytes=0-0", 0},
           {"bytes=-5", 0},
           {"bytes=0-1,3-4", 10},
           {"bytes=99999999999999999999-", 10},
           {"bytes=18446744073709551616-18446744073709551617", 10}}) {
    INFO(header << " of " << size);
    auto range = ParseRangeHeader(header, size);
    REQUIRE_FALSE(range.ok());
    CHECK(IsRangeNotSatisfiable(range.status()));
    CHECK(HttpStatusCode(range.status()) == 416);
  }
}

}  // namespace
}  // namespace warehouse
