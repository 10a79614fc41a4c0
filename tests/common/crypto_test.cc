#include "common/crypto.h"

#include <string>

#include "catch2/catch.hpp"

namespace warehouse {
namespace {

TEST_CASE("hmac-sha256 matches the RFC 4231 test vectors", "[common][crypto]") {
  absl::StatusOr<std::string> mac =
      HmacSha256("Jefe", "what do ya want for nothing?");
  REQUIRE(mac.ok());
  CHECK(HexEncode(*mac) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  mac = HmacSha256(std::string(20, '\x0b'), "Hi There");
  REQUIRE(mac.ok());
  CHECK(HexEncode(*mac) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST_CASE("sha-256 of pieces matches the FIPS 180-2 test vectors",
          "[common][crypto]") {
  auto empty = Sha256::Create();
  REQUIRE(empty.ok());
  absl::StatusOr<std::string> digest = (*empty)->Finish();
  REQUIRE(digest.ok());
  CHECK(HexEncode(*digest) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // "abc" in two pieces is the digest of "abc".
  auto abc = Sha256::Create();
  REQUIRE(abc.ok());
  (*abc)->Update("a");
  (*abc)->Update("bc");
  digest = (*abc)->Finish();
  REQUIRE(digest.ok());
  CHECK(HexEncode(*digest) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("hex decodes only what hex encode writes", "[common][crypto]") {
  const std::string bytes("\x00\x01\x7f\x80\xfe\xff", 6);
  CHECK(HexEncode(bytes) == "00017f80feff");
  absl::StatusOr<std::string> decoded = HexDecode("00017f80feff");
  REQUIRE(decoded.ok());
  CHECK(*decoded == bytes);
  CHECK(HexDecode("").ok());
  for (const char* bad : {"0", "abc", "0A", "zz", "0x", "00 1"}) {
    INFO(bad);
    CHECK(HexDecode(bad).status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("constant-time comparison compares content and length",
          "[common][crypto]") {
  CHECK(ConstantTimeEquals("abc", "abc"));
  CHECK(ConstantTimeEquals("", ""));
  CHECK_FALSE(ConstantTimeEquals("abc", "abd"));
  CHECK_FALSE(ConstantTimeEquals("abc", "ab"));
  CHECK_FALSE(ConstantTimeEquals("", "a"));
}

TEST_CASE("random bytes differ between draws and wiping clears a secret",
          "[common][crypto]") {
  absl::StatusOr<std::string> a = RandomBytes(32);
  absl::StatusOr<std::string> b = RandomBytes(32);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->size() == 32);
  CHECK(*a != *b);
  WipeString(&*a);
  CHECK(a->empty());
}

}  // namespace
}  // namespace warehouse
