#include "tools/http_bench_proc.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/file.h"
#include "common/status_macros.h"

namespace warehouse::bench {
namespace {

absl::StatusOr<std::string> ReadProcFile(pid_t pid, const char* name) {
  const std::string path = absl::StrCat("/proc/", pid, "/", name);
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The fields of /proc/<pid>/stat after the command name, which may itself
// hold spaces and parentheses: fields[0] is the state (field 3 of proc(5)).
absl::StatusOr<std::vector<std::string>> StatFields(pid_t pid) {
  absl::StatusOr<std::string> stat = ReadProcFile(pid, "stat");
  if (!stat.ok()) return stat.status();
  const size_t paren = stat->rfind(')');
  if (paren == std::string::npos) {
    return absl::DataLossError(absl::StrCat("/proc/", pid, "/stat: malformed"));
  }
  return std::vector<std::string>(absl::StrSplit(
      absl::string_view(*stat).substr(paren + 1), ' ', absl::SkipEmpty()));
}

absl::StatusOr<double> OwnCpuSeconds(pid_t pid) {
  absl::StatusOr<std::vector<std::string>> fields = StatFields(pid);
  if (!fields.ok()) return fields.status();
  // utime and stime are fields 14 and 15 of proc(5).
  uint64_t utime = 0, stime = 0;
  if (fields->size() < 13 || !absl::SimpleAtoi((*fields)[11], &utime) ||
      !absl::SimpleAtoi((*fields)[12], &stime)) {
    return absl::DataLossError(absl::StrCat("/proc/", pid, "/stat: malformed"));
  }
  return static_cast<double>(utime + stime) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

}  // namespace

absl::StatusOr<MemorySample> ReadMemory(pid_t pid) {
  absl::StatusOr<std::string> status = ReadProcFile(pid, "status");
  if (!status.ok()) return status.status();
  MemorySample sample;
  bool rss = false, peak = false;
  for (absl::string_view line : absl::StrSplit(*status, '\n')) {
    uint64_t* into = nullptr;
    if (absl::ConsumePrefix(&line, "VmRSS:")) {
      into = &sample.rss_bytes;
      rss = true;
    } else if (absl::ConsumePrefix(&line, "VmHWM:")) {
      into = &sample.peak_bytes;
      peak = true;
    } else {
      continue;
    }
    line = absl::StripAsciiWhitespace(line);
    absl::ConsumeSuffix(&line, "kB");
    uint64_t kib = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &kib)) {
      return absl::DataLossError(
          absl::StrCat("/proc/", pid, "/status: malformed: ", line));
    }
    *into = kib << 10;
  }
  if (!rss || !peak) {
    return absl::DataLossError(
        absl::StrCat("/proc/", pid, "/status: no VmRSS or VmHWM"));
  }
  return sample;
}

absl::Status ResetPeakMemory(pid_t pid) {
  const std::string path = absl::StrCat("/proc/", pid, "/clear_refs");
  std::ofstream out(path);
  if (!out) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": cannot open: ", strerror(errno)));
  }
  out << "5";
  out.flush();
  if (!out) {
    return absl::PermissionDeniedError(absl::StrCat(path, ": write refused"));
  }
  return absl::OkStatus();
}

absl::StatusOr<double> CpuSeconds(pid_t pid, bool children) {
  absl::StatusOr<double> total = OwnCpuSeconds(pid);
  if (!total.ok() || !children) return total;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return total;
  const std::string parent = std::to_string(pid);
  while (struct dirent* entry = readdir(proc)) {
    pid_t child = 0;
    if (!absl::SimpleAtoi(entry->d_name, &child)) continue;
    absl::StatusOr<std::vector<std::string>> fields = StatFields(child);
    // fields[1] is the parent pid (field 4 of proc(5)).
    if (!fields.ok() || fields->size() < 2 || (*fields)[1] != parent) continue;
    absl::StatusOr<double> seconds = OwnCpuSeconds(child);
    if (seconds.ok()) *total += *seconds;
  }
  closedir(proc);
  return total;
}

absl::StatusOr<DiskProbe> ProbeDisk(const std::string& dir) {
  constexpr int kRounds = 50;
  FileSystem* fs = FileSystem::Default();
  const std::string path = dir + "/disk-probe";
  DiskProbe probe;
  {
    ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                     fs->Open(path, OpenMode::kCreateExclusive));
    const std::string kib(1024, 'x');
    auto median = [&](bool append) -> absl::StatusOr<absl::Duration> {
      std::vector<absl::Duration> samples;
      for (int i = 0; i < kRounds; ++i) {
        const uint64_t at =
            append ? (kRounds + static_cast<uint64_t>(i)) * kib.size() : 0;
        const absl::Time start = absl::Now();
        RETURN_IF_ERROR(file->WriteAt(at, kib));
        RETURN_IF_ERROR(file->Sync());
        samples.push_back(absl::Now() - start);
      }
      std::sort(samples.begin(), samples.end());
      return samples[samples.size() / 2];
    };
    RETURN_IF_ERROR(file->WriteAt(0, std::string(kRounds * kib.size(), 'x')));
    RETURN_IF_ERROR(file->Sync());
    ASSIGN_OR_RETURN(probe.append_sync, median(true));
    ASSIGN_OR_RETURN(probe.rewrite_sync, median(false));

    const std::string mib(1 << 20, 'y');
    const absl::Time start = absl::Now();
    for (uint64_t i = 0; i < 64; ++i) {
      RETURN_IF_ERROR(file->WriteAt((1 << 20) * (i + 1), mib));  // appends
    }
    RETURN_IF_ERROR(file->Sync());
    probe.write_sync_mb_per_second =
        64 * 1.048576 / absl::ToDoubleSeconds(absl::Now() - start);
  }
  RETURN_IF_ERROR(fs->Remove(path));
  return probe;
}

RssSampler::RssSampler(pid_t pid, absl::Duration interval)
    : thread_([this, pid, interval] {
        while (!stop_.load()) {
          absl::StatusOr<MemorySample> sample = ReadMemory(pid);
          if (sample.ok() && sample->rss_bytes > max_rss_.load()) {
            max_rss_ = sample->rss_bytes;
          }
          absl::SleepFor(interval);
        }
      }) {}

RssSampler::~RssSampler() { Stop(); }

uint64_t RssSampler::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  return max_rss_.load();
}

}  // namespace warehouse::bench
