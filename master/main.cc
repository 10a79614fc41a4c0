// warehouse-master: serves the Master and Cluster gRPC services and the
// metrics port. `warehouse-master key ...` manages access keys directly in
// the database; `warehouse-master restore` puts a backup in its place.
// docs/master.md describes every flag.
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/access_key.h"
#include "common/deadlock_detection.h"
#include "common/file.h"
#include "common/key_ring.h"
#include "common/logging.h"
#include "common/secret_sealer.h"
#include "common/units.h"
#include "master/access_keys.h"
#include "master/master_server.h"
#include "master/metadata_restore.h"
#include "master/metadata_store.h"
#include "master/migrations.h"
#include "spdlog/spdlog.h"

namespace warehouse::master {
namespace {

constexpr char kDefaultOfflineAfter[] = "3x the heartbeat interval";

struct Flags {
  std::string listen = "127.0.0.1:9333";
  std::string http_listen = "127.0.0.1:9334";
  std::string db = "./warehouse-data/master/meta.db";
  bool schema = false;
  std::string cluster_key_file;
  std::string heartbeat_interval = "5s";
  std::string offline_after = kDefaultOfflineAfter;
  std::string log_level = "info";
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  uint64_t max_object_size = uint64_t{4} << 30;
  std::string url_lifetime = "15m";
  std::string max_url_lifetime = "168h";
  std::string shutdown_grace = "5s";
  std::string http_idle_timeout = "60s";
  std::string pending_row_delay = "100ms";
  double auto_compact_ratio = 0.3;
  std::string auto_compact_interval = "15m";
  std::string auto_compact_bandwidth = "0";
  std::string auto_verify_every = "168h";
  std::string auto_verify_interval = "10m";
  std::string auto_verify_bandwidth = "64M";
  std::string tls_reload_interval = "60s";

  // key create / list / revoke
  std::string role;
  std::vector<std::string> buckets;
  std::string description;
  std::string revoke_id;

  // restore
  std::string restore_from;
};

absl::StatusOr<absl::Duration> ParseFlagDuration(const std::string& flag,
                                                 const std::string& text) {
  absl::Duration duration;
  if (!absl::ParseDuration(text, &duration) ||
      duration <= absl::ZeroDuration() ||
      duration == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, " ", text, ": not a positive duration such as 5s or 300ms"));
  }
  return duration;
}

absl::StatusOr<MasterServer::Options> ServerOptions(const Flags& flags) {
  MasterServer::Options options;
  options.listen = flags.listen;
  options.http_listen = flags.http_listen;
  options.db_path = flags.db;
  options.apply_schema = flags.schema;
  options.tls_cert_file = flags.tls_cert;
  options.tls_key_file = flags.tls_key;
  options.tls_ca_file = flags.tls_ca;
  options.urls.max_object_bytes = flags.max_object_size;
  absl::StatusOr<absl::Duration> url_lifetime =
      ParseFlagDuration("--url-lifetime", flags.url_lifetime);
  if (!url_lifetime.ok()) return url_lifetime.status();
  absl::StatusOr<absl::Duration> max_url_lifetime =
      ParseFlagDuration("--max-url-lifetime", flags.max_url_lifetime);
  if (!max_url_lifetime.ok()) return max_url_lifetime.status();
  if (*url_lifetime > *max_url_lifetime) {
    return absl::InvalidArgumentError(
        absl::StrCat("--url-lifetime ", flags.url_lifetime,
                     " is longer than --max-url-lifetime ",
                     flags.max_url_lifetime));
  }
  options.urls.url_lifetime = *url_lifetime;
  options.urls.max_url_lifetime = *max_url_lifetime;
  absl::StatusOr<absl::Duration> interval =
      ParseFlagDuration("--heartbeat-interval", flags.heartbeat_interval);
  if (!interval.ok()) return interval.status();
  options.heartbeat_interval = *interval;
  if (flags.offline_after != kDefaultOfflineAfter) {
    absl::StatusOr<absl::Duration> offline =
        ParseFlagDuration("--offline-after", flags.offline_after);
    if (!offline.ok()) return offline.status();
    options.offline_after = *offline;
  }
  absl::StatusOr<absl::Duration> grace =
      ParseFlagDuration("--shutdown-grace", flags.shutdown_grace);
  if (!grace.ok()) return grace.status();
  options.shutdown_grace = *grace;
  absl::StatusOr<absl::Duration> idle =
      ParseFlagDuration("--http-idle-timeout", flags.http_idle_timeout);
  if (!idle.ok()) return idle.status();
  options.http_idle_timeout = *idle;
  absl::Duration row_delay;
  if (!absl::ParseDuration(flags.pending_row_delay, &row_delay) ||
      row_delay < absl::ZeroDuration() || row_delay > absl::Minutes(1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--pending-row-delay ", flags.pending_row_delay,
        ": not a duration from 0s to 1m such as 100ms"));
  }
  options.pending_row_delay = row_delay;
  if (!(flags.auto_compact_ratio >= 0 && flags.auto_compact_ratio <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--auto-compact-ratio ", flags.auto_compact_ratio,
                     ": not a garbage ratio from 0 (off) to 1"));
  }
  options.auto_compaction.min_garbage_ratio = flags.auto_compact_ratio;
  absl::StatusOr<absl::Duration> compact_interval =
      ParseFlagDuration("--auto-compact-interval", flags.auto_compact_interval);
  if (!compact_interval.ok()) return compact_interval.status();
  options.auto_compaction.interval = *compact_interval;
  absl::StatusOr<uint64_t> bandwidth =
      ParseByteSize(flags.auto_compact_bandwidth);
  if (!bandwidth.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--auto-compact-bandwidth ", flags.auto_compact_bandwidth,
                     ": not bytes a second such as 64M, or 0 for no limit"));
  }
  options.auto_compaction.bytes_per_second = *bandwidth;
  if (flags.auto_verify_every == "0") {
    options.auto_verification.every = absl::ZeroDuration();
  } else {
    absl::StatusOr<absl::Duration> every =
        ParseFlagDuration("--auto-verify-every", flags.auto_verify_every);
    if (!every.ok()) return every.status();
    options.auto_verification.every = *every;
  }
  absl::StatusOr<absl::Duration> verify_interval =
      ParseFlagDuration("--auto-verify-interval", flags.auto_verify_interval);
  if (!verify_interval.ok()) return verify_interval.status();
  options.auto_verification.interval = *verify_interval;
  absl::StatusOr<uint64_t> verify_bandwidth =
      ParseByteSize(flags.auto_verify_bandwidth);
  if (!verify_bandwidth.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--auto-verify-bandwidth ", flags.auto_verify_bandwidth,
                     ": not bytes a second such as 64M, or 0 for no limit"));
  }
  options.auto_verification.bytes_per_second = *verify_bandwidth;
  absl::StatusOr<absl::Duration> reload =
      ParseFlagDuration("--tls-reload-interval", flags.tls_reload_interval);
  if (!reload.ok()) return reload.status();
  options.tls_reload_interval = *reload;
  return options;
}

// The host part of "host:port", for the serving line.
std::string HostOf(const std::string& address) {
  const size_t colon = address.rfind(':');
  return colon == std::string::npos ? address : address.substr(0, colon);
}

int Fail(const absl::Status& status) {
  std::cerr << "warehouse-master: " << status.message() << std::endl;
  return 1;
}

int Serve(const Flags& flags, const sigset_t& stop_signals) {
  absl::StatusOr<MasterServer::Options> options = ServerOptions(flags);
  if (!options.ok()) return Fail(options.status());
  absl::StatusOr<KeyRing> keys = KeyRing::LoadFileOrEnv(flags.cluster_key_file);
  if (!keys.ok()) return Fail(keys.status());
  absl::StatusOr<std::unique_ptr<MasterServer>> server =
      MasterServer::Start(*std::move(options), *std::move(keys));
  if (!server.ok()) return Fail(server.status());
  std::cout << "warehouse-master serving gRPC on " << HostOf(flags.listen)
            << ":" << (*server)->grpc_port() << ", HTTP on "
            << HostOf(flags.http_listen) << ":" << (*server)->http_port()
            << std::endl;

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("{}: shutting down", strsignal(signal_number));
  (*server)->Shutdown();
  server->reset();
  spdlog::info("stopped");
  return 0;
}

// Opens what the key subcommands need: the store and the sealer.
struct KeyTools {
  std::unique_ptr<MetadataStore> store;
  std::unique_ptr<SecretSealer> sealer;
  std::unique_ptr<AccessKeys> keys;
};

absl::StatusOr<KeyTools> OpenKeyTools(const Flags& flags) {
  KeyTools tools;
  absl::StatusOr<KeyRing> ring = KeyRing::LoadFileOrEnv(flags.cluster_key_file);
  if (!ring.ok()) return ring.status();
  absl::StatusOr<SecretSealer> sealer = SecretSealer::Create(*ring);
  if (!sealer.ok()) return sealer.status();
  tools.sealer = std::make_unique<SecretSealer>(*std::move(sealer));
  MetadataStore::Options options;
  options.apply_migrations = flags.schema;
  options.read_connections = 1;
  absl::StatusOr<std::unique_ptr<MetadataStore>> store =
      MetadataStore::Open(flags.db, std::move(options));
  if (!store.ok()) return store.status();
  tools.store = *std::move(store);
  tools.keys = std::make_unique<AccessKeys>(
      tools.store.get(), tools.sealer.get(), AccessKeys::Options());
  return tools;
}

int KeyCreate(const Flags& flags) {
  absl::StatusOr<Role> role = ParseRole(flags.role);
  if (!role.ok()) return Fail(role.status());
  absl::StatusOr<KeyTools> tools = OpenKeyTools(flags);
  if (!tools.ok()) return Fail(tools.status());
  absl::StatusOr<NewAccessKey> created =
      tools->keys->Create(*role, flags.buckets, flags.description);
  if (!created.ok()) return Fail(created.status());
  std::cout << "access_key_id: " << created->key.access_key_id << "\n"
            << "secret_access_key: " << created->secret << std::endl;
  return 0;
}

// Replaces the database (--db) of a stopped master with a backup.
int Restore(const Flags& flags) {
  absl::StatusOr<RestoreResult> restored = RestoreDatabase(
      FileSystem::Default(), flags.db, flags.restore_from, absl::Now());
  if (!restored.ok()) return Fail(restored.status());
  std::cout << flags.db << ": restored from " << flags.restore_from
            << " (schema version " << restored->schema_version << ")";
  if (!restored->replaced.empty()) {
    std::cout << "; the database it replaced is kept as "
              << restored->replaced;
  }
  std::cout << std::endl;
  if (restored->schema_version < LatestSchemaVersion()) {
    std::cout << "start the master with --schema once to migrate it to "
                 "version "
              << LatestSchemaVersion() << std::endl;
  }
  return 0;
}

int KeyList(const Flags& flags) {
  absl::StatusOr<KeyTools> tools = OpenKeyTools(flags);
  if (!tools.ok()) return Fail(tools.status());
  absl::StatusOr<std::vector<AccessKey>> keys = tools->store->ListAccessKeys();
  if (!keys.ok()) return Fail(keys.status());
  for (const AccessKey& key : *keys) {
    std::cout << key.access_key_id << "  " << AccessRoleName(key.role)
              << "  buckets=" << absl::StrJoin(key.allowed_buckets, ",")
              << "  created=" << absl::FormatTime(key.created)
              << (key.revoked.has_value()
                      ? absl::StrCat("  revoked=",
                                     absl::FormatTime(*key.revoked))
                      : "")
              << (key.description.empty() ? "" : "  ") << key.description
              << "\n";
  }
  std::cout.flush();
  return 0;
}

int KeyRevoke(const Flags& flags) {
  absl::StatusOr<KeyTools> tools = OpenKeyTools(flags);
  if (!tools.ok()) return Fail(tools.status());
  absl::Status revoked = tools->keys->Revoke(flags.revoke_id);
  if (!revoked.ok()) return Fail(revoked);
  std::cout << "revoked " << flags.revoke_id << std::endl;
  return 0;
}

int Main(int argc, char** argv) {
  ConfigureDeadlockDetection();
  // Every thread started from here on inherits the mask, so the stop
  // signals are only ever taken by sigwait in Serve.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Flags flags;
  CLI::App app{
      "warehouse-master: bucket and object metadata, volume server "
      "tracking and placement for a Warehouse cluster"};
  app.set_config("--config", "", "Read flags from this TOML or INI file");
  app.add_option("--listen", flags.listen, "gRPC listen host:port")
      ->envname("WAREHOUSE_LISTEN")
      ->capture_default_str();
  app.add_option("--http-listen", flags.http_listen,
                 "HTTP (metrics, health) listen host:port")
      ->envname("WAREHOUSE_HTTP_LISTEN")
      ->capture_default_str();
  app.add_option("--db", flags.db, "SQLite metadata database")
      ->envname("WAREHOUSE_DB")
      ->capture_default_str();
  app.add_flag("--schema", flags.schema,
               "Create the database or apply pending migrations, then go on")
      ->envname("WAREHOUSE_SCHEMA");
  app.add_option("--cluster-key-file", flags.cluster_key_file,
                 "Cluster key ring file (else WAREHOUSE_CLUSTER_KEY holds "
                 "the key ring itself)")
      ->envname("WAREHOUSE_CLUSTER_KEY_FILE");
  app.add_option("--heartbeat-interval", flags.heartbeat_interval,
                 "Volume servers' heartbeat interval")
      ->envname("WAREHOUSE_HEARTBEAT_INTERVAL")
      ->capture_default_str();
  app.add_option("--offline-after", flags.offline_after,
                 "Silence after which a volume server is offline")
      ->envname("WAREHOUSE_OFFLINE_AFTER")
      ->capture_default_str();
  app.add_option("--log-level", flags.log_level,
                 "trace, debug, info, warn, error, critical or off")
      ->envname("WAREHOUSE_LOG_LEVEL")
      ->capture_default_str();
  app.add_option("--tls-cert", flags.tls_cert,
                 "PEM certificate chain: serve gRPC over TLS")
      ->envname("WAREHOUSE_TLS_CERT");
  app.add_option("--tls-key", flags.tls_key, "PEM private key for --tls-cert")
      ->envname("WAREHOUSE_TLS_KEY");
  app.add_option("--tls-reload-interval", flags.tls_reload_interval,
                 "How often to look for a renewed --tls-cert or --tls-key; "
                 "new connections get it without a restart")
      ->envname("WAREHOUSE_TLS_RELOAD_INTERVAL")
      ->capture_default_str();
  app.add_option("--tls-ca", flags.tls_ca,
                 "PEM roots: reach volume servers' admin gRPC over TLS, "
                 "checking their certificates against these")
      ->envname("WAREHOUSE_TLS_CA");
  app.add_option("--max-object-size", flags.max_object_size,
                 "Largest object BeginUpload accepts, in bytes")
      ->envname("WAREHOUSE_MAX_OBJECT_SIZE")
      ->capture_default_str();
  app.add_option("--url-lifetime", flags.url_lifetime,
                 "How long a signed URL works unless its caller asks for "
                 "another lifetime")
      ->envname("WAREHOUSE_URL_LIFETIME")
      ->capture_default_str();
  app.add_option("--max-url-lifetime", flags.max_url_lifetime,
                 "The longest URL lifetime a caller may ask for")
      ->envname("WAREHOUSE_MAX_URL_LIFETIME")
      ->capture_default_str();
  app.add_option("--shutdown-grace", flags.shutdown_grace,
                 "How long in-flight calls may finish on SIGINT/SIGTERM")
      ->envname("WAREHOUSE_SHUTDOWN_GRACE")
      ->capture_default_str();
  app.add_option("--http-idle-timeout", flags.http_idle_timeout,
                 "How long the HTTP port waits for a client that makes no "
                 "progress (a header, a body read, a response write)")
      ->envname("WAREHOUSE_HTTP_IDLE_TIMEOUT")
      ->capture_default_str();
  app.add_option("--pending-row-delay", flags.pending_row_delay,
                 "How long a begun upload waits in memory for its commit "
                 "before its row is written; a killed master forgets the "
                 "uploads begun this long before (0s: none)")
      ->envname("WAREHOUSE_PENDING_ROW_DELAY")
      ->capture_default_str();
  app.add_option("--auto-compact-ratio", flags.auto_compact_ratio,
                 "Compact a volume by itself once this share of it is "
                 "garbage (and at least 1 MiB), one volume at a time per "
                 "server; 0 turns it off")
      ->envname("WAREHOUSE_AUTO_COMPACT_RATIO")
      ->capture_default_str();
  app.add_option("--auto-compact-interval", flags.auto_compact_interval,
                 "How often to look for volumes to compact by themselves")
      ->envname("WAREHOUSE_AUTO_COMPACT_INTERVAL")
      ->capture_default_str();
  app.add_option("--auto-compact-bandwidth", flags.auto_compact_bandwidth,
                 "Bytes a second an automatic compaction copies at most "
                 "(e.g. 64M), to leave the disk and CPU to serving; 0: no "
                 "limit")
      ->envname("WAREHOUSE_AUTO_COMPACT_BANDWIDTH")
      ->capture_default_str();
  app.add_option("--auto-verify-every", flags.auto_verify_every,
                 "Read every volume back and check its needles' checksums "
                 "by itself once its latest verification is this old, one "
                 "volume at a time per server; 0 turns it off")
      ->envname("WAREHOUSE_AUTO_VERIFY_EVERY")
      ->capture_default_str();
  app.add_option("--auto-verify-interval", flags.auto_verify_interval,
                 "How often to look for volumes to verify by themselves")
      ->envname("WAREHOUSE_AUTO_VERIFY_INTERVAL")
      ->capture_default_str();
  app.add_option("--auto-verify-bandwidth", flags.auto_verify_bandwidth,
                 "Bytes a second an automatic verification reads at most, "
                 "to leave the disk to serving; 0: no limit")
      ->envname("WAREHOUSE_AUTO_VERIFY_BANDWIDTH")
      ->capture_default_str();

  CLI::App* key =
      app.add_subcommand("key", "Manage access keys directly in the database");
  key->require_subcommand(1);
  key->fallthrough();
  CLI::App* create = key->add_subcommand(
      "create", "Create an access key and print its id and secret");
  create->fallthrough();
  create->add_option("--role", flags.role, "admin or read-write")->required();
  create->add_option("--bucket", flags.buckets,
                     "Restrict a read-write key to this bucket (repeatable)");
  create->add_option("--description", flags.description,
                     "A note for operators");
  CLI::App* list = key->add_subcommand("list", "List every access key");
  list->fallthrough();
  CLI::App* revoke = key->add_subcommand("revoke", "Revoke an access key");
  revoke->fallthrough();
  revoke->add_option("id", flags.revoke_id, "The access key id")->required();

  CLI::App* restore = app.add_subcommand(
      "restore",
      "Replace the database (--db) of a stopped master with a backup made "
      "by `warehouse backup`, keeping the old one beside it");
  restore->fallthrough();
  restore->add_option("BACKUP", flags.restore_from, "The backup file")
      ->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  absl::Status logging = InitLogging(flags.log_level);
  if (!logging.ok()) return Fail(logging);

  if (create->parsed()) return KeyCreate(flags);
  if (list->parsed()) return KeyList(flags);
  if (revoke->parsed()) return KeyRevoke(flags);
  if (restore->parsed()) return Restore(flags);
  return Serve(flags, stop_signals);
}

}  // namespace
}  // namespace warehouse::master

int main(int argc, char** argv) { return warehouse::master::Main(argc, argv); }
