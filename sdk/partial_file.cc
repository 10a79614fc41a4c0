#include "sdk/partial_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "absl/random/random.h"
#include "absl/strings/str_format.h"
#include "common/file.h"

namespace warehouse {

absl::StatusOr<std::unique_ptr<PartialFile>> PartialFile::Create(
    const std::string& destination) {
  const size_t slash = destination.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "" : destination.substr(0, slash + 1);
  // Cut so that the temporary name stays within NAME_MAX (255).
  const std::string base =
      (slash == std::string::npos ? destination
                                  : destination.substr(slash + 1))
          .substr(0, 200);
  absl::BitGen random;
  absl::Status failed;
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string temp = absl::StrFormat("%s.%s.%016x.part", dir, base,
                                       absl::Uniform<uint64_t>(random));
    const int fd =
        ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      return std::unique_ptr<PartialFile>(
          new PartialFile(fd, std::move(temp), destination));
    }
    // Named after the destination: the temporary name means nothing to
    // the caller, and a missing or unwritable directory is the same for
    // both.
    const int err = errno;
    failed = ErrnoToStatus(err, "create", destination);
    if (err != EEXIST) break;
  }
  return failed;
}

PartialFile::~PartialFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_.c_str());
}

absl::Status PartialFile::Write(absl::string_view piece) {
  while (!piece.empty()) {
    const ssize_t n = ::write(fd_, piece.data(), piece.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoToStatus(errno, "write", temp_);
    piece.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status PartialFile::Commit(bool sync_directory) {
  if (::fsync(fd_) != 0) return ErrnoToStatus(errno, "fsync", temp_);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return ErrnoToStatus(errno, "close", temp_);
  if (::rename(temp_.c_str(), destination_.c_str()) != 0) {
    return ErrnoToStatus(errno, "rename to " + destination_, temp_);
  }
  committed_ = true;
  if (!sync_directory) return absl::OkStatus();
  return FileSystem::Default()->SyncDir(DirName(destination_));
}

}  // namespace warehouse
