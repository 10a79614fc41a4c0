#include "volume/store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"
#include "volume/needle_format.h"

namespace warehouse::volume {

Store::Store(std::string dir, StoreOptions options)
    : dir_(std::move(dir)), options_(std::move(options)) {}

Store::~Store() { StopSyncThread(); }

void Store::StopSyncThread() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (sync_thread_.joinable()) sync_thread_.join();
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& dir,
                                                   const StoreOptions& options) {
  FileSystem* fs = options.volume.fs;
  RETURN_IF_ERROR(fs->CreateDirs(dir));
  ASSIGN_OR_RETURN(std::vector<std::string> names, fs->ListDir(dir));
  std::unique_ptr<Store> store(new Store(dir, options));
  for (const std::string& name : names) {
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
    store->sync_thread_ = std::thread([s = store.get()] { s->SyncLoop(); });
  }
  return store;
}

absl::StatusOr<CompactionResult> Store::Compact(
    uint32_t id, const CompactionOptions& options) {
  ASSIGN_OR_RETURN(Volume* const volume, GetVolume(id));
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

absl::StatusOr<Volume*> Store::CreateVolume(uint32_t id) {
  absl::MutexLock lock(&mu_);
  if (volumes_.count(id) || failed_.count(id)) {
    return absl::AlreadyExistsError(absl::StrCat("volume ", id, " exists"));
  }
  if (volumes_.size() >= options_.max_volumes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "store ", dir_, ": already holds ", volumes_.size(), " of ",
        options_.max_volumes, " volumes"));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Volume> volume,
                   Volume::Create(dir_, id, options_.volume));
  Volume* raw = volume.get();
  volumes_[id] = std::move(volume);
  spdlog::info("volume {}: created", id);
  return raw;
}

absl::StatusOr<Volume*> Store::GetVolume(uint32_t id) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = volumes_.find(id);
  if (it == volumes_.end()) {
    return absl::NotFoundError(absl::StrCat("volume ", id, " not found"));
  }
  return it->second.get();
}

std::vector<VolumeUsage> Store::Usage() const {
  std::vector<Volume*> volumes;
  {
    absl::ReaderMutexLock lock(&mu_);
    for (const auto& [id, volume] : volumes_) volumes.push_back(volume.get());
  }
  std::vector<VolumeUsage> usage;
  for (Volume* volume : volumes) usage.push_back(volume->Usage());
  return usage;
}

std::map<uint32_t, absl::Status> Store::failed_volumes() const {
  absl::ReaderMutexLock lock(&mu_);
  return failed_;
}

absl::Status Store::SyncAll() {
  std::vector<Volume*> volumes;
  {
    absl::ReaderMutexLock lock(&mu_);
    for (const auto& [id, volume] : volumes_) volumes.push_back(volume.get());
  }
  absl::Status first;
  for (Volume* volume : volumes) {
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

void Store::SyncLoop() {
  while (!stop_.WaitForNotificationWithTimeout(options_.sync_interval)) {
    SyncAll().IgnoreError();
  }
}

absl::Status Store::Close() {
  StopSyncThread();
  absl::MutexLock lock(&mu_);
  absl::Status first;
  for (auto& [id, volume] : volumes_) first.Update(volume->Close());
  return first;
}

}  // namespace warehouse::volume
