#include "common/uncached_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace warehouse {

absl::StatusOr<std::unique_ptr<UncachedReader>> UncachedReader::Open(
    const File& file, size_t window) {
  if (file.fd() < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(file.path(), ": no descriptor to read it uncached by"));
  }
  // A new open of the same file: O_DIRECT belongs to the open, and the
  // File's own must keep the page cache for its readers.
  const std::string self = absl::StrCat("/proc/self/fd/", file.fd());
  const int fd = ::open(self.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
  if (fd < 0) {
    if (errno == EINVAL) {
      return absl::FailedPreconditionError(absl::StrCat(
          file.path(), ": its file system cannot read past the page cache"));
    }
    return ErrnoToStatus(errno, "open with O_DIRECT", file.path());
  }
  const size_t size =
      std::max(kAlignment, (window + kAlignment - 1) / kAlignment * kAlignment);
  char* buffer = static_cast<char*>(std::aligned_alloc(kAlignment, size));
  if (buffer == nullptr) {
    ::close(fd);
    return absl::ResourceExhaustedError(absl::StrCat(
        file.path(), ": no memory for a ", size, "-byte read window"));
  }
  return std::unique_ptr<UncachedReader>(
      new UncachedReader(fd, file.path(), buffer, size));
}

UncachedReader::~UncachedReader() {
  ::close(fd_);
  std::free(window_);
}

absl::Status UncachedReader::Fill(uint64_t aligned_offset) {
  window_offset_ = aligned_offset;
  window_bytes_ = 0;
  while (window_bytes_ < window_size_) {
    const ssize_t r =
        ::pread(fd_, window_ + window_bytes_, window_size_ - window_bytes_,
                static_cast<off_t>(aligned_offset + window_bytes_));
    if (r < 0) {
      if (errno == EINTR) continue;
      window_bytes_ = 0;
      return ErrnoToStatus(errno, "pread with O_DIRECT", path_);
    }
    if (r == 0) break;
    window_bytes_ += static_cast<size_t>(r);
    // Only the end of the file leaves a block part read.
    if (window_bytes_ % kAlignment != 0) break;
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> UncachedReader::ReadAt(uint64_t offset, char* buf,
                                              size_t n) {
  absl::MutexLock lock(&mu_);
  size_t done = 0;
  while (done < n) {
    const uint64_t at = offset + done;
    if (at < window_offset_ || at >= window_offset_ + window_bytes_) {
      RETURN_IF_ERROR(Fill(at - at % kAlignment));
      if (at >= window_offset_ + window_bytes_) break;  // the end of the file
    }
    const size_t from = static_cast<size_t>(at - window_offset_);
    const size_t take = std::min(n - done, window_bytes_ - from);
    std::memcpy(buf + done, window_ + from, take);
    done += take;
  }
  return done;
}

absl::Status UncachedReader::WriteAt(uint64_t, absl::string_view) {
  return ReadOnly();
}

absl::Status UncachedReader::Sync() {
  return ReadOnly();
}

absl::Status UncachedReader::Truncate(uint64_t) {
  return ReadOnly();
}

absl::Status UncachedReader::ReadOnly() const {
  return absl::FailedPreconditionError(
      absl::StrCat(path_, ": opened for reading only"));
}

absl::StatusOr<uint64_t> UncachedReader::Size() {
  struct stat st;
  if (::fstat(fd_, &st) != 0) return ErrnoToStatus(errno, "fstat", path_);
  return static_cast<uint64_t>(st.st_size);
}

}  // namespace warehouse
