// Volume: creation, paths, usage, sync and shutdown. Writing is in
// volume_write.cc, reading in volume_read.cc, opening and recovery in
// volume_loading.cc, compaction in volume_compact.cc.
#include "volume/volume.h"

#include <openssl/rand.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/crash_point.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"
#include "volume/needle_format.h"
#include "volume/super_block.h"

namespace warehouse::volume {

absl::StatusOr<SyncPolicy> ParseSyncPolicy(absl::string_view name) {
  if (name == "fsync") return SyncPolicy::kEveryWrite;
  if (name == "group") return SyncPolicy::kGroupCommit;
  if (name == "none") return SyncPolicy::kNone;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown sync policy '", name, "': use fsync, group or none"));
}

const char* SyncPolicyName(SyncPolicy policy) {
  switch (policy) {
    case SyncPolicy::kEveryWrite:
      return "fsync";
    case SyncPolicy::kGroupCommit:
      return "group";
    case SyncPolicy::kNone:
      return "none";
  }
  return "?";
}

Volume::Volume(std::string dir, uint32_t id, VolumeOptions options,
               uint32_t salt)
    : dir_(std::move(dir)),
      id_(id),
      options_(std::move(options)),
      salt_(salt),
      fs_(options_.fs) {}

Volume::~Volume() { JoinOldFileRelease(); }

void Volume::JoinOldFileRelease() {
  std::thread release;
  {
    absl::MutexLock lock(&mu_);
    release.swap(old_file_release_);
  }
  if (release.joinable()) release.join();
}

std::string Volume::DataPath(const std::string& dir, uint32_t id) {
  return absl::StrCat(dir, "/", id, ".dat");
}

std::string Volume::IndexPath(const std::string& dir, uint32_t id) {
  return absl::StrCat(dir, "/", id, ".idx");
}

void Volume::PaceTo(absl::Time started, uint64_t bytes,
                    uint64_t bytes_per_second) {
  if (bytes_per_second == 0) return;
  const absl::Time due =
      started + absl::Seconds(static_cast<double>(bytes) / bytes_per_second);
  absl::SleepFor(due - absl::Now());
}

std::string Volume::ReadOnlyMarkerPath(const std::string& dir, uint32_t id) {
  return absl::StrCat(dir, "/", id, ".readonly");
}

absl::StatusOr<std::unique_ptr<Volume>> Volume::Create(
    const std::string& dir, uint32_t id, const VolumeOptions& options) {
  if (options.max_size <= kSuperBlockSize || options.max_size > kMaxVolumeSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "volume ", id, ": maximum size ", options.max_size, " must be above ",
        kSuperBlockSize, " and at most ", kMaxVolumeSize, " bytes"));
  }
  SuperBlock sb;
  sb.volume_id = id;
  sb.created_ms = absl::ToUnixMillis(absl::Now());
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&sb.salt), sizeof(sb.salt)) !=
      1) {
    return absl::InternalError("RAND_bytes failed");
  }
  FileSystem* fs = options.fs;
  RETURN_IF_ERROR(fs->CreateDirs(dir));
  ASSIGN_OR_RETURN(std::unique_ptr<File> data,
                   fs->Open(DataPath(dir, id), OpenMode::kCreateExclusive));
  RETURN_IF_ERROR(data->WriteAt(0, sb.Encode()));
  RETURN_IF_ERROR(data->Sync());
  ASSIGN_OR_RETURN(std::unique_ptr<IndexFile> index,
                   IndexFile::Create(fs, IndexPath(dir, id), id, 0));
  // A marker left by files of this id removed by hand is not this volume's.
  absl::Status unmarked = fs->Remove(ReadOnlyMarkerPath(dir, id));
  if (!unmarked.ok() && !absl::IsNotFound(unmarked)) return unmarked;
  // The directory sync makes the names durable: after it, the volume
  // exists even if the machine loses power.
  RETURN_IF_ERROR(fs->SyncDir(dir));

  std::unique_ptr<Volume> volume(new Volume(dir, id, options, sb.salt));
  absl::MutexLock lock(&volume->mu_);
  volume->data_ = std::move(data);
  volume->index_file_ = std::move(index);
  volume->created_ms_ = sb.created_ms;
  volume->end_ = kSuperBlockSize;
  volume->allocated_ = kSuperBlockSize;
  return volume;
}

absl::Status Volume::Sync() {
  // Under kNone the buffered index records may name needles not yet on
  // disk: sync the volume file first (outside the lock), then write only the
  // records that were buffered before that sync, so the index never points
  // past durable data.
  //
  // A failed sync of the volume file is never retried, as under the other
  // policies: the kernel may have dropped the dirty pages and reports the
  // error only once, so a later sync that succeeds proves nothing. The
  // volume turns read-only and no record of what was buffered before is
  // ever written.
  std::shared_ptr<File> data;
  std::shared_ptr<IndexFile> index_file;
  size_t records = SIZE_MAX;
  uint64_t watermark = 0;
  if (options_.sync_policy == SyncPolicy::kNone) {
    absl::MutexLock lock(&mu_);
    if (!failure_.ok()) return failure_;
    data = data_;
    index_file = index_file_;
    records = index_file_->buffered_records();
    watermark = WatermarkLocked();
  }
  if (data != nullptr) {
    absl::Status synced = data->Sync();
    if (!synced.ok()) {
      absl::MutexLock lock(&mu_);
      TurnReadOnlyLocked(synced);
      return synced;
    }
  }
  {
    absl::MutexLock lock(&mu_);
    // Nothing more is written after a failed sync (under kNone perhaps
    // another one, run meanwhile).
    if (!failure_.ok()) return failure_;
    if (data == nullptr) {
      RETURN_IF_ERROR(FlushIndexLocked());
    } else if (index_file == index_file_) {
      // (A compaction that switched files meanwhile wrote a complete index.)
      RETURN_IF_ERROR(index_file_->Flush(watermark, records));
    }
    index_file = index_file_;
  }
  // After this fsync a restart replays the index file and scans only what
  // was written after the checkpoint just flushed.
  RETURN_IF_ERROR(index_file->Sync());
  CRASH_POINT(kIndexSyncAfterSync);
  return absl::OkStatus();
}

absl::Status Volume::Close() {
  absl::MutexLock lock(&mu_);
  if (!inflight_offsets_.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "volume ", id_, ": ", inflight_offsets_.size(),
        " writes still in flight at close"));
  }
  if (failure_.ok()) {
    // Trim the zeros written ahead, so that the file ends at its last
    // needle and the next Open has no tail to scan; the sync makes the
    // size durable with the data.
    if (allocated_ > end_) {
      RETURN_IF_ERROR(data_->Truncate(end_));
      allocated_ = end_;
    }
    absl::Status synced = data_->Sync();
    if (!synced.ok()) {
      TurnReadOnlyLocked(synced);
      return synced;
    }
  }
  // After a failed sync FlushIndexLocked writes nothing and returns its
  // error; the next Open scans the tail from the last checkpoint.
  RETURN_IF_ERROR(FlushIndexLocked());
  return index_file_->Sync();
}

absl::Status Volume::FlushIndexLocked() {
  // Once a sync of the volume file has failed, buffered records may name
  // needles lost with it (under the none policy, or found by the open's
  // scan), and a checkpoint would let the next open skip a tail it must
  // scan: nothing more is written.
  if (!failure_.ok()) return failure_;
  absl::Status status = index_file_->Flush(WatermarkLocked());
  if (!status.ok()) {
    spdlog::warn("volume {}: writing the index file failed: {}", id_,
                 status.ToString());
  }
  return status;
}

uint64_t Volume::WatermarkLocked() const {
  return inflight_offsets_.empty() ? end_ : *inflight_offsets_.begin();
}

void Volume::TurnReadOnlyLocked(const absl::Status& cause) {
  if (!failure_.ok()) return;
  failure_ = cause;
  read_only_ = true;
  spdlog::error("volume {}: read-only after an I/O error: {}", id_,
                cause.ToString());
}

absl::Status Volume::SetReadOnly(bool read_only) {
  absl::MutexLock marker_lock(&marker_mu_);
  {
    absl::MutexLock lock(&mu_);
    if (!read_only && export_state_ != ExportState::kNone) {
      return absl::FailedPreconditionError(absl::StrCat(
          "volume ", id_, ": is being copied to another server; it stays "
          "read-only until the copy ends"));
    }
    if (!read_only && !failure_.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "volume ", id_, ": read-only after an I/O error (",
          failure_.message(), "); restart the server to reopen it"));
    }
  }
  // The marker is durable before the volume changes: a restart never
  // undoes a change the caller was told about.
  const std::string marker = ReadOnlyMarkerPath(dir_, id_);
  bool changed = true;  // whether this call created or removed the marker
  if (read_only) {
    absl::StatusOr<std::unique_ptr<File>> created =
        fs_->Open(marker, OpenMode::kCreateExclusive);
    if (absl::IsAlreadyExists(created.status())) {
      changed = false;
    } else if (!created.ok()) {
      return created.status();
    }
  } else {
    absl::Status removed = fs_->Remove(marker);
    if (absl::IsNotFound(removed)) {
      changed = false;
    } else if (!removed.ok()) {
      return removed;
    }
  }
  absl::Status synced = fs_->SyncDir(dir_);
  if (!synced.ok()) {
    // Put the marker back as it was, so that a restart does not make the
    // change the caller is told failed.
    if (changed && read_only) {
      fs_->Remove(marker).IgnoreError();
    } else if (changed) {
      fs_->Open(marker, OpenMode::kCreateExclusive).status().IgnoreError();
    }
    return synced;
  }
  absl::MutexLock lock(&mu_);
  read_only_ = read_only || !failure_.ok();
  spdlog::info("volume {}: {}", id_, read_only ? "read-only" : "writable");
  return absl::OkStatus();
}

VolumeUsage Volume::Usage() const {
  absl::ReaderMutexLock lock(&mu_);
  VolumeUsage usage;
  usage.volume_id = id_;
  usage.file_size = end_;
  usage.max_size = options_.max_size;
  usage.live_bytes = index_.live_bytes();
  // A write still streaming in is neither: counting it as garbage would
  // report space to reclaim that an upload is about to fill.
  usage.in_flight_bytes = inflight_bytes_;
  usage.garbage_bytes =
      end_ - kSuperBlockSize - index_.live_bytes() - inflight_bytes_;
  usage.needle_count = index_.count();
  usage.max_needle_id = index_.max_id();
  usage.deleted_count = deleted_count_;
  usage.compaction_revision = revision_;
  usage.read_only = read_only_;
  usage.compacting = compaction_ != nullptr;
  AddCompactionProgressLocked(usage);
  return usage;
}

size_t Volume::IndexMemoryBytesForTesting() const {
  absl::ReaderMutexLock lock(&mu_);
  return index_.MemoryBytes();
}

}  // namespace warehouse::volume
