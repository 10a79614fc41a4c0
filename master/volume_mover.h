// Moving a volume from its server to another while its objects keep
// reading (docs/master.md, "Moving a volume"): before a server is retired,
// or to even out disks.
//
// The master makes the volume read-only (a heartbeat command, which also
// lets every delete sent before it land first), relays its files from the
// old server's VolumeAdmin.ExportVolume to the new server's ImportVolume,
// has the new server adopt the copy, records the new owner, and drops the
// copy left behind; then makes the volume writable again if it was. Reads
// go to the old server until the new one serves the volume, and to the
// new one after. Deletes of the volume wait meanwhile (DeletionWorker).
//
// A copy left where the volume no longer is (the old one, or the new one
// after a move that failed once it was served) is stale: the Topology
// ignores it, and OnReport has it dropped once the volume's owner is
// online holding it, however long after, across restarts of the master.
// Each move under way is kept in the store too (volume_moves): a volume
// that a move made read-only, and that the move could not make writable
// again (its server away, or the master stopped), is made writable by
// OnReport once its owner reports, also after a restart.
#ifndef WAREHOUSE_MASTER_VOLUME_MOVER_H_
#define WAREHOUSE_MASTER_VOLUME_MOVER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/key_ring.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/server_context.h"
#include "master/command_queue.h"
#include "master/metadata_records.h"
#include "master/metadata_store.h"
#include "master/read_only_switch.h"
#include "master/topology.h"

namespace warehouse::master {

// Thread-safe.
class VolumeMover {
 public:
  struct Options {
    // How long each step after the copy (adopting it, dropping the old
    // one) may take.
    absl::Duration step_timeout = absl::Minutes(1);
  };

  // Moves that ended since the master started.
  struct Stats {
    uint64_t succeeded = 0;
    uint64_t failed = 0;        // refused ones (bad ids, no room) included
    uint64_t bytes_copied = 0;  // by the moves that succeeded
  };

  struct Result {
    std::string from_server;
    std::string to_server;
    uint64_t bytes = 0;     // copied: the volume file and its index
    bool writable = false;  // made writable again
  };

  // Loads the moves a previous master left unfinished. `credentials`:
  // plaintext, or TLS checking the servers' certificates. The borrowed
  // objects must outlive it. Errors: the store's.
  static absl::StatusOr<std::unique_ptr<VolumeMover>> Create(
      Topology* topology, MetadataStore* store, CommandQueue* commands,
      ReadOnlySwitch* read_only, const KeyRing* keys,
      std::shared_ptr<grpc::ChannelCredentials> credentials,
      Options options);
  VolumeMover(const VolumeMover&) = delete;
  VolumeMover& operator=(const VolumeMover&) = delete;

  // Moves `volume_id` to `to_server` (empty: to the server PickTarget
  // names), copying at most `bytes_per_second` (0: no limit) and passing
  // (bytes copied, bytes in all) to `progress` now and then. `caller`,
  // when given, is the call asking: its deadline and cancellation stop the
  // copy. Errors: NotFound (volume or server); InvalidArgument (already
  // there); FailedPrecondition (a server offline, the target draining, the
  // volume compacting or moving); ResourceExhausted (no room on the
  // target, or no server to pick); Unavailable (a server could not be
  // reached or failed); Cancelled or DeadlineExceeded (the caller's).
  // Until the new server serves the volume, an error leaves it where it
  // was (writable again if it was).
  absl::StatusOr<Result> Move(
      uint32_t volume_id, const std::string& to_server,
      uint64_t bytes_per_second, const grpc::ServerContext* caller,
      const std::function<void(uint64_t done, uint64_t total)>& progress)
      ABSL_LOCKS_EXCLUDED(mu_);

  // After each message of `server_id`'s heartbeat stream: has it drop the
  // stale copies it reported whose volume's owner is online holding it,
  // and make writable the volumes it owns that an unfinished move left
  // read-only; at most one command per volume at a time.
  void OnReport(const std::string& server_id) ABSL_LOCKS_EXCLUDED(mu_);

  Stats stats() const ABSL_LOCKS_EXCLUDED(mu_);

  // Where the volume at `from` goes when the caller names no server: of
  // the other `servers` online, not draining, with a free volume slot and
  // room for it, the one with the most disk free (then the fewest
  // volumes). Errors: ResourceExhausted (there is none).
  static absl::StatusOr<std::string> PickTarget(
      const std::vector<ServerView>& servers, const VolumeLocation& from);

 private:
  VolumeMover(Topology* topology, MetadataStore* store, CommandQueue* commands,
              ReadOnlySwitch* read_only, const KeyRing* keys,
              std::shared_ptr<grpc::ChannelCredentials> credentials,
              Options options, std::vector<VolumeMoveRecord> unfinished);

  // The move of `move.volume_id` is over; `writable_pending` when the
  // volume should be writable and is not: kept for OnReport.
  void EndRecord(const VolumeMoveRecord& move, bool writable_pending)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Sends set_read_only(false) for an unfinished move's volume to
  // `server_id`; when it succeeds, the move is forgotten.
  void SendWritable(const VolumeMoveRecord& move, const std::string& server_id)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Move, without counting it.
  absl::StatusOr<Result> MoveCounted(
      uint32_t volume_id, const std::string& to_server,
      uint64_t bytes_per_second, const grpc::ServerContext* caller,
      const std::function<void(uint64_t done, uint64_t total)>& progress)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Relays the volume's files from `from` to `to`; returns the bytes.
  absl::StatusOr<uint64_t> Copy(
      uint32_t volume_id, const VolumeLocation& from,
      const ServerView& to, uint64_t bytes_per_second,
      const grpc::ServerContext* caller,
      const std::function<void(uint64_t done, uint64_t total)>& progress);
  // Has the target serve the copy; returns the volume as it reports it.
  absl::StatusOr<VolumeView> Adopt(uint32_t volume_id, const ServerView& to);
  // Sends a drop of `volume_id` to `server_id`; when it succeeds, the
  // stale copy is forgotten.
  void SendDrop(uint32_t volume_id, const std::string& server_id)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Sends `command`, about `volume_id`, to `server_id` and passes its
  // outcome to `done`, unless a command of its kind for that volume and
  // server is still unanswered.
  void SendOnce(uint32_t volume_id, const std::string& server_id,
                v1::MasterCommand command,
                std::function<void(const absl::Status&)> done)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Immutable after construction.
  Topology* const topology_;
  MetadataStore* const store_;
  CommandQueue* const commands_;
  ReadOnlySwitch* const read_only_;
  const KeyRing* const keys_;
  const std::shared_ptr<grpc::ChannelCredentials> credentials_;
  const Options options_;

  mutable absl::Mutex mu_;
  Stats stats_ ABSL_GUARDED_BY(mu_);
  // Moves over whose volume is still to be made writable, by volume id.
  std::map<uint32_t, VolumeMoveRecord> unfinished_ ABSL_GUARDED_BY(mu_);
  // (kind, volume id, server id) of the commands SendOnce sent that are
  // not answered yet.
  std::set<std::tuple<int, uint32_t, std::string>> pending_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_VOLUME_MOVER_H_
