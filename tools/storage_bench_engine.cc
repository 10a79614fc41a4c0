// `warehouse-bench storage`: the engine on its own. The in-memory index,
// reopening a volume from its index file and by tail scan, and compaction.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "tools/storage_bench_rows.h"
#include "tools/timed_loop.h"
#include "volume/needle_format.h"
#include "volume/needle_index.h"

namespace warehouse::bench {
namespace {

// Targets.
constexpr double kIndexBytesPerNeedleTarget = 10;
constexpr double kReloadMillisPerMillionTarget = 100;
constexpr double kCompactionBytesPerSecondTarget = 500e6;
// Opens timed per reload measurement; the median is reported.
constexpr int kReloadRepeats = 3;
// Needles read back after each reopen and each compaction.
constexpr uint64_t kCheckSample = 16;

// Where the index benchmark pretends needle `id` lives: needles of a 1 KiB
// object, one after another.
constexpr uint64_t kIndexNeedleSize = 1072;
volume::NeedleLocation IndexLocation(uint64_t id) {
  return volume::NeedleLocation{
      volume::kSuperBlockSize + (id - 1) * kIndexNeedleSize, kIndexNeedleSize};
}

// Resident set size of this process. Errors: I/O errors.
absl::StatusOr<uint64_t> ResidentBytes() {
  FILE* statm = std::fopen("/proc/self/statm", "r");
  if (statm == nullptr) {
    return absl::UnavailableError("cannot open /proc/self/statm");
  }
  unsigned long size = 0, resident = 0;
  const int got = std::fscanf(statm, "%lu %lu", &size, &resident);
  std::fclose(statm);
  if (got != 2) return absl::UnavailableError("cannot parse /proc/self/statm");
  return uint64_t{resident} * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

struct IndexResult {
  double bytes_per_needle = 0;      // MemoryBytes() / count()
  double rss_bytes_per_needle = 0;  // growth of the process while inserting
  double insert_ns = 0;
  double lookup_ns = 0;
  uint64_t lookups = 0;
};

// Inserts ids 1 .. count into a NeedleIndex, then looks up random ids until
// `max_lookups` or `time_limit`, checking every answer.
absl::StatusOr<IndexResult> MeasureIndex(uint64_t count, uint64_t max_lookups,
                                         absl::Duration time_limit) {
  IndexResult result;
  ASSIGN_OR_RETURN(const uint64_t rss_before, ResidentBytes());
  volume::NeedleIndex index;
  absl::Time start = absl::Now();
  for (uint64_t id = 1; id <= count; ++id) index.Put(id, IndexLocation(id));
  const absl::Duration insert = absl::Now() - start;
  ASSIGN_OR_RETURN(const uint64_t rss_after, ResidentBytes());
  if (index.count() != count) {
    return absl::FailedPreconditionError(
        absl::StrCat("self-check failed: index holds ", index.count(),
                     " needles after inserting ", count));
  }
  const double n = static_cast<double>(count);
  result.bytes_per_needle = static_cast<double>(index.MemoryBytes()) / n;
  result.rss_bytes_per_needle =
      static_cast<double>(rss_after > rss_before ? rss_after - rss_before : 0) /
      n;
  result.insert_ns = absl::ToDoubleNanoseconds(insert) / n;

  Random random(count);
  const absl::Time deadline = absl::Now() + time_limit;
  start = absl::Now();
  uint64_t done = 0;
  while (done < max_lookups) {
    if (done % 65536 == 0 && (absl::Now() >= deadline || StopRequested())) {
      break;
    }
    const uint64_t id = random.Below(count) + 1;
    std::optional<volume::NeedleLocation> found = index.Get(id);
    if (!found || !(*found == IndexLocation(id))) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "self-check failed: index lookup of needle %d is wrong", id));
    }
    ++done;
  }
  result.lookups = done;
  result.lookup_ns =
      done > 0 ? absl::ToDoubleNanoseconds(absl::Now() - start) / done : 0;
  return result;
}

// Needles 1, 1 + step, ... up to `count`, kCheckSample of them.
absl::Status CheckSome(const volume::Volume& volume, const Payload& payload,
                       uint64_t count) {
  const uint64_t step = std::max<uint64_t>(1, count / kCheckSample);
  for (uint64_t id = 1; id <= count; id += step) {
    RETURN_IF_ERROR(CheckNeedle(volume, payload, id));
  }
  return absl::OkStatus();
}

// Opens the volume in `dir` `repeats` times, calling `before` ahead of each,
// checks what it opened, and returns the median time of Volume::Open.
absl::StatusOr<absl::Duration> TimeOpen(
    const std::string& dir, const Payload& payload, uint64_t count, int repeats,
    const std::function<absl::Status()>& before) {
  std::vector<absl::Duration> times;
  for (int i = 0; i < repeats; ++i) {
    RETURN_IF_ERROR(before());
    const absl::Time start = absl::Now();
    ASSIGN_OR_RETURN(std::unique_ptr<volume::Volume> volume,
                     volume::Volume::Open(dir, 1, volume::VolumeOptions()));
    times.push_back(absl::Now() - start);
    RETURN_IF_ERROR(CheckNeedleCount(*volume, count));
    RETURN_IF_ERROR(CheckSome(*volume, payload, count));
    // Dropped without Close(): nothing changed, and Close() would append a
    // checkpoint to the index file that the next open would replay.
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

std::string PerMillion(absl::Duration elapsed, uint64_t count) {
  return absl::StrCat(FormatMillis(absl::ToDoubleMilliseconds(elapsed) * 1e6 /
                                   static_cast<double>(count)),
                      " per 1M needles (",
                      FormatCount(static_cast<double>(count)), " in ",
                      FormatMillis(absl::ToDoubleMilliseconds(elapsed)), ")");
}

absl::Status RunCompactionRow(const BenchContext& context, size_t size,
                              BenchTable* table) {
  const std::string name =
      absl::StrCat("compaction, ", FormatSize(size), " needles, half deleted");
  context.Progress(name);
  const uint64_t count =
      std::max<uint64_t>(2, context.options.compaction_bytes / size);
  const std::string dir = absl::StrCat(context.scratch, "/compact-", size);
  volume::VolumeOptions volume_options;
  volume_options.sync_policy = volume::SyncPolicy::kNone;
  ASSIGN_OR_RETURN(std::unique_ptr<volume::Volume> volume,
                   volume::Volume::Create(dir, 1, volume_options));
  const Payload payload(size);
  RETURN_IF_ERROR(FillVolume(*volume, payload, count));
  // Odd ids are deleted, even ids stay.
  context.Progress("deleting half of them");
  RETURN_IF_ERROR(RunToCompletion(kFillThreads, (count + 1) / 2, kFillTimeLimit,
                                  [&](int, uint64_t n) {
                                    const uint64_t id = 2 * n + 1;
                                    return volume->Delete(id, CookieFor(id));
                                  }));
  // Under kNone, Sync() syncs the volume file too: the compaction's own
  // fdatasync then writes only what it copied.
  RETURN_IF_ERROR(volume->Sync());
  const volume::VolumeUsage before = volume->Usage();
  context.Progress("compacting");

  const absl::Time start = absl::Now();
  absl::Time copied = absl::InfiniteFuture();
  volume::CompactionOptions compaction;
  // Called on this thread by Compact().
  compaction.progress = [&copied](uint64_t done, uint64_t total) {
    if (done >= total && copied == absl::InfiniteFuture()) copied = absl::Now();
  };
  ASSIGN_OR_RETURN(volume::CompactionResult result,
                   volume->Compact(compaction));
  const absl::Duration elapsed = absl::Now() - start;

  RETURN_IF_ERROR(CheckNeedleCount(*volume, count / 2));
  if (result.needles_copied != count / 2) {
    return absl::FailedPreconditionError(
        absl::StrCat("self-check failed: compaction copied ",
                     result.needles_copied, " needles, ", count / 2, " live"));
  }
  // Odd sample ids must be gone, the even ones after them intact.
  uint64_t step = std::max<uint64_t>(2, count / kCheckSample);
  step += step % 2;
  for (uint64_t id = 1; id <= count; id += step) {
    absl::StatusOr<volume::NeedleReader> reader =
        volume->OpenNeedle(id, CookieFor(id));
    if (!absl::IsNotFound(reader.status())) {
      return absl::FailedPreconditionError(
          absl::StrCat("self-check failed: deleted needle ", id,
                       " after compaction: ", reader.status().ToString()));
    }
    if (id + 1 <= count) RETURN_IF_ERROR(CheckNeedle(*volume, payload, id + 1));
  }
  RETURN_IF_ERROR(volume->Close());
  volume.reset();
  RETURN_IF_ERROR(RemoveTree(dir));

  const double live = static_cast<double>(before.live_bytes);
  const double rate = live / absl::ToDoubleSeconds(elapsed);
  std::string detail = absl::StrCat(
      FormatMBps(rate), " MB/s: ", FormatSize(before.live_bytes), " live in ",
      FormatMillis(absl::ToDoubleMilliseconds(elapsed)));
  if (copied != absl::InfiniteFuture()) {
    absl::StrAppend(&detail, " (copying ",
                    FormatMBps(live / absl::ToDoubleSeconds(copied - start)),
                    " MB/s)");
  }
  absl::StrAppend(&detail, ", ", FormatSize(result.bytes_reclaimed),
                  " reclaimed");
  table->AddRow(
      {name, detail,
       absl::StrCat(
           ">= ", FormatMBps(kCompactionBytesPerSecondTarget),
           " MB/s: ", Verdict(rate >= kCompactionBytesPerSecondTarget))});
  return absl::OkStatus();
}

}  // namespace

absl::Status RunIndexRows(const BenchContext& context, BenchTable* table) {
  const StorageBenchOptions& options = context.options;
  const uint64_t large = options.index_needles;
  const uint64_t small = std::max<uint64_t>(1, large / 10);
  context.Progress(absl::StrCat("index of ", large, " needles"));
  // The large index first, while the process's heap is fresh: its resident
  // growth is then the index's own.
  ASSIGN_OR_RETURN(IndexResult big,
                   MeasureIndex(large, large, options.time_limit));
  ASSIGN_OR_RETURN(IndexResult little,
                   MeasureIndex(small, large, options.time_limit));
  const std::string at_large =
      absl::StrCat("@", FormatCount(static_cast<double>(large)));
  const std::string at_small =
      absl::StrCat("@", FormatCount(static_cast<double>(small)));
  table->AddRow(
      {absl::StrCat("index bytes per needle ", at_large),
       absl::StrFormat("%.2f B (process RSS grew %.2f B per needle)",
                       big.bytes_per_needle, big.rss_bytes_per_needle),
       absl::StrCat(
           "<= 10 B: ",
           Verdict(big.bytes_per_needle <= kIndexBytesPerNeedleTarget &&
                   big.rss_bytes_per_needle <= kIndexBytesPerNeedleTarget))});
  table->AddRow({absl::StrCat("index insert, dense ids ", at_large),
                 absl::StrFormat("%.1f ns/op", big.insert_ns), ""});
  table->AddRow({absl::StrCat("index lookup, random ids ", at_large),
                 absl::StrFormat("%.1f ns/op (%s lookups)", big.lookup_ns,
                                 FormatCount(static_cast<double>(big.lookups))),
                 "O(1)"});
  table->AddRow(
      {absl::StrCat("index lookup, random ids ", at_small),
       absl::StrFormat("%.1f ns/op (%s lookups)", little.lookup_ns,
                       FormatCount(static_cast<double>(little.lookups))),
       "O(1)"});
  return absl::OkStatus();
}

absl::Status RunRecoveryRows(const BenchContext& context, BenchTable* table) {
  const uint64_t count = context.options.recovery_needles;
  context.Progress(absl::StrCat("filling a volume with ", count, " needles of ",
                                FormatSize(kSmallObject)));
  const std::string dir = context.scratch + "/recovery";
  const Payload payload(kSmallObject);
  uint64_t file_size = 0;
  {
    volume::VolumeOptions volume_options;
    volume_options.sync_policy = volume::SyncPolicy::kNone;
    ASSIGN_OR_RETURN(std::unique_ptr<volume::Volume> volume,
                     volume::Volume::Create(dir, 1, volume_options));
    RETURN_IF_ERROR(FillVolume(*volume, payload, count));
    file_size = volume->Usage().file_size;
    // Syncs the volume file and writes and syncs the whole index.
    context.Progress("closing it");
    RETURN_IF_ERROR(volume->Close());
  }
  const std::string data_path = volume::Volume::DataPath(dir, 1);
  const std::string index_path = volume::Volume::IndexPath(dir, 1);
  auto evict = [&]() -> absl::Status {
    RETURN_IF_ERROR(EvictFromPageCache(data_path));
    return EvictFromPageCache(index_path);
  };
  auto warm = [&]() -> absl::Status {
    RETURN_IF_ERROR(WarmPageCache(data_path));
    return WarmPageCache(index_path);
  };
  auto remove_index = [&]() -> absl::Status {
    RETURN_IF_ERROR(FileSystem::Default()->Remove(index_path));
    return FileSystem::Default()->SyncDir(dir);
  };
  auto remove_index_and_warm = [&]() -> absl::Status {
    RETURN_IF_ERROR(remove_index());
    return WarmPageCache(data_path);
  };
  auto remove_index_and_evict = [&]() -> absl::Status {
    RETURN_IF_ERROR(remove_index());
    return EvictFromPageCache(data_path);
  };

  const std::string target =
      absl::StrCat("<= ", FormatMillis(kReloadMillisPerMillionTarget), ": ");
  auto reload_row = [&](const std::string& name, absl::Duration elapsed) {
    const double per_million =
        absl::ToDoubleMilliseconds(elapsed) * 1e6 / static_cast<double>(count);
    table->AddRow(
        {name, PerMillion(elapsed, count),
         target + Verdict(per_million <= kReloadMillisPerMillionTarget)});
  };
  context.Progress("index reload");
  ASSIGN_OR_RETURN(absl::Duration elapsed,
                   TimeOpen(dir, payload, count, kReloadRepeats, warm));
  reload_row("index reload (clean Open), warm cache", elapsed);
  ASSIGN_OR_RETURN(elapsed,
                   TimeOpen(dir, payload, count, kReloadRepeats, evict));
  reload_row("index reload (clean Open), cold cache", elapsed);

  context.Progress("tail-scan recovery");
  const std::string scanned =
      absl::StrCat(", ", FormatSize(file_size), " scanned");
  ASSIGN_OR_RETURN(elapsed,
                   TimeOpen(dir, payload, count, 1, remove_index_and_warm));
  table->AddRow({"tail-scan recovery (no index file), warm cache",
                 PerMillion(elapsed, count) + scanned, ""});
  ASSIGN_OR_RETURN(elapsed,
                   TimeOpen(dir, payload, count, 1, remove_index_and_evict));
  table->AddRow({"tail-scan recovery (no index file), cold cache",
                 PerMillion(elapsed, count) + scanned, ""});
  return RemoveTree(dir);
}

absl::Status RunCompactionRows(const BenchContext& context, BenchTable* table) {
  for (size_t size : {kSmallObject, size_t{64} << 10}) {
    RETURN_IF_ERROR(RunCompactionRow(context, size, table));
  }
  return absl::OkStatus();
}

}  // namespace warehouse::bench
