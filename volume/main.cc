// warehouse-volume: serves a data directory of volumes over HTTP (objects)
// and gRPC (admin), and reports to the master over the heartbeat stream.
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/deadlock_detection.h"
#include "common/http_router.h"
#include "common/http_server.h"
#include "common/key_ring.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "common/server_certificate.h"
#include "common/tls_credentials.h"
#include "common/units.h"
#include "grpcpp/grpcpp.h"
#include "spdlog/spdlog.h"
#include "volume/admin_service.h"
#include "volume/data_path.h"
#include "volume/heartbeat_client.h"
#include "volume/store.h"
#include "volume/upload_reporter.h"

namespace {

using namespace warehouse;          // NOLINT
using namespace warehouse::volume;  // NOLINT

struct Flags {
  std::string master = "127.0.0.1:9333";
  std::string dir = "./warehouse-data/volume";
  std::string address = "127.0.0.1";
  int port = 8080;
  std::string admin_listen = "127.0.0.1:0";
  std::string public_address;  // default address:port
  std::string admin_public_address;  // default from admin_listen
  uint32_t max_volumes = 8;
  std::string volume_size = "30G";
  std::string sync = "group";
  std::string cluster_key_file;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  double heartbeat_seconds = 5;
  double sync_seconds = 5;
  double shutdown_grace_seconds = 10;
  double http_idle_timeout_seconds = 60;
  double tls_reload_seconds = 60;
  std::string log_level = "info";
};

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "warehouse-volume: %s\n", status.ToString().c_str());
  return 1;
}

int Run(const Flags& flags) {
  absl::Status logging = InitLogging(flags.log_level);
  if (!logging.ok()) return Fail(logging);
  absl::StatusOr<SyncPolicy> sync = ParseSyncPolicy(flags.sync);
  if (!sync.ok()) return Fail(sync.status());
  absl::StatusOr<uint64_t> volume_size = ParseByteSize(flags.volume_size);
  if (!volume_size.ok()) return Fail(volume_size.status());
  absl::StatusOr<KeyRing> keys = KeyRing::LoadFileOrEnv(flags.cluster_key_file);
  if (!keys.ok()) return Fail(keys.status());
  if (!(flags.http_idle_timeout_seconds > 0)) {
    return Fail(absl::InvalidArgumentError(absl::StrCat(
        "--http-idle-timeout ", flags.http_idle_timeout_seconds,
        ": must be a positive number of seconds")));
  }
  if (!(flags.tls_reload_seconds >= 1)) {
    return Fail(absl::InvalidArgumentError(absl::StrCat(
        "--tls-reload-interval ", flags.tls_reload_seconds,
        ": must be at least 1 second")));
  }
  const absl::Duration tls_reload = absl::Seconds(flags.tls_reload_seconds);

  // Signals are taken by sigwait below; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  StoreOptions store_options;
  store_options.volume.sync_policy = *sync;
  store_options.volume.max_size = *volume_size;
  store_options.max_volumes = flags.max_volumes;
  if (!(flags.sync_seconds > 0)) {
    return Fail(absl::InvalidArgumentError(absl::StrCat(
        "--sync-interval ", flags.sync_seconds, ": must be above 0")));
  }
  store_options.sync_interval = absl::Seconds(flags.sync_seconds);
  absl::StatusOr<std::unique_ptr<Store>> store =
      Store::Open(flags.dir, store_options);
  if (!store.ok()) return Fail(store.status());
  absl::StatusOr<std::string> server_id =
      LoadOrCreateServerId(FileSystem::Default(), flags.dir);
  if (!server_id.ok()) return Fail(server_id.status());

  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> master_credentials =
      MakeChannelCredentials(flags.tls_ca);
  if (!master_credentials.ok()) return Fail(master_credentials.status());
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> admin_credentials =
      MakeServerCredentials(flags.tls_cert, flags.tls_key, tls_reload);
  if (!admin_credentials.ok()) return Fail(admin_credentials.status());
  std::shared_ptr<grpc::Channel> master =
      grpc::CreateChannel(flags.master, *master_credentials);
  UploadReporter reporter(MakeClusterSender(master, *server_id, &*keys));
  MetricsRegistry metrics;

  http::ServerOptions http_options;
  http_options.address = flags.address;
  http_options.port = static_cast<uint16_t>(flags.port);
  http_options.metrics = &metrics;
  http_options.idle_timeout = absl::Seconds(flags.http_idle_timeout_seconds);
  if (!flags.tls_cert.empty() || !flags.tls_key.empty()) {
    absl::StatusOr<std::shared_ptr<http::ServerCertificate>> tls =
        http::ServerCertificate::Open(flags.tls_cert, flags.tls_key,
                                      tls_reload);
    if (!tls.ok()) return Fail(tls.status());
    http_options.tls = *std::move(tls);
    spdlog::info("HTTP data path and admin gRPC speak TLS");
  }
  HeartbeatClient* heartbeat_ptr = nullptr;
  Counter* checksum_failures = metrics.AddCounter(
      "warehouse_volume_checksum_failures_total",
      "Needles found failing their checksums, by GETs and verifications: "
      "stored data lost or changed on disk.");
  DataPath data_path(store->get(), &*keys, &reporter, &metrics,
                     checksum_failures, [&] {
    return heartbeat_ptr != nullptr && heartbeat_ptr->connected();
  });
  http::Router router;
  data_path.Register(router);
  absl::StatusOr<std::unique_ptr<http::Server>> http_server =
      http::Server::Start(http_options, router.AsHandler());
  if (!http_server.ok()) return Fail(http_server.status());
  const std::string public_address =
      flags.public_address.empty()
          ? absl::StrCat(flags.address, ":", (*http_server)->port())
          : flags.public_address;

  AdminService admin(store->get(), &*keys, checksum_failures);
  grpc::ServerBuilder builder;
  int admin_port = 0;
  builder.AddListeningPort(flags.admin_listen, *admin_credentials,
                           &admin_port);
  builder.RegisterService(&admin);
  std::unique_ptr<grpc::Server> grpc_server = builder.BuildAndStart();
  if (grpc_server == nullptr || admin_port == 0) {
    return Fail(absl::UnavailableError(
        absl::StrCat("cannot listen for admin gRPC on ", flags.admin_listen)));
  }

  // Where the master reaches the admin service: --admin-public-url, else
  // the address it listens on, with a wildcard host replaced by the host
  // clients use for the data path.
  std::string admin_address = flags.admin_public_address;
  if (admin_address.empty()) {
    std::string host =
        flags.admin_listen.substr(0, flags.admin_listen.rfind(':'));
    if (host.empty() || host == "0.0.0.0" || host == "[::]") {
      host = public_address.substr(0, public_address.rfind(':'));
    }
    admin_address = absl::StrCat(host, ":", admin_port);
  }
  HeartbeatOptions heartbeat_options;
  heartbeat_options.server_id = *server_id;
  heartbeat_options.public_address = public_address;
  heartbeat_options.http_tls = http_options.tls != nullptr;
  heartbeat_options.admin_address = admin_address;
  heartbeat_options.interval = absl::Seconds(flags.heartbeat_seconds);
  HeartbeatClient heartbeat(heartbeat_options, master, store->get(), &*keys);
  heartbeat_ptr = &heartbeat;
  heartbeat.Start();

  std::string admin_host = flags.admin_listen.substr(0, flags.admin_listen.rfind(':'));
  std::printf(
      "warehouse-volume %s serving HTTP on %s:%d, admin gRPC on %s:%d, data in "
      "%s, master %s\n",
      server_id->c_str(), flags.address.c_str(), (*http_server)->port(),
      admin_host.c_str(), admin_port, flags.dir.c_str(), flags.master.c_str());
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("signal {}: shutting down", signal_number);
  // Stop taking requests and let those in flight finish; then stop talking
  // to the master; then sync every index so the next start scans nothing.
  (*http_server)->Shutdown(absl::Seconds(flags.shutdown_grace_seconds));
  heartbeat.Stop();
  grpc_server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  absl::Status closed = (*store)->Close();
  if (!closed.ok()) return Fail(closed);
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  warehouse::ConfigureDeadlockDetection();
  CLI::App app{"warehouse-volume: stores objects as needles in volume files"};
  Flags flags;
  app.set_config("--config", "", "Read flags from this TOML or INI file");
  auto env = [](const char* name) { return std::string("WAREHOUSE_") + name; };
  app.add_option("--master", flags.master, "Master gRPC address host:port")
      ->envname(env("MASTER"))->capture_default_str();
  app.add_option("--dir", flags.dir, "Data directory (created if missing)")
      ->envname(env("DIR"))->capture_default_str();
  app.add_option("--address", flags.address, "Address the HTTP data path binds")
      ->envname(env("ADDRESS"))->capture_default_str();
  app.add_option("--port", flags.port, "HTTP data path port (0: any free)")
      ->envname(env("PORT"))->capture_default_str();
  app.add_option("--admin-listen", flags.admin_listen,
                 "Admin gRPC host:port (port 0: any free)")
      ->envname(env("ADMIN_LISTEN"))->capture_default_str();
  app.add_option("--admin-public-url", flags.admin_public_address,
                 "host:port the master uses to reach the admin gRPC service "
                 "(default: --admin-listen's)")
      ->envname(env("ADMIN_PUBLIC_URL"));
  app.add_option("--public-url", flags.public_address,
                 "host:port the master hands to clients (default: "
                 "--address and the bound port)")
      ->envname(env("PUBLIC_URL"));
  app.add_option("--max-volumes", flags.max_volumes,
                 "Most volumes this server holds")
      ->envname(env("MAX_VOLUMES"))->capture_default_str();
  app.add_option("--volume-size", flags.volume_size,
                 "Largest size of one volume file (e.g. 30G, at most 32G)")
      ->envname(env("VOLUME_SIZE"))->capture_default_str();
  app.add_option("--sync", flags.sync,
                 "When a write is acknowledged: fsync (each write), group "
                 "(shared fsync), none")
      ->envname(env("SYNC"))->capture_default_str();
  app.add_option("--cluster-key-file", flags.cluster_key_file,
                 "Cluster key ring file (else WAREHOUSE_CLUSTER_KEY)")
      ->envname(env("CLUSTER_KEY_FILE"));
  app.add_option("--tls-ca", flags.tls_ca,
                 "PEM roots: reach the master over TLS, checking its "
                 "certificate against these")
      ->envname(env("TLS_CA"));
  app.add_option("--tls-cert", flags.tls_cert,
                 "PEM certificate chain: serve the HTTP data path and admin "
                 "gRPC over TLS")
      ->envname(env("TLS_CERT"));
  app.add_option("--tls-key", flags.tls_key, "PEM private key for --tls-cert")
      ->envname(env("TLS_KEY"));
  app.add_option("--tls-reload-interval", flags.tls_reload_seconds,
                 "Seconds between looks for a renewed --tls-cert or "
                 "--tls-key; new connections get it without a restart")
      ->envname(env("TLS_RELOAD_INTERVAL"))->capture_default_str();
  app.add_option("--heartbeat-interval", flags.heartbeat_seconds,
                 "Seconds between heartbeats")
      ->envname(env("HEARTBEAT_INTERVAL"))->capture_default_str();
  app.add_option("--sync-interval", flags.sync_seconds,
                 "Seconds between syncs of every volume and its index file")
      ->envname(env("SYNC_INTERVAL"))->capture_default_str();
  app.add_option("--shutdown-grace", flags.shutdown_grace_seconds,
                 "Seconds requests in flight get to finish at shutdown")
      ->envname(env("SHUTDOWN_GRACE"))->capture_default_str();
  app.add_option("--http-idle-timeout", flags.http_idle_timeout_seconds,
                 "Seconds the HTTP data path waits for a client that makes "
                 "no progress (a header, a body read, a response write)")
      ->envname(env("HTTP_IDLE_TIMEOUT"))->capture_default_str();
  app.add_option("--log-level", flags.log_level, "trace, debug, info, warn, error")
      ->envname(env("LOG_LEVEL"))->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return Run(flags);
}
