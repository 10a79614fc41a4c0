// Access keys: the credentials clients (the SDK, the CLI) present to the
// master, shaped like S3's.
//
//   id:     "WH" and 18 characters of [A-Z0-9], 20 in all, e.g.
//           "WH4K2Q9ZJ7X1M0B8C6VT". Not secret; appears in logs.
//   secret: 40 characters of [A-Za-z0-9] (about 238 bits). Shown once, at
//           creation; the master keeps it sealed (common/secret_sealer.h)
//           and it never crosses the wire again: requests carry an HMAC
//           made with it (common/rpc_auth.h).
//
// A key has a role, admin or read-write, and a read-write key may be
// restricted to a list of buckets. docs/access_keys.md has the whole
// scheme.
#ifndef WAREHOUSE_COMMON_ACCESS_KEY_H_
#define WAREHOUSE_COMMON_ACCESS_KEY_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace warehouse {

inline constexpr char kAccessKeyIdPrefix[] = "WH";
inline constexpr size_t kAccessKeyIdLength = 20;
inline constexpr size_t kAccessKeySecretLength = 40;

// What a key may do.
enum class Role {
  kAdmin,      // everything, including the admin RPCs; never restricted
  kReadWrite,  // bucket and object RPCs, on all buckets or listed ones
};

// "admin" or "read-write", the names the CLI and the docs use.
absl::string_view RoleName(Role role);

// The inverse of RoleName. Errors: InvalidArgument for any other name.
absl::StatusOr<Role> ParseRole(absl::string_view name);

// A key's id and secret.
struct AccessKeyCredentials {
  std::string id;
  std::string secret;
};

// Returns a new key with id and secret from OpenSSL's CSPRNG. The caller
// must check that the id is not taken (it never should be: 18 random
// characters). Errors: Internal when the generator fails.
absl::StatusOr<AccessKeyCredentials> GenerateAccessKey();

// Errors: InvalidArgument when `id` is not "WH" followed by 18 characters
// of [A-Z0-9].
absl::Status ValidateAccessKeyId(absl::string_view id);

// Errors: InvalidArgument when `secret` is not 40 characters of
// [A-Za-z0-9]. The message never contains the secret.
absl::Status ValidateAccessKeySecret(absl::string_view secret);

// What one key is allowed to touch. Copyable value; not thread-safe to
// mutate while shared.
struct AccessPolicy {
  Role role = Role::kReadWrite;
  // kReadWrite only: the buckets the key may touch; empty means all.
  std::vector<std::string> buckets;

  // Errors: InvalidArgument for an admin policy with a bucket list.
  absl::Status Validate() const;

  // True for admin keys.
  bool AllowsAdmin() const { return role == Role::kAdmin; }

  // True when the key may read and write objects of `bucket`, create it
  // and delete it.
  bool AllowsBucket(absl::string_view bucket) const;
};

}  // namespace warehouse

#endif  // WAREHOUSE_COMMON_ACCESS_KEY_H_
