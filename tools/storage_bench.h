// `warehouse-bench storage`: measures the needle storage engine against a
// one-file-per-object baseline on the same disk under the same durability
// policy, and the engine's index, recovery and compaction on their own.
// docs/benchmarks.md says what each row measures and records results.
#ifndef WAREHOUSE_TOOLS_STORAGE_BENCH_H_
#define WAREHOUSE_TOOLS_STORAGE_BENCH_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "volume/volume.h"

namespace warehouse::bench {

enum class BenchMode {
  kFull,   // a couple of minutes
  kQuick,  // about 20 seconds
  kSmoke,  // a few seconds with tiny counts: checks, not numbers
};

struct StorageBenchOptions {
  // The scratch directory is created inside this one and removed at the end.
  // Empty: "bench-tmp" under the current directory, or $TMPDIR when the
  // current directory is not writable.
  std::string dir;
  // For the append and read rows, Warehouse and the baseline alike.
  volume::SyncPolicy sync_policy = volume::SyncPolicy::kGroupCommit;
  // Warehouse's group commit: fdatasyncs of one volume allowed at once.
  int max_syncs_in_flight = volume::VolumeOptions().max_syncs_in_flight;
  // Warehouse's group commit: how long a sync runs before another may start
  // alongside it.
  absl::Duration overlap_syncs_after =
      volume::VolumeOptions().overlap_syncs_after;
  // Warehouse: bytes of zeros kept written ahead of the volume's end.
  uint64_t preallocate_bytes = volume::VolumeOptions().preallocate_bytes;
  BenchMode mode = BenchMode::kFull;

  // Every timed loop stops at whichever limit it reaches first.
  absl::Duration time_limit = absl::Seconds(5);
  uint64_t max_ops = 2'000'000;
  uint64_t max_bytes = uint64_t{1} << 30;  // of object data

  // Needles (and baseline files) of 1 KiB read back at random.
  uint64_t read_set = 100'000;
  // Dense ids inserted into a bare NeedleIndex.
  uint64_t index_needles = 10'000'000;
  // Needles in the volume that is reopened cleanly and by tail scan.
  uint64_t recovery_needles = 1'000'000;
  // Bytes of object data written before half of it is deleted and the
  // volume compacted, per needle size.
  uint64_t compaction_bytes = uint64_t{512} << 20;

  // The parts to run, any of "append", "read", "index", "recovery" and
  // "compaction"; empty for all. The disk probe always runs.
  std::vector<std::string> only;

  // Tests only: corrupt one byte of a baseline object after it is written,
  // so that the run must fail its read-back check.
  bool corrupt_baseline_for_testing = false;

  // The defaults of `mode`.
  static StorageBenchOptions ForMode(BenchMode mode);
};

// Runs every benchmark and prints the table to `out` as rows complete.
// Errors: InvalidArgument (unusable options), FailedPrecondition (a
// self-check failed: bytes read back differ from those written, or a count
// is wrong; the message starts with "self-check failed"), Cancelled (SIGINT
// or SIGTERM), and the I/O errors of the engine or the baseline. The scratch
// directory is removed in every case.
absl::Status RunStorageBench(const StorageBenchOptions& options,
                             std::ostream& out);

}  // namespace warehouse::bench

#endif  // WAREHOUSE_TOOLS_STORAGE_BENCH_H_
