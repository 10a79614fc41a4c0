#include "common/http_target.h"

#include "absl/strings/match.h"
#include "catch2/catch.hpp"

namespace warehouse::http {
namespace {

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
  // A bad escape names the part it is in.
  CHECK(absl::StrContains(ParseTarget("/a%zz", &path, &query).message(),
                          "path: bad percent escape at byte 2"));
  CHECK(absl::StrContains(ParseTarget("/a?b=1&c=%4", &path, &query).message(),
                          "query parameter 'c': bad percent escape"));
}

}  // namespace
}  // namespace warehouse::http
