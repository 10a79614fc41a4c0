// All the volumes of one data directory, as one volume server serves them.
//
// Opens every volume found in the directory (recovering those that crashed),
// creates new ones on request, and syncs every index in the background so a
// crash rescans only the last few seconds of writes.
//
// Thread-safe. Volumes are never removed while the store is open, so a
// Volume* from GetVolume() stays valid until Close() or destruction.
#ifndef WAREHOUSE_VOLUME_STORE_H_
#define WAREHOUSE_VOLUME_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "volume/volume.h"

namespace warehouse::volume {

struct StoreOptions {
  VolumeOptions volume;  // for every volume of the store
  // CreateVolume refuses past this many volumes.
  uint32_t max_volumes = 8;
  // How often the background thread syncs every volume's index; zero for
  // never (tests).
  absl::Duration sync_interval = absl::Seconds(5);
};

class Store {
 public:
  // Opens (creating if needed) `dir` and every volume in it. A volume that
  // cannot be opened is logged and left out, so one damaged file does not
  // take the others down; failed_volumes() lists it. Errors: the directory
  // cannot be created or listed.
  static absl::StatusOr<std::unique_ptr<Store>> Open(const std::string& dir,
                                                     const StoreOptions& options);
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  // Stops the sync thread; volumes are closed as after a crash unless
  // Close() ran.
  ~Store();

  // Creates volume `id`. Errors: AlreadyExists, ResourceExhausted (the
  // store holds max_volumes), I/O errors.
  absl::StatusOr<Volume*> CreateVolume(uint32_t id) ABSL_LOCKS_EXCLUDED(mu_);
  // Errors: NotFound.
  absl::StatusOr<Volume*> GetVolume(uint32_t id) const ABSL_LOCKS_EXCLUDED(mu_);

  // Compacts volume `id` (Volume::Compact) when the disk has room for the
  // copy, which exists beside the old file until the switch: the volume's
  // live bytes, an index record per live needle, and kCompactionSpareBytes
  // for the writes to every volume that go on meanwhile. A copy that ran
  // the disk out of space would fail those writes too. Errors: NotFound;
  // ResourceExhausted (no room: nothing was written); the volume's.
  absl::StatusOr<CompactionResult> Compact(uint32_t id,
                                           const CompactionOptions& options)
      ABSL_LOCKS_EXCLUDED(mu_);
  static constexpr uint64_t kCompactionSpareBytes = uint64_t{64} << 20;

  // Bytes free on the disk holding the directory. Errors: the file
  // system's.
  absl::StatusOr<uint64_t> FreeBytes() const;

  std::vector<VolumeUsage> Usage() const ABSL_LOCKS_EXCLUDED(mu_);
  // Volumes that failed to open, with why.
  std::map<uint32_t, absl::Status> failed_volumes() const
      ABSL_LOCKS_EXCLUDED(mu_);
  uint32_t max_volumes() const { return options_.max_volumes; }
  const std::string& dir() const { return dir_; }

  // Syncs every volume's index. Returns the first error; tries them all.
  absl::Status SyncAll() ABSL_LOCKS_EXCLUDED(mu_);
  // Clean shutdown: stops the sync thread and closes every volume.
  // REQUIRES: no writes in flight.
  absl::Status Close() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  Store(std::string dir, StoreOptions options);
  void SyncLoop();
  void StopSyncThread();
  // Logs a volume's failed sync once per error rather than at every
  // interval: a volume an I/O error made read-only fails every sync after.
  void LogSyncResult(uint32_t volume_id, const absl::Status& status)
      ABSL_LOCKS_EXCLUDED(sync_log_mu_);

  // Immutable after Open().
  const std::string dir_;
  const StoreOptions options_;

  mutable absl::Mutex mu_;
  std::map<uint32_t, std::unique_ptr<Volume>> volumes_ ABSL_GUARDED_BY(mu_);
  std::map<uint32_t, absl::Status> failed_ ABSL_GUARDED_BY(mu_);

  absl::Notification stop_;
  std::thread sync_thread_;

  absl::Mutex sync_log_mu_;
  // The error last logged per volume; absent or empty while syncs succeed.
  std::map<uint32_t, std::string> sync_errors_logged_
      ABSL_GUARDED_BY(sync_log_mu_);
};

}  // namespace warehouse::volume

#endif  // WAREHOUSE_VOLUME_STORE_H_
