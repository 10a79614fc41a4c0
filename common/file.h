// The one seam through which all disk I/O goes.
//
// Volumes, index files and the compactor never call the operating system
// directly: they take a FileSystem*. Production code uses
// FileSystem::Default(), a thin POSIX wrapper; tests substitute a
// FaultInjectionFileSystem (tests/support/) that injects short writes,
// ENOSPC, EIO on fsync, and drops everything never synced to simulate a
// power loss.
#ifndef WAREHOUSE_COMMON_FILE_H_
#define WAREHOUSE_COMMON_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace warehouse {

// An open file supporting positional reads and writes. Thread-safe: ReadAt,
// WriteAt and Sync may be called concurrently (they map to pread, pwrite and
// fdatasync, which the kernel serializes as needed).
class File {
 public:
  File() = default;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  virtual ~File() = default;

  // Reads up to `n` bytes at `offset` into `buf`. Returns the number of bytes
  // read, which is less than `n` only at end of file. Errors: Internal or
  // Unavailable for I/O errors.
  virtual absl::StatusOr<size_t> ReadAt(uint64_t offset, char* buf,
                                        size_t n) = 0;

  // Writes all of `data` at `offset`, extending the file as needed. A failure
  // may leave part of `data` written. Errors: ResourceExhausted when the
  // disk is full, Unavailable for other I/O errors.
  virtual absl::Status WriteAt(uint64_t offset, absl::string_view data) = 0;

  // Makes every completed write durable (fdatasync). Errors: Unavailable or
  // DataLoss on an I/O error; after a failed Sync the state of unsynced
  // writes is unknown and must not be reported durable.
  virtual absl::Status Sync() = 0;

  // Asks the kernel to start writing back `length` bytes at `offset`
  // without waiting (sync_file_range with SYNC_FILE_RANGE_WRITE), so that a
  // later Sync finds less to do. Durability is unchanged: only Sync makes
  // anything durable. A hint: the default does nothing, and errors are
  // left for Sync to report.
  virtual void StartWriteback(uint64_t offset, uint64_t length) {
    (void)offset;
    (void)length;
  }

  // Sets the file's size. Errors as for WriteAt.
  virtual absl::Status Truncate(uint64_t size) = 0;

  virtual absl::StatusOr<uint64_t> Size() = 0;

  // The operating system's descriptor, for zero-copy sends; -1 where the
  // file is not backed by one.
  virtual int fd() const { return -1; }

  virtual const std::string& path() const = 0;
};

enum class OpenMode {
  kReadWrite,        // must exist
  kCreate,           // created if missing, kept if present
  kCreateExclusive,  // must not exist yet
};

class FileSystem {
 public:
  FileSystem() = default;
  FileSystem(const FileSystem&) = delete;
  FileSystem& operator=(const FileSystem&) = delete;
  virtual ~FileSystem() = default;

  // The POSIX file system. Never null; lives for the whole process.
  static FileSystem* Default();

  // Errors: NotFound (kReadWrite and the file is missing), AlreadyExists
  // (kCreateExclusive and the file exists), PermissionDenied, Unavailable.
  virtual absl::StatusOr<std::unique_ptr<File>> Open(const std::string& path,
                                                     OpenMode mode) = 0;
  // Atomically replaces `to` with `from`. Durable only after SyncDir.
  virtual absl::Status Rename(const std::string& from,
                              const std::string& to) = 0;
  // Removes a file. NotFound when it is missing.
  virtual absl::Status Remove(const std::string& path) = 0;
  // Makes creations, renames and removals in `dir` durable.
  virtual absl::Status SyncDir(const std::string& dir) = 0;
  virtual absl::StatusOr<bool> Exists(const std::string& path) = 0;
  // Names (not paths) of the entries in `dir`, sorted.
  virtual absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& dir) = 0;
  // Creates `dir` and any missing parents; OK if it already exists.
  virtual absl::Status CreateDirs(const std::string& dir) = 0;
  // Bytes free for this process's writes on the file system holding `dir`.
  virtual absl::StatusOr<uint64_t> FreeBytes(const std::string& dir) = 0;
};

// Reads exactly `n` bytes at `offset`. Errors: DataLoss when the file ends
// first (the caller expected those bytes to exist), or the read error.
absl::Status ReadExactly(File& file, uint64_t offset, char* buf, size_t n);

// Converts an errno from `operation` on `path` to a Status with the code
// the caller should act on (ENOSPC -> ResourceExhausted, ENOENT -> NotFound).
absl::Status ErrnoToStatus(int err, absl::string_view operation,
                           absl::string_view path);

// The directory part of `path` ("." when it has none).
std::string DirName(const std::string& path);

}  // namespace warehouse

#endif  // WAREHOUSE_COMMON_FILE_H_
