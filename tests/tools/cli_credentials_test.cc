#include "tools/cli_credentials.h"

#include <sys/stat.h>

#include <fstream>
#include <map>
#include <string>

#include "catch2/catch.hpp"
#include "tests/support/temp_dir.h"

namespace warehouse::cli {
namespace {

constexpr char kId[] = "WH4K2Q9ZJ7X1M0B8C6VT";
constexpr char kSecret[] = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12";

std::string WriteFile(const testing::TempDir& dir, const std::string& text,
                      mode_t mode) {
  const std::string path = dir.Join("credentials");
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
  return path;
}

TEST_CASE("a credentials file has names, values, comments and blanks",
          "[tools]") {
  absl::StatusOr<CredentialsFile> file = ParseCredentialsFile(
      "# mine\n\n  access_key_id = WH1 \nsecret_access_key=s=with=equals\n"
      "master = 10.0.0.5:9333\n",
      "f");
  REQUIRE(file.ok());
  CHECK(file->access_key_id == "WH1");
  CHECK(file->secret_access_key == "s=with=equals");
  CHECK(file->master == "10.0.0.5:9333");
}

TEST_CASE("a malformed credentials file is refused naming the line",
          "[tools]") {
  struct Case {
    const char* text;
    const char* message;
  };
  for (const Case& c : {Case{"access_key_id WH1\n", "f:1: expected"},
                        Case{"\nregion = x\n", "f:2: unknown name \"region\""},
                        Case{"master =\n", "f:1: master has no value"},
                        Case{"master = a\nmaster = b\n", "f:2: master given twice"}}) {
    INFO(c.text);
    absl::StatusOr<CredentialsFile> file = ParseCredentialsFile(c.text, "f");
    CHECK(file.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(file.status().message()),
               Catch::StartsWith(c.message));
  }
}

TEST_CASE("a credentials file others may read is refused, like ssh does",
          "[tools]") {
  testing::TempDir dir;
  const std::string text = std::string("access_key_id = ") + kId +
                           "\nsecret_access_key = " + kSecret + "\n";
  for (mode_t mode : {0644, 0640, 0604, 0620, 0602}) {
    INFO(mode);
    const std::string path = WriteFile(dir, text, mode);
    absl::StatusOr<CredentialsFile> file = LoadCredentialsFile(path);
    CHECK(file.status().code() == absl::StatusCode::kPermissionDenied);
    CHECK_THAT(std::string(file.status().message()),
               Catch::Contains("chmod 600"));
  }
  const std::string path = WriteFile(dir, text, 0600);
  absl::StatusOr<CredentialsFile> file = LoadCredentialsFile(path);
  REQUIRE(file.ok());
  CHECK(file->access_key_id == kId);
  CHECK(LoadCredentialsFile(dir.Join("missing")).status().code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("flags beat the environment, which beats the credentials file",
          "[tools]") {
  testing::TempDir dir;
  const std::string path =
      WriteFile(dir,
                "access_key_id = WHFILE\nsecret_access_key = file-secret\n"
                "master = file-host:1\n",
                0600);
  std::map<std::string, std::string> env;
  absl::StatusOr<Connection> connection = ResolveConnection("", env, path);
  REQUIRE(connection.ok());
  CHECK(connection->master == "file-host:1");
  CHECK(connection->access_key_id == "WHFILE");

  env = {{"WAREHOUSE_MASTER", "env-host:2"},
         {"WAREHOUSE_ACCESS_KEY", "WHENV"},
         {"WAREHOUSE_SECRET_KEY", "env-secret"}};
  connection = ResolveConnection("", env, path);
  REQUIRE(connection.ok());
  CHECK(connection->master == "env-host:2");
  CHECK(connection->access_key_id == "WHENV");
  CHECK(connection->secret_access_key == "env-secret");
  connection = ResolveConnection("flag-host:3", env, path);
  REQUIRE(connection.ok());
  CHECK(connection->master == "flag-host:3");

  // Without a file or a master anywhere: the default master.
  connection = ResolveConnection("", {{"WAREHOUSE_ACCESS_KEY", "WHENV"},
                                      {"WAREHOUSE_SECRET_KEY", "s"}},
                                 dir.Join("none"));
  REQUIRE(connection.ok());
  CHECK(connection->master == kDefaultMaster);
}

TEST_CASE("missing or half-given credentials are refused clearly", "[tools]") {
  testing::TempDir dir;
  absl::StatusOr<Connection> connection =
      ResolveConnection("", {}, dir.Join("none"));
  CHECK(connection.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(connection.status().message()),
             Catch::Contains("WAREHOUSE_ACCESS_KEY"));
  connection =
      ResolveConnection("", {{"WAREHOUSE_ACCESS_KEY", "WHENV"}}, dir.Join("none"));
  CHECK(connection.status().code() == absl::StatusCode::kFailedPrecondition);
  const std::string open = WriteFile(
      dir, "access_key_id = WH\nsecret_access_key = s\n", 0644);
  CHECK(ResolveConnection("", {}, open).status().code() ==
        absl::StatusCode::kPermissionDenied);
}

TEST_CASE("TLS roots come from --tls-ca, else WAREHOUSE_TLS_CA", "[tools]") {
  testing::TempDir dir;
  const std::map<std::string, std::string> keys = {
      {"WAREHOUSE_ACCESS_KEY", kId}, {"WAREHOUSE_SECRET_KEY", kSecret}};
  absl::StatusOr<ClientOptions> plain =
      ResolveClientOptions("", "", keys, dir.Join("none"));
  REQUIRE(plain.ok());
  CHECK(plain->access_key_id == kId);
  CHECK(plain->master_address == kDefaultMaster);
  CHECK_FALSE(plain->tls_root_certs.has_value());

  const std::string flag_pem = dir.Join("flag.pem");
  std::ofstream(flag_pem) << "-----BEGIN CERTIFICATE-----\nflag\n";
  const std::string env_pem = dir.Join("env.pem");
  std::ofstream(env_pem) << "-----BEGIN CERTIFICATE-----\nenv\n";
  std::map<std::string, std::string> env = keys;
  env["WAREHOUSE_TLS_CA"] = env_pem;
  absl::StatusOr<ClientOptions> from_env =
      ResolveClientOptions("", "", env, dir.Join("none"));
  REQUIRE(from_env.ok());
  CHECK_THAT(from_env->tls_root_certs.value_or(""), Catch::Contains("env"));
  absl::StatusOr<ClientOptions> from_flag =
      ResolveClientOptions("", flag_pem, env, dir.Join("none"));
  REQUIRE(from_flag.ok());
  CHECK_THAT(from_flag->tls_root_certs.value_or(""), Catch::Contains("flag"));

  absl::StatusOr<ClientOptions> missing =
      ResolveClientOptions("", dir.Join("none.pem"), keys, dir.Join("none"));
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(missing.status().message()),
             Catch::Contains("none.pem"));
}

}  // namespace
}  // namespace warehouse::cli
