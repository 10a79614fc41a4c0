#include "common/http_conditional.h"

#include <string>
#include <utility>
#include <vector>

#include "catch2/catch.hpp"

namespace warehouse::http {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Modified at 2026-12-07 10:39:57.250 UTC: HTTP dates drop the fraction.
const Validators kObject{"\"0245d7b1\"",
                         absl::FromUnixMillis(int64_t{1796639997250})};
constexpr char kModified[] = "Mon, 07 Dec 2026 10:39:57 GMT";
constexpr char kBefore[] = "Mon, 07 Dec 2026 10:39:56 GMT";
constexpr char kAfter[] = "Mon, 07 Dec 2026 10:39:58 GMT";

Precondition Evaluate(Headers headers) {
  return ConditionalRequest(headers).Evaluate(kObject);
}

bool IfRangeHolds(Headers headers) {
  return ConditionalRequest(headers).RangeHolds(kObject);
}

TEST_CASE("HTTP dates parse in the three formats of RFC 9110",
          "[http][conditional]") {
  absl::Time time;
  REQUIRE(ParseHttpDate(kModified, &time));
  CHECK(time == absl::FromUnixSeconds(1796639997));
  REQUIRE(ParseHttpDate("Monday, 07-Dec-26 10:39:57 GMT", &time));
  CHECK(time == absl::FromUnixSeconds(1796639997));
  REQUIRE(ParseHttpDate("Mon Dec  7 10:39:57 2026", &time));
  CHECK(time == absl::FromUnixSeconds(1796639997));
  for (const char* bad : {"", "yesterday", "1796639997",
                          "Mon, 07 Dec 2026 10:39:57 CET",
                          "Mon, 32 Dec 2026 10:39:57 GMT"}) {
    INFO(bad);
    CHECK_FALSE(ParseHttpDate(bad, &time));
  }
}

TEST_CASE("If-None-Match and If-Modified-Since answer 304 for a current copy",
          "[http][conditional]") {
  CHECK(Evaluate({}) == Precondition::kPass);
  CHECK(Evaluate({{"If-None-Match", "\"0245d7b1\""}}) ==
        Precondition::kNotModified);
  // Weak comparison, lists, "*", any case of the name.
  CHECK(Evaluate({{"if-none-match", "W/\"0245d7b1\""}}) ==
        Precondition::kNotModified);
  CHECK(Evaluate({{"If-None-Match", "\"x\", \"0245d7b1\""}}) ==
        Precondition::kNotModified);
  CHECK(Evaluate({{"If-None-Match", "\"x\""},
                  {"If-None-Match", "\"0245d7b1\""}}) ==
        Precondition::kNotModified);
  CHECK(Evaluate({{"If-None-Match", "*"}}) == Precondition::kNotModified);
  CHECK(Evaluate({{"If-None-Match", "\"0245d7b2\""}}) == Precondition::kPass);
  CHECK(Evaluate({{"If-None-Match", "0245d7b1"}}) == Precondition::kPass);

  CHECK(Evaluate({{"If-Modified-Since", kModified}}) ==
        Precondition::kNotModified);
  CHECK(Evaluate({{"If-Modified-Since", kAfter}}) ==
        Precondition::kNotModified);
  CHECK(Evaluate({{"If-Modified-Since", kBefore}}) == Precondition::kPass);
  CHECK(Evaluate({{"If-Modified-Since", "garbage"}}) == Precondition::kPass);
  // If-None-Match decides alone when both are sent.
  CHECK(Evaluate({{"If-None-Match", "\"other\""},
                  {"If-Modified-Since", kAfter}}) == Precondition::kPass);
}

TEST_CASE("If-Match and If-Unmodified-Since fail with 412 when they do not hold",
          "[http][conditional]") {
  CHECK(Evaluate({{"If-Match", "\"0245d7b1\""}}) == Precondition::kPass);
  CHECK(Evaluate({{"If-Match", "*"}}) == Precondition::kPass);
  CHECK(Evaluate({{"If-Match", "\"a\", \"0245d7b1\""}}) == Precondition::kPass);
  CHECK(Evaluate({{"If-Match", "\"other\""}}) == Precondition::kFailed);
  // Strong comparison: a weak tag never matches.
  CHECK(Evaluate({{"If-Match", "W/\"0245d7b1\""}}) == Precondition::kFailed);

  CHECK(Evaluate({{"If-Unmodified-Since", kModified}}) == Precondition::kPass);
  CHECK(Evaluate({{"If-Unmodified-Since", kBefore}}) == Precondition::kFailed);
  CHECK(Evaluate({{"If-Unmodified-Since", "garbage"}}) == Precondition::kPass);
  // If-Match decides alone when both are sent, and a failure comes before
  // a 304.
  CHECK(Evaluate({{"If-Match", "\"0245d7b1\""},
                  {"If-Unmodified-Since", kBefore}}) == Precondition::kPass);
  CHECK(Evaluate({{"If-Match", "\"other\""},
                  {"If-None-Match", "\"0245d7b1\""}}) == Precondition::kFailed);
}

TEST_CASE("If-Range keeps a Range only for the same object",
          "[http][conditional]") {
  CHECK(IfRangeHolds({}));
  CHECK(IfRangeHolds({{"If-Range", "\"0245d7b1\""}}));
  CHECK(IfRangeHolds({{"If-Range", kModified}}));
  CHECK_FALSE(IfRangeHolds({{"If-Range", "\"0245d7b2\""}}));
  CHECK_FALSE(IfRangeHolds({{"If-Range", "W/\"0245d7b1\""}}));
  CHECK_FALSE(IfRangeHolds({{"If-Range", kAfter}}));
  CHECK_FALSE(IfRangeHolds({{"If-Range", "garbage"}}));
}

}  // namespace
}  // namespace warehouse::http
