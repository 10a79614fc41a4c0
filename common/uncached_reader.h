// Reading a file from the disk rather than from the page cache.
//
// A verification (docs/volume_server.md, "Verifying a volume") must check
// the bytes the disk holds: a page still cached since the write would pass
// its checksum whatever the disk under it says now. And a scan of a whole
// volume through the page cache would push out the needles clients read,
// which a store that serves small files with one disk read counts on
// finding there. An UncachedReader reads the file another File has open
// through a descriptor of its own opened with O_DIRECT, one aligned window
// at a time, and serves ReadAt from that window, so a scan in offset order
// reads each block from the disk once.
#ifndef WAREHOUSE_COMMON_UNCACHED_READER_H_
#define WAREHOUSE_COMMON_UNCACHED_READER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/file.h"

namespace warehouse {

// A File for reading only: WriteAt, Sync and Truncate fail with
// FailedPrecondition. Thread-safe (readers take turns at the window).
class UncachedReader final : public File {
 public:
  // What O_DIRECT asks of offsets, lengths and buffers on every file
  // system this runs on (a multiple of any logical block size up to 4 KiB).
  static constexpr size_t kAlignment = 4096;
  static constexpr size_t kDefaultWindow = size_t{1} << 20;

  // Opens the file that `file` has open (the same one even after a rename
  // replaced its path) without the page cache; `window` is rounded up to a
  // multiple of kAlignment. Errors: FailedPrecondition when `file` has no
  // descriptor (fd() is -1) or its file system cannot bypass the page
  // cache (tmpfs refuses O_DIRECT); Unavailable for other failures.
  static absl::StatusOr<std::unique_ptr<UncachedReader>> Open(
      const File& file, size_t window = kDefaultWindow);

  ~UncachedReader() override;

  absl::StatusOr<size_t> ReadAt(uint64_t offset, char* buf, size_t n) override
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status WriteAt(uint64_t offset, absl::string_view data) override;
  absl::Status Sync() override;
  absl::Status Truncate(uint64_t size) override;
  absl::StatusOr<uint64_t> Size() override;
  const std::string& path() const override { return path_; }

 private:
  UncachedReader(int fd, std::string path, char* window, size_t window_size)
      : fd_(fd), path_(std::move(path)), window_(window),
        window_size_(window_size) {}

  // The error of every write.
  absl::Status ReadOnly() const;

  // Reads the window that starts at `aligned_offset`.
  absl::Status Fill(uint64_t aligned_offset) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Immutable after construction.
  const int fd_;
  const std::string path_;
  char* const window_;  // aligned to kAlignment; owned
  const size_t window_size_;

  absl::Mutex mu_;
  // The window holds the file's bytes [window_offset_, + window_bytes_).
  uint64_t window_offset_ ABSL_GUARDED_BY(mu_) = 0;
  size_t window_bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace warehouse

#endif  // WAREHOUSE_COMMON_UNCACHED_READER_H_
