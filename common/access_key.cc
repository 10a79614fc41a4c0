#include "common/access_key.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/status_macros.h"

namespace warehouse {
namespace {

constexpr absl::string_view kIdAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
constexpr absl::string_view kSecretAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

// Returns `n` characters drawn uniformly from `alphabet` (at most 256
// characters) by rejection sampling, so no character is more likely than
// another.
absl::StatusOr<std::string> RandomString(absl::string_view alphabet, size_t n) {
  // The largest multiple of the alphabet size that fits in a byte: bytes at
  // or above it are rejected.
  const unsigned limit = 256 - 256 % alphabet.size();
  std::string out;
  out.reserve(n);
  unsigned char buf[64];
  while (out.size() < n) {
    RETURN_IF_ERROR(RandomFill(buf, sizeof(buf)));
    for (unsigned char b : buf) {
      if (b >= limit) continue;
      out.push_back(alphabet[b % alphabet.size()]);
      if (out.size() == n) break;
    }
  }
  // The bytes drew a secret: leave no copy on the stack.
  OPENSSL_cleanse(buf, sizeof(buf));
  return out;
}

bool AllIn(absl::string_view text, absl::string_view alphabet) {
  return std::all_of(text.begin(), text.end(), [alphabet](char c) {
    return alphabet.find(c) != absl::string_view::npos;
  });
}

}  // namespace

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kReadWrite:
      return "read-write";
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  if (name == "admin") return Role::kAdmin;
  if (name == "read-write") return Role::kReadWrite;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown role \"", name.substr(0, 32), "\": use admin or read-write"));
}

absl::StatusOr<AccessKeyCredentials> GenerateAccessKey() {
  const size_t random_chars =
      kAccessKeyIdLength - (sizeof(kAccessKeyIdPrefix) - 1);
  ASSIGN_OR_RETURN(std::string id_tail,
                   RandomString(kIdAlphabet, random_chars));
  ASSIGN_OR_RETURN(std::string secret,
                   RandomString(kSecretAlphabet, kAccessKeySecretLength));
  return AccessKeyCredentials{absl::StrCat(kAccessKeyIdPrefix, id_tail),
                              std::move(secret)};
}

absl::Status ValidateAccessKeyId(absl::string_view id) {
  if (id.size() != kAccessKeyIdLength ||
      !absl::StartsWith(id, kAccessKeyIdPrefix) ||
      !AllIn(id.substr(sizeof(kAccessKeyIdPrefix) - 1), kIdAlphabet)) {
    return absl::InvalidArgumentError(
        absl::StrCat("access key id must be \"", kAccessKeyIdPrefix, "\" and ",
                     kAccessKeyIdLength - (sizeof(kAccessKeyIdPrefix) - 1),
                     " characters of A-Z and 0-9"));
  }
  return absl::OkStatus();
}

absl::Status ValidateAccessKeySecret(absl::string_view secret) {
  if (secret.size() != kAccessKeySecretLength ||
      !AllIn(secret, kSecretAlphabet)) {
    return absl::InvalidArgumentError(absl::StrCat("secret access key must be ",
                                                   kAccessKeySecretLength,
                                                   " letters and digits"));
  }
  return absl::OkStatus();
}

absl::Status AccessPolicy::Validate() const {
  if (role == Role::kAdmin && !buckets.empty()) {
    return absl::InvalidArgumentError(
        "an admin key applies to every bucket; it cannot have a bucket list");
  }
  return absl::OkStatus();
}

bool AccessPolicy::AllowsBucket(absl::string_view bucket) const {
  if (role == Role::kAdmin || buckets.empty()) return true;
  return std::find(buckets.begin(), buckets.end(), bucket) != buckets.end();
}

}  // namespace warehouse
