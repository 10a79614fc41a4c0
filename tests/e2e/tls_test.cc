// TLS on every link of a real cluster: clients to the master, volume
// servers to the master (heartbeats and upload reports), the master to the
// volume servers' admin services (the consistency check), clients to the
// volume servers' HTTP data path (signed https:// URLs), and the master's
// HTTP port.
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "catch2/catch.hpp"
#include "common/http_client.h"
#include "common/tls_context.h"
#include "tests/support/certificate.h"
#include "tests/support/cluster.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "warehouse/client.h"

namespace warehouse {
namespace {

using testing::Certificate;
using testing::Cluster;
using testing::ClusterOptions;
using testing::CommandResult;
using testing::RunCommand;
using testing::TempDir;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

Certificate NewCertificate(const TempDir& dir, const std::string& name) {
  absl::StatusOr<Certificate> made = testing::MakeCertificate(dir, name);
  INFO(made.status().ToString());
  REQUIRE(made.ok());
  return *made;
}

CommandResult RunCli(const Cluster& cluster, std::vector<std::string> args) {
  std::vector<std::string> argv = {WAREHOUSE_CLI_BIN, "--master",
                                   cluster.master_address()};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<CommandResult> result = RunCommand(
      argv, {{"WAREHOUSE_ACCESS_KEY", cluster.access_key_id()},
             {"WAREHOUSE_SECRET_KEY", cluster.secret_access_key()}});
  REQUIRE(result.ok());
  return *result;
}

TEST_CASE("a cluster with TLS on every link stores, serves and checks",
          "[e2e][tls]") {
  TempDir dir;
  // The master and the volume server each have their own certificate, and
  // each trusts only the other's: a link that checked nothing, or the
  // wrong root, would not come up.
  const Certificate master_cert = NewCertificate(dir, "master");
  const Certificate volume_cert = NewCertificate(dir, "volume");
  ClusterOptions options;
  options.master_bin = WAREHOUSE_MASTER_BIN;
  options.volume_bin = WAREHOUSE_VOLUME_BIN;
  options.master_args = {"--tls-cert", master_cert.cert, "--tls-key",
                         master_cert.key, "--tls-ca", volume_cert.cert};
  options.volume_args = {"--tls-cert", volume_cert.cert, "--tls-key",
                         volume_cert.key, "--tls-ca", master_cert.cert};
  options.tls_ca_file = master_cert.cert;
  // Start returns once the master lists the volume server online: its
  // heartbeat stream runs over TLS.
  absl::StatusOr<std::unique_ptr<Cluster>> started = Cluster::Start(options);
  INFO(started.status().ToString());
  REQUIRE(started.ok());
  const Cluster& cluster = **started;

  // The SDK, trusting both roots: the master's for gRPC, the volume
  // server's for the data path.
  const std::string roots_file = dir.Join("roots.pem");
  std::ofstream(roots_file) << ReadFile(master_cert.cert)
                            << ReadFile(volume_cert.cert);
  ClientOptions client_options;
  client_options.master_address = cluster.master_address();
  client_options.access_key_id = cluster.access_key_id();
  client_options.secret_access_key = cluster.secret_access_key();
  client_options.tls_root_certs = ReadFile(roots_file);
  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Create(client_options);
  REQUIRE(client.ok());
  REQUIRE((*client)->CreateBucket("sealed").ok());
  // Larger than a TLS record and the SDK's transfer chunk.
  std::string bytes;
  while (bytes.size() < (600 << 10)) {
    bytes += "sent over TLS, control plane and data path alike; ";
  }
  // The volume server reports the upload to the master over TLS before
  // the PUT succeeds.
  absl::Status put = (*client)->Put("sealed", "note.txt", bytes).status();
  INFO(put.ToString());
  REQUIRE(put.ok());
  absl::StatusOr<std::string> got = (*client)->Get("sealed", "note.txt");
  REQUIRE(got.ok());
  CHECK(*got == bytes);

  // The master signs https:// URLs for a volume server with TLS; plaintext
  // to that port gets 400 and no bytes of the object.
  absl::StatusOr<SignedUrl> url = (*client)->PresignGet("sealed", "note.txt");
  REQUIRE(url.ok());
  CHECK_THAT(url->url, Catch::StartsWith("https://127.0.0.1:"));
  absl::StatusOr<std::pair<http::Origin, std::string>> split =
      http::SplitUrl(url->url);
  REQUIRE(split.ok());
  http::ClientRequest get;
  get.target = split->second;
  http::ConnectionPool plaintext(absl::Seconds(10));
  absl::StatusOr<http::ClientResponse> refused_plain =
      plaintext.Send(http::Origin{split->first.host_port, false}, get);
  REQUIRE(refused_plain.ok());
  CHECK(refused_plain->status == 400);
  CHECK_THAT(refused_plain->body, Catch::Contains("use https://"));

  // The master's HTTP port speaks TLS too.
  absl::StatusOr<std::shared_ptr<const http::TlsContext>> master_root =
      http::TlsContext::ForClient(ReadFile(master_cert.cert));
  REQUIRE(master_root.ok());
  http::ConnectionPool master_http(absl::Seconds(10), 1, *master_root);
  http::ClientRequest health;
  health.target = "/healthz";
  absl::StatusOr<http::ClientResponse> healthy = master_http.Send(
      http::Origin{cluster.master_http_address(), true}, health);
  INFO(healthy.status().ToString());
  REQUIRE(healthy.ok());
  CHECK(healthy->status == 200);

  // A client that trusts only the master's root is refused the volume
  // server's certificate, and says so.
  client_options.tls_root_certs = ReadFile(master_cert.cert);
  absl::StatusOr<std::unique_ptr<Client>> half = Client::Create(client_options);
  REQUIRE(half.ok());
  absl::StatusOr<std::string> refused = (*half)->Get("sealed", "note.txt");
  INFO(refused.status().ToString());
  CHECK(absl::IsFailedPrecondition(refused.status()));
  CHECK_THAT(std::string(refused.status().message()),
             Catch::Contains("certificate is refused"));

  // The CLI, given the roots: a download crosses the data path over TLS,
  // and fsck lists the volume's needles through the volume server's admin
  // service, over TLS.
  const CommandResult cat =
      RunCli(cluster, {"--tls-ca", roots_file, "get", "sealed/note.txt", "-"});
  INFO(cat.output);
  CHECK(cat.exit_code == 0);
  CHECK_THAT(cat.output, Catch::Contains(bytes.substr(0, 100)));
  const CommandResult fsck = RunCli(cluster, {"--tls-ca", roots_file,
                                              "fsck"});
  INFO(fsck.output);
  CHECK(fsck.exit_code == 0);
  CHECK_THAT(fsck.output, Catch::Contains("(0 unchecked)"));
  CHECK_THAT(fsck.output, Catch::Contains("0 missing, 0 orphans"));
  // So does a verification: the volume server reads its needles back.
  const CommandResult verify =
      RunCli(cluster, {"--tls-ca", roots_file, "verify", "--all"});
  INFO(verify.output);
  CHECK(verify.exit_code == 0);
  CHECK_THAT(verify.output, Catch::Contains("read back, none corrupt"));
  CHECK_THAT(verify.output, !Catch::Contains("not verified"));
  // The server list shows which data paths speak TLS.
  const CommandResult servers =
      RunCli(cluster, {"--tls-ca", roots_file, "servers"});
  INFO(servers.output);
  CHECK_THAT(servers.output,
             Catch::Contains("https://" + cluster.volume_address(0)));

  // Without the root, or with the wrong one, the CLI is refused a
  // connection and says so.
  const CommandResult plain = RunCli(cluster, {"bucket", "list"});
  CHECK(plain.exit_code == 1);
  CHECK_THAT(plain.output, Catch::Contains("ListBuckets"));
  const CommandResult wrong =
      RunCli(cluster, {"--tls-ca", volume_cert.cert, "bucket", "list"});
  CHECK(wrong.exit_code == 1);
  CHECK_THAT(wrong.output, Catch::Contains("ListBuckets"));
  const CommandResult missing =
      RunCli(cluster, {"--tls-ca", dir.Join("none.pem"), "bucket", "list"});
  CHECK(missing.exit_code == 1);
  CHECK_THAT(missing.output, Catch::Contains("none.pem"));
}

// Calls `ok` every 100 ms until it returns true or 20 s pass.
bool Eventually(const std::function<bool()>& ok) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!ok()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return true;
}

TEST_CASE("renewed certificates are served on every listener without a "
          "restart",
          "[e2e][tls]") {
  TempDir dir;
  // The servers read their pairs from paths the test then overwrites with
  // new pairs, as a renewal does.
  const Certificate master_first = NewCertificate(dir, "master-first");
  const Certificate volume_first = NewCertificate(dir, "volume-first");
  const Certificate master_renewed = NewCertificate(dir, "master-renewed");
  const Certificate volume_renewed = NewCertificate(dir, "volume-renewed");
  const Certificate master_files{dir.Join("master.pem"),
                                 dir.Join("master.key")};
  const Certificate volume_files{dir.Join("volume.pem"),
                                 dir.Join("volume.key")};
  REQUIRE(testing::CopyCertificate(master_first, master_files).ok());
  REQUIRE(testing::CopyCertificate(volume_first, volume_files).ok());
  ClusterOptions options;
  options.master_bin = WAREHOUSE_MASTER_BIN;
  options.volume_bin = WAREHOUSE_VOLUME_BIN;
  options.master_args = {"--tls-cert", master_files.cert, "--tls-key",
                         master_files.key, "--tls-reload-interval", "1s"};
  options.volume_args = {"--tls-cert", volume_files.cert, "--tls-key",
                         volume_files.key, "--tls-ca", master_first.cert,
                         "--tls-reload-interval", "1"};
  options.tls_ca_file = master_first.cert;
  absl::StatusOr<std::unique_ptr<Cluster>> started = Cluster::Start(options);
  INFO(started.status().ToString());
  REQUIRE(started.ok());
  const Cluster& cluster = **started;

  // Clients that trust only the renewed certificates: refused until the
  // renewal, served after it, by the master's gRPC and HTTP ports and the
  // volume server's data path.
  ClientOptions client_options;
  client_options.master_address = cluster.master_address();
  client_options.access_key_id = cluster.access_key_id();
  client_options.secret_access_key = cluster.secret_access_key();
  client_options.tls_root_certs = ReadFile(master_renewed.cert);
  client_options.max_attempts = 1;
  absl::StatusOr<std::shared_ptr<const http::TlsContext>> master_root =
      http::TlsContext::ForClient(ReadFile(master_renewed.cert));
  absl::StatusOr<std::shared_ptr<const http::TlsContext>> volume_root =
      http::TlsContext::ForClient(ReadFile(volume_renewed.cert));
  REQUIRE(master_root.ok());
  REQUIRE(volume_root.ok());
  http::ClientRequest health;
  health.target = "/healthz";
  // A new client and a new connection each time: one that failed once, or
  // was made before, would not show what a new connection gets.
  auto grpc_served = [&] {
    absl::StatusOr<std::unique_ptr<Client>> client =
        Client::Create(client_options);
    REQUIRE(client.ok());
    return (*client)->ListBuckets().ok();
  };
  auto https_served = [&](const std::shared_ptr<const http::TlsContext>& root,
                          const std::string& address) {
    http::ConnectionPool pool(absl::Seconds(10), 1, root);
    absl::StatusOr<http::ClientResponse> response =
        pool.Send(http::Origin{address, true}, health);
    return response.ok() && response->status == 200;
  };
  CHECK_FALSE(grpc_served());
  CHECK_FALSE(https_served(*master_root, cluster.master_http_address()));
  CHECK_FALSE(https_served(*volume_root, cluster.volume_address(0)));

  REQUIRE(testing::CopyCertificate(master_renewed, master_files).ok());
  REQUIRE(testing::CopyCertificate(volume_renewed, volume_files).ok());
  CHECK(Eventually(grpc_served));
  CHECK(Eventually([&] {
    return https_served(*master_root, cluster.master_http_address());
  }));
  CHECK(Eventually([&] {
    return https_served(*volume_root, cluster.volume_address(0));
  }));
  // The volume server's heartbeat stream, made before the renewal, keeps
  // it online, and the cluster still stores and serves.
  client_options.tls_root_certs =
      ReadFile(master_renewed.cert) + ReadFile(volume_renewed.cert);
  absl::StatusOr<std::unique_ptr<Client>> renewed =
      Client::Create(client_options);
  REQUIRE(renewed.ok());
  absl::StatusOr<std::vector<ServerInfo>> servers = (*renewed)->ListServers();
  REQUIRE(servers.ok());
  REQUIRE(servers->size() == 1);
  CHECK(servers->front().online);
  REQUIRE((*renewed)->CreateBucket("renewed").ok());
  absl::Status put = (*renewed)->Put("renewed", "k", "after").status();
  INFO(put.ToString());
  REQUIRE(put.ok());
  CHECK(*(*renewed)->Get("renewed", "k") == "after");
}

TEST_CASE("a volume server without the master's root never comes online",
          "[e2e][tls]") {
  TempDir dir;
  const Certificate master_cert = NewCertificate(dir, "master");
  ClusterOptions options;
  options.master_bin = WAREHOUSE_MASTER_BIN;
  options.volume_bin = WAREHOUSE_VOLUME_BIN;
  options.master_args = {"--tls-cert", master_cert.cert, "--tls-key",
                         master_cert.key};
  options.tls_ca_file = master_cert.cert;
  options.start_timeout = absl::Seconds(8);
  // The volume server dials in plaintext: the master never sees it.
  absl::StatusOr<std::unique_ptr<Cluster>> started = Cluster::Start(options);
  REQUIRE_FALSE(started.ok());
  CHECK_THAT(started.status().ToString(), Catch::Contains("0 online"));
}

TEST_CASE("TLS flags a server cannot use stop it at start, named",
          "[e2e][tls]") {
  TempDir dir;
  const Certificate cert = NewCertificate(dir, "server");
  const Certificate other = NewCertificate(dir, "other");
  const std::string not_pem = dir.Join("roots.txt");
  std::ofstream(not_pem) << "no certificates here\n";
  const std::vector<std::pair<std::string, std::string>> env = {
      {"WAREHOUSE_CLUSTER_KEY", "k1:" + std::string(64, 'a')}};
  struct Case {
    std::vector<std::string> argv;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{WAREHOUSE_VOLUME_BIN, "--tls-cert", cert.cert}, "--tls-key"},
      {{WAREHOUSE_VOLUME_BIN, "--tls-cert", cert.cert, "--tls-key", other.key},
       "does not match"},
      {{WAREHOUSE_MASTER_BIN, "--tls-cert", cert.cert, "--tls-key", other.key},
       "does not match"},
      {{WAREHOUSE_VOLUME_BIN, "--tls-ca", dir.Join("none.pem")}, "none.pem"},
      {{WAREHOUSE_VOLUME_BIN, "--tls-ca", not_pem}, "not a PEM file"},
      {{WAREHOUSE_MASTER_BIN, "--tls-ca", dir.Join("none.pem")}, "none.pem"},
      {{WAREHOUSE_VOLUME_BIN, "--tls-reload-interval", "0.5"},
       "--tls-reload-interval"},
      {{WAREHOUSE_MASTER_BIN, "--tls-reload-interval", "0s"},
       "--tls-reload-interval"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = c.argv;
    if (c.argv[0] == WAREHOUSE_VOLUME_BIN) {
      argv.insert(argv.end(), {"--dir", dir.Join("volume"), "--port", "0"});
    } else {
      argv.insert(argv.end(), {"--schema", "--db", dir.Join("meta.db"),
                               "--listen", "127.0.0.1:0", "--http-listen",
                               "127.0.0.1:0"});
    }
    absl::StatusOr<CommandResult> result = RunCommand(argv, env);
    REQUIRE(result.ok());
    INFO(absl::StrJoin(argv, " ") << "\n" << result->output);
    CHECK(result->exit_code != 0);
    CHECK_THAT(result->output, Catch::Contains(c.says));
  }
}

}  // namespace
}  // namespace warehouse
