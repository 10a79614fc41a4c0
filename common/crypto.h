// The few cryptographic primitives the project uses, all from OpenSSL:
// random bytes from its CSPRNG, HMAC-SHA256, SHA-256 of a stream,
// constant-time comparison and strict lowercase hex. Signed URLs, request authentication, access keys
// and file id cookies are built on these and nothing else.
#ifndef WAREHOUSE_COMMON_CRYPTO_H_
#define WAREHOUSE_COMMON_CRYPTO_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace warehouse {

// Size of an HMAC-SHA256 tag in bytes.
inline constexpr size_t kHmacSha256Size = 32;

// Fills `buf[0, n)` from OpenSSL's CSPRNG (RAND_bytes). Errors: Internal
// when the generator fails (it could not be seeded); `buf` is then
// unspecified and must not be used.
absl::Status RandomFill(void* buf, size_t n);

// Returns `n` bytes from the CSPRNG. Errors: as RandomFill.
absl::StatusOr<std::string> RandomBytes(size_t n);

// Returns the 32-byte HMAC-SHA256 of `data` under `key`. Errors: Internal
// when OpenSSL fails (out of memory).
absl::StatusOr<std::string> HmacSha256(absl::string_view key,
                                       absl::string_view data);

// The SHA-256 of bytes that arrive in pieces, to check that a copy is the
// original (a metadata backup). Not thread-safe.
class Sha256 {
 public:
  // Errors: Internal when OpenSSL fails (out of memory).
  static absl::StatusOr<std::unique_ptr<Sha256>> Create();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  ~Sha256();

  void Update(absl::string_view data);
  // The 32-byte digest of everything passed to Update; call it once.
  // Errors: Internal when OpenSSL failed on the way.
  absl::StatusOr<std::string> Finish();

 private:
  explicit Sha256(void* context) : context_(context) {}

  void* const context_;  // an EVP_MD_CTX
  bool failed_ = false;
};

// True when `a` and `b` are equal, in time that depends only on their
// lengths (CRYPTO_memcmp). Use it for every comparison of a secret or a
// signature with an attacker-supplied value.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

// Lowercase hex of `bytes`, two digits per byte.
std::string HexEncode(absl::string_view bytes);

// Decodes lowercase hex. Errors: InvalidArgument for an odd length or any
// character outside [0-9a-f] (uppercase included: every hex string the
// project writes is lowercase, so uppercase means it was not ours).
absl::StatusOr<std::string> HexDecode(absl::string_view hex);

// Overwrites `secret`'s bytes with zeros in a way the compiler cannot
// elide (OPENSSL_cleanse), then clears it.
void WipeString(std::string* secret);

}  // namespace warehouse

#endif  // WAREHOUSE_COMMON_CRYPTO_H_
