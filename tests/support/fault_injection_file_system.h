// A FileSystem that wraps the real one and misbehaves on request.
//
// Modelled on LevelDB's fault_injection_test: it remembers what has not been
// made durable (bytes written since the file's last Sync, files created or
// renamed since their directory's last SyncDir) and DropUnsyncedData()
// throws exactly that away, as a power loss would. It can also make writes
// fail with ENOSPC after a byte budget, and make Sync fail with EIO.
//
// Thread-safe.
#ifndef WAREHOUSE_TESTS_SUPPORT_FAULT_INJECTION_FILE_SYSTEM_H_
#define WAREHOUSE_TESTS_SUPPORT_FAULT_INJECTION_FILE_SYSTEM_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/file.h"

namespace warehouse::testing {

class FaultInjectionFileSystem final : public FileSystem {
 public:
  // `*base` must outlive this object.
  explicit FaultInjectionFileSystem(FileSystem* base = FileSystem::Default());

  absl::StatusOr<std::unique_ptr<File>> Open(const std::string& path,
                                             OpenMode mode) override;
  absl::Status Rename(const std::string& from, const std::string& to) override;
  absl::Status Remove(const std::string& path) override;
  absl::Status SyncDir(const std::string& dir) override;
  absl::StatusOr<bool> Exists(const std::string& path) override;
  absl::StatusOr<std::vector<std::string>> ListDir(
      const std::string& dir) override;
  absl::Status CreateDirs(const std::string& dir) override;
  // The real file system's, or what is left of a FailWritesAfter budget.
  absl::StatusOr<uint64_t> FreeBytes(const std::string& dir) override;

  // After `bytes` more bytes have been written, writes fail with ENOSPC
  // (ResourceExhausted); the write that crosses the budget is cut short.
  void FailWritesAfter(uint64_t bytes) ABSL_LOCKS_EXCLUDED(mu_);
  // While set, every Sync fails with EIO and makes nothing durable.
  void SetSyncFails(bool fail) ABSL_LOCKS_EXCLUDED(mu_);
  // After `syncs` more successful syncs (of files or directories), every
  // sync fails as with SetSyncFails(true).
  void FailSyncsAfter(int syncs) ABSL_LOCKS_EXCLUDED(mu_);
  void ClearFaults() ABSL_LOCKS_EXCLUDED(mu_);

  // Simulates a power loss: undoes every write, file creation and rename
  // that was never made durable. Files opened through this object must all
  // be closed first.
  absl::Status DropUnsyncedData() ABSL_LOCKS_EXCLUDED(mu_);

  int syncs() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  friend class FaultInjectionFile;

  struct Undo {
    uint64_t offset;
    std::string old_bytes;
  };
  // What a power loss would throw away for one file.
  struct FileState {
    uint64_t synced_size = 0;
    std::vector<Undo> undo;  // overwrites of the synced region, oldest first
  };
  // A rename not yet made durable by SyncDir.
  struct PendingRename {
    std::string from;
    std::string to;
    std::optional<std::string> replaced_backup;  // hard link to what `to` was
  };

  // Returns how many of `n` bytes may be written, and whether to fail.
  uint64_t AllowWrite(uint64_t n, bool* fail) ABSL_LOCKS_EXCLUDED(mu_);
  void RecordWrite(File& base, const std::string& path, uint64_t offset,
                   uint64_t n) ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status OnSync(File& base, const std::string& path)
      ABSL_LOCKS_EXCLUDED(mu_);

  FileSystem* const base_;

  mutable absl::Mutex mu_;
  std::map<std::string, FileState> files_ ABSL_GUARDED_BY(mu_);
  // Files created since their directory was last synced.
  std::map<std::string, bool> unsynced_creations_ ABSL_GUARDED_BY(mu_);
  std::vector<PendingRename> pending_renames_ ABSL_GUARDED_BY(mu_);
  std::optional<uint64_t> write_budget_ ABSL_GUARDED_BY(mu_);
  bool sync_fails_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<int> syncs_before_failing_ ABSL_GUARDED_BY(mu_);
  // Whether this sync fails; counts down syncs_before_failing_.
  bool SyncFailsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int syncs_ ABSL_GUARDED_BY(mu_) = 0;
  int backups_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace warehouse::testing

#endif  // WAREHOUSE_TESTS_SUPPORT_FAULT_INJECTION_FILE_SYSTEM_H_
