// The master's access keys: creating them (the secret is sealed with the
// cluster key ring before it is stored), listing and revoking them, and
// authenticating Master RPCs signed with them (docs/access_keys.md).
#ifndef WAREHOUSE_MASTER_ACCESS_KEYS_H_
#define WAREHOUSE_MASTER_ACCESS_KEYS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/access_key.h"
#include "common/secret_sealer.h"
#include "grpcpp/server_context.h"
#include "master/metadata_store.h"

namespace warehouse::master {

// Who made an authenticated call, and what the key allows.
struct Caller {
  std::string access_key_id;
  AccessRole role = AccessRole::kReadOnly;
  // The buckets the key may touch; empty for every bucket.
  std::vector<std::string> buckets;

  // Servers, volumes, compaction and keys.
  bool IsAdmin() const { return role == AccessRole::kAdmin; }
  // Creating and deleting buckets, uploading and deleting objects.
  bool MayWrite() const {
    return role == AccessRole::kAdmin || role == AccessRole::kReadWrite;
  }
  // Whether the key may touch `bucket` at all.
  bool MayUseBucket(absl::string_view bucket) const;
};

// What a call needs of the caller's key.
enum class Right {
  kRead,   // any key
  kWrite,  // admin or read-write
  kAdmin,  // admin
};

// Checks that `caller` has `right` for `action` (an RPC name or a
// dashboard request, for the message). Errors: PermissionDenied, saying
// which role is needed.
absl::Status CheckRight(const Caller& caller, absl::string_view action,
                        Right right);

// Checks the bucket name, then that `caller` may use the bucket. Errors:
// InvalidArgument; PermissionDenied.
absl::Status CheckBucketAccess(const Caller& caller, absl::string_view bucket);

// A key just created, with its secret (which is never available again).
struct NewAccessKey {
  AccessKey key;
  std::string secret;
};

// Thread-safe. `*store` and `*sealer` must outlive it.
class AccessKeys {
 public:
  struct Options {
    // How long an unsealed secret is reused before the key is read again.
    // A key revoked through this object is refused at once; one revoked in
    // the database by another process is refused within this time.
    absl::Duration cache_ttl = absl::Seconds(10);
  };

  AccessKeys(MetadataStore* store, const SecretSealer* sealer, Options options);
  AccessKeys(const AccessKeys&) = delete;
  AccessKeys& operator=(const AccessKeys&) = delete;

  // Creates a key with `role`, restricted to `buckets` (read-write keys
  // only; empty for every bucket). Errors: InvalidArgument (an admin key
  // with buckets, a bad bucket name, a description over 256 bytes or not
  // UTF-8); Internal (the random generator or sealing failed); the store's
  // errors.
  absl::StatusOr<NewAccessKey> Create(Role role,
                                      std::vector<std::string> buckets,
                                      std::string description);

  // Every key not revoked, by id.
  absl::StatusOr<std::vector<AccessKey>> ListActive();

  // Revokes a key; calls signed with it are refused from now on. Errors:
  // NotFound; FailedPrecondition (the last admin key).
  absl::Status Revoke(absl::string_view access_key_id) ABSL_LOCKS_EXCLUDED(mu_);

  // Authenticates the call `context` to `full_method`. Errors:
  // Unauthenticated (no or malformed credentials, an unknown or revoked
  // key, a wrong signature, a stale timestamp); Internal or
  // FailedPrecondition when a stored secret cannot be unsealed (the cluster
  // key that sealed it is missing from the key ring); Unavailable (the
  // database).
  absl::StatusOr<Caller> Authenticate(const grpc::ServerContextBase& context,
                                      absl::string_view full_method)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Authenticates a key by its secret itself, as typed into the
  // dashboard's login form; compares in constant time. Errors:
  // Unauthenticated (malformed, unknown or revoked key, wrong secret; the
  // message never says which of unknown and wrong); as Authenticate.
  absl::StatusOr<Caller> AuthenticateSecret(absl::string_view access_key_id,
                                            absl::string_view secret)
      ABSL_LOCKS_EXCLUDED(mu_);

  // The caller of a key that is still active (not revoked), for requests
  // made in a session opened with it. Errors: Unauthenticated (unknown or
  // revoked); as Authenticate.
  absl::StatusOr<Caller> Active(absl::string_view access_key_id)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Runs `hook` in every lookup that reads a key from the store, after the
  // read and before the key is cached, so that a test can revoke it there.
  void SetAfterReadForTesting(std::function<void()> hook)
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct CachedKey {
    Caller caller;
    std::string secret;
    absl::Time fetched;
  };

  // The key's caller and secret, from the cache or the store. Errors:
  // NotFound (unknown); Unauthenticated (revoked); as Authenticate.
  absl::StatusOr<CachedKey> Lookup(absl::string_view access_key_id)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Immutable after construction.
  MetadataStore* const store_;
  const SecretSealer* const sealer_;
  const Options options_;

  absl::Mutex mu_;
  std::map<std::string, CachedKey, std::less<>> cache_ ABSL_GUARDED_BY(mu_);
  // Revocations so far. A lookup caches what it read only if none happened
  // since it began: the key read may be one revoked meanwhile.
  uint64_t revocations_ ABSL_GUARDED_BY(mu_) = 0;
  std::function<void()> after_read_ ABSL_GUARDED_BY(mu_);
};

// The store's role for `role`.
AccessRole ToAccessRole(Role role);

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_ACCESS_KEYS_H_
