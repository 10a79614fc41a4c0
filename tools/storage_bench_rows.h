// The parts of `warehouse-bench storage`, shared by its .cc files only:
// storage_bench.cc runs them in turn, storage_bench_io.cc measures Warehouse
// side by side with the baseline, storage_bench_engine.cc measures the
// index, recovery and compaction.
#ifndef WAREHOUSE_TOOLS_STORAGE_BENCH_ROWS_H_
#define WAREHOUSE_TOOLS_STORAGE_BENCH_ROWS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "tools/bench_table.h"
#include "tools/payload.h"
#include "tools/storage_bench.h"
#include "volume/volume.h"

namespace warehouse::bench {

// The writer and reader counts of the side-by-side rows.
inline constexpr int kFewThreads = 1;
inline constexpr int kManyThreads = 16;
// Each side-by-side row alternates between Warehouse and the baseline this
// many times, so that both meet the same disk weather.
inline constexpr int kAlternatingRounds = 5;
// Threads that fill volumes before a measurement (the machine's cores are
// few; more would only contend).
inline constexpr int kFillThreads = 2;
// Bound on every fill and every untimed pass, which must complete.
inline constexpr absl::Duration kFillTimeLimit = absl::Minutes(10);
// The object size of the read rows and of the recovery volume.
inline constexpr size_t kSmallObject = 1 << 10;

struct BenchContext {
  const StorageBenchOptions& options;
  std::string scratch;  // created for this run, removed after it
  absl::Time started;

  // Writes "[elapsed] what" to stderr as a step starts.
  void Progress(const std::string& what) const;
};

// storage_bench_io.cc. Add rows to `table`, with Warehouse and the baseline
// side by side.
absl::Status RunAppendRows(const BenchContext& context, BenchTable* table);
absl::Status RunReadRows(const BenchContext& context, BenchTable* table);

// storage_bench_engine.cc. Add rows to `table` (benchmark, result, target).
absl::Status RunIndexRows(const BenchContext& context, BenchTable* table);
absl::Status RunRecoveryRows(const BenchContext& context, BenchTable* table);
absl::Status RunCompactionRows(const BenchContext& context, BenchTable* table);

// Helpers for both, in storage_bench.cc.

// Creates `dir`, which must not exist. Errors: AlreadyExists, I/O errors.
absl::Status MakeDir(const std::string& dir);
// Removes `path` and everything below it. Errors: I/O errors.
absl::Status RemoveTree(const std::string& path);
// syncfs() on the file system holding `dir`, so that the write-back of one
// measurement does not run into the next. Errors: I/O errors.
absl::Status SyncFileSystem(const std::string& dir);
// Drops the clean cached pages of `path`. Errors: I/O errors.
absl::Status EvictFromPageCache(const std::string& path);
// Reads all of `path` so that its pages are cached. Errors: I/O errors.
absl::Status WarmPageCache(const std::string& path);

// Appends needles 1 .. count of `payload` to `volume` with kFillThreads.
// Errors: those of Volume::Append, DeadlineExceeded.
absl::Status FillVolume(volume::Volume& volume, const Payload& payload,
                        uint64_t count);
// Reads needle `id` back and compares it with `payload`. Errors:
// FailedPrecondition ("self-check failed: ..."), those of OpenNeedle.
absl::Status CheckNeedle(const volume::Volume& volume, const Payload& payload,
                         uint64_t id);
// Checks `volume.Usage().needle_count` against `expected`. Errors:
// FailedPrecondition ("self-check failed: ...").
absl::Status CheckNeedleCount(const volume::Volume& volume, uint64_t expected);

}  // namespace warehouse::bench

#endif  // WAREHOUSE_TOOLS_STORAGE_BENCH_ROWS_H_
