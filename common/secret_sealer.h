// Sealing: authenticated encryption of small secrets (access key secrets)
// for storage in the master's database.
//
// The master must keep each access key's secret to verify request HMACs,
// but a copy of its database must not give the secrets away. So secrets are
// stored sealed with AES-256-GCM under a key derived from the cluster key:
//
//   seal key = HKDF-SHA256(ikm = cluster secret, salt = "warehouse",
//                          info = "warehouse access key sealing v1"), 32 bytes
//
// Sealed form (binary, stored as a BLOB):
//
//   version     1 byte   0x01
//   id length   1 byte   n, 1..32
//   key id      n bytes  the cluster key that sealed it
//   nonce      12 bytes  random per seal
//   ciphertext  as long as the secret
//   tag        16 bytes  GCM tag
//
// The additional authenticated data is "WAREHOUSE-SEAL-V1\n", then the
// version, id length and key id bytes, then the caller's context (the
// access key id), so a sealed secret cannot be moved to another key's row
// nor relabelled with another cluster key id. docs/access_keys.md has the
// details and how a cluster key rotation keeps old rows readable.
#ifndef WAREHOUSE_COMMON_SECRET_SEALER_H_
#define WAREHOUSE_COMMON_SECRET_SEALER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/key_ring.h"

namespace warehouse {

// Seals with the key ring's primary key; unseals with whichever key sealed.
// Thread-safe (immutable after Create). Move-only; derived keys are wiped
// on destruction.
class SecretSealer {
 public:
  static constexpr size_t kMaxSecretSize = 4096;

  // Derives a sealing key from every key of `keys`. Errors: Internal when
  // OpenSSL fails.
  static absl::StatusOr<SecretSealer> Create(const KeyRing& keys);

  SecretSealer(SecretSealer&& other) = default;
  SecretSealer& operator=(SecretSealer&& other);
  SecretSealer(const SecretSealer&) = delete;
  SecretSealer& operator=(const SecretSealer&) = delete;
  ~SecretSealer();

  // Returns `secret` sealed and bound to `context`. Errors:
  // InvalidArgument when `secret` is longer than kMaxSecretSize; Internal
  // when OpenSSL or the random generator fails.
  absl::StatusOr<std::string> Seal(absl::string_view secret,
                                   absl::string_view context) const;

  // Returns the secret in `sealed` if it was sealed with `context` and has
  // not been altered. Errors: DataLoss when `sealed` is truncated, of an
  // unknown version, or fails authentication (altered, or sealed with
  // another context or another key of the same id); FailedPrecondition
  // when the cluster key that sealed it is no longer in the key ring
  // (restore it as a non-primary key); Internal when OpenSSL fails.
  absl::StatusOr<std::string> Unseal(absl::string_view sealed,
                                     absl::string_view context) const;

 private:
  struct DerivedKey {
    std::string key_id;
    std::string aes_key;  // 32 bytes
  };

  explicit SecretSealer(std::vector<DerivedKey> keys)
      : keys_(std::move(keys)) {}
  void Wipe();

  std::vector<DerivedKey> keys_;  // [0] derives from the primary key
};

}  // namespace warehouse

#endif  // WAREHOUSE_COMMON_SECRET_SEALER_H_
