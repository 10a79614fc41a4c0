// warehouse-bench sdk against a real cluster: it runs every row, checks
// what it reads, and leaves no object behind.
#include "absl/strings/str_split.h"
#include "catch2/catch.hpp"
#include "tests/support/cluster.h"
#include "tests/tools/cli_runner.h"

namespace warehouse {
namespace {

TEST_CASE("the sdk benchmark runs every row and removes its objects",
          "[tools][e2e]") {
  testing::ClusterOptions options;
  options.master_bin = WAREHOUSE_MASTER_BIN;
  options.volume_bin = WAREHOUSE_VOLUME_BIN;
  auto cluster = testing::Cluster::Start(options);
  INFO(cluster.status().ToString());
  REQUIRE(cluster.ok());
  const std::vector<std::pair<std::string, std::string>> env = {
      {"HOME", (*cluster)->dir()},
      {"WAREHOUSE_ACCESS_KEY", (*cluster)->access_key_id()},
      {"WAREHOUSE_SECRET_KEY", (*cluster)->secret_access_key()}};

  testing::CliInvocation bench;
  bench.argv = {WAREHOUSE_BENCH_BIN, "sdk", "--master",
                (*cluster)->master_address(), "--sizes", "1K", "100K",
                "--threads", "1", "3", "--seconds", "0.3"};
  bench.env = env;
  absl::StatusOr<testing::CliRun> run = testing::RunCli(bench);
  REQUIRE(run.ok());
  INFO(run->out << run->err);
  REQUIRE(run->exit_code == 0);
  std::vector<std::string> lines =
      absl::StrSplit(run->out, '\n', absl::SkipEmpty());
  REQUIRE(lines.size() == 2 + 2 * 2 * 3);  // header, rule, 3 rows per pair
  CHECK_THAT(lines[2], Catch::StartsWith("put "));
  CHECK_THAT(lines[3], Catch::StartsWith("get "));
  CHECK_THAT(lines[4], Catch::StartsWith("get, no url cache "));

  testing::CliInvocation ls;
  ls.argv = {WAREHOUSE_CLI_BIN, "--master", (*cluster)->master_address(),
             "ls", "--recursive", "sdk-bench"};
  ls.env = env;
  absl::StatusOr<testing::CliRun> listed = testing::RunCli(ls);
  REQUIRE(listed.ok());
  CHECK(listed->exit_code == 0);
  CHECK(listed->out.empty());
}

}  // namespace
}  // namespace warehouse
