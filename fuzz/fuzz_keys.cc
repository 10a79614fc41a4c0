#include "fuzz/fuzz_keys.h"

#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "fuzz/fuzz_check.h"

namespace warehouse::fuzz {
namespace {

// 32 bytes, each `seed` plus its index.
std::string Secret(char seed) {
  std::string secret(KeyRing::kMinSecretSize, '\0');
  for (size_t i = 0; i < secret.size(); ++i) {
    secret[i] = static_cast<char>(seed + static_cast<char>(i));
  }
  return secret;
}

const KeyRing& Make(std::vector<KeyRing::Key> keys) {
  absl::StatusOr<KeyRing> ring = KeyRing::Create(std::move(keys));
  FUZZ_CHECK_OK(ring.status());
  // Lives for the whole process, like the key ring of a server.
  return *new KeyRing(*std::move(ring));
}

}  // namespace

const KeyRing& FuzzKeyRing() {
  static const KeyRing& ring =
      Make({{"k1", Secret('\x10')}, {"k0", Secret('\x40')}});
  return ring;
}

const KeyRing& FuzzOldKeyRing() {
  static const KeyRing& ring =
      Make({{"k0", Secret('\x40')}, {"k1", Secret('\x10')}});
  return ring;
}

const KeyRing& FuzzForgedKeyRing() {
  static const KeyRing& ring =
      Make({{"k1", Secret('\x11')}, {"k0", Secret('\x41')}});
  return ring;
}

}  // namespace warehouse::fuzz
