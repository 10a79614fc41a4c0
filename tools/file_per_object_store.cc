#include "tools/file_per_object_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <system_error>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/file.h"

namespace warehouse::bench {
namespace {

std::string FanOutName(uint64_t id) {
  return absl::StrFormat("%02x", id % FilePerObjectStore::kFanOut);
}

std::string ObjectName(uint64_t id) { return absl::StrFormat("%016x", id); }

}  // namespace

absl::StatusOr<std::unique_ptr<FilePerObjectStore>> FilePerObjectStore::Create(
    const std::string& dir, bool durable) {
  if (::mkdir(dir.c_str(), 0755) != 0) {
    return ErrnoToStatus(errno, "mkdir", dir);
  }
  std::unique_ptr<FilePerObjectStore> store(
      new FilePerObjectStore(dir, durable));
  absl::Status status = store->OpenFanOut();
  if (!status.ok()) return status;
  return store;
}

absl::Status FilePerObjectStore::OpenFanOut() {
  fan_out_fds_.reserve(kFanOut);
  for (int i = 0; i < kFanOut; ++i) {
    const std::string path = dir_ + "/" + FanOutName(i);
    if (::mkdir(path.c_str(), 0755) != 0) {
      return ErrnoToStatus(errno, "mkdir", path);
    }
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoToStatus(errno, "open directory", path);
    fan_out_fds_.push_back(fd);
  }
  // The fan-out directories themselves exist before any object is stored.
  if (durable_) {
    int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoToStatus(errno, "open directory", dir_);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) return ErrnoToStatus(err, "fsync directory", dir_);
  }
  return absl::OkStatus();
}

FilePerObjectStore::~FilePerObjectStore() {
  for (int fd : fan_out_fds_) ::close(fd);
}

absl::Status FilePerObjectStore::RemoveAll() {
  for (int fd : fan_out_fds_) ::close(fd);
  fan_out_fds_.clear();
  std::atomic<int> next{0};
  std::vector<absl::Status> errors(kRemoveThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kRemoveThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = next++; i < kFanOut && errors[t].ok(); i = next++) {
        const std::string path = dir_ + "/" + FanOutName(i);
        std::error_code error;
        std::filesystem::remove_all(path, error);
        if (error) {
          errors[t] = absl::UnavailableError(
              absl::StrCat(path, ": removing: ", error.message()));
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& error : errors) {
    if (!error.ok()) return error;
  }
  if (::rmdir(dir_.c_str()) != 0) return ErrnoToStatus(errno, "rmdir", dir_);
  return absl::OkStatus();
}

std::string FilePerObjectStore::PathForTesting(uint64_t id) const {
  return dir_ + "/" + FanOutName(id) + "/" + ObjectName(id);
}

absl::Status FilePerObjectStore::Put(uint64_t id,
                                     absl::string_view data) const {
  const int dir_fd = fan_out_fds_[id % kFanOut];
  const std::string name = ObjectName(id);
  int fd = ::openat(dir_fd, name.c_str(),
                    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoToStatus(errno, "open", PathForTesting(id));
  size_t done = 0;
  while (done < data.size()) {
    ssize_t w = ::write(fd, data.data() + done, data.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return ErrnoToStatus(err, "write", PathForTesting(id));
    }
    done += static_cast<size_t>(w);
  }
  if (durable_) {
    // The fdatasync makes the bytes durable, the directory fsync the name
    // under which they can be found again.
    if (::fdatasync(fd) != 0) {
      int err = errno;
      ::close(fd);
      return ErrnoToStatus(err, "fdatasync", PathForTesting(id));
    }
    if (::fsync(dir_fd) != 0) {
      int err = errno;
      ::close(fd);
      return ErrnoToStatus(err, "fsync directory", dir_ + "/" + FanOutName(id));
    }
  }
  if (::close(fd) != 0) {
    return ErrnoToStatus(errno, "close", PathForTesting(id));
  }
  return absl::OkStatus();
}

absl::Status FilePerObjectStore::Get(uint64_t id, size_t max_size,
                                     std::string* out) const {
  const std::string name = ObjectName(id);
  int fd =
      ::openat(fan_out_fds_[id % kFanOut], name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, "open", PathForTesting(id));
  // One byte more than allowed tells a too-large object from a full one.
  out->resize(max_size + 1);
  size_t done = 0;
  while (done < out->size()) {
    ssize_t r = ::read(fd, out->data() + done, out->size() - done);
    if (r < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return ErrnoToStatus(err, "read", PathForTesting(id));
    }
    if (r == 0) break;
    done += static_cast<size_t>(r);
  }
  ::close(fd);
  if (done > max_size) {
    return absl::OutOfRangeError(absl::StrFormat("%s: larger than %d bytes",
                                                 PathForTesting(id), max_size));
  }
  out->resize(done);
  return absl::OkStatus();
}

}  // namespace warehouse::bench
