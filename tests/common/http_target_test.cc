#include "common/http_target.h"

#include "catch2/catch.hpp"

namespace warehouse::http {
namespace {

TEST_CASE("percent decoding handles escapes, plus signs and bad escapes",
          "[common][http]") {
  CHECK(*PercentDecode("a%20b%2fc%2F", false) == "a b/c/");
  CHECK(*PercentDecode("a+b", false) == "a+b");
  CHECK(*PercentDecode("a+b", true) == "a b");
  CHECK(*PercentDecode("%00", false) == std::string(1, '\0'));
  for (const char* bad : {"%", "%2", "%zz", "a%g0", "%%"}) {
    INFO(bad);
    CHECK(PercentDecode(bad, false).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("percent encoding round-trips any bytes", "[common][http]") {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  CHECK(*PercentDecode(PercentEncode(all), true) == all);
  CHECK(PercentEncode("a b/c~d") == "a%20b%2Fc~d");
  CHECK(PercentEncodePath("/bucket/a b/c") == "/bucket/a%20b/c");
}

TEST_CASE("targets split into a decoded path and query", "[common][http]") {
  std::string path;
  std::multimap<std::string, std::string> query;
  REQUIRE(ParseTarget("/3,01637037d6?x=a%26b&x=2&empty=&flag&&=v", &path,
                      &query)
              .ok());
  CHECK(path == "/3,01637037d6");
  CHECK(query == std::multimap<std::string, std::string>{
                     {"x", "a&b"}, {"x", "2"}, {"empty", ""}, {"flag", ""},
                     {"", "v"}});
  REQUIRE(ParseTarget("/", &path, &query).ok());
  CHECK(path == "/");
  CHECK(query.empty());
}

TEST_CASE("targets that are not an origin-form path are refused",
          "[common][http]") {
  std::string path;
  std::multimap<std::string, std::string> query;
  for (const char* bad :
       {"", "*", "http://host/x", "relative", "/nul%00byte", "/x?y=%"}) {
    INFO(bad);
    CHECK(ParseTarget(bad, &path, &query).code() ==
          absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace warehouse::http
