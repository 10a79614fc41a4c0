#include "common/secret_sealer.h"

#include <string>
#include <utility>

#include "catch2/catch.hpp"

namespace warehouse {
namespace {

constexpr char kContext[] = "WH00000000000000TEST";
constexpr char kSecret[] = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12";

KeyRing MakeRing(std::vector<KeyRing::Key> keys) {
  absl::StatusOr<KeyRing> ring = KeyRing::Create(std::move(keys));
  REQUIRE(ring.ok());
  return std::move(*ring);
}

SecretSealer MakeSealer(const KeyRing& ring) {
  absl::StatusOr<SecretSealer> sealer = SecretSealer::Create(ring);
  REQUIRE(sealer.ok());
  return std::move(*sealer);
}

TEST_CASE("a sealed secret unseals to itself and hides it",
          "[common][secret_sealer]") {
  const KeyRing ring = MakeRing({{"k1", std::string(32, '\x11')}});
  const SecretSealer sealer = MakeSealer(ring);
  absl::StatusOr<std::string> sealed = sealer.Seal(kSecret, kContext);
  REQUIRE(sealed.ok());
  // version, id length, "k1", nonce, ciphertext, tag
  CHECK(sealed->size() == 1 + 1 + 2 + 12 + 40 + 16);
  CHECK(sealed->find("k1") == 2);
  CHECK(sealed->find("wJalr") == std::string::npos);
  absl::StatusOr<std::string> unsealed = sealer.Unseal(*sealed, kContext);
  REQUIRE(unsealed.ok());
  CHECK(*unsealed == kSecret);

  // A fresh nonce every time: the same secret never seals the same way.
  absl::StatusOr<std::string> again = sealer.Seal(kSecret, kContext);
  REQUIRE(again.ok());
  CHECK(*again != *sealed);

  absl::StatusOr<std::string> empty = sealer.Seal("", kContext);
  REQUIRE(empty.ok());
  CHECK(*sealer.Unseal(*empty, kContext) == "");
  CHECK(
      sealer.Seal(std::string(SecretSealer::kMaxSecretSize + 1, 'x'), kContext)
          .status()
          .code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("any altered byte of a sealed secret is detected",
          "[common][secret_sealer]") {
  const KeyRing ring = MakeRing({{"k1", std::string(32, '\x11')}});
  const SecretSealer sealer = MakeSealer(ring);
  const std::string sealed = *sealer.Seal(kSecret, kContext);
  for (size_t i = 0; i < sealed.size(); ++i) {
    for (unsigned char flip : {0x01, 0x80}) {
      std::string tampered = sealed;
      tampered[i] = static_cast<char>(tampered[i] ^ flip);
      absl::StatusOr<std::string> result = sealer.Unseal(tampered, kContext);
      INFO("byte " << i << " flipped with " << static_cast<int>(flip));
      REQUIRE_FALSE(result.ok());
      if (i >= 1 && i <= 3) {
        // The id length or key id changed: it names a key the ring does not
        // have, or the header no longer parses.
        CHECK(
            (result.status().code() == absl::StatusCode::kFailedPrecondition ||
             result.status().code() == absl::StatusCode::kDataLoss));
      } else {
        CHECK(result.status().code() == absl::StatusCode::kDataLoss);
      }
    }
  }
}

TEST_CASE("a truncated or extended sealed secret is detected",
          "[common][secret_sealer]") {
  const KeyRing ring = MakeRing({{"k1", std::string(32, '\x11')}});
  const SecretSealer sealer = MakeSealer(ring);
  const std::string sealed = *sealer.Seal(kSecret, kContext);
  for (size_t n = 0; n < sealed.size(); ++n) {
    INFO("first " << n << " bytes");
    CHECK(sealer.Unseal(sealed.substr(0, n), kContext).status().code() ==
          absl::StatusCode::kDataLoss);
  }
  CHECK(sealer.Unseal(sealed + "x", kContext).status().code() ==
        absl::StatusCode::kDataLoss);
}

TEST_CASE("a sealed secret is bound to its access key and cluster key",
          "[common][secret_sealer]") {
  const KeyRing ring = MakeRing({{"k1", std::string(32, '\x11')}});
  const SecretSealer sealer = MakeSealer(ring);
  const std::string sealed = *sealer.Seal(kSecret, kContext);
  CHECK(sealer.Unseal(sealed, "WH00000000000000OTHR").status().code() ==
        absl::StatusCode::kDataLoss);

  // Same key id, different secret: a database restored into another
  // cluster cannot be read there.
  const KeyRing other = MakeRing({{"k1", std::string(32, '\x22')}});
  CHECK(MakeSealer(other).Unseal(sealed, kContext).status().code() ==
        absl::StatusCode::kDataLoss);
}

TEST_CASE("secrets sealed before a cluster key rotation stay readable",
          "[common][secret_sealer]") {
  const std::string old_secret(32, '\x11');
  const std::string new_secret(32, '\x33');
  const KeyRing before = MakeRing({{"k1", old_secret}});
  const KeyRing during = MakeRing({{"k2", new_secret}, {"k1", old_secret}});
  const KeyRing after = MakeRing({{"k2", new_secret}});

  const std::string old_sealed = *MakeSealer(before).Seal(kSecret, kContext);
  const SecretSealer rotating = MakeSealer(during);
  CHECK(*rotating.Unseal(old_sealed, kContext) == kSecret);
  const std::string new_sealed = *rotating.Seal(kSecret, kContext);
  CHECK(new_sealed.substr(2, 2) == "k2");
  CHECK(*MakeSealer(after).Unseal(new_sealed, kContext) == kSecret);

  absl::StatusOr<std::string> lost =
      MakeSealer(after).Unseal(old_sealed, kContext);
  CHECK(lost.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(lost.status().message()),
             Catch::Contains("cluster key \"k1\""));
}

}  // namespace
}  // namespace warehouse
