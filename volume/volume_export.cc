// Volume::Export: sending a read-only volume's files as they are, so that
// another server can serve the volume (docs/volume_server.md, "Moving a
// volume").
#include <algorithm>
#include <memory>
#include <string>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/crc32c.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"
#include "volume/volume.h"

namespace warehouse::volume {
namespace {

// Pieces of 256 KiB moved a volume faster, with less CPU on the receiver
// and a lower GET p99 beside it, than pieces of 1 MiB
// (docs/benchmarks.md, "Moving a volume").
constexpr size_t kMaxExportChunk = size_t{256} << 10;
constexpr size_t kMinExportChunk = size_t{64} << 10;

// How often an export waiting for writes in flight checks its caller.
constexpr absl::Duration kCancelledPoll = absl::Milliseconds(100);

// Under a bandwidth cap, chunks of about an eighth of a second: a caller
// that goes away is noticed at the next one, not after a long pause.
size_t ExportChunk(uint64_t bytes_per_second) {
  if (bytes_per_second == 0) return kMaxExportChunk;
  return std::clamp<uint64_t>(bytes_per_second / 8, kMinExportChunk,
                              kMaxExportChunk);
}

// Passes bytes [0, size) of `file` to `sink`, extending `crc` and pacing
// `sent` (bytes sent by the whole export) to `options`.
absl::Status SendFile(
    File& file, uint64_t size, const ExportOptions& options,
    absl::Time started, uint64_t& sent, uint32_t& crc,
    const std::function<absl::Status(absl::string_view)>& sink,
    uint32_t volume_id) {
  std::string chunk(ExportChunk(options.bytes_per_second), '\0');
  for (uint64_t offset = 0; offset < size;) {
    if (options.cancelled && options.cancelled()) {
      return absl::CancelledError(absl::StrCat(
          "volume ", volume_id, ": export stopped after ", sent, " bytes"));
    }
    const size_t n = std::min<uint64_t>(chunk.size(), size - offset);
    RETURN_IF_ERROR(ReadExactly(file, offset, chunk.data(), n));
    const absl::string_view piece(chunk.data(), n);
    crc = crc32c::Extend(crc, piece.data(), piece.size());
    RETURN_IF_ERROR(sink(piece));
    offset += n;
    sent += n;
    Volume::PaceTo(started, sent, options.bytes_per_second);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<uint32_t> Volume::Export(
    const ExportOptions& options,
    const std::function<absl::Status(const ExportSizes&)>& begin,
    const std::function<absl::Status(absl::string_view)>& sink) {
  std::shared_ptr<File> data;
  ExportSizes sizes;
  {
    // SetReadOnly holds marker_mu_ throughout: it is either done, and seen
    // here, or sees the export and refuses to make the volume writable.
    absl::MutexLock marker_lock(&marker_mu_);
    absl::MutexLock lock(&mu_);
    if (!read_only_) {
      return absl::FailedPreconditionError(absl::StrCat(
          "volume ", id_, ": is writable; make it read-only before copying "
          "it elsewhere"));
    }
    if (!failure_.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "volume ", id_, ": read-only after an I/O error (",
          failure_.message(), "); restart the server to reopen it first"));
    }
    if (compaction_ != nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("volume ", id_, ": is compacting"));
    }
    if (export_state_ != ExportState::kNone) {
      return absl::FailedPreconditionError(
          absl::StrCat("volume ", id_, ": is already being copied"));
    }
    export_state_ = ExportState::kWaiting;
  }
  absl::Cleanup done = [this] {
    absl::MutexLock lock(&mu_);
    export_state_ = ExportState::kNone;
  };
  {
    absl::MutexLock lock(&mu_);
    // Writes that began before it was read-only, and deletes that began
    // before now, finish first: the copy holds every one acknowledged. A
    // write's writer goes only once its fate is settled, so an upload the
    // master refused is deleted by then, and that delete is in the copy
    // too. Deletes after this would not be: they are refused. A slow
    // upload may take long: a caller that goes away meanwhile stops it.
    const absl::Condition quiet(this, &Volume::NoWritesUnderWayLocked);
    while (!mu_.AwaitWithTimeout(quiet, kCancelledPoll)) {
      if (options.cancelled && options.cancelled()) {
        return absl::CancelledError(absl::StrCat(
            "volume ", id_, ": export stopped while writes in flight "
            "finished"));
      }
    }
    export_state_ = ExportState::kCopying;
  }
  // A checkpoint at the end of the last needle: the copy opens without a
  // tail to scan.
  RETURN_IF_ERROR(Sync());
  {
    absl::MutexLock lock(&mu_);
    data = data_;
    sizes.data_bytes = end_;
    sizes.index_bytes = index_file_->size();
  }
  ASSIGN_OR_RETURN(std::unique_ptr<File> index,
                   fs_->Open(IndexPath(dir_, id_), OpenMode::kReadWrite));
  // A whole volume read through the cache would push out what clients
  // read.
  const std::shared_ptr<File> source = PastPageCache(data, "exporting");
  RETURN_IF_ERROR(begin(sizes));
  const absl::Time started = absl::Now();
  uint64_t sent = 0;
  uint32_t crc = 0;
  RETURN_IF_ERROR(SendFile(*source, sizes.data_bytes, options, started, sent,
                           crc, sink, id_));
  RETURN_IF_ERROR(SendFile(*index, sizes.index_bytes, options, started, sent,
                           crc, sink, id_));
  spdlog::info("volume {}: exported {} bytes (volume file {}, index {})", id_,
               sent, sizes.data_bytes, sizes.index_bytes);
  return crc;
}

}  // namespace warehouse::volume
