#include "common/rpc_auth.h"

#include <cctype>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "catch2/catch.hpp"

namespace warehouse {
namespace {

constexpr char kKeyId[] = "WHEXAMPLEKEY0000AAAA";
constexpr char kSecret[] = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12";
constexpr char kMethod[] = "/warehouse.v1.Master/ListBuckets";
const absl::Time kNow = absl::FromUnixSeconds(1700000000);

// Knows one access key, kKeyId, plus "WHOTHERKEY0000000000" with another
// secret; "WHBROKENSTORE0000000" makes the lookup itself fail.
absl::StatusOr<std::string> Lookup(absl::string_view key_id) {
  if (key_id == kKeyId) return std::string(kSecret);
  if (key_id == "WHOTHERKEY0000000000") return std::string(40, 'x');
  if (key_id == "WHBROKENSTORE0000000") {
    return absl::UnavailableError("metadata store: database is locked");
  }
  return absl::NotFoundError(absl::StrCat("access key ", key_id));
}

std::string Header(absl::Time at = kNow, absl::string_view method = kMethod,
                   absl::string_view secret = kSecret,
                   absl::string_view key_id = kKeyId) {
  absl::StatusOr<std::string> header =
      BuildAuthorization(key_id, secret, method, at);
  REQUIRE(header.ok());
  return *header;
}

absl::StatusOr<std::string> Verify(absl::string_view header,
                                   absl::Time now = kNow,
                                   absl::string_view method = kMethod) {
  return VerifyAuthorization(header, method, now, kDefaultMaxClockSkew, Lookup);
}

void CheckRefused(const absl::StatusOr<std::string>& result,
                  const std::string& reason) {
  REQUIRE_FALSE(result.ok());
  INFO(result.status().message());
  CHECK(result.status().code() == absl::StatusCode::kUnauthenticated);
  CHECK_THAT(std::string(result.status().message()), Catch::Contains(reason));
  CHECK_THAT(std::string(result.status().message()), !Catch::Contains(kSecret));
}

TEST_CASE("the authorization header matches the documented example",
          "[common][rpc_auth]") {
  CHECK(Header() ==
        "WAREHOUSE-HMAC-SHA256 Credential=WHEXAMPLEKEY0000AAAA, "
        "Timestamp=1700000000, Signature="
        "767da9b0f63fa19382daf67ee7d675fd115c78708f7c02ed5d777f7492b4d036");
}

TEST_CASE("a signed call authenticates as its key", "[common][rpc_auth]") {
  absl::StatusOr<std::string> key = Verify(Header());
  REQUIRE(key.ok());
  CHECK(*key == kKeyId);
}

TEST_CASE("calls are accepted within the clock skew window and not beyond",
          "[common][rpc_auth]") {
  const absl::Duration skew = kDefaultMaxClockSkew;
  CHECK(Verify(Header(kNow - skew)).ok());
  CHECK(Verify(Header(kNow + skew)).ok());
  CheckRefused(Verify(Header(kNow - skew - absl::Seconds(1))),
               "check the clocks");
  CheckRefused(Verify(Header(kNow + skew + absl::Seconds(1))),
               "check the clocks");
  CheckRefused(Verify(Header(kNow - absl::Hours(24))),
               "from the server's clock");
}

TEST_CASE("a wrong secret, another method or an altered field is refused",
          "[common][rpc_auth]") {
  const std::string mismatch = "signature does not match";
  CheckRefused(Verify(Header(kNow, kMethod, std::string(40, 'y'))), mismatch);
  CheckRefused(
      Verify(Header(kNow, "/warehouse.v1.Master/DeleteBucket"), kNow, kMethod),
      mismatch);
  CheckRefused(Verify(Header(), kNow, "/warehouse.v1.Master/DeleteBucket"),
               mismatch);
  const std::string good = Header();
  CheckRefused(Verify(absl::StrReplaceAll(
                   good, {{"Timestamp=1700000000", "Timestamp=1700000001"}})),
               mismatch);
  CheckRefused(
      Verify(absl::StrReplaceAll(good, {{kKeyId, "WHOTHERKEY0000000000"}})),
      mismatch);
  std::string flipped = good;
  flipped.back() = flipped.back() == '6' ? '7' : '6';
  CheckRefused(Verify(flipped), mismatch);
}

TEST_CASE("unknown keys are refused and lookup failures pass through",
          "[common][rpc_auth]") {
  CheckRefused(Verify(Header(kNow, kMethod, kSecret, "WHNOSUCHKEY000000000")),
               "unknown key WHNOSUCHKEY000000000");
  absl::StatusOr<std::string> broken =
      Verify(Header(kNow, kMethod, kSecret, "WHBROKENSTORE0000000"));
  CHECK(broken.status().code() == absl::StatusCode::kUnavailable);
}

TEST_CASE("missing and malformed authorization values are refused",
          "[common][rpc_auth]") {
  const std::string good = Header();
  const std::string sig = good.substr(good.find("Signature=") + 10);
  CheckRefused(Verify(""), "missing");
  CheckRefused(Verify("Bearer abc"), "scheme is not WAREHOUSE-HMAC-SHA256");
  CheckRefused(Verify(absl::StrReplaceAll(
                   good, {{"WAREHOUSE-HMAC-SHA256 ", "WAREHOUSE-HMAC-SHA1 "}})),
               "scheme is not");
  CheckRefused(Verify("WAREHOUSE-HMAC-SHA256 "), "not \"Credential=");
  CheckRefused(Verify(absl::StrReplaceAll(good, {{", ", ","}})),
               "not \"Credential=");
  CheckRefused(
      Verify(absl::StrCat("WAREHOUSE-HMAC-SHA256 Timestamp=1700000000, "
                          "Credential=",
                          kKeyId, ", Signature=", sig)),
      "not \"Credential=");
  CheckRefused(Verify(absl::StrReplaceAll(good, {{kKeyId, "bad key"}})),
               "credential is not a key id");
  CheckRefused(Verify(absl::StrReplaceAll(good, {{"1700000000", "17e8"}})),
               "timestamp is not unix seconds");
  CheckRefused(Verify(absl::StrReplaceAll(good, {{"1700000000", "-1"}})),
               "timestamp is not unix seconds");
  CheckRefused(
      Verify(absl::StrReplaceAll(good, {{"1700000000", "01700000000"}})),
      "timestamp is not unix seconds");
  CheckRefused(Verify(good.substr(0, good.size() - 2)),
               "signature is not 64 hex digits");
  std::string upper = good;
  for (size_t i = upper.size() - 64; i < upper.size(); ++i) {
    upper[i] = static_cast<char>(std::toupper(upper[i]));
  }
  REQUIRE(upper != good);
  CheckRefused(Verify(upper), "signature is not lowercase hex");
  CheckRefused(Verify(good + ", Extra=1"), "signature is not 64 hex digits");
}

TEST_CASE("cluster calls authenticate against the key ring",
          "[common][rpc_auth]") {
  absl::StatusOr<KeyRing> ring = KeyRing::Create(
      {{"k2", std::string(32, '\x02')}, {"k1", std::string(32, '\x01')}});
  REQUIRE(ring.ok());
  const SecretLookup lookup = KeyRingLookup(*ring);
  const std::string method = "/warehouse.v1.Cluster/Heartbeat";
  for (const KeyRing::Key& key : ring->keys()) {
    absl::StatusOr<std::string> header =
        BuildAuthorization(key.id, key.secret, method, kNow);
    REQUIRE(header.ok());
    absl::StatusOr<std::string> id = VerifyAuthorization(
        *header, method, kNow, kDefaultMaxClockSkew, lookup);
    REQUIRE(id.ok());
    CHECK(*id == key.id);
  }
  absl::StatusOr<std::string> stranger =
      BuildAuthorization("k3", std::string(32, '\x03'), method, kNow);
  REQUIRE(stranger.ok());
  CheckRefused(VerifyAuthorization(*stranger, method, kNow,
                                   kDefaultMaxClockSkew, lookup),
               "unknown key k3");
}

TEST_CASE("authorization is not built for malformed ids or methods",
          "[common][rpc_auth]") {
  for (const char* method :
       {"", "ListBuckets", "/warehouse.v1.Master", "//ListBuckets",
        "/warehouse.v1.Master/", "/a/b/c", "/a b/c"}) {
    INFO(method);
    CHECK(BuildAuthorization(kKeyId, kSecret, method, kNow).status().code() ==
          absl::StatusCode::kInvalidArgument);
  }
  CHECK(BuildAuthorization("", kSecret, kMethod, kNow).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(BuildAuthorization("a,b", kSecret, kMethod, kNow).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace warehouse
