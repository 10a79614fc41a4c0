#include "master/master_server.h"

#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/server_certificate.h"
#include "common/tls_credentials.h"
#include "master/rpc_metrics.h"
#include "spdlog/spdlog.h"

namespace warehouse::master {
namespace {

// The most threads gRPC keeps waiting for calls once they are idle. Its
// default is 2: beyond that, a thread that finishes a call exits, and the
// next call waiting starts a new one, so 32 clients cost a thread creation
// and exit per call (more than half of the master's CPU in BeginUpload). A
// thread spends most of a call blocked on a group commit, so keep one per
// caller a busy master sees; an idle one wakes every 10 s.
constexpr int kMaxIdleGrpcThreads = 128;

}  // namespace

absl::StatusOr<std::unique_ptr<MasterServer>> MasterServer::Start(
    Options options, KeyRing keys) {
  if (options.heartbeat_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "heartbeat interval ", absl::FormatDuration(options.heartbeat_interval),
        " is not positive"));
  }
  if (options.offline_after < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "offline deadline ", absl::FormatDuration(options.offline_after),
        " is negative"));
  }
  if (options.offline_after == absl::ZeroDuration()) {
    options.offline_after = 3 * options.heartbeat_interval;
  }
  ASSIGN_OR_RETURN(
      std::shared_ptr<grpc::ServerCredentials> credentials,
      MakeServerCredentials(options.tls_cert_file, options.tls_key_file,
                            options.tls_reload_interval));
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> admin_credentials,
                   MakeChannelCredentials(options.tls_ca_file));
  // Made before gRPC starts, so that a key that does not match its
  // certificate is named here rather than as a gRPC listener that failed.
  std::shared_ptr<http::ServerCertificate> http_tls;
  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    ASSIGN_OR_RETURN(http_tls, http::ServerCertificate::Open(
                                   options.tls_cert_file, options.tls_key_file,
                                   options.tls_reload_interval));
  }
  std::unique_ptr<MasterServer> server(
      new MasterServer(std::move(options), std::move(keys)));
  const Options& o = server->options_;
  server->metrics_ = std::make_unique<MetricsRegistry>();

  ASSIGN_OR_RETURN(SecretSealer sealer, SecretSealer::Create(server->keys_));
  server->sealer_ = std::make_unique<SecretSealer>(std::move(sealer));
  MetadataStore::Options store_options;
  store_options.apply_migrations = o.apply_schema;
  store_options.pending_row_delay = o.pending_row_delay;
  ASSIGN_OR_RETURN(server->store_,
                   MetadataStore::Open(o.db_path, std::move(store_options)));
  const MetadataStore* store = server->store_.get();
  server->metrics_->AddGaugeCallback(
      "warehouse_master_uploads_unwritten",
      "Uploads begun whose pending rows are held in memory, not yet written.",
      [store] { return static_cast<double>(store->unwritten_uploads()); });
  Topology::Options topology_options;
  topology_options.offline_after = o.offline_after;
  ASSIGN_OR_RETURN(server->topology_,
                   Topology::Create(server->store_.get(), topology_options));
  server->commands_ = std::make_unique<CommandQueue>();
  server->allocator_ = std::make_unique<VolumeAllocator>(
      server->topology_.get(), server->store_.get(), server->commands_.get(),
      o.placement);
  server->deletion_ = std::make_unique<DeletionWorker>(
      server->store_.get(), server->topology_.get(), server->commands_.get(),
      o.deletion);
  ASSIGN_OR_RETURN(server->compactions_,
                   CompactionScheduler::Create(server->topology_.get(),
                                               server->commands_.get(),
                                               server->store_.get()));
  const CompactionScheduler* compactions = server->compactions_.get();
  server->metrics_->AddCounterCallback(
      "warehouse_master_compactions_total",
      "Compactions the master started (by an operator or by itself), and "
      "how those that ended went.",
      {"outcome"}, [compactions] {
        const CompactionScheduler::Stats stats = compactions->stats();
        return std::vector<LabeledValue>{
            {{"started"}, static_cast<double>(stats.started)},
            {{"succeeded"}, static_cast<double>(stats.succeeded)},
            {{"failed"}, static_cast<double>(stats.failed)}};
      });
  server->metrics_->AddCounterCallback(
      "warehouse_master_compaction_reclaimed_bytes_total",
      "Bytes the volume servers reclaimed in compactions the master started.",
      {}, [compactions] {
        return std::vector<LabeledValue>{
            {{}, static_cast<double>(compactions->stats().bytes_reclaimed)}};
      });
  server->auto_compactor_ = std::make_unique<AutoCompactor>(
      server->topology_.get(), server->compactions_.get(), o.auto_compaction);
  server->read_only_ = std::make_unique<ReadOnlySwitch>(
      server->topology_.get(), server->commands_.get(), o.read_only_timeout);
  server->access_keys_ = std::make_unique<AccessKeys>(
      server->store_.get(), server->sealer_.get(), o.access_keys);
  server->urls_ = std::make_unique<UrlIssuer>(
      server->store_.get(), server->topology_.get(), server->allocator_.get(),
      &server->keys_, o.urls);
  ASSIGN_OR_RETURN(server->mover_,
                   VolumeMover::Create(server->topology_.get(),
                                       server->store_.get(),
                                       server->commands_.get(),
                                       server->read_only_.get(), &server->keys_,
                                       admin_credentials,
                                       VolumeMover::Options{}));
  const VolumeMover* mover = server->mover_.get();
  server->metrics_->AddCounterCallback(
      "warehouse_master_volume_moves_total",
      "Moves of volumes between servers that ended: succeeded, or failed "
      "(the volume stayed where it was).",
      {"outcome"}, [mover] {
        const VolumeMover::Stats stats = mover->stats();
        return std::vector<LabeledValue>{
            {{"succeeded"}, static_cast<double>(stats.succeeded)},
            {{"failed"}, static_cast<double>(stats.failed)}};
      });
  server->metrics_->AddCounterCallback(
      "warehouse_master_volume_move_bytes_total",
      "Bytes copied by the moves of volumes that succeeded.", {}, [mover] {
        return std::vector<LabeledValue>{
            {{}, static_cast<double>(mover->stats().bytes_copied)}};
      });
  server->cluster_service_ = std::make_unique<ClusterService>(
      &server->keys_, server->topology_.get(), server->commands_.get(),
      server->store_.get(), server->mover_.get());
  server->lister_ = std::make_unique<GrpcNeedleLister>(
      &server->keys_, admin_credentials, absl::Minutes(30));
  server->checker_ = std::make_unique<ConsistencyChecker>(
      server->store_.get(), server->topology_.get(), server->lister_.get());
  ASSIGN_OR_RETURN(server->verifier_,
                   VolumeVerifier::Create(server->topology_.get(),
                                          server->store_.get(), &server->keys_,
                                          std::move(admin_credentials)));
  const VolumeVerifier* verifier = server->verifier_.get();
  server->metrics_->AddCounterCallback(
      "warehouse_master_verifications_total",
      "Verifications of volumes that ended (by an operator or by the master "
      "itself): intact, corrupt (some needle failed its checks), or failed "
      "(not read to the end).",
      {"outcome"}, [verifier] {
        const VolumeVerifier::Stats stats = verifier->stats();
        return std::vector<LabeledValue>{
            {{"intact"}, static_cast<double>(stats.intact)},
            {{"corrupt"}, static_cast<double>(stats.corrupt)},
            {{"failed"}, static_cast<double>(stats.failed)}};
      });
  server->metrics_->AddGaugeCallback(
      "warehouse_master_corrupt_needles",
      "Needles that failed their checks in the latest verification of each "
      "volume, summed over the volumes.",
      [verifier] {
        uint64_t corrupt = 0;
        for (const auto& [volume_id, verification] : verifier->Latest()) {
          corrupt += verification.corrupt_count;
        }
        return static_cast<double>(corrupt);
      });
  server->auto_verifier_ = std::make_unique<AutoVerifier>(
      server->topology_.get(), server->verifier_.get(), o.auto_verification);
  server->backup_ = std::make_unique<MetadataBackup>(
      server->store_.get(), FileSystem::Default(), o.db_path);
  if (absl::StatusOr<int> removed = server->backup_->RemoveLeftovers();
      !removed.ok()) {
    spdlog::warn("metadata backup: could not look for copies left behind: {}",
                 removed.status().ToString());
  }
  server->master_service_ = std::make_unique<MasterService>(
      server->access_keys_.get(), server->store_.get(), server->topology_.get(),
      server->urls_.get(), server->compactions_.get(), server->read_only_.get(),
      server->checker_.get(), server->verifier_.get(), server->backup_.get(),
      server->mover_.get());
  server->dashboard_sessions_ =
      std::make_unique<DashboardSessions>(o.dashboard_sessions);
  server->dashboard_ = std::make_unique<DashboardApi>(
      server->access_keys_.get(), server->store_.get(), server->topology_.get(),
      server->urls_.get(), server->compactions_.get(), server->verifier_.get(),
      server->read_only_.get(), server->dashboard_sessions_.get());

  grpc::ServerBuilder builder;
  builder.AddListeningPort(o.listen, credentials, &server->grpc_port_);
  builder.RegisterService(server->cluster_service_.get());
  builder.RegisterService(server->master_service_.get());
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              kMaxIdleGrpcThreads);
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(std::make_unique<RpcMetrics>(server->metrics_.get()));
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server->grpc_server_ = builder.BuildAndStart();
  if (server->grpc_server_ == nullptr || server->grpc_port_ == 0) {
    return absl::UnavailableError(absl::StrCat(
        "could not serve gRPC on ", o.listen,
        ": the address is in use or not local, or the TLS certificate and "
        "key do not match"));
  }
  ASSIGN_OR_RETURN(server->http_,
                   MasterHttp::Start(o.http_listen, o.http_idle_timeout,
                                     std::move(http_tls),
                                     server->metrics_.get(),
                                     server->topology_.get(),
                                     server->commands_.get(), o.db_path,
                                     server->dashboard_.get()));
  server->topology_->StartMonitor();
  server->deletion_->Start();
  server->auto_compactor_->Start();
  server->auto_verifier_->Start();
  return server;
}

MasterServer::~MasterServer() { Shutdown(); }

void MasterServer::Shutdown() {
  absl::MutexLock lock(&shutdown_mu_);
  if (shut_down_) return;
  shut_down_ = true;
  if (grpc_server_ != nullptr) {
    // Heartbeat streams never end by themselves: end them first, so the
    // grace period is spent on calls that finish.
    cluster_service_->BeginShutdown();
    const auto deadline = std::chrono::system_clock::now() +
                          absl::ToChronoMilliseconds(options_.shutdown_grace);
    grpc_server_->Shutdown(deadline);
    grpc_server_->Wait();
  }
  if (http_ != nullptr) http_->Shutdown(absl::Seconds(1));
  if (deletion_ != nullptr) deletion_->Stop();
  if (auto_compactor_ != nullptr) auto_compactor_->Stop();
  if (auto_verifier_ != nullptr) auto_verifier_->Stop();
  if (topology_ != nullptr) topology_->StopMonitor();
}

}  // namespace warehouse::master
