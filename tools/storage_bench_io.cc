// `warehouse-bench storage`: appends and reads, Warehouse and the
// one-file-per-object baseline side by side on the same disk under the same
// sync policy.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/file.h"
#include "common/status_macros.h"
#include "tools/file_per_object_store.h"
#include "tools/storage_bench_rows.h"
#include "tools/timed_loop.h"

namespace warehouse::bench {
namespace {

constexpr char kWarehouse[] = "warehouse";
constexpr char kBaseline[] = "one-file-per-object";
// Objects read back after each append measurement, spread over all written.
constexpr uint64_t kCheckSample = 64;
// The group commit target: 1 KiB appends at kManyThreads writers against the
// baseline.
constexpr double kGroupCommitTarget = 4.0;

std::string Threads(int n, const char* one, const char* many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

// Flips one bit of the byte at `offset` of `path`. Errors: OutOfRange (the
// file is shorter), I/O errors.
absl::Status FlipByteForTesting(const std::string& path, uint64_t offset) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, "open", path);
  char byte = 0;
  ssize_t r = ::pread(fd, &byte, 1, static_cast<off_t>(offset));
  if (r != 1) {
    int err = errno;
    ::close(fd);
    if (r < 0) return ErrnoToStatus(err, "pread", path);
    return absl::OutOfRangeError(
        absl::StrCat(path, ": no byte at offset ", offset));
  }
  byte ^= 1;
  r = ::pwrite(fd, &byte, 1, static_cast<off_t>(offset));
  int err = errno;
  ::close(fd);
  if (r != 1) return ErrnoToStatus(err, "pwrite", path);
  return absl::OkStatus();
}

// About kCheckSample of the ids 1 .. count, always the first and the last.
std::vector<uint64_t> SampleIds(uint64_t count) {
  std::vector<uint64_t> ids;
  if (count == 0) return ids;
  const uint64_t step = std::max<uint64_t>(1, count / kCheckSample);
  for (uint64_t id = 1; id <= count; id += step) ids.push_back(id);
  if (ids.back() != count) ids.push_back(count);
  return ids;
}

absl::Status CheckBaselineObject(const FilePerObjectStore& store,
                                 const Payload& payload, uint64_t id,
                                 std::string* buffer) {
  RETURN_IF_ERROR(store.Get(id, payload.size(), buffer));
  return payload.Check(kBaseline, id, *buffer);
}

std::string Throughput(const LoopStats& stats, size_t size) {
  return absl::StrCat(FormatCount(stats.PerSecond()), " ops/s  ",
                      FormatMBps(stats.PerSecond() * static_cast<double>(size)),
                      " MB/s");
}

std::string Ratio(const LoopStats& warehouse, const LoopStats& baseline) {
  return baseline.ops > 0
             ? FormatRatio(warehouse.PerSecond() / baseline.PerSecond())
             : "-";
}

using Op = std::function<absl::Status(int thread, uint64_t n)>;

struct SideBySide {
  LoopStats warehouse;
  LoopStats baseline;
};

// Runs the two sides in kAlternatingRounds alternating rounds of a share of the
// time limit each, so that both meet the same disk weather on a shared machine.
// Each side's ops are numbered 0, 1, 2, ... across its rounds, and each side
// stops at `max_ops`. With `settle`, syncfs() writes back before every round
// what the other side left dirty (for writes that are not synced).
absl::StatusOr<SideBySide> Alternate(const BenchContext& context, int threads,
                                     uint64_t max_ops, bool settle,
                                     const Op& warehouse, const Op& baseline) {
  const absl::Duration round_limit =
      context.options.time_limit / kAlternatingRounds;
  SideBySide totals;
  auto run_round = [&](const Op& op, LoopStats* stats) -> absl::Status {
    if (stats->ops >= max_ops) return absl::OkStatus();
    if (settle) RETURN_IF_ERROR(SyncFileSystem(context.scratch));
    const uint64_t first = stats->ops;
    ASSIGN_OR_RETURN(LoopStats part,
                     RunTimedLoop(threads, max_ops - first, round_limit,
                                  [&op, first](int thread, uint64_t n) {
                                    return op(thread, first + n);
                                  }));
    stats->ops += part.ops;
    stats->elapsed += part.elapsed;
    return absl::OkStatus();
  };
  for (int round = 0; round < kAlternatingRounds; ++round) {
    RETURN_IF_ERROR(run_round(warehouse, &totals.warehouse));
    RETURN_IF_ERROR(run_round(baseline, &totals.baseline));
  }
  return totals;
}

absl::Status RunAppendRow(const BenchContext& context, size_t size, int threads,
                          bool corrupt_baseline, BenchTable* table) {
  const StorageBenchOptions& options = context.options;
  const std::string name = absl::StrCat("append ", FormatSize(size), ", ",
                                        Threads(threads, "writer", "writers"));
  context.Progress(name);
  const std::string dir =
      absl::StrCat(context.scratch, "/append-", size, "-", threads);
  RETURN_IF_ERROR(MakeDir(dir));
  volume::VolumeOptions volume_options;
  volume_options.sync_policy = options.sync_policy;
  volume_options.max_syncs_in_flight = options.max_syncs_in_flight;
  volume_options.overlap_syncs_after = options.overlap_syncs_after;
  volume_options.preallocate_bytes = options.preallocate_bytes;
  ASSIGN_OR_RETURN(
      std::unique_ptr<volume::Volume> volume,
      volume::Volume::Create(dir + "/warehouse", 1, volume_options));
  ASSIGN_OR_RETURN(
      std::unique_ptr<FilePerObjectStore> store,
      FilePerObjectStore::Create(
          dir + "/files", options.sync_policy != volume::SyncPolicy::kNone));
  const Payload payload(size);
  const uint64_t max_ops = std::max<uint64_t>(
      1, std::min(options.max_ops, options.max_bytes / size));
  std::vector<std::string> buffers(threads, payload.For(0));

  ASSIGN_OR_RETURN(
      SideBySide result,
      Alternate(
          context, threads, max_ops,
          /*settle=*/options.sync_policy == volume::SyncPolicy::kNone,
          [&](int thread, uint64_t n) {
            const uint64_t id = n + 1;
            Payload::Restamp(id, &buffers[thread]);
            volume::AppendRequest request;
            request.needle_id = id;
            request.cookie = CookieFor(id);
            request.size = size;
            return volume->Append(request, buffers[thread]).status();
          },
          [&](int thread, uint64_t n) {
            const uint64_t id = n + 1;
            Payload::Restamp(id, &buffers[thread]);
            return store->Put(id, buffers[thread]);
          }));
  const LoopStats& warehouse = result.warehouse;
  const LoopStats& baseline = result.baseline;

  context.Progress("checking and removing what was written");
  if (corrupt_baseline && baseline.ops > 0) {
    RETURN_IF_ERROR(FlipByteForTesting(store->PathForTesting(1), size / 2));
  }
  RETURN_IF_ERROR(CheckNeedleCount(*volume, warehouse.ops));
  for (uint64_t id : SampleIds(warehouse.ops)) {
    RETURN_IF_ERROR(CheckNeedle(*volume, payload, id));
  }
  std::string buffer;
  for (uint64_t id : SampleIds(baseline.ops)) {
    RETURN_IF_ERROR(CheckBaselineObject(*store, payload, id, &buffer));
  }
  RETURN_IF_ERROR(volume->Close());
  volume.reset();
  RETURN_IF_ERROR(store->RemoveAll());
  store.reset();
  RETURN_IF_ERROR(RemoveTree(dir));

  std::string target;
  if (size == kSmallObject && threads == kManyThreads &&
      options.sync_policy == volume::SyncPolicy::kGroupCommit) {
    const bool met =
        baseline.ops > 0 &&
        warehouse.PerSecond() >= kGroupCommitTarget * baseline.PerSecond();
    target = absl::StrCat(">= ", FormatRatio(kGroupCommitTarget), ": ",
                          Verdict(met));
  }
  table->AddRow({name, Throughput(warehouse, size), Throughput(baseline, size),
                 Ratio(warehouse, baseline), target});
  return absl::OkStatus();
}

}  // namespace

absl::Status RunAppendRows(const BenchContext& context, BenchTable* table) {
  bool corrupt = context.options.corrupt_baseline_for_testing;
  for (size_t size : {kSmallObject, size_t{1} << 20}) {
    for (int threads : {kFewThreads, kManyThreads}) {
      RETURN_IF_ERROR(RunAppendRow(context, size, threads, corrupt, table));
      corrupt = false;
    }
  }
  return absl::OkStatus();
}

absl::Status RunReadRows(const BenchContext& context, BenchTable* table) {
  const StorageBenchOptions& options = context.options;
  const uint64_t count = options.read_set;
  context.Progress(absl::StrCat("filling ", count, " needles and files of ",
                                FormatSize(kSmallObject), " to read"));
  const std::string dir = context.scratch + "/read";
  RETURN_IF_ERROR(MakeDir(dir));
  // Reads do not depend on the sync policy; fill without syncing each write.
  volume::VolumeOptions volume_options;
  volume_options.sync_policy = volume::SyncPolicy::kNone;
  ASSIGN_OR_RETURN(
      std::unique_ptr<volume::Volume> volume,
      volume::Volume::Create(dir + "/warehouse", 1, volume_options));
  ASSIGN_OR_RETURN(std::unique_ptr<FilePerObjectStore> store,
                   FilePerObjectStore::Create(dir + "/files", false));
  const Payload payload(kSmallObject);
  RETURN_IF_ERROR(FillVolume(*volume, payload, count));
  std::vector<std::string> buffers(kManyThreads, payload.For(0));
  RETURN_IF_ERROR(RunToCompletion(kFillThreads, count, kFillTimeLimit,
                                  [&](int thread, uint64_t n) {
                                    Payload::Restamp(n + 1, &buffers[thread]);
                                    return store->Put(n + 1, buffers[thread]);
                                  }));
  // Written back now rather than in the middle of a measurement.
  context.Progress("syncing them");
  RETURN_IF_ERROR(volume->Sync());
  RETURN_IF_ERROR(SyncFileSystem(context.scratch));

  // One pass over everything warms the page cache and checks every object.
  RETURN_IF_ERROR(CheckNeedleCount(*volume, count));
  RETURN_IF_ERROR(RunToCompletion(
      1, count, kFillTimeLimit, [&](int, uint64_t n) -> absl::Status {
        RETURN_IF_ERROR(CheckNeedle(*volume, payload, n + 1));
        return CheckBaselineObject(*store, payload, n + 1, &buffers[0]);
      }));

  for (int threads : {kFewThreads, kManyThreads}) {
    const std::string name =
        absl::StrCat("read ", FormatSize(kSmallObject), ", ",
                     Threads(threads, "thread", "threads"), ", warm cache");
    context.Progress(name);
    std::vector<Random> randoms;
    for (int t = 0; t < threads; ++t) randoms.emplace_back(t + 1);
    ASSIGN_OR_RETURN(
        SideBySide result,
        Alternate(
            context, threads, options.max_ops, /*settle=*/false,
            [&](int thread, uint64_t) -> absl::Status {
              const uint64_t id = randoms[thread].Below(count) + 1;
              ASSIGN_OR_RETURN(volume::NeedleReader reader,
                               volume->OpenNeedle(id, CookieFor(id)));
              ASSIGN_OR_RETURN(std::string data, reader.ReadAll());
              return payload.Check(kWarehouse, id, data);
            },
            [&](int thread, uint64_t) {
              const uint64_t id = randoms[thread].Below(count) + 1;
              return CheckBaselineObject(*store, payload, id, &buffers[thread]);
            }));
    const LoopStats& warehouse = result.warehouse;
    const LoopStats& baseline = result.baseline;
    table->AddRow({name, Throughput(warehouse, kSmallObject),
                   Throughput(baseline, kSmallObject),
                   Ratio(warehouse, baseline), ""});
  }
  RETURN_IF_ERROR(volume->Close());
  volume.reset();
  context.Progress("removing them");
  RETURN_IF_ERROR(store->RemoveAll());
  store.reset();
  return RemoveTree(dir);
}

}  // namespace warehouse::bench
