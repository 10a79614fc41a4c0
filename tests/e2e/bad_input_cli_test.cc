// Bad invocations of the real `warehouse` binary: unknown commands and
// flags, missing arguments, bad names and keys, missing files, a master
// nobody answers at, and bad, unsafe, wrong or revoked credentials. Each row
// expects the exit status and standard error docs/cli.md documents (2 for
// bad usage, 1 and "warehouse: <reason>" for a failure); after the table,
// the stored data must be exactly as stored.
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "catch2/catch.hpp"
#include "tests/e2e/bad_input_fixture.h"
#include "tests/tools/cli_runner.h"

namespace warehouse::testing {
namespace {

using Env = std::vector<std::pair<std::string, std::string>>;

struct CliRow {
  std::string name;
  std::vector<std::string> args;  // after the binary
  // The whole environment of the run.
  std::function<Env(BadInputFixture&)> env;
  std::string stdin_data;
  int exit_code = 1;
  std::string fragment;  // must appear in standard error
  std::string group = "";
};

Env WithKey(BadInputFixture& fx, const AccessKeyPair& key) {
  return {{"HOME", fx.scratch().path()},
          {"WAREHOUSE_MASTER", fx.cluster().master_address()},
          {"WAREHOUSE_ACCESS_KEY", key.id},
          {"WAREHOUSE_SECRET_KEY", key.secret}};
}

Env Admin(BadInputFixture& fx) { return WithKey(fx, fx.admin()); }

// An environment whose only credentials are a credentials file holding
// `text` with `mode`, under its own XDG_CONFIG_HOME named `name`.
std::function<Env(BadInputFixture&)> CredentialsFile(std::string name,
                                                     std::string text,
                                                     mode_t mode) {
  return [name, text, mode](BadInputFixture& fx) -> Env {
    const std::string config = fx.scratch().Join("config-" + name);
    std::filesystem::create_directories(config + "/warehouse");
    const std::string path = config + "/warehouse/credentials";
    std::ofstream(path, std::ios::trunc) << text;
    ::chmod(path.c_str(), mode);
    return {{"HOME", fx.scratch().path()},
            {"XDG_CONFIG_HOME", config},
            {"WAREHOUSE_MASTER", fx.cluster().master_address()}};
  };
}

std::string GoodFileText(BadInputFixture& fx) {
  return absl::StrCat("access_key_id = ", fx.admin().id,
                      "\nsecret_access_key = ", fx.admin().secret, "\n");
}

std::vector<CliRow> CliRows() {
  using Fx = BadInputFixture;
  auto admin = [](Fx& fx) { return Admin(fx); };
  auto file = [](std::string name, std::string text, mode_t mode = 0600) {
    return CredentialsFile(std::move(name), std::move(text), mode);
  };
  const std::string missing = "/nonexistent-dir/no-such-file.bin";
  std::vector<CliRow> rows;
  // Usage: exit 2 (docs/cli.md, "Output and exit status").
  AddGroup(
      rows, "usage",
      {
          {"no command at all", {}, admin, "", 2, ""},
          {"an unknown command", {"frobnicate"}, admin, "", 2, "frobnicate"},
          {"an unknown flag",
           {"bucket", "list", "--frobnicate"},
           admin,
           "",
           2,
           "--frobnicate"},
          {"an unknown bucket subcommand",
           {"bucket", "rename", "alpha"},
           admin,
           "",
           2,
           "rename"},
          {"bucket create without a name",
           {"bucket", "create"},
           admin,
           "",
           2,
           ""},
          {"put without a destination", {"put", "file.txt"}, admin, "", 2, ""},
          {"compact with a volume id that is not a number",
           {"compact", "seven"},
           admin,
           "",
           2,
           "seven"},
      });
  // Checked after parsing, by the command: exit 1 (docs/cli.md).
  AddGroup(rows, "checked by the command",
           {
               {"put with a size that is not a size",
                {"put", "-", "alpha/new", "--size", "lots"},
                admin,
                "hello",
                1,
                "lots"},
               {"key create with an unknown role",
                {"key", "create", "--role", "superuser"},
                admin,
                "",
                1,
                "superuser"},
           });
  // Names and keys.
  AddGroup(rows, "names and keys",
           {
               {"bucket create with an uppercase name",
                {"bucket", "create", "Photos"},
                admin,
                "",
                1,
                "Photos"},
               {"bucket create with a two-letter name",
                {"bucket", "create", "ab"},
                admin,
                "",
                1,
                "ab"},
               {"bucket create of a bucket that exists",
                {"bucket", "create", "alpha"},
                admin,
                "",
                1,
                "alpha"},
               {"bucket delete of a bucket that holds objects",
                {"bucket", "delete", "beta"},
                admin,
                "",
                1,
                "not empty"},
               {"bucket delete of an unknown bucket",
                {"bucket", "delete", "no-such-bucket"},
                admin,
                "",
                1,
                "no-such-bucket"},
               {"stat of an object in a bucket with a bad name",
                {"stat", "Bad_Bucket/key"},
                admin,
                "",
                1,
                "Bad_Bucket"},
               {"stat of a key that does not exist",
                {"stat", "alpha/missing"},
                admin,
                "",
                1,
                "missing"},
               {"rm of a key that does not exist",
                {"rm", "alpha/missing"},
                admin,
                "",
                1,
                "missing"},
               {"get of a key that does not exist",
                {"get", "alpha/missing", "-"},
                admin,
                "",
                1,
                "missing"},
               {"get of a key whose last segment is ..",
                {"get", "alpha/dir/.."},
                admin,
                "",
                1,
                ".."},
               {"ls of an unknown bucket",
                {"ls", "no-such-bucket"},
                admin,
                "",
                1,
                "no-such-bucket"},

           });
  // Files and uploads.
  AddGroup(rows, "files and uploads",
           {
               {"put of a file that does not exist",
                {"put", missing, "alpha/new"},
                admin,
                "",
                1,
                "no-such-file.bin"},
               {"put into an unknown bucket",
                {"put", "-", "no-such-bucket/k", "--size", "5"},
                admin,
                "hello",
                1,
                "no-such-bucket"},
               {"put from stdin shorter than --size",
                {"put", "-", "alpha/a.txt", "--size", "13"},
                admin,
                "HELLO",
                1,
                ""},
               {"put from stdin longer than --size",
                {"put", "-", "alpha/a.txt", "--size", "5"},
                admin,
                "HELLO, WORLD\n",
                1,
                ""},
               {"put of an object over the master's maximum",
                {"put", "-", "alpha/huge", "--size", "2M"},
                admin,
                "",
                1,
                "2097152"},
               {"url whose lifetime the master will not grant",
                {"url", "alpha/a.txt", "--expires", "300h"},
                admin,
                "",
                1,
                "max-url-lifetime"},

           });
  // The master.
  AddGroup(rows, "master address",
           {
               {"a master nobody answers at",
                {"--master", "127.0.0.1:1", "bucket", "list"},
                admin,
                "",
                1,
                "127.0.0.1:1"},
               {"a master address that is not host:port",
                {"--master", "not an address", "bucket", "list"},
                admin,
                "",
                1,
                "not an address"},

           });
  // Credentials (docs/cli.md, "Connecting").
  AddGroup(
      rows, "credentials",
      {
          {"no credentials anywhere",
           {"bucket", "list"},
           [](Fx& fx) -> Env {
             return {{"HOME", fx.scratch().Join("empty-home")},
                     {"WAREHOUSE_MASTER", fx.cluster().master_address()}};
           },
           "",
           1,
           "WAREHOUSE_ACCESS_KEY"},
          {"an access key without its secret",
           {"bucket", "list"},
           [](Fx& fx) -> Env {
             return {{"HOME", fx.scratch().path()},
                     {"WAREHOUSE_MASTER", fx.cluster().master_address()},
                     {"WAREHOUSE_ACCESS_KEY", fx.admin().id}};
           },
           "",
           1,
           "WAREHOUSE_SECRET_KEY"},
          {"a wrong secret",
           {"bucket", "list"},
           [](Fx& fx) {
             return WithKey(fx, {fx.admin().id, std::string(40, 'x')});
           },
           "",
           1,
           "signature does not match"},
          {"a malformed access key id",
           {"bucket", "list"},
           [](Fx& fx) {
             return WithKey(fx, {"not-a-key", fx.admin().secret});
           },
           "",
           1,
           "access key id"},
          {"a revoked key",
           {"bucket", "list"},
           [](Fx& fx) { return WithKey(fx, fx.revoked()); },
           "",
           1,
           "revoked"},
          {"a read-write key listing servers",
           {"servers"},
           [](Fx& fx) { return WithKey(fx, fx.read_write()); },
           "",
           1,
           "needs an admin key"},
          {"a scoped key putting outside its bucket",
           {"put", "-", "alpha/a.txt", "--size", "13"},
           [](Fx& fx) { return WithKey(fx, fx.scoped()); },
           "HELLO, WORLD\n",
           1,
           "alpha"},
          {"a credentials file others may read",
           {"bucket", "list"},
           [file](Fx& fx) {
             return file("shared", GoodFileText(fx), 0644)(fx);
           },
           "",
           1,
           "chmod 600"},
          {"a credentials file with an unknown name",
           {"bucket", "list"},
           [file](Fx& fx) {
             return file("unknown", GoodFileText(fx) + "region = eu\n")(fx);
           },
           "",
           1,
           "region"},
          {"a credentials file with a line without =",
           {"bucket", "list"},
           [file](Fx& fx) {
             return file("noequals", GoodFileText(fx) + "just words\n")(fx);
           },
           "",
           1,
           "credentials:3"},
          {"a credentials file naming a key twice",
           {"bucket", "list"},
           [file](Fx& fx) {
             return file("twice", GoodFileText(fx) + GoodFileText(fx))(fx);
           },
           "",
           1,
           "access_key_id"},
          {"a credentials file with an empty value",
           {"bucket", "list"},
           [file](Fx& fx) {
             return file("empty",
                         absl::StrCat("access_key_id = ", fx.admin().id,
                                      "\nsecret_access_key =\n"))(fx);
           },
           "",
           1,
           "secret_access_key"},
          {"a credentials file holding a wrong secret",
           {"bucket", "list"},
           [file](Fx& fx) {
             return file("wrong",
                         absl::StrCat("access_key_id = ", fx.admin().id,
                                      "\nsecret_access_key = ",
                                      std::string(40, 'y'), "\n"))(fx);
           },
           "",
           1,
           "signature does not match"},
      });
  return rows;
}

}  // namespace

std::string CliRowGroups(size_t* count) {
  const std::vector<CliRow> rows = CliRows();
  *count = rows.size();
  return GroupCounts(rows);
}

TEST_CASE("every bad CLI invocation exits as documented and changes nothing",
          "[e2e][bad_input][cli]") {
  absl::StatusOr<BadInputFixture*> started = BadInputFixture::Get();
  INFO(started.status().ToString());
  REQUIRE(started.ok());
  BadInputFixture& fx = **started;
  const std::vector<CliRow> rows = CliRows();
  const absl::Time start = absl::Now();
  size_t passed = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const CliRow& row = rows[i];
    CliInvocation invocation;
    invocation.argv = {WAREHOUSE_CLI_BIN};
    invocation.argv.insert(invocation.argv.end(), row.args.begin(),
                           row.args.end());
    invocation.env = row.env(fx);
    invocation.cwd = fx.scratch().path();
    invocation.stdin_data = row.stdin_data;
    invocation.timeout = kRowTimeout * 3;
    absl::StatusOr<CliRun> run = RunCli(invocation);
    INFO("row: " << row.name);
    REQUIRE(run.ok());
    INFO("  got exit " << run->exit_code << ", stderr: " << run->err
                       << "  expected exit " << row.exit_code
                       << ", stderr containing \"" << row.fragment << "\"");
    // One line on standard error, "warehouse: <reason>" for a failure.
    const bool one_line =
        row.exit_code != 1 || (absl::StartsWith(run->err, "warehouse: ") &&
                               run->err.find('\n') == run->err.size() - 1);
    const bool ok = run->exit_code == row.exit_code &&
                    absl::StrContains(run->err, row.fragment) && one_line;
    CHECK(ok);
    passed += ok;
    if (EndsGroup(rows, i)) {
      INFO("stored data after the " << row.group << " rows");
      CHECK(fx.CheckStoredData() == "");
    }
  }
  std::printf(
      "CLI bad inputs: %zu rows (%s), %zu answered as documented, %.1f s\n",
      rows.size(), GroupCounts(rows).c_str(), passed,
      absl::ToDoubleSeconds(absl::Now() - start));
}

TEST_CASE("the bad-input tables hold at least 100 named rows",
          "[e2e][bad_input]") {
  size_t grpc = 0, http = 0, cli = 0;
  const std::string grpc_groups = GrpcRowGroups(&grpc);
  const std::string http_groups = HttpRowGroups(&http);
  const std::string cli_groups = CliRowGroups(&cli);
  std::printf(
      "bad-input rows: %zu in all\n  gRPC %zu: %s\n  HTTP %zu: %s\n  CLI %zu: "
      "%s\n",
      grpc + http + cli, grpc, grpc_groups.c_str(), http, http_groups.c_str(),
      cli, cli_groups.c_str());
  CHECK(grpc > 0);
  CHECK(grpc + http + cli >= 100);
}

}  // namespace warehouse::testing
