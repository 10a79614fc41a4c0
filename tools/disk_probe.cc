#include "tools/disk_probe.h"

#include <fcntl.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/file.h"
#include "common/status_macros.h"

namespace warehouse::bench {
namespace {

// Closes a descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  const int fd_;
};

absl::Duration Percentile(std::vector<absl::Duration> samples, double p) {
  if (samples.empty()) return absl::ZeroDuration();
  std::sort(samples.begin(), samples.end());
  size_t at =
      static_cast<size_t>(p * static_cast<double>(samples.size() - 1) + 0.5);
  return samples[std::min(at, samples.size() - 1)];
}

absl::Status WriteAll(int fd, const std::string& data, uint64_t offset,
                      const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t w = ::pwrite(fd, data.data() + done, data.size() - done,
                         static_cast<off_t>(offset + done));
    if (w < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, "pwrite", path);
    }
    done += static_cast<size_t>(w);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DiskProbe> ProbeDisk(const std::string& dir, int samples,
                                    absl::Duration time_limit,
                                    uint64_t sequential_bytes) {
  DiskProbe probe;
  const std::string path = dir + "/disk-probe";
  {
    Fd file(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (file.get() < 0) return ErrnoToStatus(errno, "open", path);
    const std::string block(4096, 'p');
    std::vector<absl::Duration> syncs;
    const absl::Time deadline = absl::Now() + time_limit;
    for (int i = 0; i < samples && absl::Now() < deadline; ++i) {
      RETURN_IF_ERROR(WriteAll(file.get(), block, uint64_t{4096} * i, path));
      const absl::Time start = absl::Now();
      if (::fdatasync(file.get()) != 0) {
        return ErrnoToStatus(errno, "fdatasync", path);
      }
      syncs.push_back(absl::Now() - start);
    }
    probe.samples = static_cast<int>(syncs.size());
    probe.append_sync_p50 = Percentile(syncs, 0.5);
    probe.append_sync_p99 = Percentile(syncs, 0.99);

    std::vector<absl::Duration> overwrites;
    for (int i = 0; i < probe.samples; ++i) {
      RETURN_IF_ERROR(WriteAll(file.get(), block, 0, path));
      const absl::Time start = absl::Now();
      if (::fdatasync(file.get()) != 0) {
        return ErrnoToStatus(errno, "fdatasync", path);
      }
      overwrites.push_back(absl::Now() - start);
    }
    probe.overwrite_sync_p50 = Percentile(overwrites, 0.5);

    const std::string chunk(1 << 20, 's');
    if (::ftruncate(file.get(), 0) != 0) {
      return ErrnoToStatus(errno, "ftruncate", path);
    }
    const absl::Time start = absl::Now();
    uint64_t written = 0;
    while (written < sequential_bytes) {
      RETURN_IF_ERROR(WriteAll(file.get(), chunk, written, path));
      written += chunk.size();
    }
    if (::fdatasync(file.get()) != 0) {
      return ErrnoToStatus(errno, "fdatasync", path);
    }
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    probe.sequential_bytes = written;
    probe.sequential_bytes_per_second =
        seconds > 0 ? static_cast<double>(written) / seconds : 0;
  }
  if (::unlink(path.c_str()) != 0) return ErrnoToStatus(errno, "unlink", path);

  Fd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir_fd.get() < 0) return ErrnoToStatus(errno, "open directory", dir);
  std::vector<absl::Duration> dir_syncs;
  std::vector<std::string> names;
  const absl::Time deadline = absl::Now() + time_limit;
  for (int i = 0; i < samples && absl::Now() < deadline; ++i) {
    names.push_back(absl::StrCat("dir-probe-", i));
    Fd file(::openat(dir_fd.get(), names.back().c_str(),
                     O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (file.get() < 0) {
      return ErrnoToStatus(errno, "open", dir + "/" + names.back());
    }
    const absl::Time start = absl::Now();
    if (::fsync(dir_fd.get()) != 0) {
      return ErrnoToStatus(errno, "fsync directory", dir);
    }
    dir_syncs.push_back(absl::Now() - start);
  }
  for (const std::string& name : names) {
    if (::unlinkat(dir_fd.get(), name.c_str(), 0) != 0) {
      return ErrnoToStatus(errno, "unlink", dir + "/" + name);
    }
  }
  probe.dir_sync_p50 = Percentile(dir_syncs, 0.5);
  return probe;
}

absl::StatusOr<std::string> FileSystemType(const std::string& path) {
  struct statfs st;
  if (::statfs(path.c_str(), &st) != 0) {
    return ErrnoToStatus(errno, "statfs", path);
  }
  switch (static_cast<uint64_t>(st.f_type)) {
    case 0xEF53:
      return std::string("ext2/3/4");
    case 0x58465342:
      return std::string("xfs");
    case 0x9123683E:
      return std::string("btrfs");
    case 0x01021994:
      return std::string("tmpfs (no disk: sync results mean nothing)");
    case 0x794C7630:
      return std::string("overlayfs");
    case 0x2FC12FC1:
      return std::string("zfs");
    case 0xF2F52010:
      return std::string("f2fs");
    case 0x6969:
      return std::string("nfs");
  }
  return absl::StrFormat("unknown (magic %#x)",
                         static_cast<uint64_t>(st.f_type));
}

}  // namespace warehouse::bench
