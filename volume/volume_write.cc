// Volume: appends, deletes and group commit.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/crash_point.h"
#include "common/crc32c.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"
#include "volume/needle_format.h"
#include "volume/volume.h"

namespace warehouse::volume {
namespace {

// Data is gathered into writes of this size; a needle smaller than this
// reaches the disk in a single pwrite.
constexpr size_t kWriteBuffer = 256 << 10;

// Zeros written ahead of the volume's end go out in writes of this size.
constexpr size_t kZeroChunk = 1 << 20;

// n zero bytes, n <= kZeroChunk.
absl::string_view Zeros(size_t n) {
  static const std::string* const zeros = new std::string(kZeroChunk, '\0');
  return absl::string_view(*zeros).substr(0, n);
}

}  // namespace

NeedleWriter::NeedleWriter(Volume* volume, std::shared_ptr<File> file,
                           NeedleHeader header, uint64_t offset)
    : volume_(volume),
      file_(std::move(file)),
      header_(std::move(header)),
      offset_(offset),
      size_(header_.data_size),
      buffer_at_(offset) {
  buffer_ = EncodeNeedleHeader(header_, volume_->salt_);
}

NeedleWriter::~NeedleWriter() {
  if (!finished_) volume_->AbandonWrite(this);
  volume_->WriterDestroyed();
}

absl::Status NeedleWriter::FlushBuffer() {
  if (buffer_.empty()) return absl::OkStatus();
  absl::Status status = file_->WriteAt(buffer_at_, buffer_);
  if (!status.ok()) {
    status_ = status;
    return status;
  }
  buffer_at_ += buffer_.size();
  buffer_.clear();
  return absl::OkStatus();
}

absl::Status NeedleWriter::Write(absl::string_view chunk) {
  if (!status_.ok()) return status_;
  if (finished_) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "volume %d: needle %#x: write after commit", volume_->id_, header_.id));
  }
  if (chunk.size() > size_ - written_) {
    status_ = absl::InvalidArgumentError(absl::StrFormat(
        "volume %d: needle %#x: more data than the declared %d bytes",
        volume_->id_, header_.id, size_));
    return status_;
  }
  crc_ = crc32c::Extend(crc_, chunk.data(), chunk.size());
  written_ += chunk.size();
  if (buffer_.size() + chunk.size() <= kWriteBuffer) {
    buffer_.append(chunk.data(), chunk.size());
    return absl::OkStatus();
  }
  RETURN_IF_ERROR(FlushBuffer());
  if (chunk.size() >= kWriteBuffer) {
    absl::Status status = file_->WriteAt(buffer_at_, chunk);
    if (!status.ok()) {
      status_ = status;
      return status;
    }
    buffer_at_ += chunk.size();
  } else {
    buffer_.assign(chunk.data(), chunk.size());
  }
  return absl::OkStatus();
}

absl::StatusOr<AppendResult> NeedleWriter::Commit() {
  if (!status_.ok()) return status_;
  if (finished_) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "volume %d: needle %#x: already committed", volume_->id_, header_.id));
  }
  if (written_ != size_) {
    status_ = absl::InvalidArgumentError(absl::StrFormat(
        "volume %d: needle %#x: data ended after %d of %d bytes",
        volume_->id_, header_.id, written_, size_));
    return status_;
  }
  CRASH_POINT(kVolumeAppendAfterData);
  buffer_ += EncodeNeedleFooter(crc_, header_.header_size() + size_);
  RETURN_IF_ERROR(FlushBuffer());
  absl::StatusOr<AppendResult> result = volume_->FinishWrite(this);
  if (!result.ok()) status_ = result.status();
  return result;
}

void Volume::AwaitSwitchLocked(uint64_t id) {
  if (!switching_) return;
  if (options_.on_held_for_switch_for_testing) {
    options_.on_held_for_switch_for_testing(id);
  }
  while (switching_) cv_.Wait(&mu_);
}

absl::StatusOr<std::unique_ptr<NeedleWriter>> Volume::Reserve(
    NeedleHeader header, bool id_claimed) {
  AwaitSwitchLocked(header.id);
  // A read-only volume takes no new data but still takes deletes, unless an
  // I/O error made it read-only.
  if (header.tombstone() ? !failure_.ok() : read_only_) {
    if (id_claimed) inflight_ids_.erase(header.id);
    return absl::FailedPreconditionError(absl::StrCat(
        "volume ", id_, ": read-only",
        failure_.ok() ? "" : absl::StrCat(" after an I/O error: ",
                                          failure_.message())));
  }
  if (!id_claimed && !inflight_ids_.insert(header.id).second) {
    return absl::AbortedError(absl::StrFormat(
        "volume %d: needle %#x: another write of this needle is in progress",
        id_, header.id));
  }
  const uint64_t total = header.total_size();
  // A full volume still takes deletes: tombstones may grow it past
  // max_size (up to what the index can address), so that deleting and then
  // compacting can free a full volume.
  const uint64_t limit =
      header.tombstone() ? kMaxVolumeSize : options_.max_size;
  if (total > limit || end_ > limit - total) {
    inflight_ids_.erase(header.id);
    return absl::ResourceExhaustedError(absl::StrFormat(
        "volume %d: full: %d of %d bytes used, needle %#x needs %d", id_, end_,
        options_.max_size, header.id, total));
  }
  const uint64_t offset = end_;
  end_ += total;
  inflight_offsets_.insert(offset);
  inflight_bytes_ += total;
  if (total <= kMaxPreallocatedNeedle) PreallocateLocked();
  ++live_writers_;
  return std::unique_ptr<NeedleWriter>(
      new NeedleWriter(this, data_, std::move(header), offset));
}

void Volume::PreallocateLocked() {
  const uint64_t step = options_.preallocate_bytes;
  if (step == 0 || options_.sync_policy == SyncPolicy::kNone ||
      allocated_ >= end_ + step / 2) {
    return;
  }
  // Only bytes past end_ are written: every region below it belongs to a
  // needle, written or in flight. Zeros read as no needle, so a crash
  // leaves a tail that recovery cuts off like any torn one.
  const uint64_t from = std::max(allocated_, end_);
  const uint64_t to = std::min(end_ + step, options_.max_size);
  for (uint64_t at = from; at < to;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kZeroChunk, to - at));
    absl::Status status = data_->WriteAt(at, Zeros(n));
    if (!status.ok()) {
      // Appends still work, growing the file as they go; a partial write
      // left zeros that only this volume's end can reach.
      spdlog::debug("volume {}: writing zeros ahead at offset {}: {}", id_, at,
                    status.ToString());
      return;
    }
    at += n;
    allocated_ = at;
  }
  // Start writing the zeros back now, so that the next fdatasync, which
  // must write the file's new size anyway, does not also write them all.
  data_->StartWriteback(from, to - from);
}

absl::StatusOr<std::unique_ptr<NeedleWriter>> Volume::BeginAppend(
    const AppendRequest& request) {
  if (request.content_type.size() > kMaxContentTypeSize) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "volume %d: needle %#x: content type of %d bytes, at most %d", id_,
        request.needle_id, request.content_type.size(), kMaxContentTypeSize));
  }
  NeedleHeader header;
  header.id = request.needle_id;
  header.cookie = request.cookie;
  header.data_size = request.size;
  header.content_type = request.content_type;
  header.last_modified_ms = request.last_modified_ms != 0
                                ? request.last_modified_ms
                                : absl::ToUnixMillis(absl::Now());
  absl::StatusOr<std::unique_ptr<NeedleWriter>> writer;
  {
    absl::MutexLock lock(&mu_);
    // Look only once no switch-over holds new writes: waiting for one
    // releases the lock, and a write of this id in flight when it began
    // may commit meanwhile. Reserve then claims the id (or finds it claimed)
    // under the same hold of the lock as this look.
    AwaitSwitchLocked(request.needle_id);
    if (request.only_if_new && index_.Get(request.needle_id).has_value()) {
      return absl::AlreadyExistsError(absl::StrFormat(
          "volume %d: needle %#x: already written", id_, request.needle_id));
    }
    writer = Reserve(std::move(header), /*id_claimed=*/false);
  }
  if (writer.ok()) CRASH_POINT(kVolumeAppendAfterReserve);
  return writer;
}

absl::StatusOr<AppendResult> Volume::Append(const AppendRequest& request,
                                            absl::string_view data) {
  ASSIGN_OR_RETURN(std::unique_ptr<NeedleWriter> writer, BeginAppend(request));
  RETURN_IF_ERROR(writer->Write(data));
  return writer->Commit();
}

absl::Status Volume::Delete(uint64_t id, uint32_t cookie) {
  std::shared_ptr<File> file;
  NeedleLocation location;
  {
    absl::MutexLock lock(&mu_);
    if (export_state_ == ExportState::kCopying) {
      // The tombstone would miss the copy on its way to another server:
      // the master sends the delete again, to wherever the volume is then.
      return absl::UnavailableError(absl::StrCat(
          "volume ", id_, " is being copied to another server; delete again "
          "later"));
    }
    std::optional<NeedleLocation> found = index_.Get(id);
    if (!found) {
      return absl::NotFoundError(
          absl::StrFormat("volume %d: needle %#x not found", id_, id));
    }
    if (!inflight_ids_.insert(id).second) {
      return absl::AbortedError(absl::StrFormat(
          "volume %d: needle %#x: another write of this needle is in progress",
          id_, id));
    }
    location = *found;
    file = data_;
  }
  // Check the cookie outside the lock; the claim on the id keeps the needle
  // where it is meanwhile.
  std::string head(std::min<uint64_t>(location.size, kMaxNeedleHeaderSize),
                   '\0');
  absl::Status read = ReadExactly(*file, location.offset, head.data(), head.size());
  absl::StatusOr<NeedleHeader> header =
      read.ok() ? DecodeNeedleHeader(head, salt_) : read;
  NeedleHeader tombstone;
  tombstone.id = id;
  tombstone.cookie = cookie;
  tombstone.flags = kNeedleFlagTombstone;
  tombstone.last_modified_ms = absl::ToUnixMillis(absl::Now());
  std::unique_ptr<NeedleWriter> writer;
  {
    absl::MutexLock lock(&mu_);
    if (!header.ok() || header->cookie != cookie) {
      inflight_ids_.erase(id);
      if (!header.ok()) return header.status();
      return absl::NotFoundError(
          absl::StrFormat("volume %d: needle %#x not found", id_, id));
    }
    CRASH_POINT(kVolumeDeleteBeforeTombstone);
    ASSIGN_OR_RETURN(writer,
                     Reserve(std::move(tombstone), /*id_claimed=*/true));
  }
  return writer->Commit().status();
}

absl::StatusOr<AppendResult> Volume::FinishWrite(NeedleWriter* writer) {
  CRASH_POINT(kVolumeAppendBeforeSync);
  RETURN_IF_ERROR(WaitDurable(writer->file_.get()));
  CRASH_POINT(kVolumeAppendAfterSync);
  AppendResult result;
  result.location = NeedleLocation{writer->offset_, writer->header_.total_size()};
  result.crc32c = writer->crc_;
  absl::MutexLock lock(&mu_);
  ApplyLocked(writer->header_, result.location);
  inflight_offsets_.erase(writer->offset_);
  inflight_bytes_ -= writer->header_.total_size();
  inflight_ids_.erase(writer->header_.id);
  writer->finished_ = true;
  if (options_.sync_policy != SyncPolicy::kNone &&
      index_file_->buffered_records() >= options_.index_flush_records) {
    // The volume file holds the needle durably; a failed index write only
    // means a longer tail scan after a crash. FlushIndexLocked logs it.
    // (Under kNone only Sync() writes records, after syncing the data.)
    FlushIndexLocked().IgnoreError();
  }
  cv_.SignalAll();
  return result;
}

void Volume::AbandonWrite(NeedleWriter* writer) {
  absl::MutexLock lock(&mu_);
  const uint64_t total = writer->header_.total_size();
  bool given_back = false;
  if (end_ == writer->offset_ + total && !switching_) {
    // The file's tail: give the region back. Where zeros were written past
    // it, zero the header instead, so the region reads as zeros again.
    if (allocated_ > end_) {
      given_back = writer->file_
                       ->WriteAt(writer->offset_,
                                 Zeros(std::min<uint64_t>(total, kMaxNeedleHeaderSize)))
                       .ok();
    } else {
      given_back = writer->file_->Truncate(writer->offset_).ok();
      if (given_back) allocated_ = writer->offset_;
    }
    if (given_back) end_ = writer->offset_;
  }
  if (!given_back) {
    // Mark the region as padding so that scans step over it. If this write
    // fails or is lost, a scan steps over a region whose data is incomplete
    // (its checksum fails); but a needle written whole whose fsync failed
    // may then be found and indexed: an orphan no client was told about,
    // which the master never recorded.
    absl::Status status = writer->file_->WriteAt(
        writer->offset_, EncodeNeedleHeader(PaddingHeader(total), salt_));
    if (!status.ok()) {
      spdlog::warn("volume {}: marking an abandoned write as padding: {}", id_,
                   status.ToString());
    }
  }
  inflight_offsets_.erase(writer->offset_);
  inflight_bytes_ -= writer->header_.total_size();
  inflight_ids_.erase(writer->header_.id);
  writer->finished_ = true;
  cv_.SignalAll();
}

void Volume::WriterDestroyed() {
  absl::MutexLock lock(&mu_);
  --live_writers_;
}

absl::Status Volume::WaitDurable(File* file) {
  switch (options_.sync_policy) {
    case SyncPolicy::kNone:
      return absl::OkStatus();
    case SyncPolicy::kEveryWrite: {
      // Writers share one file descriptor, and the kernel reports a failed
      // write-back to only one fsync of it, though it may have dropped
      // every writer's dirty pages: once a sync of the volume has failed,
      // a writer's own fsync that succeeds later or meanwhile proves
      // nothing.
      {
        absl::MutexLock lock(&mu_);
        if (!failure_.ok()) return failure_;
      }
      absl::Status status = file->Sync();
      absl::MutexLock lock(&mu_);
      if (!status.ok()) {
        TurnReadOnlyLocked(status);
      } else if (!failure_.ok()) {
        // Another sync failed while this one ran.
        status = failure_;
      }
      return status;
    }
    case SyncPolicy::kGroupCommit:
      break;
  }
  // Group commit: a writer whose data no running sync covers starts one, if
  // none runs, or if fewer than max_syncs_in_flight run and the newest has
  // run overlap_syncs_after; it syncs for everyone whose data was written
  // before it began. The others wait for a sync to cover them.
  mu_.Lock();
  const uint64_t ticket = ++write_seq_;
  while (synced_seq_ < ticket) {
    if (!failure_.ok()) {
      absl::Status failure = failure_;
      mu_.Unlock();
      return failure;
    }
    if (sync_target_ >= ticket ||
        syncs_running_ >= options_.max_syncs_in_flight) {
      synced_cv_.Wait(&mu_);
      continue;
    }
    const absl::Time now = absl::Now();
    if (syncs_running_ > 0 &&
        now < last_sync_started_ + options_.overlap_syncs_after) {
      synced_cv_.WaitWithDeadline(
          &mu_, last_sync_started_ + options_.overlap_syncs_after);
      continue;
    }
    ++syncs_running_;
    last_sync_started_ = now;
    const uint64_t target = write_seq_;
    sync_target_ = target;
    mu_.Unlock();
    // Once this fdatasync returns, every write numbered up to `target` is
    // on stable storage: it writes back every page dirty when it starts and
    // waits for pages another sync has under writeback, then flushes the
    // device. Syncs may finish out of order, hence the max.
    absl::Status status = file->Sync();
    mu_.Lock();
    --syncs_running_;
    if (!status.ok()) {
      // Never retried: after a failed fsync the kernel may have dropped the
      // dirty pages, so a later successful fsync proves nothing.
      TurnReadOnlyLocked(status);
    } else if (failure_.ok()) {
      synced_seq_ = std::max(synced_seq_, target);
    }
    // Else another sync failed while this one ran, and the kernel reports a
    // write-back error to only one of them: this success proves nothing
    // either, and everyone still waiting fails.
    synced_cv_.SignalAll();
  }
  mu_.Unlock();
  return absl::OkStatus();
}

void Volume::ApplyLocked(const NeedleHeader& header, NeedleLocation location) {
  if (header.tombstone()) {
    if (index_.Remove(header.id)) ++deleted_count_;
    index_file_->AddDelete(header.id);
  } else {
    index_.Put(header.id, location);
    index_file_->AddPut(header.id, location);
  }
  RecordForCompactionLocked(header, location);
}

}  // namespace warehouse::volume
