// What the disk under a directory costs, measured with plain system calls:
// the numbers that bound every durable write, whatever stores it.
#ifndef WAREHOUSE_TOOLS_DISK_PROBE_H_
#define WAREHOUSE_TOOLS_DISK_PROBE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace warehouse::bench {

struct DiskProbe {
  int samples = 0;
  // pwrite of 4 KiB at the end of a file, then fdatasync: the fdatasync.
  absl::Duration append_sync_p50;
  absl::Duration append_sync_p99;
  // pwrite of 4 KiB over a block already written and synced, then
  // fdatasync: a data flush with no metadata to commit.
  absl::Duration overwrite_sync_p50;
  // openat(O_CREAT) of an empty file, then fsync of its directory: the fsync.
  absl::Duration dir_sync_p50;
  // 1 MiB pwrites of `sequential_bytes`, then one fdatasync.
  uint64_t sequential_bytes = 0;
  double sequential_bytes_per_second = 0;
};

// Measures in `dir` (which must exist), with files it removes again: at most
// `samples` of each sync, and stops each series after `time_limit`.
// Errors: I/O errors.
absl::StatusOr<DiskProbe> ProbeDisk(const std::string& dir, int samples,
                                    absl::Duration time_limit,
                                    uint64_t sequential_bytes);

// The file system type of `path` ("ext2/3/4", "xfs", "tmpfs", ...; the magic
// number in hex when unknown). Errors: I/O errors.
absl::StatusOr<std::string> FileSystemType(const std::string& path);

}  // namespace warehouse::bench

#endif  // WAREHOUSE_TOOLS_DISK_PROBE_H_
