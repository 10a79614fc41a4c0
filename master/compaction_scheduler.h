// Starting compactions on volume servers and recording how they ended.
//
// Compaction runs on the volume server that holds a volume
// (docs/compaction.md); the master only decides which volumes and sends a
// CompactVolumeCommand on the server's heartbeat stream. The result comes
// back later as a CommandResult: it is logged and counted here, and the
// volume's new usage shows in the server's next heartbeat. The latest
// compaction of each volume is also kept in the metadata database, so
// that it outlives a restart of the master.
#ifndef WAREHOUSE_MASTER_COMPACTION_SCHEDULER_H_
#define WAREHOUSE_MASTER_COMPACTION_SCHEDULER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "master/command_queue.h"
#include "master/metadata_records.h"
#include "master/metadata_store.h"
#include "master/topology.h"

namespace warehouse::master {

// Thread-safe. `*topology` and `*commands` must outlive it, and the
// CommandQueue must not run callbacks after it is destroyed.
class CompactionScheduler {
 public:
  struct Stats {
    uint64_t started = 0;
    uint64_t succeeded = 0;
    uint64_t failed = 0;
    uint64_t bytes_reclaimed = 0;
  };

  using VolumeCompaction = CompactionRecord;

  // Loads the latest compactions from `*store`. One recorded as running
  // was cut short by the master's restart: its server's answer cannot
  // reach this master, so it is loaded as failed for that reason, without
  // counting as a failure of the volume. `*topology`, `*commands` and
  // `*store` must outlive it. Errors: as MetadataStore::ListCompactions.
  static absl::StatusOr<std::unique_ptr<CompactionScheduler>> Create(
      Topology* topology, CommandQueue* commands, MetadataStore* store);
  CompactionScheduler(const CompactionScheduler&) = delete;
  CompactionScheduler& operator=(const CompactionScheduler&) = delete;

  // Starts compacting one volume, copying at most `bytes_per_second` (0:
  // no limit). Errors: NotFound (no server holds it); Unavailable (its
  // server is offline, or the database cannot record the start);
  // FailedPrecondition (a compaction of it is running or was started and
  // has not ended).
  absl::Status CompactVolume(uint32_t volume_id, uint64_t bytes_per_second = 0)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Starts compacting every volume on an online server whose garbage is at
  // least `min_ratio` of its size, skipping those already compacting.
  // Returns the volumes started, by id. Read-only volumes are included:
  // full volumes are where garbage stays. Errors: InvalidArgument (ratio
  // outside (0, 1]); as CompactVolume when the database cannot record a
  // start (those started before it still run).
  absl::StatusOr<std::vector<uint32_t>> CompactByGarbageRatio(
      double min_ratio, uint64_t bytes_per_second = 0)
      ABSL_LOCKS_EXCLUDED(mu_);

  Stats stats() const ABSL_LOCKS_EXCLUDED(mu_);
  // The latest compaction of every volume ever compacted, by volume id.
  std::map<uint32_t, VolumeCompaction> Latest() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  CompactionScheduler(Topology* topology, CommandQueue* commands,
                      MetadataStore* store,
                      std::map<uint32_t, VolumeCompaction> latest);

  // Records the start and sends the command; when the start cannot be
  // recorded, takes the volume out of running_ and sends nothing.
  // REQUIRES: the volume was added to running_.
  absl::Status Start(uint32_t volume_id, const std::string& server_id,
                     uint64_t bytes_per_second)
      ABSL_LOCKS_EXCLUDED(mu_, persist_mu_);
  void OnResult(uint32_t volume_id, const CommandOutcome& outcome)
      ABSL_LOCKS_EXCLUDED(mu_, persist_mu_);

  // Immutable after construction.
  Topology* const topology_;
  CommandQueue* const commands_;
  MetadataStore* const store_;

  // Held while a record changes and is written, so that the database
  // receives a volume's records in the order memory does. Taken before mu_.
  absl::Mutex persist_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  // Volumes with a compaction command sent and no result yet.
  std::set<uint32_t> running_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
  std::map<uint32_t, VolumeCompaction> latest_ ABSL_GUARDED_BY(mu_);
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_COMPACTION_SCHEDULER_H_
