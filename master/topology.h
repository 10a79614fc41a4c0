// The master's live view of its volume servers: who is registered over a
// heartbeat stream, where clients reach each one, which volumes it holds
// with what usage, and whether it is online.
//
// A server is online from its registration until its stream ends (offline
// at once) or no heartbeat arrives for `offline_after` (the monitor thread
// cancels the stream and marks it offline). Registering again brings it
// back. The view is kept in memory for placement and lookups; every change
// of status and every report is also written to the MetadataStore, so that
// the database shows the cluster as last seen (docs/master.md).
#ifndef WAREHOUSE_MASTER_TOPOLOGY_H_
#define WAREHOUSE_MASTER_TOPOLOGY_H_

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/periodic_thread.h"
#include "master/metadata_store.h"

namespace warehouse::master {

// One volume as its server last reported it.
struct VolumeView {
  uint32_t volume_id = 0;
  uint64_t size_bytes = 0;
  uint64_t live_bytes = 0;
  uint64_t garbage_bytes = 0;
  uint64_t needle_count = 0;
  // The size at which the server stops appending; 0 when not reported since
  // the master started (the volume is then not offered for writes).
  uint64_t max_size_bytes = 0;
  // The highest needle id the volume holds (0: none or not reported).
  uint64_t max_needle_id = 0;
  bool read_only = false;
  bool compacting = false;
  // The server the volume is being moved to (Topology::BeginMove); empty
  // when it is not moving.
  std::string moving_to;
  // While compacting, as last reported (VolumeStatus).
  uint64_t compaction_copied_bytes = 0;
  uint64_t compaction_total_bytes = 0;
  // Bytes of uploads placed on the volume since its last report: an
  // estimate of growth the report does not show yet.
  uint64_t reserved_bytes = 0;
};

// A volume server as the master sees it.
struct ServerView {
  std::string server_id;
  std::string public_address;  // host:port of its HTTP data path
  bool http_tls = false;       // whether the data path speaks TLS
  // host:port of its VolumeAdmin service; empty when never told (it is
  // not kept in the database, so a master learns it at registration).
  std::string admin_address;
  bool online = false;
  // Set by an operator in the database: receives no new volumes or uploads.
  bool draining = false;
  absl::Time last_heartbeat = absl::InfinitePast();
  std::vector<VolumeView> volumes;  // by volume id
  uint32_t max_volumes = 0;
  uint64_t disk_free_bytes = 0;
};

// What a server reports in each heartbeat.
struct ServerReport {
  std::vector<VolumeView> volumes;  // every volume it holds
  uint64_t disk_free_bytes = 0;
};

// The first message of a heartbeat stream.
struct ServerRegistration {
  std::string server_id;
  std::string public_address;
  bool http_tls = false;
  std::string admin_address;
  uint32_t max_volumes = 0;
  // How often it heartbeats; zero when it did not say.
  absl::Duration heartbeat_interval = absl::ZeroDuration();
  ServerReport report;
};

// Where a volume is.
struct VolumeLocation {
  std::string server_id;
  std::string public_address;
  std::string admin_address;  // empty when the server never gave one
  bool http_tls = false;
  bool online = false;
  VolumeView volume;
};

// Thread-safe. `*store` must outlive the Topology.
class Topology {
 public:
  struct Options {
    // A server whose last heartbeat is older than this is marked offline.
    absl::Duration offline_after = absl::Seconds(15);
    // How often the monitor looks for silent servers; zero means a tenth
    // of offline_after (at least 10 ms).
    absl::Duration check_interval = absl::ZeroDuration();
  };

  // Ends a server's heartbeat stream (cancels its call). Called with the
  // Topology's lock held: it must not block or call back into the Topology.
  using CancelStream = std::function<void()>;

  // Loads the servers and volumes the database knows, all offline (no
  // stream is open yet), and records as down every server the database
  // still shows alive. Errors: those of the store.
  static absl::StatusOr<std::unique_ptr<Topology>> Create(MetadataStore* store,
                                                          Options options);

  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;
  ~Topology();

  // Starts and stops the thread that marks silent servers offline.
  void StartMonitor();
  void StopMonitor();

  // Marks a server online with a new stream and returns the stream's
  // session number, which Report and Disconnect must present. `cancel`
  // ends the stream when the server falls silent. Errors: InvalidArgument
  // (a bad server id or address, volume id 0); AlreadyExists (the server
  // has an open stream); FailedPrecondition (a reported volume is held by
  // another online server); Unavailable (the database could not record
  // it: retry).
  absl::StatusOr<uint64_t> Register(const ServerRegistration& registration,
                                    CancelStream cancel)
      ABSL_LOCKS_EXCLUDED(persist_mu_, mu_);

  // Records a heartbeat of the stream `session`. Errors: FailedPrecondition
  // (the session was closed, e.g. the server was marked offline, or a
  // volume is held by another online server); InvalidArgument (volume id
  // 0). A failure to write the report to the database is logged, not
  // returned: the in-memory view is current either way.
  absl::Status Report(absl::string_view server_id, uint64_t session,
                      const ServerReport& report)
      ABSL_LOCKS_EXCLUDED(persist_mu_, mu_);

  // Marks the server offline if `session` is still its stream; a no-op
  // otherwise (the monitor got there first, or the server re-registered).
  void Disconnect(absl::string_view server_id, uint64_t session,
                  absl::string_view reason)
      ABSL_LOCKS_EXCLUDED(persist_mu_, mu_);

  // Stops (or resumes) placing uploads and new volumes on `server_id`;
  // the store records it (status draining), so that it outlasts restarts
  // of the master and of the server. Returns the server as it now is.
  // Errors: NotFound (unknown server); those of the store.
  absl::StatusOr<ServerView> SetDraining(absl::string_view server_id,
                                         bool draining)
      ABSL_LOCKS_EXCLUDED(persist_mu_, mu_);

  // Ends every open stream (for shutdown); their handlers then call
  // Disconnect. Returns how many were ended.
  int CancelAllStreams() ABSL_LOCKS_EXCLUDED(mu_);

  // Marks offline, and cancels the streams of, the online servers whose
  // last heartbeat is older than offline_after at `now`. A server whose
  // last message is still being written to the database is not silent:
  // its stream is not read meanwhile, so silence counts from the write's
  // end. The monitor calls it; tests may too.
  void CheckDeadlines(absl::Time now) ABSL_LOCKS_EXCLUDED(persist_mu_, mu_);

  // Every known server, by id.
  std::vector<ServerView> Servers() const ABSL_LOCKS_EXCLUDED(mu_);
  // Errors: NotFound.
  absl::StatusOr<ServerView> GetServer(absl::string_view server_id) const
      ABSL_LOCKS_EXCLUDED(mu_);
  bool IsOnline(absl::string_view server_id) const ABSL_LOCKS_EXCLUDED(mu_);
  // Every volume of every server, or of `server_id` when not empty, by
  // volume id.
  std::vector<VolumeLocation> Volumes(absl::string_view server_id = "") const
      ABSL_LOCKS_EXCLUDED(mu_);
  // Errors: NotFound when no server holds the volume.
  absl::StatusOr<VolumeLocation> LocateVolume(uint32_t volume_id) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Adds `bytes` to the volume's reserved_bytes (an upload was placed
  // there); the next report of the volume resets it.
  void Reserve(uint32_t volume_id, uint64_t bytes) ABSL_LOCKS_EXCLUDED(mu_);

  // Waits until an online server reports `volume_id` or until `deadline`.
  // Returns whether it was reported.
  bool AwaitVolume(uint32_t volume_id, absl::Time deadline) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Moving a volume to another server (VolumeMover; docs/master.md,
  // "Moving a volume"). While a volume moves it is `moving` in every view,
  // and the target's reports of it are ignored until FinishMove. A server
  // holding a stale copy of a volume (left where it was, or where a move
  // failed after it was served) has its reports of that copy ignored, so
  // the copy neither conflicts with the volume's owner nor takes it back.
  //
  // Errors: NotFound (no server holds the volume); FailedPrecondition
  // (it is compacting or already moving).
  absl::Status BeginMove(uint32_t volume_id, const std::string& to_server)
      ABSL_LOCKS_EXCLUDED(move_gate_, mu_);
  // Runs `f` while no move can begin: BeginMove waits for it. The deletion
  // worker decides with DeletesWait which deletes to send and sends them
  // inside, so a move that begins after finds them ahead of its read-only
  // command on the server's stream, and in its copy.
  void WithoutNewMoves(absl::FunctionRef<void()> f) const
      ABSL_LOCKS_EXCLUDED(move_gate_);
  // Records in the store, not yet in memory, that the copy on the move's
  // target is stale; FinishMove clears it with the same transaction that
  // makes the volume the target's. Called before the target serves the
  // copy: a master that stops between the two starts again with the
  // volume where it was and the target's copy ignored and dropped, rather
  // than two servers claiming it. Errors: FailedPrecondition (no such
  // move); the store's.
  absl::Status PrepareAdoption(uint32_t volume_id)
      ABSL_LOCKS_EXCLUDED(persist_mu_, mu_);
  // The target now serves the volume (as `adopted` describes it): in the
  // store first, then here, the volume becomes the target's and the copy
  // where it was becomes stale. Errors: FailedPrecondition (no such move);
  // the store's (nothing changed).
  absl::Status FinishMove(uint32_t volume_id, const VolumeView& adopted)
      ABSL_LOCKS_EXCLUDED(persist_mu_, mu_);
  // Ends the move of `volume_id`, done or not.
  void EndMove(uint32_t volume_id) ABSL_LOCKS_EXCLUDED(mu_);
  // Whether deletes of `volume_id`'s needles must wait rather than go to
  // `server_id` now: the volume is moving, or a move has made it another
  // server's since the store named `server_id`. (A volume no server
  // reports does not wait: its deletes find nothing to delete.)
  bool DeletesWait(absl::string_view server_id, uint32_t volume_id) const
      ABSL_LOCKS_EXCLUDED(mu_);
  // Records the copy of `volume_id` on `server_id` as stale. Errors: the
  // store's (it is stale in memory regardless).
  absl::Status MarkStale(uint32_t volume_id, const std::string& server_id)
      ABSL_LOCKS_EXCLUDED(persist_mu_, mu_);
  // The stale copy of `volume_id` on `server_id` is gone. Errors: the
  // store's (it is forgotten in memory regardless).
  absl::Status StaleCopyDropped(uint32_t volume_id,
                                const std::string& server_id)
      ABSL_LOCKS_EXCLUDED(persist_mu_, mu_);
  // The stale copies `server_id` reported in its last message whose
  // volume's owner is online and holds it: those are safe to drop.
  std::vector<uint32_t> StaleCopiesToDrop(absl::string_view server_id) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Servers online and offline, for metrics.
  struct Counts {
    int online = 0;
    int offline = 0;
  };
  Counts counts() const ABSL_LOCKS_EXCLUDED(mu_);

  const Options& options() const { return options_; }

 private:
  struct Server {
    ServerView view;
    std::map<uint32_t, VolumeView> volumes;
    // The open stream's session, 0 when none. A server with a session is
    // online (view.online) once its registration is in the database.
    uint64_t session = 0;
    CancelStream cancel;
    // Where silence counts from: the end of the database write of the
    // server's last message, and InfiniteFuture during it, since the
    // stream is not read meanwhile.
    absl::Time silent_since = absl::InfiniteFuture();
    // Stale copies in its last report.
    std::vector<uint32_t> stale_held;
  };

  Topology(MetadataStore* store, Options options)
      : store_(store), options_(options) {}

  // Whether `server_id`'s report of `volume_id` is ignored: a stale copy,
  // or a move's copy not yet its own.
  bool IgnoresCopy(const std::string& server_id, uint32_t volume_id) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Refuses a report holding a volume that another online server holds.
  absl::Status CheckVolumeOwners(const std::string& server_id,
                                 const ServerReport& report) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Replaces the server's volumes with the reported ones (but for the
  // copies it ignores).
  void ApplyReport(Server& server, const ServerReport& report)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MarkOffline(Server& server) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The database has the server's registration or last report.
  void EndRecording(Server& server) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Records a registration or heartbeat in the store: the server alive
  // with this heartbeat time, and the usage of every reported volume (but
  // for the copies it ignores).
  // REQUIRES: persist_mu_ held, so that status writes happen in the order
  // of the state changes they record.
  absl::Status WriteReport(const std::string& server_id,
                           const std::string& address, absl::Time heartbeat,
                           const ServerReport& report)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(persist_mu_) ABSL_LOCKS_EXCLUDED(mu_);
  // Records the server as down, unless it is draining or back online.
  absl::Status PersistOffline(const std::string& server_id)
      ABSL_LOCKS_EXCLUDED(mu_) ABSL_EXCLUSIVE_LOCKS_REQUIRED(persist_mu_);

  // Immutable after Create().
  MetadataStore* const store_;
  const Options options_;

  PeriodicThread monitor_;

  // Held across database writes, never across anything else.
  absl::Mutex persist_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  // Shared by WithoutNewMoves, exclusive in BeginMove.
  mutable absl::Mutex move_gate_ ABSL_ACQUIRED_BEFORE(mu_);

  mutable absl::Mutex mu_;
  // Signalled when a server registers or reports.
  mutable absl::CondVar changed_;
  std::map<std::string, Server, std::less<>> servers_ ABSL_GUARDED_BY(mu_);
  std::map<uint32_t, std::string> volume_owner_ ABSL_GUARDED_BY(mu_);
  struct Move {
    std::string from;
    std::string to;
    bool finished = false;  // FinishMove ran
  };
  std::map<uint32_t, Move> moves_ ABSL_GUARDED_BY(mu_);
  // (volume id, server id) of every stale copy.
  std::set<std::pair<uint32_t, std::string>> stale_ ABSL_GUARDED_BY(mu_);
  // (volume id, server id) of volumes moved to a server that has not
  // reported them since: a report it made before adopting one does not
  // take the volume away.
  std::set<std::pair<uint32_t, std::string>> unreported_ ABSL_GUARDED_BY(mu_);
  uint64_t last_session_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_TOPOLOGY_H_
