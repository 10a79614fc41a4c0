// The real warehouse-master binary: schema handling, flags from a config
// file and the environment, access keys from the command line, TLS,
// graceful shutdown.
#include <signal.h>

#include <fstream>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "common/grpc_auth.h"
#include "common/key_ring.h"
#include "grpcpp/grpcpp.h"
#include "proto/warehouse/master.grpc.pb.h"
#include "tests/master/master_test_util.h"
#include "tests/master/subprocess.h"
#include "tests/support/certificate.h"
#include "tests/support/temp_dir.h"

#ifndef WAREHOUSE_MASTER_BINARY
#error "WAREHOUSE_MASTER_BINARY must name the warehouse-master executable"
#endif

namespace warehouse::master::testing {
namespace {

constexpr absl::Duration kProcessLimit = absl::Seconds(30);

// The environment every run gets: a cluster key, and none of the
// variables that could change a flag behind the test's back.
std::vector<std::string> BaseEnvironment(const KeyRing& keys) {
  return {
      absl::StrCat(kClusterKeyEnvVar, "=", FormatKeyRingEntry(keys.primary())),
      "WAREHOUSE_LISTEN",
      "WAREHOUSE_HTTP_LISTEN",
      "WAREHOUSE_DB",
      "WAREHOUSE_SCHEMA",
      "WAREHOUSE_CLUSTER_KEY_FILE",
      "WAREHOUSE_LOG_LEVEL",
      "WAREHOUSE_TLS_CERT",
      "WAREHOUSE_TLS_KEY",
      "WAREHOUSE_TLS_CA",
      "WAREHOUSE_PENDING_ROW_DELAY"};
}

// The ports of the serving line; zeros when there is none.
struct Ports {
  int grpc = 0;
  int http = 0;
};
Ports PortsOf(const std::string& output) {
  std::smatch match;
  static const std::regex kServing(
      "warehouse-master serving gRPC on 127\\.0\\.0\\.1:([0-9]+), HTTP on "
      "127\\.0\\.0\\.1:([0-9]+)\n");
  Ports ports;
  if (!std::regex_search(output, match, kServing) ||
      !absl::SimpleAtoi(match[1].str(), &ports.grpc) ||
      !absl::SimpleAtoi(match[2].str(), &ports.http)) {
    return Ports();
  }
  return ports;
}

Credentials ParseKey(const std::string& output) {
  std::smatch id;
  std::smatch secret;
  REQUIRE(std::regex_search(output, id,
                            std::regex("access_key_id: (WH[A-Z0-9]{18})")));
  REQUIRE(std::regex_search(
      output, secret, std::regex("secret_access_key: ([A-Za-z0-9]{40})")));
  return Credentials{id[1].str(), secret[1].str()};
}

grpc::Status ListBuckets(const std::shared_ptr<grpc::Channel>& channel,
                         const Credentials& key) {
  auto stub = v1::Master::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + kWaitLimit));
  REQUIRE(AttachAuthorization(
              &context,
              FullMethodName(v1::Master::service_full_name(), "ListBuckets"),
              key.id, key.secret, absl::Now())
              .ok());
  v1::ListBucketsResponse response;
  return stub->ListBuckets(&context, v1::ListBucketsRequest(), &response);
}

// Stops a serving master with SIGTERM and checks that it exits cleanly.
void StopCleanly(Subprocess& master) {
  master.Signal(SIGTERM);
  std::optional<int> code = master.Wait(kProcessLimit);
  INFO(master.output());
  REQUIRE(code.has_value());
  CHECK(*code == 0);
}

TEST_CASE("the master refuses a new database without --schema",
          "[master][binary]") {
  warehouse::testing::TempDir dir;
  const KeyRing keys = MakeClusterKeys();
  const CommandResult result =
      RunCommand({WAREHOUSE_MASTER_BINARY, "--db", dir.Join("meta.db"),
                  "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"},
                 BaseEnvironment(keys), kProcessLimit);
  CHECK(result.exit_code != 0);
  CHECK_THAT(result.output, Catch::Contains("--schema"));
}

TEST_CASE("the master refuses to start without a cluster key",
          "[master][binary]") {
  warehouse::testing::TempDir dir;
  const KeyRing keys = MakeClusterKeys();
  std::vector<std::string> env = BaseEnvironment(keys);
  env[0] = kClusterKeyEnvVar;  // unset
  const CommandResult result = RunCommand(
      {WAREHOUSE_MASTER_BINARY, "--schema", "--db", dir.Join("meta.db"),
       "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"},
      env, kProcessLimit);
  CHECK(result.exit_code != 0);
  CHECK_THAT(result.output, Catch::Contains(kClusterKeyEnvVar));
}

TEST_CASE(
    "with --schema the master serves, takes keys made by key create, "
    "and stops on SIGTERM",
    "[master][binary]") {
  warehouse::testing::TempDir dir;
  const KeyRing keys = MakeClusterKeys();
  const std::string db = dir.Join("data/master/meta.db");
  std::unique_ptr<Subprocess> master = Subprocess::Start(
      {WAREHOUSE_MASTER_BINARY, "--schema", "--db", db, "--listen",
       "127.0.0.1:0", "--http-listen", "127.0.0.1:0"},
      BaseEnvironment(keys));
  REQUIRE(master->ReadUntil("warehouse-master serving", kProcessLimit));
  REQUIRE(master->ReadUntil("\n", kProcessLimit));
  const Ports ports = PortsOf(master->output());
  INFO(master->output());
  REQUIRE(ports.grpc > 0);
  REQUIRE(ports.http > 0);
  CHECK(HttpGet(ports.http, "/healthz").status == 200);
  const int port = ports.grpc;

  // An operator bootstraps the first admin key while the master runs.
  const CommandResult created = RunCommand(
      {WAREHOUSE_MASTER_BINARY, "key", "create", "--role", "admin", "--db", db},
      BaseEnvironment(keys), kProcessLimit);
  INFO(created.output);
  REQUIRE(created.exit_code == 0);
  const Credentials admin = ParseKey(created.output);
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::InsecureChannelCredentials());
  CHECK(ListBuckets(channel, admin).ok());

  const CommandResult listed =
      RunCommand({WAREHOUSE_MASTER_BINARY, "key", "list", "--db", db},
                 BaseEnvironment(keys), kProcessLimit);
  CHECK(listed.exit_code == 0);
  CHECK_THAT(listed.output, Catch::Contains(admin.id) &&
                                Catch::Contains("admin") &&
                                !Catch::Contains(admin.secret));

  // The last admin key stays.
  const CommandResult revoked = RunCommand(
      {WAREHOUSE_MASTER_BINARY, "key", "revoke", admin.id, "--db", db},
      BaseEnvironment(keys), kProcessLimit);
  CHECK(revoked.exit_code != 0);
  CHECK_THAT(revoked.output, Catch::Contains("last admin"));

  StopCleanly(*master);
}

TEST_CASE("flags come from a config file and WAREHOUSE_ variables",
          "[master][binary]") {
  warehouse::testing::TempDir dir;
  const KeyRing keys = MakeClusterKeys();
  const std::string config = dir.Join("master.toml");
  {
    std::ofstream out(config);
    out << "listen = \"127.0.0.1:0\"\n"
        << "http-listen = \"127.0.0.1:0\"\n"
        << "schema = true\n"
        << "log-level = \"warn\"\n";
  }
  std::vector<std::string> env = BaseEnvironment(keys);
  env.push_back(absl::StrCat("WAREHOUSE_DB=", dir.Join("from-env.db")));
  std::unique_ptr<Subprocess> master =
      Subprocess::Start({WAREHOUSE_MASTER_BINARY, "--config", config}, env);
  REQUIRE(master->ReadUntil("warehouse-master serving", kProcessLimit));
  REQUIRE(master->ReadUntil("\n", kProcessLimit));
  INFO(master->output());
  CHECK(PortsOf(master->output()).grpc > 0);
  CHECK(std::ifstream(dir.Join("from-env.db")).good());
  StopCleanly(*master);
}

TEST_CASE("with --tls-cert and --tls-key the master serves gRPC over TLS",
          "[master][binary][tls]") {
  warehouse::testing::TempDir dir;
  const KeyRing keys = MakeClusterKeys();
  absl::StatusOr<warehouse::testing::Certificate> made =
      warehouse::testing::MakeCertificate(dir, "master");
  INFO(made.status().ToString());
  REQUIRE(made.ok());
  const std::string& cert = made->cert;
  const std::string& key = made->key;

  const std::string db = dir.Join("meta.db");
  std::unique_ptr<Subprocess> master =
      Subprocess::Start({WAREHOUSE_MASTER_BINARY, "--schema", "--db", db,
                         "--listen", "127.0.0.1:0", "--http-listen",
                         "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key},
                        BaseEnvironment(keys));
  REQUIRE(master->ReadUntil("warehouse-master serving", kProcessLimit));
  REQUIRE(master->ReadUntil("\n", kProcessLimit));
  const int port = PortsOf(master->output()).grpc;
  INFO(master->output());
  REQUIRE(port > 0);
  const CommandResult created = RunCommand(
      {WAREHOUSE_MASTER_BINARY, "key", "create", "--role", "admin", "--db", db},
      BaseEnvironment(keys), kProcessLimit);
  REQUIRE(created.exit_code == 0);
  const Credentials admin = ParseKey(created.output);

  std::string root;
  {
    std::ifstream in(cert);
    root.assign(std::istreambuf_iterator<char>(in),
                std::istreambuf_iterator<char>());
  }
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = root;
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  auto secure = grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port),
                                          grpc::SslCredentials(tls), args);
  grpc::Status status = ListBuckets(secure, admin);
  INFO(status.error_message());
  CHECK(status.ok());

  // Plaintext does not get through.
  auto plain = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials());
  CHECK_FALSE(ListBuckets(plain, admin).ok());
  StopCleanly(*master);
}

TEST_CASE("TLS needs both a certificate and a key", "[master][binary][tls]") {
  warehouse::testing::TempDir dir;
  const KeyRing keys = MakeClusterKeys();
  const CommandResult result = RunCommand(
      {WAREHOUSE_MASTER_BINARY, "--schema", "--db", dir.Join("meta.db"),
       "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--tls-cert",
       dir.Join("cert.pem")},
      BaseEnvironment(keys), kProcessLimit);
  CHECK(result.exit_code != 0);
  CHECK_THAT(result.output, Catch::Contains("--tls-key"));
}

TEST_CASE("a pending row delay outside 0s to 1m is refused, naming the flag",
          "[master][binary]") {
  warehouse::testing::TempDir dir;
  const KeyRing keys = MakeClusterKeys();
  for (const char* delay : {"2m", "-1s", "soon"}) {
    const CommandResult result = RunCommand(
        {WAREHOUSE_MASTER_BINARY, "--schema", "--db", dir.Join("meta.db"),
         "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0",
         "--pending-row-delay", delay},
        BaseEnvironment(keys), kProcessLimit);
    INFO(delay << ": " << result.output);
    CHECK(result.exit_code != 0);
    CHECK_THAT(result.output, Catch::Contains("--pending-row-delay"));
  }
  // Zero is allowed: every begun upload's row is written at once.
  std::unique_ptr<Subprocess> master = Subprocess::Start(
      {WAREHOUSE_MASTER_BINARY, "--schema", "--db", dir.Join("meta.db"),
       "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0",
       "--pending-row-delay", "0s"},
      BaseEnvironment(keys));
  REQUIRE(master->ReadUntil("warehouse-master serving", kProcessLimit));
  StopCleanly(*master);
}

TEST_CASE("automatic compaction and verification settings out of range are "
          "refused",
          "[master][binary]") {
  warehouse::testing::TempDir dir;
  const KeyRing keys = MakeClusterKeys();
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"--auto-compact-ratio", "1.5"},
      {"--auto-compact-ratio", "-0.1"},
      {"--auto-compact-interval", "0s"},
      {"--auto-compact-interval", "often"},
      {"--auto-compact-bandwidth", "fast"},
      {"--auto-verify-every", "weekly"},
      {"--auto-verify-every", "-1h"},
      {"--auto-verify-interval", "0s"},
      {"--auto-verify-bandwidth", "slow"}};
  for (const auto& [flag, value] : rows) {
    const CommandResult result = RunCommand(
        {WAREHOUSE_MASTER_BINARY, "--schema", "--db", dir.Join("meta.db"),
         "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", flag,
         value},
        BaseEnvironment(keys), kProcessLimit);
    INFO(flag << " " << value << ": " << result.output);
    CHECK(result.exit_code != 0);
    CHECK_THAT(result.output, Catch::Contains(flag + " " + value));
  }
  // 0 turns them off.
  std::unique_ptr<Subprocess> master = Subprocess::Start(
      {WAREHOUSE_MASTER_BINARY, "--schema", "--db", dir.Join("meta.db"),
       "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0",
       "--auto-compact-ratio", "0", "--auto-verify-every", "0"},
      BaseEnvironment(keys));
  REQUIRE(master->ReadUntil("warehouse-master serving", kProcessLimit));
  StopCleanly(*master);
}

}  // namespace
}  // namespace warehouse::master::testing
