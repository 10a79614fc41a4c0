#include "common/file_id.h"

#include <set>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "catch2/catch.hpp"

namespace warehouse {
namespace {

TEST_CASE("a file id prints as volume, needle hex and 8 cookie digits",
          "[common][file_id]") {
  const FileId id{7, 0x1f, 0x9a3b4c5d};
  CHECK(id.ToString() == "7,1f9a3b4c5d");
  absl::StatusOr<FileId> parsed = FileId::Parse("7,1f9a3b4c5d");
  REQUIRE(parsed.ok());
  CHECK(*parsed == id);
}

TEST_CASE("file ids round-trip at the extremes of every field",
          "[common][file_id]") {
  const FileId ids[] = {
      {1, 0, 0},  // needle 0 is "0", cookie padded
      {1, 0x1, 0x1},
      {UINT32_MAX, UINT64_MAX, UINT32_MAX},
      {42, 0x100000000ull, 0xdeadbeef},
      {1000000, 0xabcdef0123456789ull, 0x00000fff},
  };
  for (const FileId& id : ids) {
    const std::string text = id.ToString();
    INFO(text);
    CHECK(text.size() <= FileId::kMaxTextLength);
    absl::StatusOr<FileId> parsed = FileId::Parse(text);
    REQUIRE(parsed.ok());
    CHECK(*parsed == id);
  }
  CHECK(FileId{1, 0, 0}.ToString() == "1,000000000");
  CHECK(FileId{UINT32_MAX, UINT64_MAX, UINT32_MAX}.ToString() ==
        "4294967295,ffffffffffffffffffffffff");
  CHECK(FileId{1, 0xa, 0x5}.ToString() == "1,a00000005");
}

TEST_CASE("every malformed file id is refused with the reason",
          "[common][file_id]") {
  struct Case {
    std::string text;
    std::string reason;
  };
  const Case cases[] = {
      {"", "empty"},
      {"7", "no ','"},
      {"71f9a3b4c5d", "no ','"},
      {",1f9a3b4c5d", "volume id is empty"},
      {"7a,1f9a3b4c5d", "volume id has a character other than 0-9"},
      {"-7,1f9a3b4c5d", "volume id has a character other than 0-9"},
      {"+7,1f9a3b4c5d", "volume id has a character other than 0-9"},
      {" 7,1f9a3b4c5d", "volume id has a character other than 0-9"},
      {"07,1f9a3b4c5d", "volume id has a leading zero"},
      {"0,1f9a3b4c5d", "volume id 0 is reserved"},
      {"4294967296,1f9a3b4c5d", "volume id exceeds 32 bits"},
      {"99999999999,1f9a3b4c5d", "volume id exceeds 32 bits"},
      {"7,1F9a3b4c5d", "uppercase"},
      {"7,1f9A3B4C5D", "uppercase"},
      {"7,1f9a3b4c5g", "character other than 0-9 and a-f"},
      {"7,1f9a3b4c5d ", "character other than 0-9 and a-f"},
      {"7,1f,9a3b4c5d", "character other than 0-9 and a-f"},
      {"7,0x1f9a3b4c5d", "character other than 0-9 and a-f"},
      {"7,", "at least one needle id digit and 8 cookie digits"},
      {"7,9a3b4c5d", "at least one needle id digit and 8 cookie digits"},
      {"7,01f9a3b4c5d", "needle id has a leading zero"},
      {"7,00000000000", "needle id has a leading zero"},
      {"7,1ffffffffffffffff9a3b4c5d", "needle id exceeds 64 bits"},
      {"4294967295,ffffffffffffffffffffffff0", "longer than 35 characters"},
      {std::string(1000, '1'), "longer than 35 characters"},
  };
  for (const Case& c : cases) {
    INFO("input: \"" << c.text << "\"");
    absl::StatusOr<FileId> parsed = FileId::Parse(c.text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(parsed.status().message()),
               Catch::Contains(c.reason) && Catch::StartsWith("file id \""));
  }
}

TEST_CASE("a refused file id is quoted escaped and cut short in the message",
          "[common][file_id]") {
  absl::StatusOr<FileId> parsed =
      FileId::Parse(std::string("7,\n") + std::string(100, 'z'));
  REQUIRE_FALSE(parsed.ok());
  const std::string message(parsed.status().message());
  CHECK_THAT(message, Catch::Contains("\\n"));
  CHECK_THAT(message, Catch::Contains("...\""));
  CHECK(message.size() < 120);
}

TEST_CASE("file ids hash and compare by all three fields",
          "[common][file_id]") {
  absl::flat_hash_set<FileId> set = {
      {1, 2, 3}, {1, 2, 4}, {1, 3, 3}, {2, 2, 3}};
  CHECK(set.size() == 4);
  CHECK(set.contains(FileId{1, 2, 4}));
  CHECK(FileId{1, 2, 3} != FileId{1, 2, 4});
}

TEST_CASE("random cookies come from a generator, not a constant",
          "[common][file_id]") {
  std::set<uint32_t> seen;
  for (int i = 0; i < 64; ++i) {
    absl::StatusOr<uint32_t> cookie = RandomCookie();
    REQUIRE(cookie.ok());
    seen.insert(*cookie);
  }
  // 64 draws of 32 bits collide with probability below 1e-6.
  CHECK(seen.size() >= 63);
}

}  // namespace
}  // namespace warehouse
