#include "common/access_key.h"

#include <set>
#include <string>

#include "catch2/catch.hpp"

namespace warehouse {
namespace {

TEST_CASE("generated access keys have the documented shape and differ",
          "[common][access_key]") {
  std::set<std::string> ids;
  std::set<std::string> secrets;
  for (int i = 0; i < 32; ++i) {
    absl::StatusOr<AccessKeyCredentials> key = GenerateAccessKey();
    REQUIRE(key.ok());
    INFO(key->id);
    CHECK(key->id.size() == 20);
    CHECK(key->id.rfind("WH", 0) == 0);
    CHECK(ValidateAccessKeyId(key->id).ok());
    CHECK(key->secret.size() == 40);
    CHECK(ValidateAccessKeySecret(key->secret).ok());
    ids.insert(key->id);
    secrets.insert(key->secret);
  }
  CHECK(ids.size() == 32);
  CHECK(secrets.size() == 32);
}

TEST_CASE("access key ids and secrets of the wrong shape are refused",
          "[common][access_key]") {
  for (const char* id : {"", "WH", "WH123456789012345678X",
                         "WH12345678901234567", "AK123456789012345678",
                         "WHabcdefghijklmnopqr", "WH12345678901234567-"}) {
    INFO(id);
    CHECK(ValidateAccessKeyId(id).code() == absl::StatusCode::kInvalidArgument);
  }
  const std::string good_secret(40, 'a');
  CHECK(ValidateAccessKeySecret(good_secret).ok());
  for (const std::string& secret :
       {std::string(39, 'a'), std::string(41, 'a'), std::string(39, 'a') + "/",
        std::string(39, 'a') + "+", std::string(39, 'a') + " "}) {
    absl::Status status = ValidateAccessKeySecret(secret);
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(status.message()),
               !Catch::Contains(std::string(39, 'a')));
  }
}

TEST_CASE("roles have names that parse back", "[common][access_key]") {
  for (Role role : {Role::kAdmin, Role::kReadWrite}) {
    absl::StatusOr<Role> parsed = ParseRole(RoleName(role));
    REQUIRE(parsed.ok());
    CHECK(*parsed == role);
  }
  CHECK(RoleName(Role::kReadWrite) == "read-write");
  CHECK(ParseRole("root").status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(ParseRole("Admin").status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a key's policy decides which buckets it may touch",
          "[common][access_key]") {
  AccessPolicy admin{Role::kAdmin, {}};
  CHECK(admin.Validate().ok());
  CHECK(admin.AllowsAdmin());
  CHECK(admin.AllowsBucket("anything"));

  AccessPolicy everywhere{Role::kReadWrite, {}};
  CHECK(everywhere.Validate().ok());
  CHECK_FALSE(everywhere.AllowsAdmin());
  CHECK(everywhere.AllowsBucket("anything"));

  AccessPolicy restricted{Role::kReadWrite, {"photos", "logs"}};
  CHECK(restricted.Validate().ok());
  CHECK(restricted.AllowsBucket("photos"));
  CHECK(restricted.AllowsBucket("logs"));
  CHECK_FALSE(restricted.AllowsBucket("photo"));
  CHECK_FALSE(restricted.AllowsBucket(""));

  AccessPolicy bad_admin{Role::kAdmin, {"photos"}};
  CHECK(bad_admin.Validate().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace warehouse
