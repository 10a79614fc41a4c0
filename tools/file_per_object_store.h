// The baseline that the storage benchmark measures Warehouse against: every
// object is a file of its own, as a store without a needle layer would keep
// it (docs/benchmarks.md, "The baseline").
//
// Objects live in 256 fan-out directories, `<dir>/<id % 256 as %02x>/<id as
// %016x>`, whose descriptors stay open for the life of the store. With
// `durable` set, a Put is acknowledged only once both the data and the new
// name survive a power loss:
//   openat(O_WRONLY|O_CREAT|O_EXCL) + write + fdatasync(file)
//   + fsync(fan-out directory) + close
// There is no group commit: every Put pays its own two syncs. Without
// `durable`, a Put is openat + write + close. A Get is openat(O_RDONLY) +
// read + close.
//
// This file calls POSIX directly instead of going through FileSystem: the
// system calls above are the definition of the baseline, so they are spelled
// out rather than hidden behind the seam that exists for fault injection.
#ifndef WAREHOUSE_TOOLS_FILE_PER_OBJECT_STORE_H_
#define WAREHOUSE_TOOLS_FILE_PER_OBJECT_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace warehouse::bench {

// Thread-safe: Put and Get may run concurrently for distinct ids; the
// descriptors they share are only read after Create(). RemoveAll() must not
// overlap them.
class FilePerObjectStore {
 public:
  static constexpr int kFanOut = 256;
  static constexpr int kRemoveThreads = 16;

  // Creates `dir` (which must not exist yet) and its fan-out directories,
  // and opens them. Errors: AlreadyExists, I/O errors.
  static absl::StatusOr<std::unique_ptr<FilePerObjectStore>> Create(
      const std::string& dir, bool durable);

  FilePerObjectStore(const FilePerObjectStore&) = delete;
  FilePerObjectStore& operator=(const FilePerObjectStore&) = delete;
  ~FilePerObjectStore();

  // Stores object `id`. Errors: AlreadyExists (the id was stored before),
  // ResourceExhausted (disk full), Unavailable (other I/O errors).
  absl::Status Put(uint64_t id, absl::string_view data) const;

  // Reads object `id` into `*out`, replacing its contents; reads at most
  // `max_size` bytes. Errors: NotFound, OutOfRange (larger than max_size),
  // Unavailable.
  absl::Status Get(uint64_t id, size_t max_size, std::string* out) const;

  // Removes every object and the store's directories, with kRemoveThreads
  // threads: unlinking is bound by latency (on a file system mounted with
  // online discard, each unlink waits for its discard), so it overlaps well.
  // The store is unusable afterwards. Errors: I/O errors.
  absl::Status RemoveAll();

  // The path of object `id`, for tests that tamper with it.
  std::string PathForTesting(uint64_t id) const;

 private:
  FilePerObjectStore(std::string dir, bool durable)
      : dir_(std::move(dir)), durable_(durable) {}
  // Opens the fan-out directories. Errors: I/O errors.
  absl::Status OpenFanOut();

  const std::string dir_;
  const bool durable_;
  std::vector<int> fan_out_fds_;  // kFanOut descriptors after Create()
};

}  // namespace warehouse::bench

#endif  // WAREHOUSE_TOOLS_FILE_PER_OBJECT_STORE_H_
