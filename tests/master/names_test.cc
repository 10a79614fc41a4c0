#include "master/names.h"

#include <string>
#include <vector>

#include "catch2/catch.hpp"

namespace warehouse::master {
namespace {

TEST_CASE("good bucket names are accepted", "[master][names]") {
  for (const char* name : {"abc", "photos", "my-bucket", "my.bucket.example",
                           "a1b2c3", "123", "0-0", "a.b-c.d", "1.2.3",
                           "1.2.3.4.5", "192.168.5.4a", "x-n--abc", "xn-abc"}) {
    INFO(name);
    CHECK(ValidateBucketName(name).ok());
  }
  CHECK(ValidateBucketName(std::string(63, 'a')).ok());
}

TEST_CASE("bad bucket names are refused saying why", "[master][names]") {
  struct Case {
    std::string name;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"", "0 characters long"},
      {"ab", "2 characters long"},
      {std::string(64, 'a'), "64 characters long"},
      {"Photos", "'P' at position 0 is not allowed"},
      {"my_bucket", "'_' at position 2 is not allowed"},
      {"my bucket", "' ' at position 2 is not allowed"},
      {"caf\xc3\xa9", "byte 0xc3 at position 3 is not allowed"},
      {"-abc", "must start with a lowercase letter or digit"},
      {".abc", "must start with a lowercase letter or digit"},
      {"abc-", "must end with a lowercase letter or digit"},
      {"abc.", "must end with a lowercase letter or digit"},
      {"a..b", "two dots in a row at position 1"},
      {"192.168.5.4", "formatted as an IP address"},
      {"10.0.0.1", "formatted as an IP address"},
      {"xn--bcher-kva", "reserved for internationalized domain names"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    absl::Status status = ValidateBucketName(c.name);
    REQUIRE(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(status.message()), Catch::Contains(c.reason));
    CHECK_THAT(std::string(status.message()),
               Catch::Contains("\"" + c.name + "\""));
  }
}

TEST_CASE("object keys of 1024 bytes are accepted and 1025 refused",
          "[master][names]") {
  CHECK(ValidateObjectKey(std::string(1024, 'k')).ok());
  absl::Status status = ValidateObjectKey(std::string(1025, 'k'));
  REQUIRE(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(status.message()), Catch::Contains("1025 bytes"));
  // The limit counts bytes, not characters: 512 two-byte characters fit.
  std::string accents;
  for (int i = 0; i < 512; ++i) accents += "\xc3\xa9";
  CHECK(ValidateObjectKey(accents).ok());
  CHECK_FALSE(ValidateObjectKey(accents + "x").ok());
}

TEST_CASE("object keys are any valid UTF-8 without NUL", "[master][names]") {
  for (const char* key : {"../x", "a//b", "/", ".", " ", "\xe2\x82\xac",
                          "\xf0\x9f\x98\x80 smile", "tab\there", "\x01"}) {
    INFO(key);
    CHECK(ValidateObjectKey(key).ok());
  }
  absl::Status empty = ValidateObjectKey("");
  CHECK(empty.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(empty.message()), Catch::Contains("empty"));

  absl::Status nul = ValidateObjectKey(std::string("a\0b", 3));
  CHECK(nul.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(nul.message()),
             Catch::Contains("NUL byte at offset 1"));

  absl::Status bad = ValidateObjectKey("ok\xff");
  CHECK(bad.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(bad.message()), Catch::Contains("not valid UTF-8"));
  CHECK_THAT(std::string(bad.message()), Catch::Contains("offset 2"));
}

TEST_CASE("ill-formed UTF-8 is found at its first byte", "[master][names]") {
  struct Case {
    std::string text;
    size_t bad_offset;
  };
  const std::vector<Case> cases = {
      {"plain ascii", 11},
      {"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9},  // all valid
      {"a\x80", 1},                                 // lone continuation
      {"a\xc3", 1},                                 // truncated
      {"ab\xe2\x82", 2},                            // truncated
      {"\xc0\xaf", 0},                              // overlong '/'
      {"\xe0\x80\xaf", 0},                          // overlong '/'
      {"\xf0\x80\x80\xaf", 0},                      // overlong '/'
      {"x\xed\xa0\x80", 1},                         // surrogate U+D800
      {"\xf4\x90\x80\x80", 0},                      // U+110000
      {"\xf5\x80\x80\x80", 0},                      // lead byte past 0xf4
      {"\xc3(", 0},                                 // bad continuation
  };
  for (const Case& c : cases) {
    INFO(c.text);
    CHECK(FindInvalidUtf8(c.text) == c.bad_offset);
  }
}

TEST_CASE("prefixes and delimiters may be empty but not malformed",
          "[master][names]") {
  CHECK(ValidateKeyFragment("prefix", "").ok());
  CHECK(ValidateKeyFragment("delimiter", "/").ok());
  CHECK(ValidateKeyFragment("prefix", std::string(1025, 'p')).code() ==
        absl::StatusCode::kInvalidArgument);
  absl::Status bad = ValidateKeyFragment("delimiter", "\xff");
  CHECK(bad.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(bad.message()), Catch::StartsWith("delimiter"));
}

TEST_CASE("identifiers and content types are printable ASCII",
          "[master][names]") {
  CHECK(ValidateIdentifier("server id", "vs-1.example:8080").ok());
  CHECK(ValidateIdentifier("server id", "").code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(ValidateIdentifier("server id", "a b").code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(ValidateIdentifier("server id", std::string(129, 'x')).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(ValidateContentType("").ok());
  CHECK(ValidateContentType("text/plain; charset=utf-8").ok());
  CHECK(ValidateContentType("text/plain\r\nX-Evil: 1").code() ==
        absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace warehouse::master
