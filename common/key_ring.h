// The cluster key ring: the shared secrets with which the master signs URLs
// and volume servers verify them, with which volume servers and the master
// authenticate each other's RPCs, and from which the master derives the key
// that seals access key secrets.
//
// Key ring text (a key file's contents, or the WAREHOUSE_CLUSTER_KEY
// environment variable):
//
//   # comment to end of line
//   <key id>:<secret in lowercase hex>
//
// Entries are separated by whitespace (newlines included) or commas. A key
// id is 1 to 32 characters of [A-Za-z0-9._-]; a secret is 32 to 64 bytes
// (64 to 128 hex digits). The first entry is the primary key, the one used
// to sign; the others are only accepted when verifying, which is how a key
// is rotated (docs/signed_urls.md). Secrets are never passed on a command
// line and never appear in a log or an error message.
#ifndef WAREHOUSE_COMMON_KEY_RING_H_
#define WAREHOUSE_COMMON_KEY_RING_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace warehouse {

// The environment variable a key ring is read from when no key file is
// given.
inline constexpr char kClusterKeyEnvVar[] = "WAREHOUSE_CLUSTER_KEY";

// An immutable set of named secrets with one primary. Thread-safe (const
// after creation). Move-only; secrets are wiped from memory on destruction.
class KeyRing {
 public:
  static constexpr size_t kMinSecretSize = 32;
  static constexpr size_t kMaxSecretSize = 64;
  static constexpr size_t kMaxKeyIdLength = 32;

  struct Key {
    std::string id;
    std::string secret;  // raw bytes
  };

  // Builds a key ring from `keys`; keys[0] is the primary. Errors:
  // InvalidArgument for no keys, a bad or repeated key id, or a secret of
  // the wrong size.
  static absl::StatusOr<KeyRing> Create(std::vector<Key> keys);

  // Parses key ring text (see the file comment). Errors: InvalidArgument
  // naming the entry (by number and key id, never the secret) that is
  // malformed, and for text without any entry.
  static absl::StatusOr<KeyRing> Parse(absl::string_view text);

  // Reads and parses a key file. Errors: NotFound; FailedPrecondition when
  // other users may read or write the file (fix with chmod 600);
  // InvalidArgument as Parse, or when the file is larger than 64 KiB;
  // Unavailable for other I/O errors.
  static absl::StatusOr<KeyRing> LoadFile(const std::string& path);

  // Loads the key ring a server runs with: from `key_file` when it is not
  // empty, else from the environment variable kClusterKeyEnvVar. Errors:
  // FailedPrecondition when neither is set; InvalidArgument when both are
  // (which one is meant is unclear); otherwise as LoadFile and Parse.
  static absl::StatusOr<KeyRing> LoadFileOrEnv(const std::string& key_file);

  KeyRing(KeyRing&& other) = default;
  KeyRing& operator=(KeyRing&& other);
  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;
  ~KeyRing();

  // The key to sign with.
  const Key& primary() const { return keys_.front(); }

  // The key named `id`, or nullptr when there is none. The pointer lives
  // as long as this KeyRing.
  const Key* Find(absl::string_view id) const;

  // Every key, primary first.
  const std::vector<Key>& keys() const { return keys_; }

 private:
  explicit KeyRing(std::vector<Key> keys) : keys_(std::move(keys)) {}
  void Wipe();

  std::vector<Key> keys_;  // never empty, except after a move
};

// Errors: InvalidArgument when `id` is not 1 to 32 characters of
// [A-Za-z0-9._-].
absl::Status ValidateKeyId(absl::string_view id);

// Returns a new key named `id` with a 32-byte secret from the CSPRNG.
// Errors: InvalidArgument (bad id); Internal (the generator failed).
absl::StatusOr<KeyRing::Key> GenerateKey(absl::string_view id);

// Formats `key` as one key ring entry, "<id>:<hex secret>".
std::string FormatKeyRingEntry(const KeyRing::Key& key);

// Creates the key file `path` holding one new random key named `key_id`,
// readable by its owner only (mode 0600), and fsyncs it and its
// directory. Never overwrites a file. Errors: AlreadyExists when `path`
// exists; InvalidArgument (bad id); PermissionDenied, NotFound (missing
// directory), ResourceExhausted or Unavailable from the file system; a
// partly written file is removed.
absl::Status WriteNewKeyFile(const std::string& path, absl::string_view key_id);

}  // namespace warehouse

#endif  // WAREHOUSE_COMMON_KEY_RING_H_
