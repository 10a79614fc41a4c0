// Volume: online compaction (docs/compaction.md).
//
// 1. Snapshot the index under the lock and start recording every put and
//    delete that completes from then on.
// 2. Without the lock, copy the snapshot's needles into 7.cpd, in offset
//    order, verbatim (same salt, so headers stay valid).
// 3. Copy what was recorded meanwhile; repeat while it keeps arriving.
// 4. Hold new writes, wait for those in flight, copy the last recorded
//    changes, write the new index to 7.cpx; sync both and the directory.
// 5. Commit point: write and sync the marker 7.cpm, sync the directory.
// 6. Rename 7.cpd over 7.dat and 7.cpx over 7.idx, remove the marker,
//    syncing the directory after each; switch to the new files.
// Opening a volume finishes steps 6 when the marker exists and otherwise
// deletes 7.cpd and 7.cpx (FinishInterruptedCompaction).
#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/types/span.h"
#include "common/coding.h"
#include "common/crash_point.h"
#include "common/crc32c.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"
#include "volume/needle_format.h"
#include "volume/super_block.h"
#include "volume/volume.h"

namespace warehouse::volume {
namespace {

constexpr char kMarkerMagic[8] = {'W', 'H', 'C', 'O', 'M', 'P', 'C', 'T'};
constexpr size_t kMarkerSize = 20;  // magic, new revision, CRC-32C
constexpr size_t kCopyChunk = 1 << 20;
// How much of the new file to write before asking the kernel to write it
// back.
constexpr uint64_t kWritebackChunk = 8 << 20;
// How many rounds of catching up before holding writes for the switch, and
// how long to wait for in-flight writes once they are held.
constexpr int kCatchUpRounds = 4;
constexpr absl::Duration kDrainTimeout = absl::Seconds(30);

std::string CompactDataPath(const std::string& dir, uint32_t id) {
  return absl::StrCat(dir, "/", id, ".cpd");
}
std::string CompactIndexPath(const std::string& dir, uint32_t id) {
  return absl::StrCat(dir, "/", id, ".cpx");
}
std::string MarkerPath(const std::string& dir, uint32_t id) {
  return absl::StrCat(dir, "/", id, ".cpm");
}

std::string EncodeMarker(uint64_t revision) {
  std::string out(kMarkerSize, '\0');
  std::memcpy(out.data(), kMarkerMagic, sizeof(kMarkerMagic));
  EncodeFixed64(&out[8], revision);
  EncodeFixed32(&out[16], crc32c::Value(out.data(), 16));
  return out;
}

// Whether the marker at `path` is complete: a torn marker means the crash
// came before the commit point.
absl::StatusOr<bool> MarkerValid(FileSystem* fs, const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                   fs->Open(path, OpenMode::kReadWrite));
  std::string bytes(kMarkerSize, '\0');
  ASSIGN_OR_RETURN(size_t got, file->ReadAt(0, bytes.data(), kMarkerSize));
  return got == kMarkerSize &&
         std::memcmp(bytes.data(), kMarkerMagic, sizeof(kMarkerMagic)) == 0 &&
         DecodeFixed32(&bytes[16]) == crc32c::Value(bytes.data(), 16);
}

absl::Status RemoveIfExists(FileSystem* fs, const std::string& path) {
  absl::Status status = fs->Remove(path);
  return absl::IsNotFound(status) ? absl::OkStatus() : status;
}

absl::Status RenameIfExists(FileSystem* fs, const std::string& from,
                            const std::string& to) {
  ASSIGN_OR_RETURN(bool exists, fs->Exists(from));
  return exists ? fs->Rename(from, to) : absl::OkStatus();
}

}  // namespace

// The commit protocol's recovery half; called by Volume::Open.
absl::Status FinishInterruptedCompaction(FileSystem* fs, const std::string& dir,
                                         uint32_t id) {
  const std::string marker = MarkerPath(dir, id);
  ASSIGN_OR_RETURN(bool has_marker, fs->Exists(marker));
  bool committed = false;
  if (has_marker) {
    ASSIGN_OR_RETURN(committed, MarkerValid(fs, marker));
  }
  if (committed) {
    // Past the commit point: the new files are complete and synced.
    RETURN_IF_ERROR(RenameIfExists(fs, CompactDataPath(dir, id),
                                   Volume::DataPath(dir, id)));
    RETURN_IF_ERROR(fs->SyncDir(dir));
    RETURN_IF_ERROR(RenameIfExists(fs, CompactIndexPath(dir, id),
                                   Volume::IndexPath(dir, id)));
    RETURN_IF_ERROR(fs->SyncDir(dir));
    RETURN_IF_ERROR(fs->Remove(marker));
    RETURN_IF_ERROR(fs->SyncDir(dir));
    spdlog::info("volume {}: finished an interrupted compaction", id);
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(bool has_data, fs->Exists(CompactDataPath(dir, id)));
  ASSIGN_OR_RETURN(bool has_index, fs->Exists(CompactIndexPath(dir, id)));
  if (!has_marker && !has_data && !has_index) return absl::OkStatus();
  RETURN_IF_ERROR(RemoveIfExists(fs, CompactDataPath(dir, id)));
  RETURN_IF_ERROR(RemoveIfExists(fs, CompactIndexPath(dir, id)));
  RETURN_IF_ERROR(RemoveIfExists(fs, marker));
  RETURN_IF_ERROR(fs->SyncDir(dir));
  spdlog::info("volume {}: rolled back an unfinished compaction", id);
  return absl::OkStatus();
}

struct Volume::CompactionChange {
  uint64_t id;
  bool tombstone;
  NeedleLocation location;  // in the old file
};

struct Volume::CompactionState {
  const CompactionOptions* options = nullptr;
  std::shared_ptr<File> source;  // the old volume file
  std::unique_ptr<File> out;     // the new one
  uint64_t out_end = kSuperBlockSize;
  uint64_t written_back = 0;  // the new file's bytes handed to write-back
  NeedleIndex index;          // of the new file
  uint64_t tombstones = 0;    // written into the new file
  // Bytes copied so far, and to copy; Usage() reads them while the copy
  // runs.
  std::atomic<uint64_t> copied{0};
  std::atomic<uint64_t> to_copy{0};
  absl::Time started;
  uint64_t created_ms = 0;
  uint64_t new_revision = 0;
  // The live needles when compaction began.
  std::vector<std::pair<uint64_t, NeedleLocation>> snapshot;
  // Puts and deletes completed since, in order. Guarded by Volume::mu_.
  std::vector<CompactionChange> changes;
  bool committed = false;  // the marker is durable
  uint64_t old_size = 0;
};

void Volume::RecordForCompactionLocked(const NeedleHeader& header,
                                       NeedleLocation location) {
  if (compaction_ == nullptr) return;
  compaction_->changes.push_back(
      CompactionChange{header.id, header.tombstone(), location});
}

void Volume::AddCompactionProgressLocked(VolumeUsage& usage) const {
  if (compaction_ == nullptr) return;
  usage.compaction_copied_bytes = compaction_->copied.load();
  usage.compaction_total_bytes = compaction_->to_copy.load();
}

absl::Status Volume::RemoveCompactionFiles() {
  // The marker first: without it, Open deletes the other two.
  RETURN_IF_ERROR(RemoveIfExists(fs_, MarkerPath(dir_, id_)));
  RETURN_IF_ERROR(fs_->SyncDir(dir_));
  RETURN_IF_ERROR(RemoveIfExists(fs_, CompactDataPath(dir_, id_)));
  RETURN_IF_ERROR(RemoveIfExists(fs_, CompactIndexPath(dir_, id_)));
  return fs_->SyncDir(dir_);
}

absl::Status Volume::CopyNeedles(
    CompactionState& state,
    absl::Span<const std::pair<uint64_t, NeedleLocation>> run) {
  // REQUIRES: the needles of `run` are in offset order and do not overlap;
  // unless `run` is one needle, they span at most kCopyChunk of the old
  // file, which is read with one pread, and move with one pwrite.
  const CompactionOptions& options = *state.options;
  const uint64_t from = run.front().second.offset;
  const uint64_t span =
      run.back().second.offset + run.back().second.size - from;
  uint64_t live = 0;
  for (const auto& [id, location] : run) live += location.size;
  std::string buffer(std::min<uint64_t>(span, kCopyChunk), '\0');
  if (live == span) {
    // Back to back (always so for one needle): copy the span as it is, in
    // chunks when one needle is larger than a chunk.
    for (uint64_t done = 0; done < span;) {
      size_t n = std::min<uint64_t>(buffer.size(), span - done);
      RETURN_IF_ERROR(
          ReadExactly(*state.source, from + done, buffer.data(), n));
      RETURN_IF_ERROR(state.out->WriteAt(state.out_end + done,
                                         absl::string_view(buffer.data(), n)));
      done += n;
    }
  } else {
    // Deleted needles lie between: read over them, write only the live
    // ones, packed.
    RETURN_IF_ERROR(ReadExactly(*state.source, from, buffer.data(), span));
    std::string packed;
    packed.reserve(live);
    for (const auto& [id, location] : run) {
      packed.append(buffer, location.offset - from, location.size);
    }
    RETURN_IF_ERROR(state.out->WriteAt(state.out_end, packed));
  }
  uint64_t at = state.out_end;
  for (const auto& [id, location] : run) {
    state.index.Put(id, NeedleLocation{at, location.size});
    at += location.size;
  }
  state.out_end += live;
  state.copied += live;
  if (options.progress) options.progress(state.copied, state.to_copy);
  // Write back as the copy goes, so that the sync at the switch-over does
  // not find the whole file still to write.
  if (state.out_end - state.written_back >= kWritebackChunk) {
    state.out->StartWriteback(state.written_back,
                              state.out_end - state.written_back);
    state.written_back = state.out_end;
  }
  PaceTo(state.started, state.copied, options.bytes_per_second);
  return absl::OkStatus();
}

absl::Status Volume::ApplyChanges(
    CompactionState& state, const std::vector<CompactionChange>& changes) {
  for (const CompactionChange& change : changes) {
    if (!change.tombstone) {
      const std::pair<uint64_t, NeedleLocation> one(change.id, change.location);
      RETURN_IF_ERROR(CopyNeedles(state, absl::MakeConstSpan(&one, 1)));
      continue;
    }
    if (!state.index.Get(change.id)) continue;
    // The new file holds the deleted needle: a tombstone must follow it, or
    // a rebuild from the new file would bring it back.
    NeedleHeader tombstone;
    tombstone.id = change.id;
    tombstone.flags = kNeedleFlagTombstone;
    std::string bytes = EncodeNeedle(tombstone, "", salt_);
    RETURN_IF_ERROR(state.out->WriteAt(state.out_end, bytes));
    state.out_end += bytes.size();
    state.index.Remove(change.id);
    ++state.tombstones;
  }
  return absl::OkStatus();
}

absl::Status Volume::CopyForCompaction(CompactionState& state) {
  RETURN_IF_ERROR(RemoveCompactionFiles());
  ASSIGN_OR_RETURN(state.out, fs_->Open(CompactDataPath(dir_, id_),
                                        OpenMode::kCreateExclusive));
  SuperBlock sb;
  sb.volume_id = id_;
  sb.created_ms = state.created_ms;
  sb.compaction_revision = state.new_revision;
  sb.salt = salt_;
  RETURN_IF_ERROR(state.out->WriteAt(0, sb.Encode()));
  std::sort(state.snapshot.begin(), state.snapshot.end(),
            [](const auto& a, const auto& b) {
              return a.second.offset < b.second.offset;
            });
  for (const auto& [id, location] : state.snapshot) {
    state.to_copy += location.size;
  }
  // Needles close together move together: a run spans at most a chunk of
  // the old file, of which the deleted bytes skipped over are at most half,
  // so small needles cost one pread and one pwrite per chunk, not each.
  const auto& needles = state.snapshot;
  for (size_t begin = 0; begin < needles.size();) {
    const uint64_t from = needles[begin].second.offset;
    size_t end = begin + 1;
    uint64_t live = needles[begin].second.size;
    while (end < needles.size()) {
      const NeedleLocation& next = needles[end].second;
      const uint64_t span = next.offset + next.size - from;
      if (span > kCopyChunk || span - (live + next.size) > live + next.size) {
        break;
      }
      live += next.size;
      ++end;
    }
    RETURN_IF_ERROR(CopyNeedles(
        state, absl::MakeConstSpan(needles.data() + begin, end - begin)));
    begin = end;
  }
  state.snapshot.clear();
  // Catch up with what arrived while copying, without holding writes.
  for (int round = 0; round < kCatchUpRounds; ++round) {
    std::vector<CompactionChange> changes;
    {
      absl::MutexLock lock(&mu_);
      changes.swap(state.changes);
    }
    if (changes.empty()) break;
    RETURN_IF_ERROR(ApplyChanges(state, changes));
  }
  return absl::OkStatus();
}

absl::Status Volume::SwitchToCompacted(CompactionState& state, int stop_after) {
  std::vector<CompactionChange> changes;
  {
    absl::MutexLock lock(&mu_);
    switching_ = true;
    const absl::Time deadline = absl::Now() + kDrainTimeout;
    while (!inflight_offsets_.empty() && !cv_.WaitWithDeadline(&mu_, deadline)) {
    }
    if (!inflight_offsets_.empty()) {
      switching_ = false;
      cv_.SignalAll();
      return absl::UnavailableError(absl::StrCat(
          "volume ", id_, ": ", inflight_offsets_.size(),
          " writes still in flight after ", absl::FormatDuration(kDrainTimeout),
          "; compaction abandoned, try again"));
    }
    changes.swap(state.changes);
  }
  // Held writes cannot start and none is in flight: nothing changes the
  // volume until switching_ is cleared, so the rest runs without the lock.
  RETURN_IF_ERROR(ApplyChanges(state, changes));
  CRASH_POINT(kCompactAfterCopy);
  ASSIGN_OR_RETURN(std::shared_ptr<IndexFile> index_file,
                   IndexFile::Create(fs_, CompactIndexPath(dir_, id_), id_,
                                     state.new_revision));
  state.index.ForEach([&index_file](uint64_t id, NeedleLocation location) {
    index_file->AddPut(id, location);
  });
  RETURN_IF_ERROR(index_file->Flush(state.out_end));
  // These three syncs make the new files complete on disk before the
  // marker can exist.
  RETURN_IF_ERROR(index_file->Sync());
  RETURN_IF_ERROR(state.out->Sync());
  RETURN_IF_ERROR(fs_->SyncDir(dir_));
  if (stop_after == 1) return absl::AbortedError("stopped after step 1");
  CRASH_POINT(kCompactBeforeMarker);

  // Commit point: once the marker and its directory entry are durable, an
  // Open finishes the switch instead of rolling it back.
  {
    ASSIGN_OR_RETURN(std::unique_ptr<File> marker,
                     fs_->Open(MarkerPath(dir_, id_), OpenMode::kCreate));
    RETURN_IF_ERROR(marker->WriteAt(0, EncodeMarker(state.new_revision)));
    RETURN_IF_ERROR(marker->Sync());
    RETURN_IF_ERROR(fs_->SyncDir(dir_));
  }
  state.committed = true;
  CRASH_POINT(kCompactAfterMarker);
  if (stop_after == 2) return absl::AbortedError("stopped after step 2");
  RETURN_IF_ERROR(fs_->Rename(CompactDataPath(dir_, id_), DataPath(dir_, id_)));
  RETURN_IF_ERROR(fs_->SyncDir(dir_));
  if (stop_after == 3) return absl::AbortedError("stopped after step 3");
  CRASH_POINT(kCompactAfterDataRename);
  RETURN_IF_ERROR(
      fs_->Rename(CompactIndexPath(dir_, id_), IndexPath(dir_, id_)));
  RETURN_IF_ERROR(fs_->SyncDir(dir_));
  if (stop_after == 4) return absl::AbortedError("stopped after step 4");
  CRASH_POINT(kCompactAfterIndexRename);
  CRASH_POINT(kCompactBeforeMarkerRemove);
  RETURN_IF_ERROR(fs_->Remove(MarkerPath(dir_, id_)));
  RETURN_IF_ERROR(fs_->SyncDir(dir_));
  ASSIGN_OR_RETURN(std::unique_ptr<File> data,
                   fs_->Open(DataPath(dir_, id_), OpenMode::kReadWrite));

  absl::MutexLock lock(&mu_);
  state.old_size = end_;
  data_ = std::move(data);
  index_file_ = std::move(index_file);
  index_ = std::move(state.index);
  end_ = state.out_end;
  allocated_ = state.out_end;
  revision_ = state.new_revision;
  deleted_count_ = state.tombstones;
  return absl::OkStatus();
}

absl::StatusOr<CompactionResult> Volume::Compact(
    const CompactionOptions& options) {
  JoinOldFileRelease();
  CompactionState state;
  state.options = &options;
  state.started = absl::Now();
  {
    absl::MutexLock lock(&mu_);
    if (compaction_ != nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("volume ", id_, ": a compaction is already running"));
    }
    if (!failure_.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("volume ", id_, ": read-only after an I/O error (",
                       failure_.message(), "); reopen it before compacting"));
    }
    if (export_state_ != ExportState::kNone) {
      return absl::FailedPreconditionError(absl::StrCat(
          "volume ", id_, ": is being copied to another server"));
    }
    index_.ForEach([&state](uint64_t id, NeedleLocation location) {
      state.snapshot.emplace_back(id, location);
    });
    state.source = data_;
    state.created_ms = created_ms_;
    state.new_revision = revision_ + 1;
    compaction_ = &state;
  }
  absl::Status status = CopyForCompaction(state);
  if (status.ok()) status = SwitchToCompacted(state, options.stop_after_step_for_testing);
  if (!status.ok() && options.stop_after_step_for_testing == 0) {
    if (state.committed) {
      // The files on disk are switched (or will be at the next Open) but
      // this object still serves the old ones: refuse writes until reopened.
      absl::MutexLock lock(&mu_);
      TurnReadOnlyLocked(status);
    } else {
      state.out.reset();
      absl::Status cleanup = RemoveCompactionFiles();
      if (!cleanup.ok()) {
        // A marker that may be durable next to a new data file would make
        // the next Open roll forward to a copy that lacks later writes:
        // take no more writes until the files are gone (at the next Open).
        absl::MutexLock lock(&mu_);
        TurnReadOnlyLocked(cleanup);
      }
    }
  }
  absl::MutexLock lock(&mu_);
  if (!status.ok() && options.stop_after_step_for_testing != 0) {
    // As if the process died here: nothing more may reach the disk.
    TurnReadOnlyLocked(status);
  }
  compaction_ = nullptr;
  switching_ = false;
  cv_.SignalAll();
  if (status.ok()) {
    // Readers still holding the old file keep it open until they finish. A
    // release still running from an earlier compaction is joined by this
    // one, so only one thread is ever left to join.
    old_file_release_ = std::thread(
        [old = std::move(state.source),
         earlier = std::move(old_file_release_)]() mutable {
          if (earlier.joinable()) earlier.join();
          old.reset();
        });
  }
  if (!status.ok()) {
    return absl::Status(
        status.code(),
        absl::StrCat("volume ", id_, ": compaction: ", status.message()));
  }
  CompactionResult result;
  result.old_size = state.old_size;
  result.new_size = state.out_end;
  result.bytes_reclaimed =
      state.old_size > state.out_end ? state.old_size - state.out_end : 0;
  result.needles_copied = index_.count();
  spdlog::info("volume {}: compacted {} -> {} bytes, {} reclaimed", id_,
               result.old_size, result.new_size, result.bytes_reclaimed);
  return result;
}

}  // namespace warehouse::volume
