// Volume: opening an existing volume and recovering after a crash.
//
// 1. Finish or roll back an interrupted compaction (volume_compact.cc).
// 2. Read the super block.
// 3. Replay the index file; distrust it (and rebuild from the volume file)
//    when it is missing, unreadable, from another revision, or points past
//    the end of the volume file.
// 4. Scan the volume file from the last checkpoint's watermark (or from the
//    first needle when rebuilding), indexing every complete needle and
//    cutting off a torn tail.
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"
#include "volume/needle_format.h"
#include "volume/recovery.h"
#include "volume/super_block.h"
#include "volume/volume.h"

namespace warehouse::volume {

// Declared in volume_compact.cc.
absl::Status FinishInterruptedCompaction(FileSystem* fs, const std::string& dir,
                                         uint32_t id);

absl::StatusOr<std::unique_ptr<Volume>> Volume::Open(
    const std::string& dir, uint32_t id, const VolumeOptions& options) {
  FileSystem* fs = options.fs;
  RETURN_IF_ERROR(FinishInterruptedCompaction(fs, dir, id));
  ASSIGN_OR_RETURN(std::unique_ptr<File> data,
                   fs->Open(DataPath(dir, id), OpenMode::kReadWrite));
  std::string sb_bytes(kSuperBlockSize, '\0');
  ASSIGN_OR_RETURN(size_t got, data->ReadAt(0, sb_bytes.data(), kSuperBlockSize));
  sb_bytes.resize(got);
  absl::StatusOr<SuperBlock> sb = SuperBlock::Decode(sb_bytes);
  if (!sb.ok()) {
    return absl::Status(sb.status().code(),
                        absl::StrCat("volume ", id, ": ", data->path(), ": ",
                                     sb.status().message()));
  }
  if (sb->volume_id != id) {
    return absl::DataLossError(absl::StrCat("volume ", id, ": ", data->path(),
                                            " belongs to volume ",
                                            sb->volume_id));
  }
  std::unique_ptr<Volume> volume(new Volume(dir, id, options, sb->salt));
  {
    absl::MutexLock lock(&volume->mu_);
    volume->data_ = std::move(data);
    volume->created_ms_ = sb->created_ms;
    volume->revision_ = sb->compaction_revision;
  }
  RETURN_IF_ERROR(volume->Load());
  ASSIGN_OR_RETURN(const bool marked,
                   fs->Exists(ReadOnlyMarkerPath(dir, id)));
  if (marked) {
    absl::MutexLock lock(&volume->mu_);
    volume->read_only_ = true;
    spdlog::info("volume {}: read-only, as marked", id);
  }
  return volume;
}

absl::Status Volume::Load() {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(uint64_t size, data_->Size());
  const std::string index_path = IndexPath(dir_, id_);
  bool beyond_end = false;
  IndexFile::LoadResult loaded;
  absl::StatusOr<std::unique_ptr<IndexFile>> index_file = IndexFile::Open(
      fs_, index_path, id_, revision_,
      // Runs inside IndexFile::Open, on this thread, while mu_ is held.
      [&](const IndexRecord& record) ABSL_NO_THREAD_SAFETY_ANALYSIS {
        if (record.type == kIndexRecordPut) {
          if (record.location.offset + record.location.size > size) {
            beyond_end = true;
            return;
          }
          index_.Put(record.key, record.location);
        } else if (index_.Remove(record.key)) {
          ++deleted_count_;
        }
      },
      &loaded);

  bool rebuild = false;
  uint64_t from = kSuperBlockSize;
  if (!index_file.ok()) {
    spdlog::warn("volume {}: index file unusable ({}); rebuilding it from the "
                 "volume file",
                 id_, index_file.status().ToString());
    rebuild = true;
  } else if (beyond_end || loaded.watermark > size) {
    spdlog::warn("volume {}: index file points past the end of the volume "
                 "file ({} bytes); rebuilding it",
                 id_, size);
    rebuild = true;
  } else {
    index_file_ = *std::move(index_file);
    from = std::max<uint64_t>(loaded.watermark, kSuperBlockSize);
    if (loaded.truncated_bytes > 0) {
      spdlog::warn("volume {}: cut {} bytes of torn records off the index file",
                   id_, loaded.truncated_bytes);
    }
  }
  if (rebuild) {
    index_ = NeedleIndex();
    deleted_count_ = 0;
    ASSIGN_OR_RETURN(index_file_,
                     IndexFile::Create(fs_, index_path, id_, revision_));
    // Without a durable name the file may be gone after a power loss, and
    // is rebuilt again by the next open.
    absl::Status synced = fs_->SyncDir(dir_);
    if (!synced.ok()) {
      spdlog::warn(
          "volume {}: syncing the directory of the new index file "
          "failed: {}",
          id_, synced.ToString());
    }
  }
  return RecoverTail(from, rebuild);
}

absl::Status Volume::RecoverTail(uint64_t from, bool rebuild_index) {
  ASSIGN_OR_RETURN(
      ScanResult scan,
      ScanVolumeTail(*data_, salt_, from,
                     [this](uint64_t offset, const NeedleHeader& header)
                         ABSL_NO_THREAD_SAFETY_ANALYSIS {
                           ApplyLocked(header, NeedleLocation{
                                                   offset, header.total_size()});
                         }));
  end_ = scan.end;
  allocated_ = scan.end;
  const bool changed = scan.needles + scan.tombstones + scan.truncated_bytes +
                           scan.skipped_bytes >
                       0;
  if (changed || rebuild_index) {
    // The needles found may be in the page cache only (the process died,
    // not the machine): make them durable before a record names them, so
    // that the index never points past durable data. A failed sync is
    // never retried: the volume turns read-only, and FlushIndexLocked then
    // writes no record.
    absl::Status status = data_->Sync();
    if (!status.ok()) TurnReadOnlyLocked(status);
    // The index file only shortens the next open's scan, and the in-memory
    // index is complete: a full disk here (FlushIndexLocked logs it) leaves
    // the records buffered for the next flush, a failed fsync leaves them
    // not durable, and until a checkpoint after them is durable an open
    // scans this tail again.
    status = FlushIndexLocked();
    if (status.ok()) {
      status = index_file_->Sync();
      if (!status.ok()) {
        spdlog::warn("volume {}: syncing the index file failed: {}", id_,
                     status.ToString());
      }
    }
  }
  if (changed) {
    spdlog::info(
        "volume {}: recovered {} needles and {} deletes after offset {}; "
        "skipped {} bytes ({} corrupt needles); cut a torn tail of {} bytes",
        id_, scan.needles, scan.tombstones, from, scan.skipped_bytes,
        scan.corrupt, scan.truncated_bytes);
  }
  return absl::OkStatus();
}

}  // namespace warehouse::volume
