// Volume::Verify: reading every live needle back and checking it, so that
// bytes a disk lost or changed are found before a client asks for them
// (docs/volume_server.md, "Verifying a volume").
#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/uncached_reader.h"
#include "spdlog/spdlog.h"
#include "volume/volume.h"

namespace warehouse::volume {

std::shared_ptr<File> Volume::PastPageCache(std::shared_ptr<File> file,
                                            absl::string_view doing) const {
  absl::StatusOr<std::unique_ptr<UncachedReader>> uncached =
      UncachedReader::Open(*file);
  if (uncached.ok()) return *std::move(uncached);
  spdlog::warn("volume {}: {} through the page cache: {}", id_,
               std::string(doing), uncached.status().ToString());
  return file;
}

absl::StatusOr<VerifyResult> Volume::Verify(
    const VerifyOptions& options) const {
  std::vector<std::pair<uint64_t, NeedleLocation>> needles;
  std::shared_ptr<File> file;
  {
    absl::ReaderMutexLock lock(&mu_);
    // The locations point into this file, which stays open (and
    // unchanged where they point) for as long as it is held.
    file = data_;
    index_.ForEach([&needles](uint64_t id, NeedleLocation location) {
      needles.emplace_back(id, location);
    });
  }
  std::sort(needles.begin(), needles.end(), [](const auto& a, const auto& b) {
    return a.second.offset < b.second.offset;
  });
  uint64_t total = 0;
  for (const auto& [id, location] : needles) total += location.size;
  // From the disk: a page cached since the write says nothing of the disk
  // under it, and a whole volume read through the cache would push out
  // what clients read.
  const std::shared_ptr<File> source = PastPageCache(file, "verifying");

  VerifyResult result;
  const absl::Time started = absl::Now();
  auto discard = [](absl::string_view) { return absl::OkStatus(); };
  for (const auto& [id, location] : needles) {
    if (options.cancelled && options.cancelled()) {
      return absl::CancelledError(absl::StrFormat(
          "volume %d: verification stopped after %d of %d needles", id_,
          result.needles_checked, needles.size()));
    }
    absl::StatusOr<NeedleReader> reader =
        OpenNeedleAt(source, id, location, std::nullopt);
    absl::Status status = reader.status();
    if (status.ok()) {
      status = reader->Read(0, reader->info().size, discard);
    }
    ++result.needles_checked;
    result.bytes_checked += location.size;
    if (!status.ok()) {
      ++result.corrupt_count;
      spdlog::error("volume {}: needle {:#x} at offset {} fails verification: {}",
                    id_, id, location.offset, status.ToString());
      if (result.corrupt.size() < options.max_listed) {
        result.corrupt.push_back(
            CorruptNeedle{id, location.offset, std::string(status.message())});
      }
    }
    if (options.progress) options.progress(result.bytes_checked, total);
    PaceTo(started, result.bytes_checked, options.bytes_per_second);
  }
  spdlog::info("volume {}: verified {} needles ({} bytes), {} corrupt", id_,
               result.needles_checked, result.bytes_checked,
               result.corrupt_count);
  return result;
}

}  // namespace warehouse::volume
