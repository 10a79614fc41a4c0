#include "tests/support/fault_injection_file_system.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace warehouse::testing {

class FaultInjectionFile final : public File {
 public:
  FaultInjectionFile(FaultInjectionFileSystem* fs, std::unique_ptr<File> base)
      : fs_(fs), base_(std::move(base)) {}

  absl::StatusOr<size_t> ReadAt(uint64_t offset, char* buf,
                                size_t n) override {
    return base_->ReadAt(offset, buf, n);
  }

  absl::Status WriteAt(uint64_t offset, absl::string_view data) override {
    bool fail = false;
    uint64_t allowed = fs_->AllowWrite(data.size(), &fail);
    fs_->RecordWrite(*base_, path(), offset, allowed);
    if (allowed > 0) {
      RETURN_IF_ERROR(base_->WriteAt(offset, data.substr(0, allowed)));
    }
    if (fail) return ErrnoToStatus(ENOSPC, "pwrite", path());
    return absl::OkStatus();
  }

  absl::Status Sync() override { return fs_->OnSync(*base_, path()); }

  // A hint: what it writes back still counts as unsynced.
  void StartWriteback(uint64_t offset, uint64_t length) override {
    base_->StartWriteback(offset, length);
  }

  absl::Status Truncate(uint64_t size) override {
    ASSIGN_OR_RETURN(uint64_t old_size, base_->Size());
    if (size < old_size) fs_->RecordWrite(*base_, path(), size, old_size - size);
    return base_->Truncate(size);
  }

  absl::StatusOr<uint64_t> Size() override { return base_->Size(); }
  int fd() const override { return base_->fd(); }
  const std::string& path() const override { return base_->path(); }

 private:
  FaultInjectionFileSystem* const fs_;
  const std::unique_ptr<File> base_;
};

FaultInjectionFileSystem::FaultInjectionFileSystem(FileSystem* base)
    : base_(base) {}

absl::StatusOr<std::unique_ptr<File>> FaultInjectionFileSystem::Open(
    const std::string& path, OpenMode mode) {
  ASSIGN_OR_RETURN(bool existed, base_->Exists(path));
  ASSIGN_OR_RETURN(std::unique_ptr<File> file, base_->Open(path, mode));
  {
    absl::MutexLock lock(&mu_);
    if (!existed) {
      unsynced_creations_[path] = true;
      files_[path] = FileState{};
    } else if (files_.find(path) == files_.end()) {
      ASSIGN_OR_RETURN(uint64_t size, file->Size());
      files_[path] = FileState{size, {}};
    }
  }
  return std::unique_ptr<File>(
      std::make_unique<FaultInjectionFile>(this, std::move(file)));
}

absl::Status FaultInjectionFileSystem::Rename(const std::string& from,
                                              const std::string& to) {
  absl::MutexLock lock(&mu_);
  PendingRename pending{from, to, std::nullopt};
  ASSIGN_OR_RETURN(bool target_exists, base_->Exists(to));
  if (target_exists) {
    std::string backup = absl::StrCat(to, ".fi-backup-", backups_++);
    if (::link(to.c_str(), backup.c_str()) != 0) {
      return ErrnoToStatus(errno, "link", backup);
    }
    pending.replaced_backup = backup;
  }
  RETURN_IF_ERROR(base_->Rename(from, to));
  auto node = files_.extract(from);
  if (!node.empty()) {
    node.key() = to;
    files_.insert_or_assign(to, std::move(node.mapped()));
  }
  pending_renames_.push_back(std::move(pending));
  return absl::OkStatus();
}

absl::Status FaultInjectionFileSystem::Remove(const std::string& path) {
  absl::MutexLock lock(&mu_);
  files_.erase(path);
  unsynced_creations_.erase(path);
  return base_->Remove(path);
}

absl::Status FaultInjectionFileSystem::SyncDir(const std::string& dir) {
  absl::MutexLock lock(&mu_);
  if (SyncFailsLocked()) return ErrnoToStatus(EIO, "fsync directory", dir);
  RETURN_IF_ERROR(base_->SyncDir(dir));
  for (auto it = unsynced_creations_.begin(); it != unsynced_creations_.end();) {
    it = DirName(it->first) == dir ? unsynced_creations_.erase(it)
                                   : std::next(it);
  }
  std::vector<PendingRename> kept;
  for (PendingRename& rename : pending_renames_) {
    if (DirName(rename.to) == dir) {
      if (rename.replaced_backup) ::unlink(rename.replaced_backup->c_str());
    } else {
      kept.push_back(std::move(rename));
    }
  }
  pending_renames_ = std::move(kept);
  return absl::OkStatus();
}

absl::StatusOr<bool> FaultInjectionFileSystem::Exists(const std::string& path) {
  return base_->Exists(path);
}

absl::StatusOr<std::vector<std::string>> FaultInjectionFileSystem::ListDir(
    const std::string& dir) {
  ASSIGN_OR_RETURN(std::vector<std::string> names, base_->ListDir(dir));
  names.erase(std::remove_if(names.begin(), names.end(),
                             [](const std::string& name) {
                               return name.find(".fi-backup-") !=
                                      std::string::npos;
                             }),
              names.end());
  return names;
}

absl::Status FaultInjectionFileSystem::CreateDirs(const std::string& dir) {
  return base_->CreateDirs(dir);
}

absl::StatusOr<uint64_t> FaultInjectionFileSystem::FreeBytes(
    const std::string& dir) {
  {
    absl::MutexLock lock(&mu_);
    if (write_budget_.has_value()) return *write_budget_;
  }
  return base_->FreeBytes(dir);
}

void FaultInjectionFileSystem::FailWritesAfter(uint64_t bytes) {
  absl::MutexLock lock(&mu_);
  write_budget_ = bytes;
}

void FaultInjectionFileSystem::SetSyncFails(bool fail) {
  absl::MutexLock lock(&mu_);
  sync_fails_ = fail;
}

void FaultInjectionFileSystem::FailSyncsAfter(int syncs) {
  absl::MutexLock lock(&mu_);
  syncs_before_failing_ = syncs;
}

bool FaultInjectionFileSystem::SyncFailsLocked() {
  if (sync_fails_) return true;
  if (!syncs_before_failing_) return false;
  if (*syncs_before_failing_ == 0) return true;
  --*syncs_before_failing_;
  return false;
}

void FaultInjectionFileSystem::ClearFaults() {
  absl::MutexLock lock(&mu_);
  write_budget_.reset();
  sync_fails_ = false;
  syncs_before_failing_.reset();
}

int FaultInjectionFileSystem::syncs() const {
  absl::MutexLock lock(&mu_);
  return syncs_;
}

uint64_t FaultInjectionFileSystem::AllowWrite(uint64_t n, bool* fail) {
  absl::MutexLock lock(&mu_);
  *fail = false;
  if (!write_budget_) return n;
  uint64_t allowed = std::min(n, *write_budget_);
  *write_budget_ -= allowed;
  *fail = allowed < n;
  return allowed;
}

void FaultInjectionFileSystem::RecordWrite(File& base, const std::string& path,
                                           uint64_t offset, uint64_t n) {
  absl::MutexLock lock(&mu_);
  FileState& state = files_[path];
  if (offset >= state.synced_size || n == 0) return;
  uint64_t len = std::min(n, state.synced_size - offset);
  std::string old(len, '\0');
  absl::StatusOr<size_t> got = base.ReadAt(offset, old.data(), len);
  old.resize(got.ok() ? *got : 0);
  state.undo.push_back(Undo{offset, std::move(old)});
}

absl::Status FaultInjectionFileSystem::OnSync(File& base,
                                              const std::string& path) {
  absl::MutexLock lock(&mu_);
  if (SyncFailsLocked()) return ErrnoToStatus(EIO, "fdatasync", path);
  RETURN_IF_ERROR(base.Sync());
  ++syncs_;
  ASSIGN_OR_RETURN(uint64_t size, base.Size());
  files_[path] = FileState{size, {}};
  return absl::OkStatus();
}

absl::Status FaultInjectionFileSystem::DropUnsyncedData() {
  absl::MutexLock lock(&mu_);
  // Renames first, newest first, so that each file is back at the path its
  // unsynced writes were recorded under... which, for a renamed file, is the
  // path it was renamed to: undo data before undoing renames.
  for (auto& [path, state] : files_) {
    absl::StatusOr<bool> exists = base_->Exists(path);
    if (!exists.ok() || !*exists) continue;
    ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                     base_->Open(path, OpenMode::kReadWrite));
    for (auto undo = state.undo.rbegin(); undo != state.undo.rend(); ++undo) {
      RETURN_IF_ERROR(file->WriteAt(undo->offset, undo->old_bytes));
    }
    RETURN_IF_ERROR(file->Truncate(state.synced_size));
    state.undo.clear();
  }
  for (auto it = pending_renames_.rbegin(); it != pending_renames_.rend();
       ++it) {
    RETURN_IF_ERROR(base_->Rename(it->to, it->from));
    if (it->replaced_backup) {
      RETURN_IF_ERROR(base_->Rename(*it->replaced_backup, it->to));
    }
    auto node = files_.extract(it->to);
    if (!node.empty()) {
      node.key() = it->from;
      files_.insert_or_assign(it->from, std::move(node.mapped()));
    }
  }
  pending_renames_.clear();
  for (const auto& [path, unused] : unsynced_creations_) {
    absl::StatusOr<bool> exists = base_->Exists(path);
    if (exists.ok() && *exists) RETURN_IF_ERROR(base_->Remove(path));
    files_.erase(path);
  }
  unsynced_creations_.clear();
  return absl::OkStatus();
}

}  // namespace warehouse::testing
