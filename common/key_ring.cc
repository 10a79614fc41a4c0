#include "common/key_ring.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/crypto.h"
#include "common/file.h"

namespace warehouse {
namespace {

constexpr size_t kMaxKeyFileSize = 64 * 1024;
constexpr size_t kGeneratedSecretSize = 32;

bool IsKeyIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

// Closes a descriptor when it goes out of scope.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  ~FdCloser() { ::close(fd_); }

 private:
  const int fd_;
};

// Reads all of the key file open as `fd` into `*out`; the caller wipes it.
// The read buffer is `*out` itself, so no copy of a secret is left behind.
absl::Status ReadKeyFile(int fd, const std::string& path, std::string* out) {
  out->assign(kMaxKeyFileSize + 1, '\0');
  size_t done = 0;
  while (done < out->size()) {
    ssize_t n = ::read(fd, out->data() + done, out->size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, "read", path);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  if (done > kMaxKeyFileSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("key file ", path, ": larger than ", kMaxKeyFileSize,
                     " bytes; it is not a key file"));
  }
  // Shrinking keeps the buffer; the wiped-later bytes past `done` are zero.
  out->resize(done);
  return absl::OkStatus();
}

// Writes all of `data` to `fd`.
absl::Status WriteAllTo(int fd, const std::string& path,
                        absl::string_view data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, "write", path);
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateKeyId(absl::string_view id) {
  bool ok = !id.empty() && id.size() <= KeyRing::kMaxKeyIdLength;
  for (char c : id) ok = ok && IsKeyIdChar(c);
  if (!ok) {
    return absl::InvalidArgumentError(
        "key id must be 1 to 32 characters of letters, digits, '.', '_' and "
        "'-'");
  }
  return absl::OkStatus();
}

absl::StatusOr<KeyRing> KeyRing::Create(std::vector<Key> keys) {
  // Owned by a KeyRing from here on, so the secrets are wiped on any error.
  KeyRing ring(std::move(keys));
  const std::vector<Key>& all = ring.keys_;
  if (all.empty()) {
    return absl::InvalidArgumentError("key ring has no keys");
  }
  for (size_t i = 0; i < all.size(); ++i) {
    absl::Status id_status = ValidateKeyId(all[i].id);
    if (!id_status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("key ring entry ", i + 1, ": ", id_status.message()));
    }
    const size_t size = all[i].secret.size();
    if (size < kMinSecretSize || size > kMaxSecretSize) {
      return absl::InvalidArgumentError(absl::StrCat(
          "key ring entry ", i + 1, " (key ", all[i].id, "): secret is ", size,
          " bytes; it must be ", kMinSecretSize, " to ", kMaxSecretSize));
    }
    for (size_t j = 0; j < i; ++j) {
      if (all[j].id == all[i].id) {
        return absl::InvalidArgumentError(
            absl::StrCat("key ring entry ", i + 1, " (key ", all[i].id,
                         "): the key id appears twice"));
      }
    }
  }
  return ring;
}

absl::StatusOr<KeyRing> KeyRing::Parse(absl::string_view text) {
  std::vector<Key> keys;
  // On any error the secrets decoded so far are wiped by this guard.
  struct Wiper {
    std::vector<Key>* keys;
    ~Wiper() {
      for (Key& key : *keys) WipeString(&key.secret);
    }
  } wiper{&keys};

  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    const size_t hash = line.find('#');
    if (hash != absl::string_view::npos) line = line.substr(0, hash);
    for (absl::string_view entry :
         absl::StrSplit(line, absl::ByAnyChar(" \t\r,"), absl::SkipEmpty())) {
      const size_t number = keys.size() + 1;
      const size_t colon = entry.find(':');
      if (colon == absl::string_view::npos) {
        return absl::InvalidArgumentError(absl::StrCat(
            "key ring entry ", number, ": no ':' between key id and secret"));
      }
      Key key;
      key.id = std::string(entry.substr(0, colon));
      absl::Status id_status = ValidateKeyId(key.id);
      if (!id_status.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("key ring entry ", number, ": ", id_status.message()));
      }
      absl::StatusOr<std::string> secret = HexDecode(entry.substr(colon + 1));
      if (!secret.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("key ring entry ", number, " (key ", key.id,
                         "): secret is not lowercase hex"));
      }
      key.secret = std::move(*secret);
      keys.push_back(std::move(key));
    }
  }
  if (keys.empty()) {
    return absl::InvalidArgumentError(
        "key ring text has no \"<key id>:<hex secret>\" entry");
  }
  absl::StatusOr<KeyRing> ring = Create(std::move(keys));
  keys.clear();
  return ring;
}

absl::StatusOr<KeyRing> KeyRing::LoadFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, "open key file", path);
  FdCloser closer(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoToStatus(errno, "fstat", path);
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("key file ", path, ": not a regular file"));
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "key file ", path,
        ": readable or writable by group or others; run chmod 600 on it"));
  }
  std::string text;
  absl::Status read = ReadKeyFile(fd, path, &text);
  absl::StatusOr<KeyRing> ring =
      read.ok() ? Parse(text) : absl::StatusOr<KeyRing>(read);
  WipeString(&text);
  if (!ring.ok() && read.ok()) {
    return absl::Status(
        ring.status().code(),
        absl::StrCat("key file ", path, ": ", ring.status().message()));
  }
  return ring;
}

absl::StatusOr<KeyRing> KeyRing::LoadFileOrEnv(const std::string& key_file) {
  const char* env = std::getenv(kClusterKeyEnvVar);
  const bool env_set = env != nullptr && env[0] != '\0';
  if (!key_file.empty() && env_set) {
    return absl::InvalidArgumentError(
        absl::StrCat("both a cluster key file (", key_file, ") and ",
                     kClusterKeyEnvVar, " are set; use one"));
  }
  if (!key_file.empty()) return LoadFile(key_file);
  if (!env_set) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no cluster key: give a key file or set ", kClusterKeyEnvVar));
  }
  absl::StatusOr<KeyRing> ring = Parse(env);
  if (!ring.ok()) {
    return absl::Status(
        ring.status().code(),
        absl::StrCat(kClusterKeyEnvVar, ": ", ring.status().message()));
  }
  return ring;
}

KeyRing& KeyRing::operator=(KeyRing&& other) {
  if (this != &other) {
    Wipe();
    keys_ = std::move(other.keys_);
  }
  return *this;
}

KeyRing::~KeyRing() { Wipe(); }

void KeyRing::Wipe() {
  for (Key& key : keys_) WipeString(&key.secret);
}

const KeyRing::Key* KeyRing::Find(absl::string_view id) const {
  for (const Key& key : keys_) {
    if (key.id == id) return &key;
  }
  return nullptr;
}

absl::StatusOr<KeyRing::Key> GenerateKey(absl::string_view id) {
  absl::Status id_status = ValidateKeyId(id);
  if (!id_status.ok()) return id_status;
  absl::StatusOr<std::string> secret = RandomBytes(kGeneratedSecretSize);
  if (!secret.ok()) return secret.status();
  return KeyRing::Key{std::string(id), std::move(*secret)};
}

std::string FormatKeyRingEntry(const KeyRing::Key& key) {
  return absl::StrCat(key.id, ":", HexEncode(key.secret));
}

absl::Status WriteNewKeyFile(const std::string& path,
                             absl::string_view key_id) {
  absl::StatusOr<KeyRing::Key> key = GenerateKey(key_id);
  if (!key.ok()) return key.status();
  std::string text = absl::StrCat(
      "# Warehouse cluster key ring: <key id>:<hex secret>, primary first.\n"
      "# Give the same file to the master and every volume server.\n",
      FormatKeyRingEntry(*key), "\n");
  WipeString(&key->secret);

  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    WipeString(&text);
    return ErrnoToStatus(errno, "create key file", path);
  }
  absl::Status status = WriteAllTo(fd, path, text);
  WipeString(&text);
  if (status.ok() && ::fsync(fd) != 0) {
    status = ErrnoToStatus(errno, "fsync", path);
  }
  if (::close(fd) != 0 && status.ok()) {
    status = ErrnoToStatus(errno, "close", path);
  }
  if (status.ok()) status = FileSystem::Default()->SyncDir(DirName(path));
  if (!status.ok()) ::unlink(path.c_str());
  return status;
}

}  // namespace warehouse
