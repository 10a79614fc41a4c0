#include "master/upload_id.h"

#include "catch2/catch.hpp"

namespace warehouse::master {
namespace {

TEST_CASE("an upload id is its number, volume and cookie in 32 hex digits",
          "[master][upload_id]") {
  const UploadId id{7, 3, 0x9a3b4c5d};
  CHECK(id.ToString() == "0000000000000007000000039a3b4c5d");
  absl::StatusOr<UploadId> parsed = UploadId::Parse(id.ToString());
  REQUIRE(parsed.ok());
  CHECK(parsed->number == 7);
  CHECK(parsed->volume_id == 3);
  CHECK(parsed->cookie == 0x9a3b4c5d);

  const UploadId largest{INT64_MAX, UINT32_MAX, UINT32_MAX};
  parsed = UploadId::Parse(largest.ToString());
  REQUIRE(parsed.ok());
  CHECK(parsed->number == INT64_MAX);
  CHECK(parsed->volume_id == UINT32_MAX);
}

TEST_CASE("malformed upload ids are refused with the reason",
          "[master][upload_id]") {
  auto refused = [](const std::string& text, const std::string& reason) {
    absl::StatusOr<UploadId> parsed = UploadId::Parse(text);
    INFO(text);
    REQUIRE(parsed.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(parsed.status().message()), Catch::Contains(reason));
  };
  refused("", "32 hex digits");
  refused("0000000000000007000000039a3b4c5", "32 hex digits");
  refused("0000000000000007000000039a3b4c5d0", "32 hex digits");
  refused("0000000000000007000000039A3B4C5D", "0-9 a-f");
  refused("000000000000000700000003-a3b4c5d", "0-9 a-f");
  refused("0000000000000000000000039a3b4c5d", "upload number");
  refused("8000000000000000000000039a3b4c5d", "upload number");
}

}  // namespace
}  // namespace warehouse::master
