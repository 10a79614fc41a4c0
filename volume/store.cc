#include "volume/store.h"

#include <algorithm>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/crc32c.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"
#include "volume/needle_format.h"

namespace warehouse::volume {

Store::Store(std::string dir, StoreOptions options)
    : dir_(std::move(dir)), options_(std::move(options)) {}

Store::~Store() { syncs_.Stop(); }

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& dir,
                                                   const StoreOptions& options) {
  FileSystem* fs = options.volume.fs;
  RETURN_IF_ERROR(fs->CreateDirs(dir));
  ASSIGN_OR_RETURN(std::vector<std::string> names, fs->ListDir(dir));
  std::unique_ptr<Store> store(new Store(dir, options));
  for (const std::string& name : names) {
    if (absl::EndsWith(name, ".incoming")) {
      // A volume whose copy from another server was cut short: the master
      // copies it again if it still wants it here.
      const std::string path = absl::StrCat(dir, "/", name);
      spdlog::info("store {}: removing {}, a copy that did not finish", dir,
                   name);
      RETURN_IF_ERROR(fs->Remove(path));
      continue;
    }
    absl::string_view stem = name;
    uint32_t id;
    if (!absl::ConsumeSuffix(&stem, ".dat") || !absl::SimpleAtoi(stem, &id) ||
        absl::StrCat(id) != stem) {
      continue;
    }
    absl::StatusOr<std::unique_ptr<Volume>> volume =
        Volume::Open(dir, id, options.volume);
    absl::MutexLock lock(&store->mu_);
    if (volume.ok()) {
      store->volumes_[id] = *std::move(volume);
    } else {
      spdlog::error("volume {}: cannot open, leaving it out: {}", id,
                    volume.status().ToString());
      store->failed_[id] = volume.status();
    }
  }
  {
    absl::MutexLock lock(&store->mu_);
    spdlog::info("store {}: opened {} volumes", dir, store->volumes_.size());
  }
  if (options.sync_interval > absl::ZeroDuration()) {
    store->syncs_.Start(options.sync_interval, [s = store.get()] {
      s->SyncAll().IgnoreError();
    });
  }
  return store;
}

absl::StatusOr<CompactionResult> Store::Compact(
    uint32_t id, const CompactionOptions& options) {
  ASSIGN_OR_RETURN(const std::shared_ptr<Volume> volume, GetVolume(id));
  const VolumeUsage usage = volume->Usage();
  const uint64_t needed = usage.live_bytes +
                          usage.needle_count * kIndexRecordSize +
                          kCompactionSpareBytes;
  ASSIGN_OR_RETURN(const uint64_t free, FreeBytes());
  if (free < needed) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "volume ", id, ": compacting it needs ", needed, " bytes free in ",
        dir_, " (its ", usage.live_bytes, " live bytes and their index, and ",
        kCompactionSpareBytes, " to spare), and there are ", free,
        "; nothing was copied"));
  }
  return volume->Compact(options);
}

absl::StatusOr<uint64_t> Store::FreeBytes() const {
  return options_.volume.fs->FreeBytes(dir_);
}

absl::Status Store::CheckRoomLocked(uint32_t id) const {
  if (volumes_.count(id) || failed_.count(id)) {
    return absl::AlreadyExistsError(absl::StrCat("volume ", id, " exists"));
  }
  if (imports_.count(id)) {
    return absl::AlreadyExistsError(
        absl::StrCat("volume ", id, " is being received from another server"));
  }
  const size_t held = volumes_.size() + imports_.size();
  if (held >= options_.max_volumes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "store ", dir_, ": already holds ", held, " of ",
        options_.max_volumes, " volumes"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<Volume>> Store::CreateVolume(uint32_t id) {
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(CheckRoomLocked(id));
  ASSIGN_OR_RETURN(std::shared_ptr<Volume> volume,
                   Volume::Create(dir_, id, options_.volume));
  volumes_[id] = volume;
  spdlog::info("volume {}: created", id);
  return volume;
}

absl::StatusOr<std::shared_ptr<Volume>> Store::GetVolume(
    uint32_t id) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = volumes_.find(id);
  if (it == volumes_.end()) {
    return absl::NotFoundError(absl::StrCat("volume ", id, " not found"));
  }
  return it->second;
}

std::vector<std::shared_ptr<Volume>> Store::AllVolumes() const {
  std::vector<std::shared_ptr<Volume>> volumes;
  absl::ReaderMutexLock lock(&mu_);
  for (const auto& [id, volume] : volumes_) volumes.push_back(volume);
  return volumes;
}

std::vector<VolumeUsage> Store::Usage() const {
  std::vector<VolumeUsage> usage;
  for (const auto& volume : AllVolumes()) usage.push_back(volume->Usage());
  return usage;
}

absl::StatusOr<std::unique_ptr<VolumeImport>> Store::BeginImport(
    uint32_t id, const ExportSizes& sizes) {
  FileSystem* fs = options_.volume.fs;
  const std::string data_path = IncomingPath(Volume::DataPath(dir_, id));
  const std::string index_path = IncomingPath(Volume::IndexPath(dir_, id));
  // No file system holds this much; the sum below could not overflow.
  constexpr uint64_t kMaxFileBytes = uint64_t{1} << 62;
  if (sizes.data_bytes > kMaxFileBytes || sizes.index_bytes > kMaxFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "volume ", id, ": a copy of ", sizes.data_bytes, " and ",
        sizes.index_bytes, " bytes is not a volume"));
  }
  {
    absl::MutexLock lock(&mu_);
    RETURN_IF_ERROR(CheckRoomLocked(id));
    ASSIGN_OR_RETURN(const uint64_t free, FreeBytes());
    const uint64_t needed =
        sizes.data_bytes + sizes.index_bytes + kCompactionSpareBytes;
    if (free < needed) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "volume ", id, ": receiving it needs ", needed, " bytes free in ",
          dir_, " (its ", sizes.data_bytes + sizes.index_bytes,
          " bytes and ", kCompactionSpareBytes, " to spare), and there are ",
          free));
    }
    imports_[id] = false;
  }
  absl::Cleanup forget = [this, id] { EndImport(id, false); };
  // Left over from an import cut short while this server ran: replaced.
  ASSIGN_OR_RETURN(std::unique_ptr<File> data,
                   fs->Open(data_path, OpenMode::kCreate));
  RETURN_IF_ERROR(data->Truncate(0));
  ASSIGN_OR_RETURN(std::unique_ptr<File> index,
                   fs->Open(index_path, OpenMode::kCreate));
  RETURN_IF_ERROR(index->Truncate(0));
  std::move(forget).Cancel();
  return std::unique_ptr<VolumeImport>(
      new VolumeImport(this, id, sizes, std::move(data), std::move(index)));
}

void Store::EndImport(uint32_t id, bool whole) {
  if (!whole) {
    RemoveFiles({IncomingPath(Volume::DataPath(dir_, id)),
                 IncomingPath(Volume::IndexPath(dir_, id))})
        .IgnoreError();
  }
  absl::MutexLock lock(&mu_);
  if (whole) {
    imports_[id] = true;
  } else {
    imports_.erase(id);
  }
}

absl::StatusOr<std::shared_ptr<Volume>> Store::AdoptVolume(uint32_t id) {
  FileSystem* fs = options_.volume.fs;
  {
    absl::MutexLock lock(&mu_);
    if (volumes_.count(id) || failed_.count(id)) {
      return absl::AlreadyExistsError(absl::StrCat("volume ", id, " exists"));
    }
    auto import = imports_.find(id);
    if (import == imports_.end() || !import->second) {
      return absl::NotFoundError(absl::StrCat(
          "volume ", id, ": no copy of it was received whole"));
    }
  }
  // Read-only first, so that the volume never serves a write before the
  // master has it where it wants it.
  ASSIGN_OR_RETURN(
      std::unique_ptr<File> marker,
      fs->Open(Volume::ReadOnlyMarkerPath(dir_, id), OpenMode::kCreate));
  RETURN_IF_ERROR(fs->SyncDir(dir_));
  // The volume file takes its name first: a crash before the index file
  // follows leaves a volume that opens by scanning it whole.
  RETURN_IF_ERROR(fs->Rename(IncomingPath(Volume::DataPath(dir_, id)),
                             Volume::DataPath(dir_, id)));
  RETURN_IF_ERROR(fs->Rename(IncomingPath(Volume::IndexPath(dir_, id)),
                             Volume::IndexPath(dir_, id)));
  RETURN_IF_ERROR(fs->SyncDir(dir_));
  absl::StatusOr<std::shared_ptr<Volume>> volume =
      Volume::Open(dir_, id, options_.volume);
  absl::MutexLock lock(&mu_);
  imports_.erase(id);
  if (!volume.ok()) {
    failed_[id] = volume.status();
    return volume.status();
  }
  volumes_[id] = *volume;
  spdlog::info("volume {}: adopted, read-only", id);
  return volume;
}

absl::Status Store::DropVolume(uint32_t id) {
  std::shared_ptr<Volume> volume;
  {
    absl::MutexLock lock(&mu_);
    auto import = imports_.find(id);
    if (import != imports_.end()) {
      if (!import->second) {
        return absl::FailedPreconditionError(
            absl::StrCat("volume ", id, " is still being received"));
      }
      imports_.erase(import);
      spdlog::info("volume {}: dropping the copy received", id);
      return RemoveFiles({IncomingPath(Volume::DataPath(dir_, id)),
                          IncomingPath(Volume::IndexPath(dir_, id))});
    }
    auto it = volumes_.find(id);
    if (it == volumes_.end()) return absl::OkStatus();
    if (it->second->Usage().compacting) {
      return absl::FailedPreconditionError(
          absl::StrCat("volume ", id, " is compacting"));
    }
    volume = std::move(it->second);
    volumes_.erase(it);
  }
  spdlog::info("volume {}: dropped; another server holds it", id);
  // The volume file first: without it, nothing of the volume is opened.
  return RemoveFiles({Volume::DataPath(dir_, id), Volume::IndexPath(dir_, id),
                      Volume::ReadOnlyMarkerPath(dir_, id)});
}

absl::Status Store::RemoveFiles(const std::vector<std::string>& paths) {
  FileSystem* fs = options_.volume.fs;
  for (const std::string& path : paths) {
    absl::Status removed = fs->Remove(path);
    if (!removed.ok() && !absl::IsNotFound(removed)) return removed;
  }
  return fs->SyncDir(dir_);
}

VolumeImport::~VolumeImport() {
  if (!finished_) store_->EndImport(id_, false);
}

absl::Status VolumeImport::Write(absl::string_view bytes) {
  const uint64_t total = sizes_.data_bytes + sizes_.index_bytes;
  if (bytes.size() > total - received_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "volume ", id_, ": more than the ", total, " bytes announced"));
  }
  crc_ = crc32c::Extend(crc_, bytes.data(), bytes.size());
  while (!bytes.empty()) {
    const bool in_data = received_ < sizes_.data_bytes;
    const uint64_t at = in_data ? received_ : received_ - sizes_.data_bytes;
    const size_t n = in_data ? std::min<uint64_t>(bytes.size(),
                                                  sizes_.data_bytes - received_)
                             : bytes.size();
    File& file = in_data ? *data_ : *index_;
    RETURN_IF_ERROR(file.WriteAt(at, bytes.substr(0, n)));
    bytes.remove_prefix(n);
    received_ += n;
  }
  return absl::OkStatus();
}

absl::Status VolumeImport::Finish(uint32_t crc32c) {
  const uint64_t total = sizes_.data_bytes + sizes_.index_bytes;
  if (received_ != total) {
    return absl::InvalidArgumentError(absl::StrCat(
        "volume ", id_, ": ", received_, " of the ", total,
        " bytes announced arrived"));
  }
  if (crc_ != crc32c) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "volume %d: the bytes received have CRC-32C %08x, the sender's "
        "%08x",
        id_, crc_, crc32c));
  }
  RETURN_IF_ERROR(data_->Sync());
  RETURN_IF_ERROR(index_->Sync());
  finished_ = true;
  store_->EndImport(id_, true);
  return absl::OkStatus();
}

std::map<uint32_t, absl::Status> Store::failed_volumes() const {
  absl::ReaderMutexLock lock(&mu_);
  return failed_;
}

absl::Status Store::SyncAll() {
  absl::Status first;
  for (const auto& volume : AllVolumes()) {
    absl::Status status = volume->Sync();
    LogSyncResult(volume->id(), status);
    first.Update(status);
  }
  return first;
}

void Store::LogSyncResult(uint32_t volume_id, const absl::Status& status) {
  const std::string error = status.ok() ? "" : status.ToString();
  absl::MutexLock lock(&sync_log_mu_);
  std::string& logged = sync_errors_logged_[volume_id];
  if (error == logged) return;
  if (status.ok()) {
    spdlog::info("volume {}: syncs succeed again", volume_id);
  } else {
    spdlog::warn("volume {}: sync failed: {}", volume_id, error);
  }
  logged = error;
}

absl::Status Store::Close() {
  syncs_.Stop();
  absl::MutexLock lock(&mu_);
  absl::Status first;
  for (auto& [id, volume] : volumes_) first.Update(volume->Close());
  return first;
}

}  // namespace warehouse::volume
