// `warehouse-bench storage`: options, the scratch directory, the order in
// which the measurements run, the printed report, and the helpers they share.
#include "tools/storage_bench.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <system_error>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/file.h"
#include "common/status_macros.h"
#include "tools/bench_table.h"
#include "tools/disk_probe.h"
#include "tools/storage_bench_rows.h"
#include "tools/timed_loop.h"

namespace warehouse::bench {
namespace {

constexpr char kDefaultParent[] = "bench-tmp";
constexpr const char* kParts[] = {"append", "read", "index", "recovery",
                                  "compaction"};

bool Selected(const StorageBenchOptions& options, absl::string_view part) {
  return options.only.empty() ||
         std::find(options.only.begin(), options.only.end(), part) !=
             options.only.end();
}

const char* ModeName(BenchMode mode) {
  switch (mode) {
    case BenchMode::kFull:
      return "full";
    case BenchMode::kQuick:
      return "quick";
    case BenchMode::kSmoke:
      return "smoke";
  }
  return "?";
}

const char* DurabilityText(volume::SyncPolicy policy) {
  switch (policy) {
    case volume::SyncPolicy::kGroupCommit:
      return "Warehouse: concurrent appends share one fdatasync; baseline: "
             "fdatasync + directory fsync per object";
    case volume::SyncPolicy::kEveryWrite:
      return "Warehouse: one fdatasync per append; baseline: fdatasync + "
             "directory fsync per object";
    case volume::SyncPolicy::kNone:
      return "no syncs on either side: page cache only";
  }
  return "?";
}

absl::Status Validate(const StorageBenchOptions& options) {
  if (options.time_limit <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the time limit must be positive");
  }
  if (options.max_ops == 0 || options.max_bytes == 0 || options.read_set == 0 ||
      options.index_needles == 0 || options.recovery_needles == 0 ||
      options.compaction_bytes == 0) {
    return absl::InvalidArgumentError("every count must be positive");
  }
  for (const std::string& part : options.only) {
    if (std::find(std::begin(kParts), std::end(kParts), part) ==
        std::end(kParts)) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown part '", part,
                       "': use append, read, index, recovery or compaction"));
    }
  }
  // The index benchmark places needle n at offset n * 1072 bytes.
  if (options.index_needles > 30'000'000) {
    return absl::InvalidArgumentError(
        "at most 30,000,000 index needles: more would not fit one volume");
  }
  return absl::OkStatus();
}

// The parent directory of the scratch directory, created when missing.
// Sets *created when this call created it.
absl::StatusOr<std::string> ScratchParent(const std::string& requested,
                                          bool* created) {
  *created = false;
  std::string parent = requested;
  if (parent.empty()) {
    parent = kDefaultParent;
    if (::access(".", W_OK) != 0) {
      const char* tmpdir = std::getenv("TMPDIR");
      if (tmpdir == nullptr || *tmpdir == '\0') {
        return absl::FailedPreconditionError(
            "the current directory is not writable and TMPDIR is not set: "
            "pass --dir");
      }
      parent = tmpdir;
    }
  }
  if (::mkdir(parent.c_str(), 0755) == 0) {
    *created = true;
  } else if (errno != EEXIST) {
    return ErrnoToStatus(errno, "mkdir", parent);
  }
  return parent;
}

absl::Status ProbeInto(const BenchContext& context, DiskProbe* probe) {
  context.Progress("disk probe");
  const bool smoke = context.options.mode == BenchMode::kSmoke;
  ASSIGN_OR_RETURN(
      *probe, ProbeDisk(context.scratch, smoke ? 10 : 200,
                        std::min(context.options.time_limit, absl::Seconds(5)),
                        smoke ? uint64_t{1} << 20 : uint64_t{256} << 20));
  return absl::OkStatus();
}

absl::Status RunAll(const BenchContext& context, std::ostream& out) {
  const StorageBenchOptions& options = context.options;
  ASSIGN_OR_RETURN(std::string fs_type, FileSystemType(context.scratch));
  out << "warehouse-bench storage (" << ModeName(options.mode) << ")\n"
      << "  scratch   " << context.scratch << " on " << fs_type << "\n"
      << "  cores     " << std::thread::hardware_concurrency() << "\n"
      << "  sync      " << volume::SyncPolicyName(options.sync_policy) << " ("
      << DurabilityText(options.sync_policy) << ")\n";
  if (options.sync_policy == volume::SyncPolicy::kGroupCommit) {
    out << "  syncs     up to " << options.max_syncs_in_flight
        << " fdatasyncs of a volume in flight, a further one once the newest "
           "has run "
        << absl::FormatDuration(options.overlap_syncs_after) << "\n";
  }
  if (options.sync_policy != volume::SyncPolicy::kNone) {
    out << "  ahead     "
        << (options.preallocate_bytes == 0
                ? std::string("no zeros written ahead: each append grows the file")
                : absl::StrCat(options.preallocate_bytes >> 10,
                               " KiB of zeros written ahead of the volume's end"))
        << "\n";
  }
  out << "  limits    each store runs each row for "
      << absl::FormatDuration(options.time_limit) << " (" << kAlternatingRounds
      << " alternating rounds), at most "
      << FormatCount(static_cast<double>(options.max_ops)) << " ops or "
      << FormatSize(options.max_bytes) << " of data\n"
      << "  units     MB/s = 10^6 bytes of object data per second; ratio = "
         "Warehouse ops/s / baseline ops/s\n\n";
  out.flush();

  // Runs first, while the heap is fresh (RunIndexRows).
  BenchTable engine({"engine", "result", "target"}, {1, 2});
  if (Selected(options, "index")) {
    RETURN_IF_ERROR(RunIndexRows(context, &engine));
  }

  // The disk is probed before and after the other measurements: on a shared
  // machine its latency changes from minute to minute.
  BenchTable disk({"disk", "at start", "at end"}, {});
  DiskProbe first;
  RETURN_IF_ERROR(ProbeInto(context, &first));

  BenchTable side({"Warehouse vs one file per object", "warehouse",
                   "one file per object", "ratio", "target"},
                  {4});
  if (Selected(options, "append")) {
    RETURN_IF_ERROR(RunAppendRows(context, &side));
  }
  if (Selected(options, "read")) RETURN_IF_ERROR(RunReadRows(context, &side));
  if (Selected(options, "recovery")) {
    RETURN_IF_ERROR(RunRecoveryRows(context, &engine));
  }
  if (Selected(options, "compaction")) {
    RETURN_IF_ERROR(RunCompactionRows(context, &engine));
  }

  DiskProbe last;
  RETURN_IF_ERROR(ProbeInto(context, &last));
  auto ms = [](absl::Duration d) {
    return FormatMillis(absl::ToDoubleMilliseconds(d));
  };
  disk.AddRow({"fdatasync after a 4 KiB append, median",
               ms(first.append_sync_p50), ms(last.append_sync_p50)});
  disk.AddRow({"fdatasync after a 4 KiB append, p99", ms(first.append_sync_p99),
               ms(last.append_sync_p99)});
  disk.AddRow({"fdatasync after a 4 KiB overwrite, median",
               ms(first.overwrite_sync_p50), ms(last.overwrite_sync_p50)});
  disk.AddRow({"fsync of a directory after a create, median",
               ms(first.dir_sync_p50), ms(last.dir_sync_p50)});
  disk.AddRow({absl::StrCat("write ", FormatSize(first.sequential_bytes),
                            " + fdatasync, MB/s"),
               FormatMBps(first.sequential_bytes_per_second),
               FormatMBps(last.sequential_bytes_per_second)});
  disk.Print(out);
  if (!side.empty()) {
    out << "\n";
    side.Print(out);
  }
  if (!engine.empty()) {
    out << "\n";
    engine.Print(out);
  }
  out.flush();
  return absl::OkStatus();
}

}  // namespace

StorageBenchOptions StorageBenchOptions::ForMode(BenchMode mode) {
  StorageBenchOptions options;
  options.mode = mode;
  switch (mode) {
    case BenchMode::kFull:
      break;
    case BenchMode::kQuick:
      options.time_limit = absl::Seconds(1);
      options.max_bytes = uint64_t{256} << 20;
      options.read_set = 20'000;
      options.recovery_needles = 200'000;
      options.compaction_bytes = uint64_t{128} << 20;
      break;
    case BenchMode::kSmoke:
      options.time_limit = absl::Milliseconds(100);
      options.max_ops = 2'000;
      options.max_bytes = uint64_t{8} << 20;
      options.read_set = 500;
      options.index_needles = 100'000;
      options.recovery_needles = 2'000;
      options.compaction_bytes = uint64_t{4} << 20;
      break;
  }
  return options;
}

absl::Status RunStorageBench(const StorageBenchOptions& options,
                             std::ostream& out) {
  RETURN_IF_ERROR(Validate(options));
  StopOnSignals stop_on_signals;
  bool created_parent = false;
  ASSIGN_OR_RETURN(std::string parent,
                   ScratchParent(options.dir, &created_parent));
  std::string pattern = parent + "/storage-bench-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    return ErrnoToStatus(errno, "mkdtemp", pattern);
  }
  BenchContext context{options, pattern, absl::Now()};
  absl::Status status = RunAll(context, out);
  context.Progress("removing the scratch directory");
  absl::Status removed = RemoveTree(context.scratch);
  context.Progress("done");
  if (created_parent) ::rmdir(parent.c_str());  // only if left empty
  if (status.ok()) status = removed;
  return status;
}

void BenchContext::Progress(const std::string& what) const {
  std::cerr << absl::StrFormat(
      "[%6.1f s] %s\n", absl::ToDoubleSeconds(absl::Now() - started), what);
}

absl::Status MakeDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0) {
    return ErrnoToStatus(errno, "mkdir", dir);
  }
  return absl::OkStatus();
}

absl::Status RemoveTree(const std::string& path) {
  std::error_code error;
  std::filesystem::remove_all(path, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat(path, ": removing: ", error.message()));
  }
  return absl::OkStatus();
}

absl::Status SyncFileSystem(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, "open directory", dir);
  int rc = ::syncfs(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoToStatus(err, "syncfs", dir);
  return absl::OkStatus();
}

absl::Status EvictFromPageCache(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, "open", path);
  int err = ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
  if (err != 0) return ErrnoToStatus(err, "posix_fadvise", path);
  return absl::OkStatus();
}

absl::Status WarmPageCache(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, "open", path);
  std::string buffer(1 << 20, '\0');
  ssize_t r;
  do {
    r = ::read(fd, buffer.data(), buffer.size());
  } while (r > 0 || (r < 0 && errno == EINTR));
  int err = errno;
  ::close(fd);
  if (r < 0) return ErrnoToStatus(err, "read", path);
  return absl::OkStatus();
}

absl::Status FillVolume(volume::Volume& volume, const Payload& payload,
                        uint64_t count) {
  std::vector<std::string> buffers(kFillThreads, payload.For(0));
  return RunToCompletion(
      kFillThreads, count, kFillTimeLimit, [&](int thread, uint64_t n) {
        const uint64_t id = n + 1;
        Payload::Restamp(id, &buffers[thread]);
        volume::AppendRequest request;
        request.needle_id = id;
        request.cookie = CookieFor(id);
        request.size = payload.size();
        return volume.Append(request, buffers[thread]).status();
      });
}

absl::Status CheckNeedle(const volume::Volume& volume, const Payload& payload,
                         uint64_t id) {
  ASSIGN_OR_RETURN(volume::NeedleReader reader,
                   volume.OpenNeedle(id, CookieFor(id)));
  ASSIGN_OR_RETURN(std::string data, reader.ReadAll());
  return payload.Check("warehouse", id, data);
}

absl::Status CheckNeedleCount(const volume::Volume& volume, uint64_t expected) {
  const uint64_t count = volume.Usage().needle_count;
  if (count != expected) {
    return absl::FailedPreconditionError(
        absl::StrCat("self-check failed: volume ", volume.id(), " holds ",
                     count, " needles, expected ", expected));
  }
  return absl::OkStatus();
}

}  // namespace warehouse::bench
