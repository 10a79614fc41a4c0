#include "common/percent_encoding.h"

#include <string>

#include "absl/strings/match.h"
#include "catch2/catch.hpp"

namespace warehouse {
namespace {

TEST_CASE("percent encoding escapes all but unreserved characters",
          "[common][percent]") {
  CHECK(PercentEncode("image/svg+xml") == "image%2Fsvg%2Bxml");
  CHECK(PercentEncode("a b;c=d~e.f_g-h") == "a%20b%3Bc%3Dd~e.f_g-h");
  CHECK(PercentEncode(std::string("\x00\xff", 2)) == "%00%FF");
  CHECK(PercentEncode("") == "");
}

TEST_CASE("percent decoding handles escapes in either case and plus signs",
          "[common][percent]") {
  CHECK(*PercentDecode("image%2fsvg%2Bxml") == "image/svg+xml");
  CHECK(*PercentDecode("a%20b%2fc%2F") == "a b/c/");
  CHECK(*PercentDecode("a+b") == "a+b");
  CHECK(*PercentDecode("a+b", /*plus_is_space=*/true) == "a b");
  CHECK(*PercentDecode("%2B", /*plus_is_space=*/true) == "+");
  CHECK(*PercentDecode("%00") == std::string(1, '\0'));
}

TEST_CASE("percent decoding refuses a '%' without two hex digits",
          "[common][percent]") {
  for (const char* bad : {"%", "%4", "%2", "%zz", "%g0", "a%g0", "%%", "ab%"}) {
    INFO(bad);
    const absl::StatusOr<std::string> decoded = PercentDecode(bad);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(absl::StrContains(decoded.status().message(),
                            "not followed by two hex digits"));
  }
  CHECK(absl::StrContains(PercentDecode("ab%zz").status().message(),
                          "at byte 2"));
}

TEST_CASE("percent encoding round-trips any bytes", "[common][percent]") {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  CHECK(*PercentDecode(PercentEncode(all)) == all);
  CHECK(*PercentDecode(PercentEncode(all), /*plus_is_space=*/true) == all);
}

}  // namespace
}  // namespace warehouse
