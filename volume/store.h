// All the volumes of one data directory, as one volume server serves them.
//
// Opens every volume found in the directory (recovering those that crashed),
// creates new ones on request, and syncs every index in the background so a
// crash rescans only the last few seconds of writes.
//
// Volumes move between servers (docs/volume_server.md, "Moving a volume"):
// this store can receive one (BeginImport, then AdoptVolume) and drop one
// another server now holds (DropVolume).
//
// Thread-safe. A volume dropped while a caller holds it from GetVolume()
// stays usable by that caller, its files gone from the directory.
#ifndef WAREHOUSE_VOLUME_STORE_H_
#define WAREHOUSE_VOLUME_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/periodic_thread.h"
#include "volume/volume.h"

namespace warehouse::volume {

class Store;

// One volume being received, from Store::BeginImport. Write() the bytes
// Volume::Export sent, then Finish(). Destroying an import not finished
// removes what it wrote. Not thread-safe; the store must outlive it.
class VolumeImport {
 public:
  VolumeImport(const VolumeImport&) = delete;
  VolumeImport& operator=(const VolumeImport&) = delete;
  ~VolumeImport();

  // Writes the next bytes: the volume file's, then the index file's.
  // Errors: InvalidArgument (more than the sizes declared); write errors.
  absl::Status Write(absl::string_view bytes);
  // Checks that every byte arrived with CRC-32C `crc32c` and syncs both
  // files; the volume can then be adopted. Errors: InvalidArgument (bytes
  // missing, or the CRC-32C differs); I/O errors.
  absl::Status Finish(uint32_t crc32c);

  uint64_t received() const { return received_; }

 private:
  friend class Store;
  VolumeImport(Store* store, uint32_t id, ExportSizes sizes,
               std::unique_ptr<File> data, std::unique_ptr<File> index)
      : store_(store), id_(id), sizes_(sizes), data_(std::move(data)),
        index_(std::move(index)) {}

  Store* const store_;
  const uint32_t id_;
  const ExportSizes sizes_;
  const std::unique_ptr<File> data_;
  const std::unique_ptr<File> index_;
  uint64_t received_ = 0;
  uint32_t crc_ = 0;
  bool finished_ = false;
};

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
  absl::StatusOr<std::shared_ptr<Volume>> CreateVolume(uint32_t id)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Errors: NotFound.
  absl::StatusOr<std::shared_ptr<Volume>> GetVolume(uint32_t id) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Begins receiving volume `id` as another server's Volume::Export sends
  // it, into files beside the volumes under names Open never opens (and
  // removes, as a crash's leftovers). Counts against max_volumes until
  // it is adopted or dropped. Errors: AlreadyExists (the store holds or is
  // receiving the volume); ResourceExhausted (max_volumes reached, or the
  // disk lacks the bytes and kCompactionSpareBytes); I/O errors.
  absl::StatusOr<std::unique_ptr<VolumeImport>> BeginImport(
      uint32_t id, const ExportSizes& sizes) ABSL_LOCKS_EXCLUDED(mu_);
  // Serves volume `id`, received whole, read-only: its files take their
  // names, durably, and it opens. Errors: NotFound (nothing received whole
  // for it); AlreadyExists; the open's errors (the files stay, and are
  // opened again at the next start).
  absl::StatusOr<std::shared_ptr<Volume>> AdoptVolume(uint32_t id)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Stops serving volume `id` and removes its files, durably; or removes a
  // copy received whole and not adopted. Reads in progress finish. OK when
  // the store has neither. Errors: FailedPrecondition (compacting, or still
  // being received); I/O errors.
  absl::Status DropVolume(uint32_t id) ABSL_LOCKS_EXCLUDED(mu_);
  // Where a volume file (or index file) is received before it is adopted.
  static std::string IncomingPath(const std::string& path) {
    return path + ".incoming";
  }

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
  // Logs a volume's failed sync once per error rather than at every
  // interval: a volume an I/O error made read-only fails every sync after.
  void LogSyncResult(uint32_t volume_id, const absl::Status& status)
      ABSL_LOCKS_EXCLUDED(sync_log_mu_);
  // AlreadyExists or ResourceExhausted when volume `id` cannot be added.
  absl::Status CheckRoomLocked(uint32_t id) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  std::vector<std::shared_ptr<Volume>> AllVolumes() const
      ABSL_LOCKS_EXCLUDED(mu_);
  // Removes `paths` that exist, then syncs the directory.
  absl::Status RemoveFiles(const std::vector<std::string>& paths);
  // Called by a VolumeImport as it ends.
  void EndImport(uint32_t id, bool whole) ABSL_LOCKS_EXCLUDED(mu_);
  friend class VolumeImport;

  // Immutable after Open().
  const std::string dir_;
  const StoreOptions options_;

  mutable absl::Mutex mu_;
  std::map<uint32_t, std::shared_ptr<Volume>> volumes_ ABSL_GUARDED_BY(mu_);
  std::map<uint32_t, absl::Status> failed_ ABSL_GUARDED_BY(mu_);
  // Volumes being received (false) or received whole and not adopted yet
  // (true).
  std::map<uint32_t, bool> imports_ ABSL_GUARDED_BY(mu_);

  PeriodicThread syncs_;

  absl::Mutex sync_log_mu_;
  // The error last logged per volume; absent or empty while syncs succeed.
  std::map<uint32_t, std::string> sync_errors_logged_
      ABSL_GUARDED_BY(sync_log_mu_);
};

}  // namespace warehouse::volume

#endif  // WAREHOUSE_VOLUME_STORE_H_
