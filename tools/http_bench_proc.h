// What warehouse-http-bench reads about the servers it measures, from
// /proc: resident memory and CPU time.
#ifndef WAREHOUSE_TOOLS_HTTP_BENCH_PROC_H_
#define WAREHOUSE_TOOLS_HTTP_BENCH_PROC_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace warehouse::bench {

struct MemorySample {
  uint64_t rss_bytes = 0;   // VmRSS: resident now
  uint64_t peak_bytes = 0;  // VmHWM: highest resident since start or reset
};

// Reads VmRSS and VmHWM of `pid`. Errors: NotFound (no such process),
// DataLoss (the status file lacks them).
absl::StatusOr<MemorySample> ReadMemory(pid_t pid);

// Resets VmHWM of `pid` to its current RSS (writes 5 to clear_refs).
// Errors: PermissionDenied or NotFound as the kernel says.
absl::Status ResetPeakMemory(pid_t pid);

// User plus system CPU seconds of `pid` (all its threads, live and ended)
// and, with `children`, of its live child processes (nginx's workers).
// Errors: NotFound.
absl::StatusOr<double> CpuSeconds(pid_t pid, bool children);

// How fast the disk under `dir` makes writes durable, measured with a
// scratch file that is removed afterwards.
struct DiskProbe {
  absl::Duration append_sync;  // median: append 1 KiB, then fdatasync
  // Median: rewrite 1 KiB inside the file, then fdatasync. Unlike an
  // append it leaves the file size alone, so the flush has no inode to
  // write.
  absl::Duration rewrite_sync;
  double write_sync_mb_per_second = 0;  // 64 MiB written, then fdatasync
};
// Errors: as the file system's.
absl::StatusOr<DiskProbe> ProbeDisk(const std::string& dir);

// Samples VmRSS of a process every `interval` on a thread of its own and
// keeps the highest value seen. Not thread-safe apart from that thread.
class RssSampler {
 public:
  RssSampler(pid_t pid, absl::Duration interval);
  ~RssSampler();  // stops sampling
  RssSampler(const RssSampler&) = delete;
  RssSampler& operator=(const RssSampler&) = delete;

  // Stops sampling and returns the highest VmRSS seen.
  uint64_t Stop();

 private:
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> max_rss_{0};
  std::thread thread_;
};

}  // namespace warehouse::bench

#endif  // WAREHOUSE_TOOLS_HTTP_BENCH_PROC_H_
