// The master process's objects, wired together: the metadata store, the
// topology of volume servers, the command queue, placement, deletion and
// compaction, access keys, the gRPC server that serves the Master and
// Cluster services, and the HTTP port for health checks, metrics and the
// web dashboard. main.cc parses flags into MasterServer::Options; tests
// start a MasterServer in-process the same way.
#ifndef WAREHOUSE_MASTER_MASTER_SERVER_H_
#define WAREHOUSE_MASTER_MASTER_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/key_ring.h"
#include "common/metrics.h"
#include "common/secret_sealer.h"
#include "grpcpp/grpcpp.h"
#include "master/access_keys.h"
#include "master/auto_compactor.h"
#include "master/auto_verifier.h"
#include "master/cluster_service.h"
#include "master/command_queue.h"
#include "master/compaction_scheduler.h"
#include "master/dashboard_api.h"
#include "master/dashboard_sessions.h"
#include "master/deletion_worker.h"
#include "master/master_http.h"
#include "master/master_service.h"
#include "master/metadata_backup.h"
#include "master/needle_lister.h"
#include "master/metadata_store.h"
#include "master/read_only_switch.h"
#include "master/topology.h"
#include "master/url_issuer.h"
#include "master/volume_mover.h"
#include "master/volume_verifier.h"
#include "master/volume_allocator.h"

namespace warehouse::master {

// Thread-safe. Owns everything it creates.
class MasterServer {
 public:
  struct Options {
    // host:port of the gRPC listener; port 0 picks a free port.
    std::string listen = "127.0.0.1:9333";
    // Numeric host:port of the HTTP port (/healthz, /metrics, the
    // dashboard).
    std::string http_listen = "127.0.0.1:9334";
    std::string db_path = "./warehouse-data/master/meta.db";
    // Create the database or apply pending migrations before serving.
    bool apply_schema = false;
    // The volume servers' heartbeat interval, which the master does not
    // control but needs to judge silence.
    absl::Duration heartbeat_interval = absl::Seconds(5);
    // Silence after which a server is offline; zero means three heartbeat
    // intervals.
    absl::Duration offline_after = absl::ZeroDuration();
    // TLS for the gRPC listener and the HTTP port; both empty for
    // plaintext.
    std::string tls_cert_file;
    std::string tls_key_file;
    // How often both listeners look for a renewed certificate or key.
    absl::Duration tls_reload_interval = absl::Seconds(60);
    // PEM roots for the volume servers' admin services, reached over TLS
    // when set (their --tls-cert); empty for plaintext.
    std::string tls_ca_file;
    // How long Shutdown lets in-flight RPCs finish.
    absl::Duration shutdown_grace = absl::Seconds(5);
    // How long the HTTP port waits for a client that makes no progress.
    absl::Duration http_idle_timeout = absl::Seconds(60);
    // How long a begun upload's pending row waits in memory for its commit
    // (MetadataStore::Options::pending_row_delay).
    absl::Duration pending_row_delay = absl::Milliseconds(100);
    // How long SetVolumeReadOnly waits for the volume server's answer.
    absl::Duration read_only_timeout = absl::Seconds(10);

    VolumeAllocator::Options placement;
    DeletionWorker::Options deletion;
    AutoCompactor::Options auto_compaction;
    AutoVerifier::Options auto_verification;
    UrlIssuer::Options urls;
    AccessKeys::Options access_keys;
    DashboardSessions::Options dashboard_sessions;
  };

  // Opens the store, loads the topology, starts the background threads and
  // the gRPC and HTTP servers. Errors: the store's (FailedPrecondition
  // naming --schema for a new or old database); InvalidArgument (bad TLS
  // files, a bad duration or HTTP address); Unavailable (the gRPC address
  // could not be bound); FailedPrecondition (the HTTP port is in use).
  static absl::StatusOr<std::unique_ptr<MasterServer>> Start(Options options,
                                                             KeyRing keys);

  MasterServer(const MasterServer&) = delete;
  MasterServer& operator=(const MasterServer&) = delete;
  // Shuts down if Shutdown was not called.
  ~MasterServer();

  // The ports the gRPC and HTTP listeners are bound to.
  int grpc_port() const { return grpc_port_; }
  int http_port() const { return http_->port(); }

  // Ends heartbeat streams, stops accepting calls, lets in-flight calls
  // finish for up to shutdown_grace, stops the HTTP port, then the
  // background threads. Idempotent.
  void Shutdown() ABSL_LOCKS_EXCLUDED(shutdown_mu_);

  const Topology& topology() const { return *topology_; }
  Topology& topology() { return *topology_; }
  const DeletionWorker& deletion_worker() const { return *deletion_; }
  DeletionWorker& deletion_worker() { return *deletion_; }
  const CompactionScheduler& compactions() const { return *compactions_; }
  VolumeVerifier& verifier() { return *verifier_; }
  const CommandQueue& commands() const { return *commands_; }
  MetadataStore& store() { return *store_; }
  AccessKeys& access_keys() { return *access_keys_; }
  DashboardSessions& dashboard_sessions() { return *dashboard_sessions_; }

 private:
  explicit MasterServer(Options options, KeyRing keys)
      : options_(std::move(options)), keys_(std::move(keys)) {}

  const Options options_;
  const KeyRing keys_;
  // Created by Start() in this order and destroyed in reverse.
  std::unique_ptr<MetricsRegistry> metrics_;
  std::unique_ptr<SecretSealer> sealer_;
  std::unique_ptr<MetadataStore> store_;
  std::unique_ptr<Topology> topology_;
  std::unique_ptr<CommandQueue> commands_;
  std::unique_ptr<VolumeAllocator> allocator_;
  std::unique_ptr<DeletionWorker> deletion_;
  std::unique_ptr<CompactionScheduler> compactions_;
  std::unique_ptr<AutoCompactor> auto_compactor_;
  std::unique_ptr<ReadOnlySwitch> read_only_;
  std::unique_ptr<AccessKeys> access_keys_;
  std::unique_ptr<UrlIssuer> urls_;
  std::unique_ptr<VolumeMover> mover_;
  std::unique_ptr<ClusterService> cluster_service_;
  std::unique_ptr<GrpcNeedleLister> lister_;
  std::unique_ptr<ConsistencyChecker> checker_;
  std::unique_ptr<VolumeVerifier> verifier_;
  std::unique_ptr<AutoVerifier> auto_verifier_;
  std::unique_ptr<MetadataBackup> backup_;
  std::unique_ptr<MasterService> master_service_;
  std::unique_ptr<DashboardSessions> dashboard_sessions_;
  std::unique_ptr<DashboardApi> dashboard_;
  std::unique_ptr<grpc::Server> grpc_server_;
  int grpc_port_ = 0;
  std::unique_ptr<MasterHttp> http_;

  absl::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace warehouse::master

#endif  // WAREHOUSE_MASTER_MASTER_SERVER_H_
